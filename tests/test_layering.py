"""The layering rule: the core (engine, remote), the shared settings and options, and the CLI's extract path
know nothing of Sphinx or docutils.

Checked twice: by importing in a fresh interpreter (what really gets loaded, transitively) and by reading
every module of the core for an import statement naming a front end's framework (what could get loaded
later, inside a function).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sphinx_palette"
FRAMEWORKS = ("sphinx", "docutils", "mkdocs", "myst_parser")
CORE = ("engine", "remote")

_PROBE = """
import json, sys
import sphinx_palette
import sphinx_palette.engine, sphinx_palette.engine.names, sphinx_palette.engine.exports
import sphinx_palette.remote.service, sphinx_palette.remote.cache, sphinx_palette.remote.iiif
import sphinx_palette.settings, sphinx_palette.options, sphinx_palette.warning_kinds, sphinx_palette.markup
from sphinx_palette import cli
cli.main(["extract", sys.argv[1], "--format", "json"])
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))
print(json.dumps(loaded), file=sys.stderr)
"""


def _framework_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.name}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in FRAMEWORKS]
    return found


def test_importing_the_core_and_extracting_loads_no_framework(tmp_path):
    image = tmp_path / "flat.png"
    image.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
            "0000000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
        )
    )
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(image), *FRAMEWORKS], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    assert json.loads(done.stdout)["swatches"][0]["hex"] == "#ff0000"


@pytest.mark.parametrize("layer", CORE)
def test_no_core_module_names_a_framework(layer):
    modules = sorted((PACKAGE / layer).rglob("*.py"))
    assert modules, f"no modules under {layer}/"
    assert [hit for module in modules for hit in _framework_imports(module)] == []


def test_no_shared_module_names_a_framework():
    """What the front ends share (settings, options, warning kinds, paths, ...) sits at the package's top
    level or in cli/, and imports no framework either."""
    # __init__.py names Sphinx for its lazy ``setup`` (a type-only import; the first test covers it).
    top = [p for p in sorted(PACKAGE.glob("*.py")) if p.name != "__init__.py"]
    shared = top + sorted((PACKAGE / "cli").rglob("*.py"))
    assert {"settings.py", "markup.py"} <= {p.name for p in shared}
    assert [hit for module in shared for hit in _framework_imports(module)] == []


def test_the_check_sees_a_framework_import(tmp_path):
    """The static check is not vacuous: a core module importing Sphinx is caught, lazily or not."""
    module = tmp_path / "leaky.py"
    module.write_text("import numpy\n\ndef f():\n    from sphinx.util import logging\n    import docutils\n")
    assert _framework_imports(module) == ["leaky.py:4 imports sphinx.util", "leaky.py:5 imports docutils"]
