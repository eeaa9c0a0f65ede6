"""A hostile cache directory over many builds: random bytes, hostile JSON, directories, symlinks, FIFOs,
truncation and files in place of folders, written into every kind of cache file before each build.

No build may abort or warn (a strict ``-W`` build must pass), and every page must show the palettes of a
clean build. The builds run in this process against a small project (two local images, two remote ones on a
local server), so a hundred of them stay within a few tens of seconds; ``SPHINX_PALETTE_FUZZ_BUILDS`` sets
how many.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.httpserver import Response
from tests.remote_helpers import png
from tests.sphinx_helpers import warnings_of

BUILDS = int(os.environ.get("SPHINX_PALETTE_FUZZ_BUILDS", "100"))
CONF = 'project = "Fuzz"\nextensions = ["sphinx_palette"]\nexclude_patterns = ["_build"]\n'

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["#c81e28", "#000000", "NaN", "Infinity", "1e308"]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                ["key", "engine", "palette", "swatches", "hex", "rgb", "share", "url", "blob", "checked_at"]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=25,
)

# Changes to a real record that make it invalid: the value at a path becomes something it may not be.
HOSTILE_NUMBERS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e308",
    "1e999",
    "-1",
    "4.0",
    '"0.5"',
    "true",
    "null",
    "256",
]


def _leaves(value: object, path: tuple = ()) -> list[tuple]:
    """Paths to the numbers and hex codes of a JSON value."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, (*path, i))]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [path]
    if isinstance(value, str) and value.startswith("#"):
        return [path]
    return []


def _mutate(text: str, choice: int, replacement: str) -> str:
    """The record with one of its numbers (or hex codes) replaced by ``replacement``, as raw JSON text."""
    try:
        record = json.loads(text)
    except ValueError:
        return replacement
    leaves = [leaf for leaf in _leaves(record) if leaf]
    if not leaves:
        return replacement
    *parents, last = leaves[choice % len(leaves)]
    holder = record
    for step in parents:
        holder = holder[step]
    if isinstance(holder[last], str):
        replacement = '"#000001"'  # a hex code that does not match its rgb
    holder[last] = "__HOSTILE__"
    return json.dumps(record).replace('"__HOSTILE__"', replacement)


damage = st.one_of(
    st.tuples(st.just("bytes"), st.binary(max_size=300)),
    st.tuples(st.just("json"), json_values.map(lambda v: json.dumps(v, allow_nan=True).encode())),
    st.tuples(st.just("mutate"), st.tuples(st.integers(0, 50), st.sampled_from(HOSTILE_NUMBERS))),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("directory"), st.none()),
    st.tuples(st.just("symlink"), st.sampled_from(["/dev/zero", "/nonexistent", "self", "other"])),
    st.tuples(st.just("fifo"), st.none()),
    st.tuples(st.just("folder-is-file"), st.none()),
    st.tuples(st.just("delete"), st.none()),
)


def _apply(cache: Path, target: Path, kind: str, argument: Any) -> None:
    """Do one kind of damage to ``target`` (an entry of ``cache``)."""
    if kind == "folder-is-file":
        shutil.rmtree(target.parent, ignore_errors=True)
        target.parent.write_bytes(b"a file where a folder belongs")
        return
    if not target.parent.is_dir():
        return
    original = target.read_bytes() if target.is_file() and not target.is_symlink() else b""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
    if kind in ("bytes", "json"):
        target.write_bytes(argument)
    elif kind == "mutate":
        position, replacement = argument
        target.write_text(_mutate(original.decode(errors="replace"), position, replacement))
    elif kind == "truncate":
        target.write_bytes(original[: int(len(original) * argument)])
    elif kind == "directory":
        (target / "inner").mkdir(parents=True)
    elif kind == "symlink":
        others = [p for p in target.parent.iterdir() if p != target]
        link = {"self": target, "other": others[0] if others else target}.get(str(argument), argument)
        target.symlink_to(link)
    elif kind == "fifo":
        os.mkfifo(target)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The project, its clean build's palettes, and the cache of that build to damage."""
    from tests.httpserver import make_server

    server = make_server()
    root = tmp_path_factory.mktemp("fuzz")
    srcdir = root / "site"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(CONF)
    sources = []
    for i, colours in enumerate(
        [[(200, 30, 40), (10, 20, 250)], [(30, 160, 60), (240, 240, 240), (0, 0, 0)]]
    ):
        (srcdir / f"local{i}.png").write_bytes(png(colours))
        sources.append(f"local{i}.png")
    for i, colours in enumerate([[(250, 200, 0), (20, 20, 20)], [(120, 0, 160), (250, 120, 0)]]):
        server.route(f"/r{i}.png", Response(body=png(colours), headers={"Content-Type": "image/png"}))
        sources.append(server.url(f"/r{i}.png"))
    rst = "Fuzz\n====\n\n" + "\n".join(f".. palette:: {s}\n   :colors: 3\n" for s in sources)
    (srcdir / "index.rst").write_text(rst)
    yield srcdir, root
    server.stop()


def _swatches(html: str) -> list[str]:
    return re.findall(r"--palette-\d+:#[0-9a-f]{6}", html) + re.findall(r"\d+(?:\.\d+)?\s?%", html)


def _build(make_app, srcdir: Path, cache: Path, builddir: Path, ttl: float):
    overrides = {"palette_cache_dir": str(cache), "palette_remote_ttl": ttl, "palette_timeout": 5.0}
    app = make_app(
        "html", srcdir=srcdir, builddir=builddir, freshenv=True, confoverrides=overrides, warningiserror=True
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return app


@pytest.mark.slow
def test_hostile_cache_contents_over_many_builds(make_app, project):
    srcdir, root = project
    cache = root / "cache"
    clean = _build(make_app, srcdir, root / "clean-cache", root / "clean", 86400)
    expected = _swatches((Path(clean.outdir) / "index.html").read_text())
    assert len(re.findall(r"--palette-1:", "".join(expected))) == 4
    counter = iter(range(10**6))

    @settings(
        max_examples=BUILDS,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        damages=st.lists(st.tuples(st.integers(0, 10**6), damage), min_size=1, max_size=6),
        ttl=st.sampled_from([0, 86400]),
    )
    def one_build(damages, ttl):
        entries = (
            sorted(p for p in cache.rglob("*") if p.parent != cache or p.is_file()) if cache.exists() else []
        )
        for index, (kind, argument) in damages:
            if entries:
                _apply(cache, entries[index % len(entries)], kind, argument)
        app = _build(make_app, srcdir, cache, root / f"b{next(counter) % 2}", ttl)
        assert warnings_of(app) == []
        assert _swatches((Path(app.outdir) / "index.html").read_text()) == expected

    one_build()
