"""Real ``mkdocs build`` runs for the MkDocs plugin's tests: a project copied from ``tests/mkdocs_projects``.

``Project.build(strict=...)`` runs ``python -m mkdocs build`` in a subprocess (the plugin found through its
entry point, as users get it) and returns the completed process; its log is in ``stderr``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECTS = Path(__file__).resolve().parent / "mkdocs_projects"
SUMMARY = re.compile(r"palette: (\d+) palettes? \((\d+) computed, (\d+) from cache, (\d+) failed\)")


@dataclass
class Project:
    """An MkDocs project in a temporary directory, with its palette cache beside it."""

    root: Path

    @classmethod
    def copy(cls, name: str, destination: Path, **plugin_config: object) -> Project:
        """A copy of ``tests/mkdocs_projects/<name>``, ``plugin_config`` merged into the plugin's options."""
        shutil.copytree(PROJECTS / name, destination)
        project = cls(destination)
        # Palettes computed in the build's process unless a test asks for a pool: tests stay light on CPU.
        settings = {"cache_dir": str(destination.parent / f"{destination.name}-cache"), "workers": 1}
        project.configure(**{**settings, **plugin_config})
        return project

    def configure(self, **plugin_config: object) -> None:
        """Merge options into the ``palette`` plugin's configuration in ``mkdocs.yml``."""
        import yaml  # MkDocs's dependency: this module imports without the mkdocs extra installed

        path = self.root / "mkdocs.yml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        plugins = config["plugins"]
        for position, plugin in enumerate(plugins):
            if plugin == "palette" or (isinstance(plugin, dict) and "palette" in plugin):
                current = plugin["palette"] if isinstance(plugin, dict) else {}
                plugins[position] = {"palette": {**(current or {}), **plugin_config}}
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    def write(self, page: str, text: str) -> None:
        """Write ``docs/<page>``."""
        path = self.root / "docs" / page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def build(
        self, *, strict: bool = False, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        """Run ``mkdocs build`` (``--strict`` if asked) and return the finished process."""
        command = [sys.executable, "-m", "mkdocs", "build", "--clean"] + (["--strict"] if strict else [])
        # A fixed build date (MkDocs writes it into every page), so that pages can be compared byte for byte.
        environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1700000000"}
        environment.pop("SPHINX_PALETTE_OFFLINE", None)
        environment.update(env or {})
        return subprocess.run(
            command, cwd=self.root, env=environment, capture_output=True, text=True, timeout=300
        )

    def html(self, page: str) -> str:
        """The built HTML of ``page`` (``items/warm/index.html``)."""
        return (self.root / "site" / page).read_text(encoding="utf-8")


def summary_of(log: str) -> tuple[int, int, int, int]:
    """``(N, computed, cached, failed)`` from the build's summary line."""
    found = SUMMARY.findall(log)
    assert len(found) == 1, log
    return tuple(int(n) for n in found[0])  # type: ignore[return-value]


def warnings_of(log: str) -> list[str]:
    """The build's warning messages, in order."""
    return [line.split("-", 1)[1].strip() for line in log.splitlines() if line.startswith("WARNING")]
