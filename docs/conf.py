"""Sphinx configuration of the sphinx-palette documentation (built with the extension itself)."""

import sys
from pathlib import Path

# Docs-only extensions (the settings table generated from the declared settings).
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "sphinx-palette"
author = "The sphinx-palette developers"
copyright = "the sphinx-palette developers"

extensions = ["sphinx_palette", "myst_parser", "settings_table"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "make_screenshots.py"]
html_theme = "furo"
html_static_path = ["_static"]
palette_colors = 5
palette_cache_dir = "_build/.palette-cache"
numfig = True
