"""The shared renderer: its start tags are docutils', so Sphinx and string front ends write the same bytes."""

from __future__ import annotations

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.utils import new_document
from docutils.writers.html5_polyglot import HTMLTranslator, Writer

from sphinx_palette.markup import (
    PaletteView,
    SwatchView,
    bar_html,
    class_names,
    palette_html,
    placeholder_html,
    start_tag,
)

CRIMSON = SwatchView("#d92a1c", 0.26884, "crimson", "red")
PALE = SwatchView("#f1e8d0", 0.0004, "", "")


def _translator() -> HTMLTranslator:
    return HTMLTranslator(new_document("<test>", get_default_settings(Writer)))


def test_start_tag_writes_what_docutils_writes():
    """Sorted attributes, docutils' escaping (quotes, ampersands, at-signs, line breaks), extra ids."""
    translator = _translator()
    attributes = {"title": 'Jackson\'s <chameleon> & "frog" @ dusk\nlate', "aria-label": "x", "role": "note"}
    for ids in ([], ["one"], ["one", "two", "three"]):
        element = nodes.container(ids=list(ids))
        assert start_tag("div", {"class": "palette", **attributes}, ids) == translator.starttag(
            element, "div", CLASS="palette", **attributes
        )


def test_class_names_merge_as_docutils_merges_a_nodes_classes():
    translator = _translator()
    element = nodes.container(classes=["wide", "palette"])
    expected = translator.starttag(element, "div", CLASS="palette palette-error")
    assert start_tag("div", {"class": class_names("wide", "palette", "palette", "palette-error")}) == expected
    assert class_names("wide", "palette", "palette", "palette-error") == "wide palette palette-error"


def test_swatches_carry_code_share_name_and_the_ink_that_contrasts():
    html = bar_html([CRIMSON, PALE], "Colours of Jackson's chameleon")
    assert html.startswith('<ul aria-label="Colours of Jackson\'s chameleon" class="palette-bar">\n<li ')
    assert (
        '<li class="palette-swatch" data-family="red" data-hex="#d92a1c" data-name="crimson" '
        'data-share="0.268840" style="background-color:#d92a1c;color:#ffffff;--share:0.268840" '
        'title="#d92a1c, 27%, crimson (red)">\n'
    ) in html
    # An unnamed, tiny swatch: no name attributes, dark ink on a pale colour, its share below one percent.
    assert 'data-hex="#f1e8d0" data-share="0.000400" style="background-color:#f1e8d0;color:#000000' in html
    # "<0.1%" is text, escaped like any other (a bare "<" is an HTML parse error).
    assert '<span class="palette-share"> &lt;0.1%</span>' in html
    assert html.endswith("</span></li>\n</ul>\n")


def test_palette_figure_pieces_in_order():
    view = PaletteView(
        anchor="palette-frog",
        swatches=(CRIMSON,),
        alt="Colour palette of frog: 1 colours",
        classes=("wide",),
        image_src="img/frog.jpg",
        image_alt='A "red" frog',
        caption_html="<em>Frog</em>",
        credit_html="Photo: someone",
        manifest_url="https://example.org/manifest?a=1&b=2",
        downloads=(("_palettes/x.gpl", "GIMP palette (.gpl)"),),
    )
    html = palette_html(view)
    assert html.startswith(
        '<figure class="wide palette palette-widths-share palette-with-image" id="palette-frog" '
        'style="--palette-1:#d92a1c">\n<div class="palette-media"><img src="img/frog.jpg" '
        'alt="A &quot;red&quot; frog" loading="lazy" decoding="async"/></div>\n'
    )
    order = ['class="palette-bar"', "<figcaption", 'class="palette-credit"', "palette-downloads", "</figure>"]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert 'href="#palette-frog" title="Link to this palette">¶</a></figcaption>' in html
    assert 'href="https://example.org/manifest?a=1&amp;b=2">IIIF manifest</a></p>' in html


def test_placeholder_is_a_note_with_the_message_escaped():
    html = placeholder_html("image file not found: <a&b>.png", "palette-x", ("wide",))
    assert html == (
        '<div class="wide palette palette-error" id="palette-x" role="note">\n'
        '<p class="palette-error-message"><span class="palette-error-title">Palette unavailable.</span> '
        "image file not found: &lt;a&amp;b&gt;.png</p></div>\n"
    )
