"""Plain-text renderings (text, man, texinfo): one line per swatch, ``#rrggbb  34%``."""

from __future__ import annotations

from docutils import nodes

from ..nodes import palette, percent


def swatch_lines(node: palette) -> list[str]:
    """The palette as lines of text: placeholder, swatches, caption and credit."""
    if node.get("error"):
        return [f"[palette unavailable: {node['error']}]"]
    lines = []
    for swatch in node.findall(_is_swatch):
        name = f"  {swatch['name']}" if swatch.get("name") else ""
        lines.append(f"{swatch['hex']}  {percent(float(swatch['share'])):>4}{name}")
    for child in node.children:
        if isinstance(child, nodes.caption) or (
            child.get("classes") and "palette-credit" in child["classes"]
        ):
            lines.append(child.astext())
    return lines


def _is_swatch(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Element) and node.tagname == "palette_swatch"


def visit_palette_text(self, node: palette) -> None:
    # One state holding newline-separated lines: unwrapped, they come out one per line.
    self.new_state(0)
    self.add_text("\n".join(swatch_lines(node)))
    self.end_state(wrap=False)
    raise nodes.SkipNode


def visit_palette_man(self, node: palette) -> None:
    self.body.append(".sp\n.nf\n")
    for line in swatch_lines(node):
        self.body.append(self.deunicode(line.replace("\\", "\\e")) + "\n")
    self.body.append(".fi\n")
    raise nodes.SkipNode


def visit_palette_texinfo(self, node: palette) -> None:
    self.body.append("\n@example\n")
    for line in swatch_lines(node):
        self.body.append(self.escape(line) + "\n")
    self.body.append("@end example\n")
    raise nodes.SkipNode


def bar_text(node: nodes.Element) -> str:
    """A bar of swatches outside a palette block (the colour index) as one line."""
    return "  ".join(f"{s['hex']} {percent(float(s['share']))}" for s in node.findall(_is_swatch))


def visit_bar_text(self, node: nodes.Element) -> None:
    self.new_state(0)
    self.add_text(bar_text(node))
    self.end_state(wrap=False)
    raise nodes.SkipNode


def visit_bar_man(self, node: nodes.Element) -> None:
    self.body.append(".sp\n" + self.deunicode(bar_text(node)) + "\n")
    raise nodes.SkipNode


def visit_bar_texinfo(self, node: nodes.Element) -> None:
    self.body.append("\n" + self.escape(bar_text(node)) + "\n")
    raise nodes.SkipNode


def visit_bar_latex(self, node: nodes.Element) -> None:
    self.body.append("\n\n{\\ttfamily\\small " + self.encode(bar_text(node)) + "}\n\n")
    raise nodes.SkipNode


def skip(self, node: nodes.Element) -> None:
    raise nodes.SkipNode
