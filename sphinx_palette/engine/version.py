"""The engine's version, part of every cache key; kept apart so that reading a cache loads no decoder."""

#: Bumped whenever the same input may give a different palette; part of every cache key.
ENGINE_VERSION = "12"
