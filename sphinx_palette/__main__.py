"""``python -m sphinx_palette``: the ``sphinx-palette`` command."""

import sys

from .cli import main

sys.exit(main())
