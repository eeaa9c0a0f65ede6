project = "Palette errors"
extensions = ["sphinx_palette"]
exclude_patterns = ["_build"]
