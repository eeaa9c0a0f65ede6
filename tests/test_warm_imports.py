"""A build whose palettes all come from the cache loads no decoder: no libvips, no OpenCV, no clustering, no
numpy.

Importing them is most of what a warm build costs over a build without palettes (their modules and objects
also make every garbage collection of the build slower), so this is checked in a fresh interpreter running
a real ``sphinx-build``, cold then warm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOTS = Path(__file__).parent / "roots"
HEAVY: tuple[str, ...] = ("cv2", "pyvips", "sklearn", "numpy")
HEAVY += ("sphinx_palette.engine.extract", "sphinx_palette.engine.cluster")

# Runs sphinx-build in this interpreter, then prints which of HEAVY it imported.
BUILD = """
import json, sys
from sphinx.cmd.build import main
status = main(sys.argv[2:])
heavy = json.loads(sys.argv[1])
print(json.dumps({"status": status, "loaded": [name for name in heavy if name in sys.modules]}))
"""


def build(source: Path, out: Path, cache: Path, *extra: str) -> dict[str, object]:
    argv = ["-q", "-b", "html", "-j", "1", "-D", f"palette_cache_dir={cache}", *extra, str(source), str(out)]
    done = subprocess.run(
        [sys.executable, "-c", BUILD, json.dumps(HEAVY), *argv], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_a_warm_build_loads_no_decoder(tmp_path):
    source = tmp_path / "site"
    shutil.copytree(ROOTS / "test-palette-basic", source)
    cache, out = tmp_path / "cache", tmp_path / "out"

    # Computed in this process (palette_workers = 1), so the check sees what computing imports.
    cold = build(source, out, cache, "-D", "palette_workers=1")
    assert cold["status"] == 0
    assert {"pyvips", "sphinx_palette.engine.extract"} <= set(cold["loaded"])

    warm = build(source, out, cache, "-E")
    assert warm == {"status": 0, "loaded": []}
    assert (out / "index.html").read_text(encoding="utf-8").count('class="palette-swatch') > 0
