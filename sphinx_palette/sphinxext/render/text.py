"""Plain-text renderings (text, man, texinfo): one line per swatch, ``#rrggbb  34%``."""

from __future__ import annotations

from docutils import nodes

from ...engine.exports import percent
from ..nodes import palette, palette_credit, swatches_of


def swatch_lines(node: palette) -> list[str]:
    """The palette as lines of text: placeholder, swatches, caption and credit."""
    if node.get("error"):
        return [f"[palette unavailable: {node['error']}]"]
    lines = []
    for swatch in swatches_of(node):
        name = f"  {swatch['name']}" if swatch.get("name") else ""
        lines.append(f"{swatch['hex']}  {percent(float(swatch['share'])):>4}{name}")
    for child in node.children:
        if isinstance(child, (nodes.caption, palette_credit)):
            lines.append(child.astext())
    return lines


def visit_palette_text(self, node: palette) -> None:
    """Text builder: the lines of `swatch_lines`."""
    # One state holding newline-separated lines: unwrapped, they come out one per line.
    self.new_state(0)
    self.add_text("\n".join(swatch_lines(node)))
    self.end_state(wrap=False)
    raise nodes.SkipNode


def visit_palette_man(self, node: palette) -> None:
    """Man pages: the lines in a no-fill block; a leading dot or quote would start a roff request."""
    self.body.append(".sp\n.nf\n")
    for line in swatch_lines(node):
        text = self.deunicode(line.replace("\\", "\\e"))
        if text.startswith((".", "'")):
            text = "\\&" + text
        self.body.append(text + "\n")
    self.body.append(".fi\n")
    raise nodes.SkipNode


def visit_palette_texinfo(self, node: palette) -> None:
    """Texinfo: the lines in an ``@example`` block."""
    self.body.append("\n@example\n")
    for line in swatch_lines(node):
        self.body.append(self.escape(line) + "\n")
    self.body.append("@end example\n")
    raise nodes.SkipNode


def bar_text(node: nodes.Element) -> str:
    """A bar of swatches outside a palette block (the colour index) as one line."""
    return "  ".join(f"{s['hex']} {percent(float(s['share']))}" for s in swatches_of(node))


def visit_bar_text(self, node: nodes.Element) -> None:
    """A bar outside a palette (the colour index), as one line."""
    self.new_state(0)
    self.add_text(bar_text(node))
    self.end_state(wrap=False)
    raise nodes.SkipNode


def visit_bar_man(self, node: nodes.Element) -> None:
    """A bar outside a palette, as one line."""
    self.body.append(".sp\n" + self.deunicode(bar_text(node)) + "\n")
    raise nodes.SkipNode


def visit_bar_texinfo(self, node: nodes.Element) -> None:
    """A bar outside a palette, as one line."""
    self.body.append("\n" + self.escape(bar_text(node)) + "\n")
    raise nodes.SkipNode


def visit_bar_latex(self, node: nodes.Element) -> None:
    """A bar outside a palette, as one line of monospace."""
    self.body.append("\n\n{\\ttfamily\\small " + self.encode(bar_text(node)) + "}\n\n")
    raise nodes.SkipNode


def skip(self, node: nodes.Element) -> None:
    """Children rendered by their palette's visitor."""
    raise nodes.SkipNode
