"""From resolved palettes to the site: each page's HTML, the browse index, downloads, ``palettes.json``,
and the scaled images they show (index thumbnails, copies of remote images)."""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from dataclasses import dataclass
from html import escape, unescape

import markdown as markdown_lib
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from ..derivatives import REMOTE_COPY_SIDE, cached_image, derive
from ..engine import Swatch
from ..engine.colour import hex_to_rgb
from ..engine.names import describe
from ..engine.palette import rounded_share
from ..engine.thumbnails import THUMBNAIL_SIDE
from ..markup import (
    DOWNLOAD_DIR,
    PaletteView,
    SwatchView,
    download_files,
    download_stem,
    palette_html,
    placeholder_html,
)
from ..options import IndexOptions
from ..remote.cache import PaletteCache
from ..remote.urls import redact_url
from ..settings import PaletteConfig
from ..site_export import export_entry, export_text
from .collect import Use
from .html import IndexEntry, index_html

_TAG = re.compile(r"<[^>]+>")

#: Where scaled images go in the site (a file name says which image and size: see `derivatives`).
IMAGE_DIR = "assets/images/palette"


@dataclass(frozen=True)
class Placed:
    """An image written into the site: its path from the site's root and its ``(width, height)``."""

    path: str
    size: tuple[int, int]


@dataclass
class Slot:
    """One fence of a page: a palette use, a placeholder for a fence that failed validation, or an index."""

    page: str
    line: int
    anchor: str
    use: Use | None = None
    error: str | None = None
    index: IndexOptions | None = None


@dataclass(frozen=True)
class Record:
    """A palette as the site lists it (index, ``palettes.json``)."""

    page: str
    docname: str
    anchor: str
    title: str
    source: str
    credit: str | None
    manifest: str | None
    thumbnail: Placed | None
    swatches: tuple[SwatchView, ...]


def anchor_for(src_uri: str, name: str | None, number: int) -> str:
    """The palette's id: its ``:name:`` as an id, else ``palette-<page>-<n>`` (as Sphinx numbers them)."""
    if name and name.strip():
        return _identifier(name)
    return _identifier(f"palette-{docname_of(src_uri).replace('/', '-')}-{number}")


def docname_of(src_uri: str) -> str:
    """The page's name without its suffix (``items/macaws.md`` → ``items/macaws``), as Sphinx names it."""
    return posixpath.splitext(src_uri)[0]


def _identifier(text: str, prefix: str = "palette-") -> str:
    """An id as docutils makes one: lower case, runs of other characters as one hyphen (``prefix`` before
    one that would not start with a letter)."""
    ident = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return ident if ident[:1].isalpha() or not prefix else f"{prefix}{ident}"


