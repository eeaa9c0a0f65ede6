"""Shared pytest configuration: Sphinx's testing fixtures and the local HTTP server fixture."""

from pathlib import Path

import pytest

pytest_plugins = ["sphinx.testing.fixtures", "tests.httpserver"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Sphinx test roots (``tests/roots/test-<name>``) for ``@pytest.mark.sphinx(testroot=<name>)``."""
    return Path(__file__).resolve().parent / "roots"
