"""The oldest supported Sphinx and a real Jupyter Book 1 build (issue 14 items 17 and 18).

The newest Sphinx is what the rest of the suite runs with (``pip install -e ".[test]"`` takes the latest
release). Here a second environment, ``.venv-compat/`` at the repository root, holds only what differs: the
oldest Sphinx the project supports (the last patch release of the minimum in ``pyproject.toml``), the
docutils it needs, and Jupyter Book 1; everything else (numpy, OpenCV, this package) comes from the
running environment through a ``.pth`` file. It is made once (a couple of minutes, from the package index)
and reused while its versions match.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from tests.sphinx_helpers import ROOTS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
COMPAT = REPO / ".venv-compat"
JUPYTER_BOOK = "jupyter-book==1.0.4.post1"


def oldest_sphinx() -> str:
    """``7.3`` from ``sphinx>=7.3`` in the project's dependencies."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    [requirement] = [r for r in project["dependencies"] if re.match(r"sphinx\b", r)]
    return re.fullmatch(r"sphinx>=(\d+\.\d+)(?:\.\d+)?", requirement.replace(" ", "")).group(1)  # type: ignore[union-attr]


def _python() -> Path:
    return COMPAT / "bin" / "python"


def _versions() -> tuple[str, str] | None:
    if not _python().exists():
        return None
    probe = "import sphinx, importlib.metadata as m; print(sphinx.__version__, m.version('jupyter-book'))"
    done = subprocess.run([_python(), "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return None
    sphinx_version, book_version = done.stdout.split()
    return sphinx_version, book_version


@pytest.fixture(scope="module")
def compat_python() -> Path:
    """The interpreter of ``.venv-compat``, made or refreshed as needed."""
    minimum = oldest_sphinx()
    wanted_book = JUPYTER_BOOK.split("==")[1]
    found = _versions()
    if found is None or not found[0].startswith(minimum + ".") or found[1] != wanted_book:
        shutil.rmtree(COMPAT, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", COMPAT], check=True)
        site = subprocess.run(
            [_python(), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # addsitedir (not a bare path line) so the running environment's own .pth files (the editable
        # install of this package) are processed too. The compat environment's packages come first.
        base = sysconfig.get_paths()["purelib"]
        Path(site, "_running_environment.pth").write_text(f"import site; site.addsitedir({base!r})\n")
        install = subprocess.run(
            [_python(), "-m", "pip", "install", "-q", f"sphinx=={minimum}.*", JUPYTER_BOOK],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            shutil.rmtree(COMPAT, ignore_errors=True)
            message = f"cannot install Sphinx {minimum} and {JUPYTER_BOOK}: {install.stderr[-2000:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        found = _versions()
        assert found is not None and found[0].startswith(minimum + "."), found
    return _python()


def test_oldest_supported_sphinx_builds_a_project(compat_python: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-palette-basic", src)
    done = subprocess.run(
        [compat_python, "-m", "sphinx", "-W", "--keep-going", "-b", "html", src, tmp_path / "out"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    version = subprocess.run(
        [compat_python, "-c", "import sphinx; print(sphinx.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    assert version.startswith(oldest_sphinx() + ".")
    assert "palette: 3 palettes (3 computed, 0 from cache, 0 failed)" in done.stdout
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert html.count('class="palette-swatch') >= 2


def _blocks(page: str, fence: str, language: str) -> list[str]:
    return re.findall(rf"^{fence}{language}\n(.*?)^{fence}$", page, flags=re.MULTILINE | re.DOTALL)


def test_jupyter_book_builds_the_documented_book(compat_python: Path, tmp_path: Path) -> None:
    """The ``_config.yml`` and page of docs/jupyter-book.md, built by a real ``jupyter-book build``."""
    page = (REPO / "docs" / "jupyter-book.md").read_text(encoding="utf-8")
    [config] = _blocks(page, "```", "yaml")
    [markdown] = _blocks(page, "````", "md")
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    shutil.copy(ROOTS / "test-palette-basic" / "img" / "warm.png", book / "images" / "warm.png")
    (book / "_config.yml").write_text(config, encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n", encoding="utf-8")
    (book / "intro.md").write_text(markdown, encoding="utf-8")
    command: list[str | Path] = [
        compat_python.parent / "jupyter-book",
        "build",
        "--warningiserror",
        "--keep-going",
        book,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = (book / "_build" / "html" / "intro.html").read_text(encoding="utf-8")
    assert html.count('class="palette-swatch') == 3
    assert "Palette 1" in html  # numfig: the :numref: text
    assert (book / ".palette-cache").is_dir()
