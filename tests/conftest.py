"""Shared pytest configuration: Sphinx's testing fixtures and the local HTTP server fixture."""

import sys
from pathlib import Path

import pytest

# The tests directory holds helper modules (httpserver) imported as top-level modules.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

pytest_plugins = ["sphinx.testing.fixtures", "httpserver"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Sphinx test roots (``tests/roots/test-<name>``) for ``@pytest.mark.sphinx(testroot=<name>)``."""
    return Path(__file__).resolve().parent / "roots"
