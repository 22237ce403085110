"""Line files in bronze: landed files -> `bronze.<source>_lines`, one row per delivered line.

For any source that delivers files of lines (tweets today). Each landing
becomes zstd Parquet parts in the lake
(`$MEDALLION_HOME/lake/bronze/<source>_lines/ingestion_seq=N/`) through the
shared bronze load (`core.bronze`); `bronze.<source>_ingestions` records each
landing once it is fully loaded. Writing 400 MB of text into DuckDB's own
file costs about ten seconds of compression; Parquet costs one.

Every line is kept with its lineage. A line that is not valid UTF-8 is stored
with the bad bytes replaced, flagged, and its original bytes kept in
`raw_base64`, so staging can reject it with a reason and nothing is lost. A
line longer than `MEDALLION_MAX_LINE_BYTES` is read in bounded pieces, never
whole: bronze keeps its length and its first bytes, staging rejects it ("line
too long"), and the line itself stays verbatim in the landing zone. Loading is
idempotent: a landing already recorded is not loaded again, and a half-written
landing folder is rewritten from scratch. A landing whose file no longer holds
the lines counted when it landed is loaded as it is now; its delivery gate
then quarantines it (lines loaded differ from lines landed).
"""

from __future__ import annotations

import base64
import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
from tqdm import tqdm

from orchestration.core import bronze
from orchestration.core.landing import Landing, Manifest
from orchestration.settings import Limits, Paths, load
from orchestration.warehouse import BronzeTable, Columns, current

# Lines per Parquet part (one row group each). Python holds a batch as str objects, 4 bytes a character
# for text with emoji: 50,000 lines of tweets took 900 MB, 10,000 take a fifth, in the same time.
BATCH_LINES = 10_000
# What bronze keeps of a line over the limit (the whole line stays in the landing zone).
PREVIEW_BYTES = 1_000

LINE_COLUMNS: Columns = {
    "ingestion_id": "varchar",
    "ingestion_seq": "integer",
    "source_file": "varchar",
    "source_sha256": "varchar",
    "line_number": "bigint",
    "line": "varchar",
    "is_valid_utf8": "boolean",
    "raw_base64": "varchar",
    "line_status": "varchar",
    "line_bytes": "bigint",
    "landed_at": "timestamp with time zone",
    "loaded_at": "timestamp with time zone",
}
INGESTION_COLUMNS: Columns = {
    "ingestion_id": "varchar",
    "ingestion_seq": "integer",
    "source_file": "varchar",
    "origin": "varchar",
    "source_sha256": "varchar",
    "delivered_bytes": "bigint",
    "line_count": "bigint",
    "landed_at": "timestamp with time zone",
    "loaded_at": "timestamp with time zone",
}


def lines_table(source: str, lineage: Columns | None = None) -> BronzeTable:
    return BronzeTable(f"{source}_lines", "ingestion_seq", {**LINE_COLUMNS, **(lineage or {})})


@dataclass(frozen=True)
class Lineage:
    """What a source knows of each landed file beyond the shared columns (an object key, an etag, a
    delivery day, ...): `columns` as {name: DuckDB type}, `values(landing)` as {name: value}. Every line
    of the file and the file's row in `bronze.<source>_ingestions` carry them."""

    columns: Columns
    values: Callable[[Landing], dict]


# line_status: what only the loader can see. Staging classifies everything else.
OK, INVALID_UTF8, TOO_LONG = "ok", "invalid_utf8", "line_too_long"


@dataclass(frozen=True)
class LoadSummary:
    ingestions: int
    lines: int
    invalid_utf8: int


@dataclass(frozen=True)
class Line:
    text: str
    status: str
    raw_base64: str | None
    length: int


def read_lines(handle: BinaryIO, max_line_bytes: int) -> Iterator[Line]:
    """Every line of `handle` (without its newline), in memory bounded by `max_line_bytes`."""
    while True:
        raw = handle.readline(max_line_bytes + 1)
        if not raw:
            return
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            yield _too_long(handle, raw)
            continue
        raw = raw.removesuffix(b"\n").removesuffix(b"\r")
        try:
            yield Line(raw.decode("utf-8"), OK, None, len(raw))
        except UnicodeDecodeError:
            yield Line(raw.decode("utf-8", "replace"), INVALID_UTF8, base64.b64encode(raw).decode("ascii"), len(raw))


