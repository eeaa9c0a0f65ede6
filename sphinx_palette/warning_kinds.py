"""The kinds of warning every front end reports: one type, and a subtype saying what went wrong.

In Sphinx they are ``logger.warning(..., type=WARNING_TYPE, subtype=Subtype.FETCH)``, so that ``-W`` and
``suppress_warnings = ["palette.fetch"]`` work; other front ends show ``palette.fetch`` the same way.
"""

from __future__ import annotations

from enum import StrEnum

WARNING_TYPE = "palette"


class Subtype(StrEnum):
    """What went wrong; the value is the subtype as users write it in ``suppress_warnings``."""

    #: A directive option with a value it cannot take.
    OPTION = "option"
    #: A setting with a value it cannot take (the default is used).
    CONFIG = "config"
    #: The source is not one the extension reads (scheme, credentials, path).
    SOURCE = "source"
    #: A local image path outside the source directory and ``palette_allowed_paths``: refused, never read.
    PATH = "path"
    #: Fetching a URL failed: network, HTTP status, size limit, deadline.
    FETCH = "fetch"
    #: An offline build has no cached copy of a URL.
    OFFLINE = "offline"
    #: A IIIF document could not be used: not a manifest or image service, no such canvas.
    IIIF = "iiif"
    #: The bytes are not a usable image.
    IMAGE = "image"
    #: The palette cache could not be read or written.
    CACHE = "cache"

    @property
    def qualified(self) -> str:
        """``palette.<subtype>``, as ``suppress_warnings`` takes it."""
        return f"{WARNING_TYPE}.{self.value}"
