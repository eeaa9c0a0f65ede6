project = "Remote palettes"
extensions = ["sphinx_palette"]
exclude_patterns = ["_build"]
# The tests set palette_cache_dir, palette_remote_ttl and palette_timeout with confoverrides and write
# index.rst with the URLs of their local server before each build.
