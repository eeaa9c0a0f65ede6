"""Finding MyST palette fences in Markdown (no MkDocs needed)."""

from __future__ import annotations

from sphinx_palette.mkdocs.fences import find_fences, replace_fences

PAGE = """\
# Title

```{palette} img/a.png
:colors: 4
:show-image:
```

````md
```{palette} img/shown-as-code.png
```
````

~~~python
```{palette} img/also-code.png
```
~~~

- In a list:

    ```{palette} https://example.org/b.png
    ---
    colors: 3
    caption: "Quoted: yes"
    ---
    :sort: lightness
    ```

```{palette-index}
:docs: items/*
```

```{note}
Another MyST directive: left alone.
```
"""


def test_fences_outside_other_code_blocks_are_found_with_their_options():
    fences = find_fences(PAGE)
    assert [(f.name, f.argument, f.line) for f in fences] == [
        ("palette", "img/a.png", 3),
        ("palette", "https://example.org/b.png", 20),
        ("palette-index", "", 28),
    ]
    assert fences[0].options == {"colors": "4", "show-image": None}
    assert fences[1].options == {"colors": "3", "caption": "Quoted: yes", "sort": "lightness"}
    assert fences[1].indent == "    "
    assert fences[2].options == {"docs": "items/*"}
    assert all(not f.problems for f in fences)


def test_replacing_keeps_everything_else_and_the_indentation():
    fences = find_fences(PAGE)
    replaced = replace_fences(PAGE, fences, ["<!-- a -->", "<!-- b -->", "<!-- c -->"])
    assert "\n<!-- a -->\n" in replaced
    assert "\n    <!-- b -->\n" in replaced
    assert "img/shown-as-code.png" in replaced and "img/also-code.png" in replaced
    assert "```{note}" in replaced
    assert "img/a.png" not in replaced


def test_content_and_unreadable_option_lines_are_problems():
    fences = find_fences("```{palette} x.png\n:colors: 3\nSome content\n```\n")
    assert fences[0].problems == ("no content permitted (found 'Some content')",)
    fences = find_fences("```{palette} x.png\n---\nnot an option line\n---\n```\n")
    assert fences[0].problems == ("cannot read option line 'not an option line'",)


def test_an_unclosed_fence_runs_to_the_end_of_the_page():
    fences = find_fences("Text\n\n```{palette} x.png\n:colors: 3\n")
    assert (fences[0].start, fences[0].end, fences[0].options) == (2, 3, {"colors": "3"})
