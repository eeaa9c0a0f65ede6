"""Sphinx configuration for the "Colours of the collection" example exhibit.

Build with:  sphinx-build -b html example_site example_site/_build/html
"""

project = "Colours of the collection"
author = "The sphinx-palette developers"
copyright = "the sphinx-palette developers; images Public Domain or CC0, see Credits"
language = "en"

extensions = ["sphinx_palette", "myst_parser"]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# mkdocs/ is the MkDocs edition of this exhibit (same item pages), built by MkDocs, not Sphinx.
exclude_patterns = ["_build", ".palette-cache", "mkdocs", "Thumbs.db", ".DS_Store"]

html_theme = "furo"
html_title = "Colours of the collection"

# sphinx-palette: six colours per palette unless a directive says otherwise; palettes are cached
# next to this file (relative to the configuration directory) so rebuilds skip unchanged images.
palette_colors = 6
palette_cache_dir = ".palette-cache"
