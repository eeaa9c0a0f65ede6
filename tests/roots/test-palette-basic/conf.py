project = "Palette basic"
extensions = ["sphinx_palette"]
numfig = True
exclude_patterns = ["_build"]
