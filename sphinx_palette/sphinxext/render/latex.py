"""LaTeX rendering: a row of ``\\colorbox`` swatches with their hex codes, then caption and credit."""

from __future__ import annotations

import posixpath

from docutils import nodes

from ...engine.exports import percent
from ..derivatives import REMOTE_COPY_SIDE, derivative
from ..nodes import palette, palette_credit, swatches_of
from .text import swatch_lines

# Narrow swatches still need room for "#rrggbb" in a small monospace font.
_MIN_WIDTH = 0.09


def visit_palette_latex(self, node: palette) -> None:
    """LaTeX: the shown image, the swatches as colour boxes, then caption and credit.

    A captioned palette is a figure float, numbered like figures (caption name "Palette"), with its label
    after the caption so that :numref: gives its number; an uncaptioned one is a label and the boxes.
    """
    caption = next((c for c in node.children if isinstance(c, nodes.caption)), None)
    if node.get("error") or caption is None:
        self.body.append(self.hypertarget_to(node))
    if node.get("error"):
        message = self.encode(swatch_lines(node)[0])
        self.body.append(f"\n\n\\begin{{quote}}\\textit{{{message}}}\\end{{quote}}\n\n")
        raise nodes.SkipNode
    if caption is not None:
        self.body.append("\n\n\\begin{figure}[htbp]\n\\renewcommand{\\figurename}{Palette}\\centering\n")
    # The local image of :show-image: (the builder copies it like any image of the document).
    for image in node.findall(nodes.image):
        self.body.append("\\begin{center}")
        self.visit_image(image)
        self.body.append("\\end{center}\n")
    # A remote one: the scaled copy from the cache, written into the output like an image of the document.
    copied = derivative(self.builder, node["image_url"], REMOTE_COPY_SIDE) if node.get("image_url") else None
    if copied is not None:
        base, suffix = posixpath.splitext(copied[0])
        self.body.append(f"\\begin{{center}}\\sphinxincludegraphics{{{{{base}}}{suffix}}}\\end{{center}}\n")
    swatches = swatches_of(node)
    equal = node.get("widths") == "equal"
    widths = [1 / len(swatches) if equal else max(float(s["share"]), _MIN_WIDTH) for s in swatches]
    scale = 0.98 / sum(widths)
    self.body.append("\n\n\\begingroup\\setlength{\\fboxsep}{0pt}\\noindent\n")
    for swatch, width in zip(swatches, widths, strict=True):
        fill = swatch["hex"][1:].upper()
        ink = swatch["ink"][1:].upper()
        label = f"\\#{swatch['hex'][1:]}"
        share = self.encode(percent(float(swatch["share"])))
        self.body.append(
            f"\\colorbox[HTML]{{{fill}}}{{\\parbox[c][3.2em][c]{{{width * scale:.4f}\\linewidth}}"
            f"{{\\centering\\textcolor[HTML]{{{ink}}}{{\\ttfamily\\scriptsize {label}\\\\{share}}}}}}}%\n"
        )
    self.body.append("\\par\\endgroup\n")
    if caption is not None:
        self.body.append(f"\\caption{{{self.encode(caption.astext())}}}{self.hypertarget_to(node)}\n")
    for child in node.children:
        if isinstance(child, palette_credit):
            self.body.append(f"\n\\begin{{center}}\\small {self.encode(child.astext())}\\end{{center}}\n")
    if caption is not None:
        self.body.append("\\end{figure}\n")
    self.body.append("\n")
    raise nodes.SkipNode
