"""What a newcomer reads first: README order, install from a checkout, numfig where :numref: is shown, the
``[myst]`` extra, a ``palette-index`` whose ``:docs:`` matches nothing (issue 14 item 16), the changelog."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.sphinx_helpers import palette_warnings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_says_what_the_project_is_then_starts_with_the_two_set_up_commands() -> None:
    # House rule: the README starts with the two commands that do all set-up (build the example site, run
    # the tests); one paragraph saying what the project is comes first, and how to use it right after them.
    first_command = README.index("python3 -m venv .venv")
    assert README.index("puts the colours of an image into your documentation") < first_command
    commands = [line for line in README.splitlines() if line.startswith("python3 -m venv .venv")]
    assert "sphinx-build -W -b html example_site" in commands[0] and "python -m pytest" in commands[1]
    assert first_command < README.index("## Install and use") < README.index("## Development")
    assert 'extensions = ["sphinx_palette"]' in README[README.index("## Install and use") :]


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    assert command in README.splitlines()


def test_tutorial_installs_from_a_checkout_and_numbers_figures_where_numref_is_shown() -> None:
    tutorial = (ROOT / "docs" / "tutorial.rst").read_text(encoding="utf-8")
    assert "pip install -e " in tutorial
    for text in (tutorial, README):
        if ":numref:" in text:
            first_conf_block = text[text.index('extensions = ["sphinx_palette"]') :][:400]
            assert "numfig = True" in first_conf_block


def test_myst_extra_exists_and_the_myst_page_says_to_install_it() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert any(req.startswith("myst-parser") for req in extras["myst"])
    myst = (ROOT / "docs" / "myst.md").read_text(encoding="utf-8")
    assert 'pip install "sphinx-palette[myst]"' in myst
    assert "sphinx-palette[myst]" in README


def test_palette_index_matching_no_document_warns(make_app, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    (src / "index.rst").write_text(
        "Index\n=====\n\n.. palette-index::\n   :docs: itmes/*\n\n.. palette-index::\n   :docs: index\n",
        encoding="utf-8",
    )
    app = make_app("html", srcdir=src)
    app.build()
    [warning] = palette_warnings(app)
    assert warning["subtype"] == "option" and warning["line"] == "4"
    assert warning["message"] == "palette-index :docs: itmes/* matches no document"


def test_changelog_keeps_a_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    assert "keepachangelog.com" in changelog and "semver.org" in changelog
    assert "## [Unreleased]" in changelog
    sections = re.findall(r"^### (\w+)$", changelog, flags=re.MULTILINE)
    assert sections and set(sections) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    from sphinx_palette import __version__

    assert f"## [{__version__}]" in changelog


def test_performance_page_has_no_machine_paths_no_repeated_lines_and_says_what_the_notebook_is() -> None:
    page = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert not re.search(r"(/work/|/home/|/tmp/|/root/|/Users/|[A-Z]:\\\\|\.\./)", page)
    # Table rows and commands in code blocks repeat by design; any other line said twice is a copy.
    prose, in_code = [], False
    for line in page.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif line.strip() and not in_code and not line.lstrip().startswith(("|", "#")):
            prose.append(line.strip())
    repeated = {line for line in prose if prose.count(line) > 1}
    assert not repeated, repeated
    first = page.index("notebook")
    sentence = page[first : page.index(")", first)]
    assert "300×300" in sentence and "KMeans" in sentence
