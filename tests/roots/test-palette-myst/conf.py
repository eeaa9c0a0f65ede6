project = "Palette MyST"
extensions = ["myst_parser", "sphinx_palette"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
