"""LaTeX rendering: a row of ``\\colorbox`` swatches with their hex codes, then caption and credit."""

from __future__ import annotations

from docutils import nodes

from ...engine.exports import percent
from ..nodes import palette, palette_credit, swatches_of
from .text import swatch_lines

# Narrow swatches still need room for "#rrggbb" in a small monospace font.
_MIN_WIDTH = 0.09


def visit_palette_latex(self, node: palette) -> None:
    """LaTeX: a label for :ref: / :numref:, the swatches as colour boxes, then caption and credit."""
    self.body.append(self.hypertarget_to(node))
    if node.get("error"):
        message = self.encode(swatch_lines(node)[0])
        self.body.append(f"\n\n\\begin{{quote}}\\textit{{{message}}}\\end{{quote}}\n\n")
        raise nodes.SkipNode
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
    for child in node.children:
        if isinstance(child, (nodes.caption, palette_credit)):
            self.body.append(f"\n\\begin{{center}}\\small {self.encode(child.astext())}\\end{{center}}\n")
    self.body.append("\n")
    raise nodes.SkipNode
