"""The one exception the engine raises."""


class PaletteError(Exception):
    """An input is not a usable image, or a parameter is out of range; the message says which, for people."""
