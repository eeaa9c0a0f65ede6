"""Batch outputs, written one whole row at a time so that a batch can be stopped at any moment and resumed.

* ``.jsonl``: one JSON object per line (``schemas/batch-row.schema.json``);
* ``.csv``: the same columns flattened, ``hex_1, share_1, name_1, family_1, ...`` per swatch;
* ``.parquet`` (pyarrow, optional): rows go to a JSON Lines journal beside the file
  (``NAME.parquet.rows.jsonl``) and the Parquet file is written from it when the batch ends, to a
  temporary file moved into place, streaming in row groups.

Each row is one ``write`` of a whole line to a file opened for appending, so a crash leaves at most one
partial last line; opening the output again cuts it off (`Output.open`). The keys of the rows already
there are what a resumed batch skips. Outputs written before rows had ``notices`` are read as rows with
none (a CSV file keeps its columns: the rows added to it have no notices column either).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .rows import FIELDS, LEGACY_FIELDS, csv_header, csv_notices, csv_values, key_of

__all__ = ["FORMATS", "Output", "OutputError", "open_output"]

#: Output formats by file suffix.
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
#: Rows per Parquet row group (and read at once when converting).
_ROW_GROUP = 2000


class OutputError(Exception):
    """The output cannot be used (an unknown suffix, another batch's columns, a missing extra)."""


class Output:
    """An output file opened for appending whole rows; `done` holds the keys of the rows it already has."""

    def __init__(self, path: Path, colors: int) -> None:
        self.path = path
        self.colors = colors
        self.done: set[str] = set()
        #: Rows with an error among those already written when opened.
        self.failed = 0
        self._fd: int | None = None

    def open(self) -> Output:
        """Cut a partial last row, read the keys already written, and open for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _cut_partial_line(self._rows_file())
        self.done, self.failed = set(), 0
        for row in self._read():
            self.done.add(key_of(row))
            self.failed += row.get("error") is not None
        self._fd = os.open(self._rows_file(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        if os.fstat(self._fd).st_size == 0:
            self._start()
        return self

    def write(self, row: dict[str, Any]) -> None:
        """Append ``row`` in one write."""
        assert self._fd is not None, "open() first"
        _write_all(self._fd, self._line(row))

    def close(self) -> None:
        """Flush the rows to disk and close."""
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows written, streamed."""
        return self._read()

    # --- per format ---

    def _rows_file(self) -> Path:
        return self.path

    def _start(self) -> None:
        """Write what an empty file starts with."""

    def _line(self, row: dict[str, Any]) -> bytes:
        return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    def _read(self) -> Iterator[dict[str, Any]]:
        path = self._rows_file()
        if not path.exists():
            return
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    raise OutputError(f"{path}, line {number}, is not a batch row") from None
                if not isinstance(row, dict) or "source" not in row:
                    raise OutputError(f"{path}, line {number}, is not a batch row")
                yield _with_notices(row)


class CsvOutput(Output):
    """Rows as CSV, one swatch's hex, share, name and family per group of columns."""

    #: The columns of the file: `FIELDS`, or `LEGACY_FIELDS` when resuming an output written before notices.
    fields: tuple[str, ...] = FIELDS

    def _start(self) -> None:
        assert self._fd is not None
        _write_all(self._fd, _csv_line(csv_header(self.colors, self.fields)))

    def _line(self, row: dict[str, Any]) -> bytes:
        return _csv_line(csv_values(row, self.colors, self.fields))

    def _read(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header == csv_header(self.colors, LEGACY_FIELDS):
                self.fields = LEGACY_FIELDS
            elif header != csv_header(self.colors):
                raise OutputError(
                    f"{self.path} has other columns than a batch with --colors {self.colors} writes; "
                    "give another --out, or the --colors it was written with"
                )
            for cells in reader:
                yield _csv_row(dict(zip(header, cells, strict=False)), self.colors)


class ParquetOutput(Output):
    """Rows journalled as JSON Lines beside the file, written as Parquet by `close`."""

    def open(self) -> Output:
        """Open the journal, made from the Parquet file when a finished batch is extended."""
        _parquet()
        journal = self._rows_file()
        if not journal.exists() and self.path.exists():
            _journal_from_parquet(self.path, journal)
        return super().open()

    def _rows_file(self) -> Path:
        return self.path.with_name(self.path.name + ".rows.jsonl")

    def close(self) -> None:
        """Write the Parquet file from the journal (whole, then moved into place) and drop the journal."""
        if self._fd is None:
            return
        super().close()
        _write_parquet(self._read(), self.path)
        self._rows_file().unlink()


def open_output(path: Path, colors: int, output_format: str | None = None) -> Output:
    """The output at ``path`` (its format from ``output_format`` or the suffix), opened for appending."""
    kind = output_format or FORMATS.get(path.suffix.lower())
    if kind is None:
        raise OutputError(f"cannot tell the format of {path}: name it .jsonl, .csv or .parquet")
    classes: dict[str, type[Output]] = {"jsonl": Output, "csv": CsvOutput, "parquet": ParquetOutput}
    return classes[kind](path, colors).open()


# --- helpers ---


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _cut_partial_line(path: Path) -> None:
    """Cut what follows the last newline of ``path`` (the row a crash left half-written)."""
    if not path.exists():
        return
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            step = min(65536, end)
            handle.seek(end - step)
            block = handle.read(step)
            newline = block.rfind(b"\n")
            if newline >= 0:
                end = end - step + newline + 1
                break
            end -= step
        if end != size:
            handle.truncate(end)


def _with_notices(row: dict[str, Any]) -> dict[str, Any]:
    """``row``, with no notices when it was written before rows had them."""
    if row.get("notices") is None:
        row["notices"] = []
    return row


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


def _csv_row(cells: dict[str, str], colors: int) -> dict[str, Any]:
    row: dict[str, Any] = {name: cells.get(name) or None for name in FIELDS if name != "swatches"}
    row["notices"] = csv_notices(row["notices"])
    for name in ("canvas", "width", "height"):
        row[name] = int(row[name]) if row[name] else None
    swatches = []
    for number in range(1, colors + 1):
        hex_code = cells.get(f"hex_{number}")
        if hex_code:
            rgb = [int(hex_code[i : i + 2], 16) for i in (1, 3, 5)]
            swatches.append(
                {
                    "hex": hex_code,
                    "rgb": rgb,
                    "share": float(cells[f"share_{number}"]),
                    "name": cells.get(f"name_{number}"),
                    "family": cells.get(f"family_{number}"),
                }
            )
    row["swatches"] = swatches
    return row


def _parquet() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise OutputError("writing .parquet needs pyarrow (pip install 'sphinx-palette[parquet]')") from None
    return pa, pq


def _schema(pa: Any) -> Any:
    swatch = pa.struct(
        [
            ("hex", pa.string()),
            ("rgb", pa.list_(pa.uint8())),
            ("share", pa.float64()),
            ("name", pa.string()),
            ("family", pa.string()),
        ]
    )
    notice = pa.struct([("subtype", pa.string()), ("message", pa.string())])
    types = {
        "canvas": pa.int32(),
        "width": pa.int32(),
        "height": pa.int32(),
        "swatches": pa.list_(swatch),
        "notices": pa.list_(notice),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in FIELDS])


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> None:
    pa, pq = _parquet()
    schema = _schema(pa)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        with pq.ParquetWriter(temporary, schema) as writer:
            chunk: list[dict[str, Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= _ROW_GROUP:
                    writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                    chunk = []
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _journal_from_parquet(path: Path, journal: Path) -> None:
    _pa, pq = _parquet()
    handle, temporary = tempfile.mkstemp(prefix=f".{journal.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_ROW_GROUP):
            for row in batch.to_pylist():
                out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(temporary, journal)


def read_rows(path: Path, colors: int) -> Iterator[dict[str, Any]]:
    """The rows of a batch output, streamed (for tests and tools)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind == "parquet":
        _pa, pq = _parquet()
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_ROW_GROUP):
            for row in batch.to_pylist():
                yield _with_notices(row)
        return
    output: Output = CsvOutput(path, colors) if kind == "csv" else Output(path, colors)
    yield from output.rows()
