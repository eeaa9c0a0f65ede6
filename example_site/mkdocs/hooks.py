"""MkDocs hook of the exhibit's MkDocs edition: the Sphinx edition's item pages, images and credits.

The MyST item pages (``example_site/items/*.md``) are used as they are. MkDocs reads no reStructuredText,
so the ``.rst`` item pages and the credits are turned into the Markdown they would be written in: these
pages use a small, known subset of reST (titles, external links, ``:doc:`` links, literals, bullets, the
``palette`` directive), and nothing else is attempted. Either way there is one source for both editions.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

EXHIBIT = Path(__file__).resolve().parent.parent

_TITLE = re.compile(r"^(?:(?P<over>[=\-]+)\n)?(?P<text>[^\n]+)\n(?P<under>[=\-]+)\n", re.M)
_LINK = re.compile(r"`([^`<]+?) <([^`>]+)>`__?")
_DOC = re.compile(r":doc:`([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_DIRECTIVE = re.compile(r"^\.\. palette:: (?P<source>.+)\n(?P<options>(?:   :.*\n?)*)", re.M)


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Add the shared pages and images to the site, as if they were in ``docs/``."""
    for image in sorted((EXHIBIT / "images").glob("*.jpg")):
        files.append(File.generated(config, f"images/{image.name}", abs_src_path=str(image)))
    for page in sorted((EXHIBIT / "items").iterdir()):
        if page.suffix == ".md":
            files.append(File.generated(config, f"items/{page.name}", abs_src_path=str(page)))
        elif page.suffix == ".rst":
            markdown = rst_to_markdown(page.read_text(encoding="utf-8"), folder="items")
            files.append(File.generated(config, f"items/{page.stem}.md", content=markdown))
    credits = (EXHIBIT / "credits.rst").read_text(encoding="utf-8")
    files.append(File.generated(config, "credits.md", content=rst_to_markdown(credits, folder="")))
    return files


def rst_to_markdown(text: str, folder: str) -> str:
    """The Markdown (MyST fences for palettes) of one of this exhibit's reST pages in ``folder``."""
    text = _TITLE.sub(_heading, text)
    text = _DOC.sub(lambda m: f"[{_doc_title(m[1])}]({_relative(m[1], folder)}.md)", text)
    text = _LINK.sub(r"[\1](\2)", text)
    text = _LITERAL.sub(r"`\1`", text)
    return _DIRECTIVE.sub(_fence, text)


def _heading(match: re.Match[str]) -> str:
    # Over- and underlined or "=" titles are the page title; "-" underlines its sections.
    level = "#" if match["over"] or match["under"][0] == "=" else "##"
    return f"{level} {match['text']}\n"


def _fence(match: re.Match[str]) -> str:
    options = "\n".join(line.strip() for line in match["options"].splitlines() if line.strip())
    return f"```{{palette}} {match['source']}\n{options}\n```\n"


def _doc_title(docname: str) -> str:
    source = next((EXHIBIT / docname).parent.glob(Path(docname).name + ".*"))
    first = source.read_text(encoding="utf-8").splitlines()
    return first[0][2:] if source.suffix == ".md" else first[1]


def _relative(docname: str, folder: str) -> str:
    return docname if not folder else "/".join([".."] * (folder.count("/") + 1) + [docname])
