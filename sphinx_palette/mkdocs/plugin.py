"""The MkDocs plugin (``plugins: [palette]``): MyST ``palette`` fences in Markdown pages, as in Sphinx.

The build, event by event:

- ``on_config``: validated settings, the palette service (the same cache as the Sphinx extension), assets;
- ``on_page_markdown``: each ``palette`` / ``palette-index`` fence outside other code is validated and
  recorded, and replaced by a marker;
- ``on_env`` (every page read, none written): one batch step resolves every request, then each marker is
  replaced by the palette's HTML, a placeholder, or the browse index; warnings name page and line;
- ``on_post_build``: downloads and ``_static/palettes.json``, then the summary line.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from .. import __version__
from ..build_summary import summary_line
from ..local_paths import allowed_roots, is_inside, refusal, shown_path
from ..options import (
    PALETTE_FLAG_OPTIONS,
    PALETTE_VALUE_OPTIONS,
    OptionError,
    parse_index_options,
    parse_palette_options,
)
from ..remote.cache import CacheError
from ..remote.service import PaletteService
from ..remote.urls import add_redacted_params, redact_url
from ..settings import PaletteConfig
from ..site_export import EXPORT_PATH
from ..warning_kinds import WARNING_TYPE, Subtype
from . import site
from .collect import Collected, Target, Use, resolve_all
from .config import PaletteSettings, batch_options, palette_config
from .fences import Fence, find_fences, replace_fences

#: Under "mkdocs", so that --strict counts the warnings; messages say "palette" themselves, as in Sphinx.
log = logging.getLogger("mkdocs.plugins.palette")

#: The Sphinx extension's stylesheet and script, and this front end's theme additions.
SPHINX_STATIC = Path(__file__).resolve().parent.parent / "sphinxext" / "static"
OWN_STATIC = Path(__file__).resolve().parent / "static"
ASSETS = "assets/sphinx-palette"
MARKER = "<!-- sphinx-palette slot {} -->"
_MARKER = re.compile(r"<!-- sphinx-palette slot (\d+) -->")


class PalettePlugin(BasePlugin[PaletteSettings]):
    """Palettes of images in MkDocs pages, written as MyST fences; see the module docstring."""

    config_class = PaletteSettings
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.settings = PaletteConfig()
        self.service: PaletteService | None = None
        self.collected = Collected()
        self.slots: dict[str, list[site.Slot]] = {}
        self.pages: dict[str, Page] = {}
        self.outputs: dict[str, str] = {}
        self.read: set[str] = set()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Freeze the settings, make the service, and add the stylesheets and the copy script."""
        self.settings = palette_config(self.config, os.path.dirname(config.config_file_path or "."))
        # Credentials in query parameters are redacted wherever a URL is shown or stored.
        add_redacted_params(self.settings.redact_params)
        self.service = make_service(self.settings)
        self.collected, self.slots, self.pages, self.outputs, self.read = Collected(), {}, {}, {}, set()
        config.extra_css.extend([f"{ASSETS}/sphinx-palette.css", f"{ASSETS}/palette-mkdocs.css"])
        config.extra_javascript.append(f"{ASSETS}/sphinx-palette.js")
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """The assets, served from the package (never copied into the author's docs)."""
        for folder, name in (
            (SPHINX_STATIC, "sphinx-palette.css"),
            (SPHINX_STATIC, "sphinx-palette.js"),
            (OWN_STATIC, "palette-mkdocs.css"),
        ):
            files.append(File.generated(config, f"{ASSETS}/{name}", abs_src_path=str(folder / name)))
        return files

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Record the page's palette fences and put a marker where each one was."""
        self.read.add(page.file.src_uri)
        fences = find_fences(markdown)
        if not fences:
            return markdown
        uri = page.file.src_uri
        self.pages[uri] = page
        slots = self.slots.setdefault(uri, [])
        markers = []
        for fence in fences:
            markers.append(MARKER.format(len(slots)))
            slots.append(self._slot(fence, page, config, files, len(slots)))
        return replace_fences(markdown, fences, markers)

    def _slot(self, fence: Fence, page: Page, config: MkDocsConfig, files: Files, number: int) -> site.Slot:
        where = (page.file.src_uri, fence.line)
        problems = list(fence.problems)
        if fence.name == "palette-index":
            unknown = sorted(set(fence.options) - {"docs", "order", "class"})
            problems += [f'unknown option: "{name}"' for name in unknown]
            index_options = parse_index_options(fence.options)
            for message in problems + list(index_options.notices):
                warn(where, Subtype.OPTION, message)
            return site.Slot(page=where[0], line=fence.line, anchor="", index=index_options)
        anchor = site.anchor_for(page.file.src_uri, fence.options.get("name"), number)
        known = set(PALETTE_VALUE_OPTIONS) | set(PALETTE_FLAG_OPTIONS)
        problems += [f'unknown option: "{name}"' for name in sorted(set(fence.options) - known)]
        problems += [
            f'the option ":{name}:" needs a value'
            for name in PALETTE_VALUE_OPTIONS
            if name in fence.options and fence.options[name] is None and name != "name"
        ]
        try:
            if problems:
                raise OptionError(problems[0])
            options = parse_palette_options(fence.argument, fence.options, self.settings)
        except OptionError as exc:
            return _failed(where, anchor, Subtype.OPTION, str(exc))
        for notice in options.notices:
            warn(where, Subtype.OPTION, notice)
        if options.remote:
            target = Target(options.source, True, options.request())
        else:
            target = Target(local_path(options.source, page, config, files), False, options.request())
            problem = local_problem(options.source, target.location, config.docs_dir, self.settings)
            if problem is not None:
                return _failed(where, anchor, *problem)
        use = Use(page=where[0], line=fence.line, anchor=anchor, options=options, target=target)
        self.collected.add(use)
        return site.Slot(page=where[0], line=fence.line, anchor=anchor, use=use)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        """Resolve every palette at once, warn about failures, then fill in every page's markers."""
        assert self.service is not None
        resolve_all(self.service, self.collected, batch_options(self.config), _progress)
        self._warn_failures()
        if self.service.cache_error:
            log.warning(
                f"{self.service.cache_error}; palettes are computed but not stored "
                f"[{Subtype.CACHE.qualified}]"
            )
        self.service.close()
        builder = site.SiteWriter(config, files, self.settings, self.pages, self.service.cache)
        records = builder.records(self.slots)
        for uri, slots in self.slots.items():
            page = self.pages[uri]
            rendered = [builder.render(slot, page, records) for slot in slots]
            page.content = fill_markers(page.content or "", rendered)
        # Scaled images join the site's files, so MkDocs copies them (and `mkdocs serve` serves them).
        for path, data in sorted(builder.images.items()):
            if files.get_file_from_path(path) is None:
                files.append(File.generated(config, path, content=data))
        self.outputs = builder.outputs
        # A --dirty build reads only changed pages: the site-wide file would miss the others' palettes,
        # so the last full build's palettes.json is kept.
        partial = any(f.src_uri not in self.read for f in files.documentation_pages())
        if self.settings.export and not partial:
            self.outputs[EXPORT_PATH] = site.export_json(config.site_name, records)
        elif self.settings.export:
            log.info("palette: --dirty build, so _static/palettes.json is not rewritten")
        return env

    def _warn_failures(self) -> None:
        warned: set[tuple[str, str, str]] = set()
        for use in self.collected.uses:
            assert use.result is not None
            key = redact_url(use.options.source) if use.target.remote else use.target.location
            for subtype, message in use.result.notices:
                warn((use.page, use.line), subtype, message)
            if use.result.palette is not None:
                continue
            subtype, message = use.result.subtype or Subtype.IMAGE, use.result.error or "no palette"
            # One warning per failing source, at its first use, as in the Sphinx extension.
            if (key, str(subtype), message) not in warned:
                warned.add((key, str(subtype), message))
                warn((use.page, use.line), subtype, message)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the downloads and ``palettes.json``, say how many palettes were made, trim the cache."""
        for path, text in sorted(self.outputs.items()):
            destination = Path(config.site_dir, path)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
        origins = [
            slot.use.origin if slot.use is not None else "failed"
            for slots in self.slots.values()
            for slot in slots
            if slot.index is None
        ]
        if origins:
            log.info(summary_line(origins))
        if self.settings.cache_max_bytes is not None and self.service is not None:
            # Least recently used entries go first, as after a Sphinx build.
            try:
                self.service.cache.trim(self.settings.cache_max_bytes)
            except CacheError as exc:
                log.warning(f"palette: the cache was not trimmed: {exc} [{WARNING_TYPE}.{Subtype.CACHE}]")

    def on_build_error(self, *, error: Exception) -> None:
        """Close the service's connections when the build fails."""
        if self.service is not None:
            self.service.close()


