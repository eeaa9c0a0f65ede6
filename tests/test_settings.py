"""The declared settings and the directive options, without Sphinx; and ``-D`` overrides in real builds."""

from __future__ import annotations

import pickle
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest

from sphinx_palette.options import OptionError, index_families, parse_index_options, parse_palette_options
from sphinx_palette.settings import SETTINGS, PaletteConfig, validate
from sphinx_palette.warning_kinds import WARNING_TYPE, Subtype
from tests.sphinx_helpers import run_sphinx

BY_NAME = {s.name: s for s in SETTINGS}


def test_the_snapshot_has_one_field_per_setting_with_its_default():
    assert [f.name for f in fields(PaletteConfig)] == [s.name for s in SETTINGS]
    defaults = PaletteConfig()
    for setting in SETTINGS:
        assert getattr(defaults, setting.name) == setting.default
        assert setting.accepts(setting.default), setting.name
        assert setting.doc.endswith("."), setting.name


def test_the_snapshot_is_frozen() -> None:
    config = PaletteConfig.from_mapping({"timeout": 5})
    assert config.timeout == 5.0 and isinstance(config.timeout, float)
    with pytest.raises(AttributeError):
        config.timeout = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("timeout", "5", 5),
        ("timeout", "2.5", 2.5),
        ("remote_ttl", "0", 0),
        ("remote_ttl", "1e3", 1000.0),
        ("colors", " 7 ", 7),
        ("offline", "yes", True),
        ("offline", "0", False),
        ("export", "Off", False),
        ("cache_dir", "None", None),
        ("cache_dir", "build/cache", "build/cache"),
        ("sort", "hue", "hue"),
    ],
)
def test_command_line_text_is_parsed_by_the_settings_types(name, text, value):
    parsed = BY_NAME[name].parse(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(("name", "text"), [("timeout", "soon"), ("colors", "2.5"), ("offline", "maybe")])
def test_text_of_the_wrong_type_is_refused(name, text):
    with pytest.raises(ValueError):
        BY_NAME[name].parse(text)


def test_validation_keeps_the_valid_and_names_the_rejected():
    valid, rejected = validate({"colors": True, "timeout": 0, "sort": "hue", "offline": 1, "unknown": 3})
    assert valid == {"sort": "hue"}
    assert [(s.name, v) for s, v in rejected] == [("colors", True), ("timeout", 0), ("offline", 1)]
    assert BY_NAME["timeout"].rejection("palette_timeout", 0) == (
        "palette_timeout = 0 is not valid (expected seconds, from 0.1 to 3600); using the default 20"
    )


def test_warning_kinds():
    assert WARNING_TYPE == "palette"
    assert Subtype.FETCH == "fetch" and Subtype.CONFIG.qualified == "palette.config"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colors": "0"}, ":colors: must be from 1 to 32, not 0"),
        ({"colors": "many"}, ":colors: must be a whole number from 1 to 32, not 'many'"),
        ({"sort": "random"}, ":sort: must be one of share, lightness, hue, not 'random'"),
        ({"canvas": "0"}, ":canvas: must be from 1 to 100000, not 0"),
        ({"widths": "wide"}, ":widths: must be share or equal, not 'wide'"),
        ({"region": "left"}, ":region: "),
    ],
)
def test_bad_options_say_which_and_what_is_accepted(options, message):
    with pytest.raises(OptionError) as caught:
        parse_palette_options("img/a.png", options)
    assert str(caught.value).startswith(message)


def test_options_take_the_configured_defaults_and_flags():
    config = PaletteConfig.from_mapping({"colors": 3, "sort": "hue", "download": True})
    options = parse_palette_options(
        " img/a.png ", {"show-image": None, "credit": "Off", "class": "a b", "canvas": "2"}, config
    )
    assert (options.source, options.colors, options.sort, options.widths) == ("img/a.png", 3, "hue", "share")
    assert options.show_image and options.download and options.hide_credit and options.credit is None
    assert options.classes == ("a", "b") and not options.remote
    assert options.notices == (":canvas: applies to IIIF manifests only; ignored for a local image",)
    assert options.request().colors == 3
    remote = parse_palette_options("https://example.org/a.jpg", {"canvas": "2", "credit": "Me"})
    assert remote.remote and remote.notices == () and remote.credit == "Me" and not remote.hide_credit


def test_index_options():
    assert parse_index_options({"docs": "a/* b", "order": "title"}).patterns == ("a/*", "b")
    odd = parse_index_options({"order": "colour"})
    assert odd.order == "document" and odd.notices[0].startswith(":order: must be one of document, title")


def _build(tmp_path: Path, *arguments: str) -> tuple[subprocess.CompletedProcess, object]:
    """``python -m sphinx`` on a one-page project; the process and the configuration it pickled."""
    source = tmp_path / "src"
    if not source.exists():
        source.mkdir()
        (source / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
        (source / "index.rst").write_text("Title\n=====\n\nText.\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_sphinx(source, out, "-E", *arguments)
    with (out / ".doctrees" / "environment.pickle").open("rb") as stream:
        config = pickle.load(stream).config
    return done, config


def test_command_line_overrides_work_in_a_strict_build(tmp_path):
    done, config = _build(
        tmp_path,
        "-W",
        *("-D", "palette_timeout=5", "-D", "palette_remote_ttl=0", "-D", "palette_offline=yes"),
        *("-D", f"palette_cache_dir={tmp_path / 'cache'}"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert (config.palette_timeout, config.palette_remote_ttl, config.palette_offline) == (5, 0, True)
    done, config = _build(tmp_path, "-W", "-D", "palette_timeout=2.5", "-D", "palette_colors=7")
    assert done.returncode == 0, done.stderr
    assert (config.palette_timeout, config.palette_colors) == (2.5, 7)


def test_bad_command_line_overrides_warn_as_conf_py_values_do(tmp_path):
    done, config = _build(tmp_path, "-D", "palette_timeout=soon", "-D", "palette_max_bytes=10")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "WARNING: palette_timeout = 'soon' is not valid (expected seconds, from 0.1 to 3600); "
        "using the default 20 [palette.config]",
        "WARNING: palette_max_bytes = 10 is not valid (expected bytes, at least 1024); "
        "using the default 50000000 [palette.config]",
    ]
    assert (config.palette_timeout, config.palette_max_bytes) == (20, 50_000_000)


def test_index_families_hold_the_threshold_share():
    swatches = [("red", 0.5), ("blue", 0.06), ("blue", 0.05), ("green", 0.09), ("white", 0.30)]
    assert index_families(swatches) == ["red", "blue", "white"]
    assert index_families(swatches, threshold=0.5) == ["red"]
