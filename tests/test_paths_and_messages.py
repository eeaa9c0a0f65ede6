"""Paths outside the project are refused (issue 15 item 2), messages say what was tried and never show file
contents (issue 14 item 6), a clipped ``:region:`` warns (item 7), the summary counts the whole site (item 2).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from sphinx_palette.build_summary import summary_line
from sphinx_palette.local_paths import allowed_roots, is_inside
from tests.sphinx_helpers import palette_warnings, summary

SECRET = b"root:x:0:0:root:/root:/bin/bash\n"


def project(root: Path, body: str, conf: str = "") -> Path:
    src = root / "src"
    (src / "img").mkdir(parents=True)
    (src / "conf.py").write_text(f'extensions = ["sphinx_palette"]\n{conf}', encoding="utf-8")
    (src / "index.rst").write_text(f"Doc\n===\n\n{body}", encoding="utf-8")
    image = np.full((40, 60, 3), (40, 60, 200), np.uint8)
    image[:, 30:] = (230, 200, 30)
    cv2.imwrite(str(src / "img" / "two.png"), image)
    return src


def build(make_app, src: Path, tmp_path: Path, **overrides):
    app = make_app(
        "html", srcdir=src, confoverrides={"palette_cache_dir": str(tmp_path / "cache"), **overrides}
    )
    app.build()
    return app


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A non-image file outside the project, like /etc/passwd."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "passwd"
    path.write_bytes(SECRET)
    return path


def _leaks(app, text: str) -> bool:
    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    return any(part in html or part in text for part in ("root:x", "72 6f 6f 74", "726f6f74"))


def test_path_outside_the_project_is_refused_unread(make_app, tmp_path: Path, secret: Path) -> None:
    relative = os.path.relpath(secret, tmp_path / "src")  # ../outside/passwd
    missing = os.path.relpath(secret.with_name("shadow"), tmp_path / "src")
    src = project(tmp_path, f".. palette:: {relative}\n\n.. palette:: {missing}\n")
    app = build(make_app, src, tmp_path)
    found = palette_warnings(app)
    assert [w["subtype"] for w in found] == ["path", "path"]
    # The same words whether the file exists or not: the refusal tells nothing about the file system.
    assert found[0]["message"].replace(relative, "X") == found[1]["message"].replace(missing, "X")
    assert "outside the project" in found[0]["message"] and "palette_allowed_paths" in found[0]["message"]
    assert not _leaks(app, app.warning.getvalue())
    assert summary(app) == (2, 0, 0, 2)


def test_a_symlink_out_of_the_project_is_followed_and_refused(make_app, tmp_path: Path, secret: Path) -> None:
    src = project(tmp_path, ".. palette:: img/link.png\n")
    (src / "img" / "link.png").symlink_to(secret)
    app = build(make_app, src, tmp_path)
    [warning] = palette_warnings(app)
    assert warning["subtype"] == "path" and "img/link.png" in warning["message"]
    assert not _leaks(app, app.warning.getvalue())


def test_allowed_paths_let_a_folder_in(make_app, tmp_path: Path) -> None:
    shared = tmp_path / "shared-images"
    shared.mkdir()
    cv2.imwrite(str(shared / "red.png"), np.full((10, 10, 3), (30, 30, 200), np.uint8))
    src = project(tmp_path, ".. palette:: ../shared-images/red.png\n")
    app = build(make_app, src, tmp_path, palette_allowed_paths=["../shared-images"])
    assert palette_warnings(app) == []
    assert 'data-hex="#c81e1e"' in (Path(app.outdir) / "index.html").read_text(encoding="utf-8")


def test_not_an_image_inside_the_project_never_shows_its_bytes(make_app, tmp_path: Path) -> None:
    src = project(tmp_path, ".. palette:: img/notes.png\n")
    (src / "img" / "notes.png").write_bytes(SECRET)
    app = build(make_app, src, tmp_path)
    [warning] = palette_warnings(app)
    assert warning["subtype"] == "image" and "unrecognised format" in warning["message"]
    assert not _leaks(app, app.warning.getvalue())


def test_not_found_says_the_path_it_tried(make_app, tmp_path: Path) -> None:
    src = project(tmp_path, "")
    (src / "gallery").mkdir()
    (src / "gallery" / "page.rst").write_text(
        ":orphan:\n\nPage\n====\n\n.. palette:: pics/missing.png\n", encoding="utf-8"
    )
    app = build(make_app, src, tmp_path)
    [warning] = palette_warnings(app)
    assert warning["subtype"] == "source"
    assert (
        warning["message"] == "image file not found: pics/missing.png (looked for gallery/pics/missing.png)"
    )


def test_region_outside_the_image_warns(make_app, tmp_path: Path) -> None:
    body = (
        ".. palette:: img/two.png\n   :region: 30,0,100,40\n\n"
        ".. palette:: img/two.png\n   :region: 0,0,30,40\n"
    )
    app = build(make_app, project(tmp_path, body), tmp_path)
    [warning] = palette_warnings(app)
    assert warning["subtype"] == "option" and warning["line"] == "4"
    assert warning["message"] == (
        ":region: 30,0,100,40 reaches outside the 60×40 image; the palette is of the part inside it"
    )
    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    assert html.count('data-hex="#1ec8e6"') == 1  # the clipped region: the yellow half only


def test_summary_counts_the_whole_site_and_option_errors(make_app, tmp_path: Path) -> None:
    body = ".. palette:: img/two.png\n\n.. palette:: img/two.png\n   :colors: 0\n"
    src = project(tmp_path, body)
    app = build(make_app, src, tmp_path)
    assert summary(app) == (2, 1, 0, 1)
    app.cleanup()
    # Nothing changed: nothing is read, and the line still describes the site, not "0 palettes".
    again = build(make_app, src, tmp_path)
    assert summary(again) == (2, 0, 1, 1)


@pytest.mark.parametrize(
    ("origins", "line"),
    [
        (["computed"], "palette: 1 palette (1 computed, 0 from cache, 0 failed)"),
        (["cache", "failed", "cache"], "palette: 3 palettes (0 computed, 2 from cache, 1 failed)"),
    ],
)
def test_summary_line_in_english(origins: list[str], line: str) -> None:
    assert summary_line(origins) == line


def test_roots_resolve_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    roots = allowed_roots(tmp_path / "alias", [])
    assert is_inside(tmp_path / "real" / "x.png", roots)
    assert not is_inside(tmp_path / "alias" / ".." / "x.png", roots)