class SiteWriter:
    """Renders slots for one build, knowing the site's files; keeps the extra files it has to write."""

    def __init__(
        self,
        config: MkDocsConfig,
        files: Files,
        settings: PaletteConfig,
        pages: dict[str, Page],
        cache: PaletteCache | None = None,
    ):
        self.config = config
        self.settings = settings
        self.pages = pages
        self.cache = cache
        self.by_path = {os.path.normpath(f.abs_src_path): f for f in files if f.abs_src_path}
        self.outputs: dict[str, str] = {}
        #: Scaled images to add to the site, by path from its root.
        self.images: dict[str, bytes] = {}
        self._placed: dict[tuple[str, int], Placed | None] = {}
        self._markdown = markdown_lib.Markdown(
            extensions=config.markdown_extensions, extension_configs=config.mdx_configs
        )

    def records(self, slots: dict[str, list[Slot]]) -> list[Record]:
        """Every successful palette of the site, by page name, then in page order."""
        found = []
        for uri in sorted(slots, key=docname_of):
            for slot in slots[uri]:
                use = slot.use
                if use is None or use.result is None or use.result.palette is None:
                    continue
                view = self._view(slot, use, self.pages[uri])
                found.append(
                    Record(
                        page=self.pages[uri].url,
                        docname=docname_of(uri),
                        anchor=slot.anchor,
                        title=self._title(use),
                        source=redact_url(use.options.source) if use.target.remote else use.options.source,
                        credit=_plain(view.credit_html) if view.credit_html is not None else None,
                        manifest=use.result.manifest_url,
                        thumbnail=self._scaled(use, THUMBNAIL_SIDE) if use.options.show_image else None,
                        swatches=view.swatches,
                    )
                )
        return found

    def render(self, slot: Slot, page: Page, records: list[Record]) -> str:
        """The HTML that replaces one slot's marker."""
        if slot.index is not None:
            return self._index(slot.index, page, records)
        if slot.use is None or slot.use.result is None or slot.use.result.palette is None:
            message = slot.error or (slot.use and slot.use.result and slot.use.result.error) or "no palette"
            classes = tuple(_identifier(c, prefix="") for c in slot.use.options.classes) if slot.use else ()
            return placeholder_html(message, slot.anchor, classes)
        return palette_html(self._view(slot, slot.use, page, with_downloads=True))

    def _view(self, slot: Slot, use: Use, page: Page, with_downloads: bool = False) -> PaletteView:
        result, options = use.result, use.options
        assert result is not None and result.palette is not None
        swatches = tuple(_swatch(s.hex, s.rgb, s.share) for s in result.palette.swatches)
        title = self._title(use)
        caption = self._inline(options.caption) if options.caption else None
        if options.credit is not None:
            credit = self._inline(options.credit)
        elif not options.hide_credit and result.credit:
            credit = escape(result.credit)
        else:
            credit = None
        image = self._image(use, page) if options.show_image else None
        downloads: tuple[tuple[str, str], ...] = ()
        if with_downloads and options.download:
            downloads = self._downloads(page, slot.anchor, title, swatches)
        return PaletteView(
            anchor=slot.anchor,
            swatches=swatches,
            alt=options.alt or f"Colour palette of {title}: {len(swatches)} colours",
            widths=options.widths,
            # Class names normalised as docutils' class option does, so both front ends write the same.
            classes=tuple(_identifier(c, prefix="") for c in options.classes),
            image_src=image[0] if image else None,
            image_alt=title,
            image_size=image[1] if image else None,
            caption_html=caption,
            credit_html=credit,
            manifest_url=result.manifest_url,
            downloads=downloads,
        )

    def _title(self, use: Use) -> str:
        """The caption as text, or the IIIF label, or the image's file name (as in Sphinx)."""
        if use.options.caption:
            return _plain(self._inline(use.options.caption))
        assert use.result is not None
        if use.result.label:
            return use.result.label
        source = use.result.image_url or use.options.source
        return source.rstrip("/").rsplit("/", 1)[-1] or source

    def _image(self, use: Use, page: Page) -> tuple[str, tuple[int, int] | None] | None:
        """The shown image's address from ``page`` and its size when known: a local image of the site, or a
        remote image's scaled copy (``remote_images = "copy"``, when in the cache), else its URL."""
        assert use.result is not None
        if use.target.remote:
            copy = self._scaled(use, REMOTE_COPY_SIDE) if self.settings.remote_images == "copy" else None
            if copy is not None:
                return get_relative_url(copy.path, page.url or "."), copy.size
            return (use.result.image_url, None) if use.result.image_url else None
        file = self.by_path.get(os.path.normpath(use.target.location))
        return (file.url_relative_to(page.file), None) if file is not None else None

    def _scaled(self, use: Use, side: int) -> Placed | None:
        """The palette's image scaled to fit ``side`` pixels, added to the site; ``None`` when its bytes are
        not at hand (a remote image not in the cache) or cannot be decoded."""
        assert use.result is not None
        source = use.result.image_url if use.target.remote else use.target.location
        if not source:
            return None
        key = (source, side)
        if key not in self._placed:
            data = self._bytes(source, use.target.remote)
            made = derive(self.cache, data, side) if data else None
            placed = None
            if made is not None:
                placed = Placed(f"{IMAGE_DIR}/{made.name}", made.size)
                self.images[placed.path] = made.data
            self._placed[key] = placed
        return self._placed[key]

    def _bytes(self, source: str, remote: bool) -> bytes | None:
        if remote:
            return cached_image(self.cache, source) if self.cache is not None else None
        try:
            with open(source, "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def _inline(self, text: str) -> str:
        """Inline Markdown (caption, credit) with the site's extensions, without the paragraph around it."""
        self._markdown.reset()
        html = self._markdown.convert(text).strip()
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            html = html[3:-4]
        return html

    def _downloads(
        self, page: Page, anchor: str, title: str, swatches: tuple[SwatchView, ...]
    ) -> tuple[tuple[str, str], ...]:
        stem = download_stem(docname_of(page.file.src_uri), anchor)
        links = []
        for suffix, text, label in download_files(title, swatches):
            path = f"{DOWNLOAD_DIR}/{stem}{suffix}"
            self.outputs[path] = text
            links.append((get_relative_url(path, page.url or "."), label))
        return tuple(links)

    def _index(self, options: IndexOptions, page: Page, records: list[Record]) -> str:
        chosen = [r for r in records if any(fnmatch.fnmatchcase(r.docname, p) for p in options.patterns)]
        if options.order == "title":
            chosen.sort(key=lambda r: (r.title.casefold(), r.docname, r.anchor))
        elif options.order == "share":
            chosen.sort(key=lambda r: (-r.swatches[0].share, r.docname, r.anchor))
        entries = []
        for record in chosen:
            same = record.page == page.url
            href = (
                ("" if same else get_relative_url(record.page or ".", page.url or ".")) + "#" + record.anchor
            )
            thumb = record.thumbnail
            src = get_relative_url(thumb.path, page.url or ".") if thumb else None
            entries.append(
                IndexEntry(
                    href, record.title or record.docname, record.swatches, src, thumb.size if thumb else None
                )
            )
        return index_html(entries, options.classes)


def export_json(project: str, records: list[Record]) -> str:
    """``palettes.json``: every palette of the site, in the Sphinx extension's format (same schema)."""
    entries = (
        export_entry(r, page=r.page, swatches=(Swatch(hex_to_rgb(s.hex), s.share) for s in r.swatches))
        for r in records
    )
    return export_text(project, entries)


def _swatch(hex_code: str, rgb: tuple[int, int, int], share: float) -> SwatchView:
    """A swatch as shown, its share rounded by the one rule every output follows."""
    named = describe(rgb)
    return SwatchView(hex_code, rounded_share(share), named.name, named.family)


def _plain(html: str) -> str:
    return " ".join(unescape(_TAG.sub("", html)).split())