def _too_long(handle: BinaryIO, head: bytes) -> Line:
    """Consume the rest of an over-long line in pieces; keep its length and first bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid = True
    length = 0
    piece = head
    while piece:
        ends = piece.endswith(b"\n")
        piece = piece.removesuffix(b"\n")
        length += len(piece)
        if valid:
            try:
                decoder.decode(piece, final=ends)
            except UnicodeDecodeError:
                valid = False
        if ends:
            break
        piece = handle.readline(1 << 20)
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    preview = head[:PREVIEW_BYTES].decode("utf-8", "ignore")
    return Line(preview, TOO_LONG if valid else INVALID_UTF8, None, length)


def _batches(path: Path, max_line_bytes: int) -> Iterator[dict[str, np.ndarray]]:
    rows: list[Line] = []
    first = 1
    with path.open("rb") as handle:
        for line in read_lines(handle, max_line_bytes):
            rows.append(line)
            if len(rows) >= BATCH_LINES:
                yield _frame(rows, first)
                first += len(rows)
                rows = []
    if rows:
        yield _frame(rows, first)


def _frame(rows: list[Line], first_number: int) -> dict[str, np.ndarray]:
    """A batch of lines as NumPy columns, which DuckDB scans as a table (pandas' import would cost every build
    0.4 s; pyarrow's conversion of Python lists imports it)."""
    return {
        "line_number": np.arange(first_number, first_number + len(rows), dtype=np.int64),
        "line": np.array([r.text for r in rows], dtype=object),
        "is_valid_utf8": np.array([r.status != INVALID_UTF8 for r in rows], dtype=bool),
        "raw_base64": np.array([r.raw_base64 for r in rows], dtype=object),
        "line_status": np.array([r.status for r in rows], dtype=object),
        "line_bytes": np.array([r.length for r in rows], dtype=np.int64),
    }


def _write_parquet(
    entry: Landing,
    source_path: Path,
    folder: Path,
    loaded_at: datetime,
    progress: bool,
    limits: Limits,
    lineage: Lineage | None = None,
) -> tuple[int, int]:
    """Write one landing as Parquet parts into `folder`; returns (lines, invalid UTF-8 lines). A landed
    file that is gone gives no parts (and 0 lines): its delivery gate quarantines it."""
    lines = invalid = 0
    columns = lineage.columns if lineage else {}
    values = lineage.values(entry) if lineage else {}
    # The source's own lineage columns: names from its code, values bound ($7, $8, ...).
    extra = "".join(f", ${n}::{kind} as {name}" for n, (name, kind) in enumerate(columns.items(), 7))
    select = f"""
        select
            $1::varchar as ingestion_id, $2::integer as ingestion_seq,
            $3::varchar as source_file, $4::varchar as source_sha256,
            line_number, line, is_valid_utf8, raw_base64::varchar as raw_base64,
            line_status::varchar as line_status, line_bytes,
            $5::timestamp with time zone as landed_at,
            $6::timestamp with time zone as loaded_at{extra}
        from frame
    """
    params = [
        entry.ingestion_id,
        entry.ingestion_seq,
        entry.source_file,
        entry.sha256,
        entry.landed_at,
        loaded_at,
        *(values[name] for name in columns),
    ]
    if not source_path.exists():
        return lines, invalid
    scratch = duckdb.connect()
    try:
        with tqdm(
            total=entry.line_count, unit=" lines", desc=f"bronze {entry.source_file}", disable=not progress
        ) as bar:
            for part, frame in enumerate(_batches(source_path, limits.max_line_bytes), start=1):
                scratch.register("frame", frame)
                scratch.sql(select, params=params).write_parquet(
                    str(folder / f"part-{part:05d}.parquet"), compression="zstd", row_group_size=10000
                )
                scratch.unregister("frame")
                batch = len(frame["line_number"])
                lines += batch
                invalid += batch - int(frame["is_valid_utf8"].sum())
                bar.update(batch)
    finally:
        scratch.close()
    return lines, invalid


def load_landed(
    source: str,
    paths: Paths,
    progress: bool = True,
    landed: list[Landing] | None = None,
    lineage: Lineage | None = None,
) -> LoadSummary:
    """Load every landed file of `source` (the manifest's, or `landed`) that bronze does not hold yet,
    into the current target, with the source's own `lineage` columns if it has any."""
    warehouse = current(paths)
    limits = load().limits
    registry = f"bronze.{source}_ingestions"
    try:
        recorded = {row[0] for row in warehouse.query(f"select ingestion_id from {registry}")}
    except Exception as exc:
        if not warehouse.is_missing_relation(exc):
            raise
        recorded = set()
    if landed is None:
        landed = Manifest(paths.landing(source)).entries()
    pending = [e for e in landed if e.ingestion_id not in recorded]
    loaded_at = datetime.now(UTC)
    invalid: dict[str, int] = {}

    def write(entry: Landing, folder: Path) -> int:
        lines, invalid[entry.ingestion_id] = _write_parquet(
            entry, paths.home / entry.landed_path, folder, loaded_at, progress, limits, lineage
        )
        return lines

    loaded = bronze.load(
        paths,
        warehouse,
        lines_table(source, lineage.columns if lineage else None),
        pending,
        seq=lambda e: e.ingestion_seq,
        write=write,
        name=lambda e: str(paths.home / e.landed_path),
    )
    if loaded or not recorded:  # the registry exists from the first load on, empty or not
        warehouse.append_rows(
            {
                registry: (
                    {**INGESTION_COLUMNS, **(lineage.columns if lineage else {})},
                    [
                        {
                            "ingestion_id": done.entry.ingestion_id,
                            "ingestion_seq": done.entry.ingestion_seq,
                            "source_file": done.entry.source_file,
                            "origin": done.entry.origin,
                            "source_sha256": done.entry.sha256,
                            "delivered_bytes": done.entry.delivered_bytes,
                            "line_count": done.entry.line_count,
                            "landed_at": done.entry.landed_at,
                            "loaded_at": loaded_at.isoformat(),
                            **(lineage.values(done.entry) if lineage else {}),
                        }
                        for done in loaded
                    ],
                )
            }
        )
    return LoadSummary(
        ingestions=len(loaded),
        lines=sum(done.rows for done in loaded),
        invalid_utf8=sum(invalid[done.entry.ingestion_id] for done in loaded),
    )