def _progress(done: int, total: int, page: str) -> None:
    """``palette: computing palettes... [ 40%] items/macaws.md`` at each tenth of a long batch, so a long
    build is never silent; every step at debug level (``mkdocs build -v``)."""
    line = f"palette: computing palettes... [{100 * done // total:3d}%] {page}"
    if total >= 20 and (done % max(1, total // 10) == 0 or done == total):
        log.info(line)
    else:
        log.debug(line)


def warn(where: tuple[str, int], subtype: str, message: str) -> None:
    """A warning naming the page and line (``mkdocs build --strict`` fails on it), typed as in Sphinx."""
    log.warning(f"{where[0]}:{where[1]}: {message} [{WARNING_TYPE}.{subtype}]")


def fill_markers(content: str, rendered: list[str]) -> str:
    """``content`` with the n-th slot's marker replaced by ``rendered[n]``."""
    return _MARKER.sub(lambda match: rendered[int(match[1])], content)


def _failed(where: tuple[str, int], anchor: str, subtype: Subtype, message: str) -> site.Slot:
    """A fence that fails before the batch step: warned now, a placeholder later, failed in the summary."""
    warn(where, subtype, message)
    return site.Slot(page=where[0], line=where[1], anchor=anchor, error=message)


def local_problem(
    source: str, path: str, docs_dir: str, settings: PaletteConfig
) -> tuple[Subtype, str] | None:
    """Why a local image cannot be read, as the Sphinx extension says it, with ``docs_dir`` as the project:
    a path outside it and outside ``allowed_paths`` is refused unread; a missing file is named."""
    if not is_inside(path, allowed_roots(docs_dir, settings.allowed_paths)):
        return Subtype.PATH, refusal(source, "allowed_paths")
    if not os.path.isfile(path):
        return Subtype.SOURCE, f"image file not found: {source} (looked for {shown_path(path, docs_dir)})"
    return None


def local_path(source: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """The file a local source names: relative to the page, as MkDocs reads images, or to ``docs_dir``
    when it starts with ``/``. A file another plugin or hook added to the site is found where it really is.
    """
    folder = "" if source.startswith("/") else posixpath.dirname(page.file.src_uri)
    src_uri = posixpath.normpath(posixpath.join(folder, source.lstrip("/")))
    file = files.get_file_from_path(src_uri)
    if file is not None and file.abs_src_path:
        return file.abs_src_path
    return os.path.normpath(os.path.join(config.docs_dir, src_uri))


def make_service(settings: PaletteConfig) -> PaletteService:
    """The palette service of a build: the settings' cache, limits and offline mode."""
    assert settings.cache_dir is not None
    return PaletteService.from_config(
        settings, settings.cache_dir, user_agent=f"sphinx-palette/{__version__} (MkDocs)"
    )
