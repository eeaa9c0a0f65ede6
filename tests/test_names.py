"""Tests for CSS colour names and hue families."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sphinx_palette.engine.colour import hex_to_rgb
from sphinx_palette.engine.names import (
    CSS_COLOURS,
    FAMILIES,
    ColourName,
    describe,
    hue_family,
    nearest_css_name,
)

rgb_triples = st.tuples(*(st.integers(0, 255),) * 3)

# Keyword pairs that share a value, and the keyword nearest_css_name returns for both.
DUPLICATES = {
    "cyan": "aqua",
    "magenta": "fuchsia",
    "darkgrey": "darkgray",
    "darkslategrey": "darkslategray",
    "dimgrey": "dimgray",
    "grey": "gray",
    "lightgrey": "lightgray",
    "lightslategrey": "lightslategray",
    "slategrey": "slategray",
}


def test_table_has_all_148_keywords() -> None:
    assert len(CSS_COLOURS) == 148
    assert list(CSS_COLOURS) == sorted(CSS_COLOURS)
    assert len(set(CSS_COLOURS.values())) == 148 - len(DUPLICATES)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("rebeccapurple", "#663399"),
        ("aliceblue", "#f0f8ff"),
        ("yellowgreen", "#9acd32"),
        ("lightgoldenrodyellow", "#fafad2"),
        ("mediumspringgreen", "#00fa9a"),
        ("darkslategray", "#2f4f4f"),
        ("navajowhite", "#ffdead"),
        ("papayawhip", "#ffefd5"),
        ("cornflowerblue", "#6495ed"),
        ("orange", "#ffa500"),
    ],
)
def test_spot_check_values(name: str, code: str) -> None:
    assert CSS_COLOURS[name] == hex_to_rgb(code)


def test_duplicates_share_values() -> None:
    for twin, canonical in DUPLICATES.items():
        assert CSS_COLOURS[twin] == CSS_COLOURS[canonical]


@pytest.mark.parametrize("name", list(CSS_COLOURS))
def test_exact_match_returns_its_own_name(name: str) -> None:
    assert nearest_css_name(CSS_COLOURS[name]) == DUPLICATES.get(name, name)


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((254, 0, 1), "red"),
        ((0, 0, 120), "navy"),
        ((127, 128, 129), "gray"),
        ((1, 254, 254), "aqua"),
        ((250, 1, 250), "fuchsia"),
        ((255, 255, 238), "ivory"),
        ((10, 10, 10), "black"),
    ],
)
def test_nearest_name_for_near_misses(rgb: tuple[int, int, int], name: str) -> None:
    assert nearest_css_name(rgb) == name


@given(rgb_triples)
def test_nearest_name_is_a_canonical_keyword(rgb: tuple[int, int, int]) -> None:
    name = nearest_css_name(rgb)
    assert name in CSS_COLOURS
    assert name not in DUPLICATES


# What a person would call each colour; the less obvious calls follow the decisions documented in
# sphinx_palette/names.py (maroon and CSS "brown" are red, teal is blue, olive is green).
FAMILY_TABLE = {
    "red": "red",
    "crimson": "red",
    "firebrick": "red",
    "darkred": "red",
    "maroon": "red",
    "brown": "red",
    "tomato": "red",
    "indianred": "red",
    "orange": "orange",
    "darkorange": "orange",
    "coral": "orange",
    "gold": "yellow",
    "yellow": "yellow",
    "goldenrod": "yellow",
    "khaki": "yellow",
    "palegoldenrod": "yellow",
    "green": "green",
    "lime": "green",
    "forestgreen": "green",
    "darkgreen": "green",
    "seagreen": "green",
    "olivedrab": "green",
    "yellowgreen": "green",
    "chartreuse": "green",
    "springgreen": "green",
    "aquamarine": "green",
    "olive": "green",
    "blue": "blue",
    "navy": "blue",
    "midnightblue": "blue",
    "royalblue": "blue",
    "steelblue": "blue",
    "dodgerblue": "blue",
    "skyblue": "blue",
    "lightblue": "blue",
    "aqua": "blue",
    "teal": "blue",
    "turquoise": "blue",
    "darkcyan": "blue",
    "slateblue": "blue",
    "purple": "purple",
    "indigo": "purple",
    "violet": "purple",
    "darkviolet": "purple",
    "rebeccapurple": "purple",
    "mediumpurple": "purple",
    "orchid": "purple",
    "fuchsia": "purple",
    "plum": "purple",
    "pink": "pink",
    "lightpink": "pink",
    "hotpink": "pink",
    "deeppink": "pink",
    "mediumvioletred": "pink",
    "palevioletred": "pink",
    "saddlebrown": "brown",
    "sienna": "brown",
    "chocolate": "brown",
    "peru": "brown",
    "tan": "brown",
    "burlywood": "brown",
    "black": "black",
    "dimgray": "grey",
    "gray": "grey",
    "silver": "grey",
    "slategray": "grey",
    "lightslategray": "grey",
    "darkslategray": "grey",
    "gainsboro": "grey",
    "white": "white",
    "ivory": "white",
    "snow": "white",
    "ghostwhite": "white",
    "whitesmoke": "white",
    "floralwhite": "white",
    "linen": "white",
    "mintcream": "white",
}


@pytest.mark.parametrize(("name", "family"), list(FAMILY_TABLE.items()))
def test_css_colour_families(name: str, family: str) -> None:
    assert hue_family(CSS_COLOURS[name]) == family


@pytest.mark.parametrize(
    ("code", "family"),
    [
        ("#ff0000", "red"),
        ("#808080", "grey"),
        ("#fffff0", "white"),
        ("#111111", "black"),
        ("#2a2a2a", "black"),
        ("#333333", "grey"),
        ("#e0e0e0", "grey"),
        ("#eeeeee", "white"),
        ("#0a0014", "black"),
        ("#5c0a2e", "red"),
        ("#ffcccc", "pink"),
    ],
)
def test_hex_families(code: str, family: str) -> None:
    assert hue_family(hex_to_rgb(code)) == family


@pytest.mark.parametrize("level", range(256))
def test_neutral_greys_are_achromatic(level: int) -> None:
    assert hue_family((level, level, level)) in {"black", "grey", "white"}


def test_neutral_greys_are_monotone_in_lightness() -> None:
    order = {"black": 0, "grey": 1, "white": 2}
    ranks = [order[hue_family((v, v, v))] for v in range(256)]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0 and ranks[-1] == 2


@given(rgb_triples)
def test_family_is_always_one_of_the_families(rgb: tuple[int, int, int]) -> None:
    assert hue_family(rgb) in FAMILIES


def test_every_family_is_reached_by_some_css_colour() -> None:
    assert {hue_family(rgb) for rgb in CSS_COLOURS.values()} == set(FAMILIES)


# One colour a person names for each family (crimson, dark orange, gold, forest green, dodger blue, purple,
# hot pink, saddle brown, near-black, mid grey, near-white), in the order the browse page should list the
# families: the rainbow, then pink and brown, then the neutrals from dark to light.
DISPLAY_ORDER = [
    (220, 20, 60), (255, 140, 0), (255, 215, 0), (34, 139, 34), (30, 144, 255), (128, 0, 128),
    (255, 105, 180), (139, 69, 19), (10, 10, 10), (128, 128, 128), (250, 250, 250),
]  # fmt: skip


def test_families_display_order() -> None:
    """The browse order follows the colours, not a copy of the table: each colour lands in its own family."""
    assert [hue_family(rgb) for rgb in DISPLAY_ORDER] == list(FAMILIES)


def test_describe_ivory() -> None:
    result = describe((0xFF, 0xFF, 0xF0))
    assert result == ColourName(name="ivory", family="white")
    with pytest.raises(AttributeError):
        result.name = "snow"  # type: ignore[misc]


def test_describe_agrees_with_the_single_lookups() -> None:
    rgb = (70, 130, 180)
    assert describe(rgb) == ColourName(nearest_css_name(rgb), hue_family(rgb))


@pytest.mark.parametrize("bad", [(256, 0, 0), (-1, 0, 0), (1, 2), (1, 2, 3, 4)])
def test_rejects_invalid_triples(bad: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        nearest_css_name(bad)
    with pytest.raises(ValueError):
        hue_family(bad)


@given(rgb_triples)
def test_name_never_contradicts_family(rgb: tuple[int, int, int]) -> None:
    named = describe(rgb)
    assert hue_family(CSS_COLOURS[named.name]) == named.family


# Colours a person would name, with the family they would give and the keywords that read right for
# them. The first two are the ones the nearest-in-Oklab lookup got wrong (midnightblue, darkslategray).
PERSON_TABLE = [
    ("#1c1f14", "black", {"black"}),
    ("#4d3a0c", "brown", {"saddlebrown", "sienna"}),
    ("#2a1a0a", "black", {"black"}),
    ("#101828", "black", {"black"}),
    ("#6b4f3a", "brown", {"saddlebrown", "sienna"}),
    ("#8b5a2b", "brown", {"saddlebrown", "sienna"}),
    ("#c2b280", "brown", {"tan", "burlywood"}),
    ("#f2efe6", "white", {"linen", "oldlace", "floralwhite", "whitesmoke"}),
    ("#f5f5dc", "white", {"beige"}),
    ("#5a5a50", "grey", {"dimgray"}),
    ("#3a5f0b", "green", {"darkgreen", "darkolivegreen", "olivedrab", "forestgreen"}),
    ("#4b5320", "green", {"darkolivegreen"}),
    ("#1a2a4f", "blue", {"midnightblue", "navy", "darkslateblue"}),
    ("#2e86c1", "blue", {"steelblue"}),
    ("#c0392b", "red", {"firebrick", "brown", "crimson"}),
    ("#f4d03f", "yellow", {"gold"}),
    ("#7d3c98", "purple", {"rebeccapurple", "darkorchid", "purple"}),
    ("#ff69b4", "pink", {"hotpink"}),
]


@pytest.mark.parametrize(("code", "family", "names"), PERSON_TABLE)
def test_colours_a_person_would_name(code: str, family: str, names: set[str]) -> None:
    named = describe(hex_to_rgb(code))
    assert named.family == family
    assert named.name in names
