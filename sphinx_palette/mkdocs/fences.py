"""Find MyST ``palette`` and ``palette-index`` fences in Markdown, outside other code blocks.

A page written for MyST builds unchanged::

    ```{palette} ../images/macaws.jpg
    :colors: 6
    :show-image:
    ```

Options are ``:name: value`` lines at the top of the fence, or a YAML-like ``---`` block of ``name: value``
lines, as MyST accepts. A fence inside another fence (a ````` ````md ````` example showing the syntax) is
code, not a directive. No MkDocs here: the plugin hands over the page's text and gets `Fence` records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The directives this front end knows.
DIRECTIVES = ("palette", "palette-index")

_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w-]*)\}(?:\s+(?P<argument>.*?))?\s*$")
_OPTION = re.compile(r"^:(?P<name>[A-Za-z][\w-]*):(?:\s+(?P<value>.*?))?\s*$")
_YAML_OPTION = re.compile(r"^(?P<name>[A-Za-z][\w-]*):(?:\s+(?P<value>.*?))?\s*$")


@dataclass(frozen=True)
class Fence:
    """One directive fence: its name, argument and options as written, and where it is.

    ``line`` is the 1-based line of the opening fence; ``start`` / ``end`` are 0-based line indexes of the
    opening and closing fences (``end`` is the last line of the page when the fence is never closed).
    ``problems`` are lines that are neither options nor allowed content, for the author.
    """

    name: str
    argument: str
    options: dict[str, str | None]
    line: int
    start: int
    end: int
    indent: str
    problems: tuple[str, ...] = field(default=())


def find_fences(markdown: str) -> list[Fence]:
    """The ``palette`` / ``palette-index`` fences of a page, in order; other fenced code is skipped whole."""
    lines = markdown.splitlines()
    found: list[Fence] = []
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            index += 1
            continue
        end = _closing(lines, index + 1, opening["fence"])
        directive = _DIRECTIVE.match(opening["info"].strip())
        if directive is not None and directive["name"] in DIRECTIVES:
            body = lines[index + 1 : end]
            options, problems = _options(body, opening["indent"])
            found.append(
                Fence(
                    name=directive["name"],
                    argument=(directive["argument"] or "").strip(),
                    options=options,
                    line=index + 1,
                    start=index,
                    end=min(end, len(lines) - 1),
                    indent=opening["indent"],
                    problems=tuple(problems),
                )
            )
        index = end + 1
    return found


def replace_fences(markdown: str, fences: list[Fence], markers: list[str]) -> str:
    """``markdown`` with each fence replaced by its marker (an HTML block), at the fence's indentation."""
    lines = markdown.splitlines()
    for fence, marker in sorted(zip(fences, markers, strict=True), key=lambda pair: -pair[0].start):
        # Blank lines around the marker make it a block of its own, wherever the fence was.
        lines[fence.start : fence.end + 1] = ["", fence.indent + marker, ""]
    return "\n".join(lines) + ("\n" if markdown.endswith("\n") else "")


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing ``fence`` (same character, at least as long), or the last line."""
    pattern = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index
    return len(lines)


def _options(body: list[str], indent: str) -> tuple[dict[str, str | None], list[str]]:
    """Options from the top of a fence's body; anything after them is reported, as directives take none."""
    options: dict[str, str | None] = {}
    problems: list[str] = []
    rows = [_dedent(line, indent) for line in body]
    position = 0
    if rows and rows[0].strip() == "---":
        # MyST's front-matter form: name: value lines up to the next ---.
        position = 1
        while position < len(rows) and rows[position].strip() != "---":
            row = rows[position].strip()
            match = _YAML_OPTION.match(row)
            if match:
                options[match["name"]] = _unquote(match["value"])
            elif row:
                problems.append(f"cannot read option line {row!r}")
            position += 1
        position += 1
    while position < len(rows):
        match = _OPTION.match(rows[position].strip())
        if match is None:
            break
        options[match["name"]] = match["value"]
        position += 1
    content = [r for r in rows[position:] if r.strip()]
    if content:
        problems.append(f"no content permitted (found {content[0].strip()!r})")
    return options, problems


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if indent and line.startswith(indent) else line


def _unquote(value: str | None) -> str | None:
    if value and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
