"""The one holder of the extension's data on the build environment: purge, merge, pickling, a real build."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sphinx_palette.sphinxext.envdata import (
    ATTRIBUTE,
    DocumentData,
    FailureNote,
    PaletteEnvData,
    PaletteRecord,
    SwatchRecord,
)


def _record(docname: str, anchor: str = "p1") -> PaletteRecord:
    swatch = SwatchRecord("#ff0000", (255, 0, 0), 1.0, "red", "red")
    return PaletteRecord(docname, anchor, "img/a.png", 3, "computed", False, swatches=(swatch,))


def _holder(*docnames: str) -> PaletteEnvData:
    data = PaletteEnvData()
    for docname in docnames:
        document = data.document(docname)
        document.palettes.append(_record(docname))
        document.failures.append(FailureNote(4, "https://example.org/x.png", "fetch", "HTTP 404"))
        document.has_index = docname.startswith("index")
    return data


def test_purge_forgets_every_kind_of_record_of_one_document():
    data = _holder("a", "b", "index")
    data.purge("a")
    data.purge("index")
    data.purge("never-read")
    assert list(data.documents) == ["b"]
    assert data.palettes("a") == [] and data.index_documents() == set()


def test_merge_takes_only_the_documents_the_worker_read():
    main, worker = _holder("a"), _holder("a", "b", "index")
    worker.document("a").palettes.append(_record("a", "p2"))
    worker.note_cache_error("disk full")
    main.merge(["a", "index"], worker)
    assert sorted(main.documents) == ["a", "index"]
    assert [r.anchor for r in main.palettes("a")] == ["p1", "p2"]
    assert main.index_documents() == {"index"}
    assert main.take_cache_error() == "disk full" and main.take_cache_error() is None


def test_all_palettes_in_document_then_page_order():
    data = _holder("b", "a")
    data.document("a").palettes.append(_record("a", "p2"))
    assert [(r.docname, r.anchor) for r in data.all_palettes()] == [("a", "p1"), ("a", "p2"), ("b", "p1")]


def test_the_service_is_per_process_and_never_pickled(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []

    class FakeService:
        def close(self):
            made.append("closed")

    def make():
        made.append("made")
        return FakeService()

    data = _holder("a")
    data.set_service_factory(make)
    first = data.service()
    assert data.service() is first
    monkeypatch.setattr("os.getpid", lambda: -1)
    assert data.service() is not first
    copy = pickle.loads(pickle.dumps(data))
    assert not copy.has_service_factory() and copy.documents == data.documents
    data.close_service()
    assert made == ["made", "made", "closed"]


@pytest.mark.sphinx("html", testroot="palette-basic", srcdir="envdata-pickled", freshenv=True)
def test_a_build_keeps_its_records_in_the_pickled_environment(app):
    app.build()
    with Path(app.doctreedir, "environment.pickle").open("rb") as stream:
        env = pickle.load(stream)
    data = getattr(env, ATTRIBUTE)
    assert isinstance(data, PaletteEnvData) and data == PaletteEnvData.of(app.env)
    assert all(isinstance(d, DocumentData) for d in data.documents.values())
    records = list(data.all_palettes())
    assert records and all(r.swatches for r in records)
    assert sum(s.share for s in records[0].swatches) > 0.99
