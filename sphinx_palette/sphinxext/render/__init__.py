"""Visitors that render palette nodes, one module per family of output formats."""
