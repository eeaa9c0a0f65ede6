"""Docs-only extension: ``.. palette-settings::`` writes the configuration table from the declared settings.

The table is made from `sphinx_palette.settings.SETTINGS` at build time, so the reference cannot drift from
what the extension declares (``tests/test_docs_settings.py`` builds it).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from sphinx_palette.settings import SETTINGS, Setting
from sphinx_palette.sphinxext.config import sphinx_name


def shown_default(value: object) -> str:
    """A default as an author would write it in ``conf.py``; long numbers grouped (``50_000_000``)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1_000_000:
        return f"{value:_}"
    return repr(value)


def table_lines(settings: tuple[Setting, ...] = SETTINGS) -> list[str]:
    """The reST ``list-table`` of the settings: name, default, meaning."""
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 22 18 60", ""]
    lines += ["   * - name", "     - default", "     - meaning"]
    for setting in settings:
        lines += [
            f"   * - ``{sphinx_name(setting)}``",
            f"     - ``{shown_default(setting.default)}``",
            f"     - {setting.doc}",
        ]
    return lines


class PaletteSettingsDirective(SphinxDirective):
    """The configuration table of sphinx-palette."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Parse the generated table as if it were written here."""
        container = nodes.container()
        source = self.get_source_info()[0] or ""
        self.state.nested_parse(
            StringList(table_lines(), items=[(source, self.lineno)] * len(table_lines())),
            self.content_offset,
            container,
        )
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    """Register ``palette-settings``."""
    app.add_directive("palette-settings", PaletteSettingsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
