"""Bronze loader: landed files -> `bronze.<source>_lines`, one row per delivered line.

Bronze lives in the lake as zstd Parquet, one folder per landing
(`$MEDALLION_HOME/lake/bronze/<source>_lines/ingestion_seq=N/`), and the
warehouse exposes it as the view `bronze.<source>_lines`; `bronze.<source>_ingestions`
records each landing once it is fully loaded. Writing 400 MB of text into
DuckDB's own file costs about ten seconds of compression; Parquet costs one.

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
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import pandas as pd
from tqdm import tqdm

from orchestration.core.landing import Landing, Manifest
from orchestration.settings import Limits, Paths, target_name
from orchestration.warehouse.sqltext import quote_literal

BATCH_LINES = 50_000
# What bronze keeps of a line over the limit (the whole line stays in the landing zone).
PREVIEW_BYTES = 1_000

LINE_COLUMNS = """
    ingestion_id varchar,
    ingestion_seq integer,
    source_file varchar,
    source_sha256 varchar,
    line_number bigint,
    line varchar,
    is_valid_utf8 boolean,
    raw_base64 varchar,
    line_status varchar,
    line_bytes bigint,
    landed_at timestamp with time zone,
    loaded_at timestamp with time zone
"""

INGESTIONS_DDL = """
create table if not exists bronze.{source}_ingestions (
    ingestion_id varchar primary key,
    ingestion_seq integer not null,
    source_file varchar not null,
    origin varchar not null,
    source_sha256 varchar not null,
    delivered_bytes bigint not null,
    line_count bigint not null,
    landed_at timestamp with time zone not null,
    loaded_at timestamp with time zone not null
)
"""

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


def _batches(path: Path, max_line_bytes: int) -> Iterator[pd.DataFrame]:
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


def _frame(rows: list[Line], first_number: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line_number": pd.Series(range(first_number, first_number + len(rows)), dtype="int64"),
            "line": pd.Series([r.text for r in rows], dtype="object"),
            "is_valid_utf8": pd.Series([r.status != INVALID_UTF8 for r in rows], dtype="bool"),
            "raw_base64": pd.Series([r.raw_base64 for r in rows], dtype="object"),
            "line_status": pd.Series([r.status for r in rows], dtype="object"),
            "line_bytes": pd.Series([r.length for r in rows], dtype="int64"),
        }
    )


def _write_parquet(
    entry: Landing, source_path: Path, folder: Path, loaded_at: datetime, progress: bool, limits: Limits
) -> tuple[int, int]:
    """Write one landing as Parquet parts; returns (lines, invalid UTF-8 lines). A landed file
    that is gone gives no parts (and 0 lines): its delivery gate quarantines it."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    lines = invalid = 0
    if not source_path.exists():
        return lines, invalid
    scratch = duckdb.connect()
    try:
        with tqdm(
            total=entry.line_count, unit=" lines", desc=f"bronze {entry.source_file}", disable=not progress
        ) as bar:
            for part, frame in enumerate(_batches(source_path, limits.max_line_bytes), start=1):
                scratch.register("frame", frame)
                scratch.sql(
                    """
                    select
                        $1::varchar as ingestion_id, $2::integer as ingestion_seq,
                        $3::varchar as source_file, $4::varchar as source_sha256,
                        line_number, line, is_valid_utf8, raw_base64::varchar as raw_base64,
                        line_status::varchar as line_status, line_bytes,
                        $5::timestamp with time zone as landed_at,
                        $6::timestamp with time zone as loaded_at
                    from frame
                    """,
                    params=[
                        entry.ingestion_id,
                        entry.ingestion_seq,
                        entry.source_file,
                        entry.sha256,
                        entry.landed_at,
                        loaded_at,
                    ],
                ).write_parquet(str(folder / f"part-{part:05d}.parquet"), compression="zstd", row_group_size=10000)
                scratch.unregister("frame")
                lines += len(frame)
                invalid += int((~frame["is_valid_utf8"]).sum())
                bar.update(len(frame))
    finally:
        scratch.close()
    return lines, invalid


def column_list(columns: str) -> list[tuple[str, str]]:
    """`name type, ...` (as in LINE_COLUMNS) as [(name, type)]."""
    pairs = (c.strip().split(None, 1) for c in columns.strip().rstrip(",").split(","))
    return [(name, kind) for name, kind in pairs]


def lake_view(
    con: duckdb.DuckDBPyConnection, view: str, folder: Path, partition: str, columns: list[tuple[str, str]]
) -> None:
    """(Re)create `view` over the Parquet parts under `folder` (hive-partitioned by `partition`),
    or, while there are none, as an empty relation with `columns`. A view's body takes no
    parameters, so the folder (the operator's own MEDALLION_HOME) goes in as a quoted literal."""
    if any(folder.glob("*/*.parquet")):
        body = (
            f"select * from read_parquet({quote_literal(str(folder) + '/*/*.parquet')}, union_by_name = true,"
            f" hive_partitioning = true, hive_types = {{'{partition}': integer}})"
        )
    else:
        body = "select " + ", ".join(f"cast(null as {kind}) as {name}" for name, kind in columns) + " where false"
    con.execute(f"create or replace view {view} as {body}")


def refresh_view(con: duckdb.DuckDBPyConnection, source: str, paths: Paths) -> None:
    lake_view(
        con,
        f"bronze.{source}_lines",
        paths.lake("bronze", f"{source}_lines"),
        "ingestion_seq",
        column_list(LINE_COLUMNS),
    )


def load_landed(source: str, paths: Paths, progress: bool = True) -> LoadSummary:
    """Load every landed file of `source` that bronze does not hold yet, into the current target."""
    target = target_name()
    limits = Limits.from_env()
    if target == "trino":
        return _load_trino(source, paths, progress, limits)
    if target == "bigquery":
        from orchestration.warehouse.bigquery import load_landed as load_bigquery

        return load_bigquery(source, paths, progress, limits)
    return _load_duckdb(source, paths, progress, limits)


def _load_duckdb(source: str, paths: Paths, progress: bool, limits: Limits) -> LoadSummary:
    entries = Manifest(paths.landing(source)).entries()
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("create schema if not exists bronze")
        con.execute(INGESTIONS_DDL.format(source=source))
        loaded = {r[0] for r in con.execute(f"select ingestion_id from bronze.{source}_ingestions").fetchall()}
        todo = [e for e in entries if e.ingestion_id not in loaded]
        total_lines = total_invalid = 0
        for entry in todo:
            loaded_at = datetime.now(UTC)
            folder = paths.lake("bronze", f"{source}_lines") / f"ingestion_seq={entry.ingestion_seq:06d}"
            lines, invalid = _write_parquet(entry, paths.home / entry.landed_path, folder, loaded_at, progress, limits)
            con.execute(
                f"insert into bronze.{source}_ingestions values "
                "(?, ?, ?, ?, ?, ?, ?, cast(? as timestamp with time zone), ?)",
                [
                    entry.ingestion_id,
                    entry.ingestion_seq,
                    entry.source_file,
                    entry.origin,
                    entry.sha256,
                    entry.delivered_bytes,
                    entry.line_count,
                    entry.landed_at,
                    loaded_at,
                ],
            )
            total_lines += lines
            total_invalid += invalid
        refresh_view(con, source, paths)
        return LoadSummary(ingestions=len(todo), lines=total_lines, invalid_utf8=total_invalid)
    finally:
        con.close()


# --- Trino + Iceberg -------------------------------------------------------
#
# The same Parquet parts are written to a staging folder, exposed to Trino as an
# external table of its `hive` catalog, and copied into the Iceberg table with
# one INSERT ... SELECT per landing: bulk, inside Trino, never row by row.

# Iceberg stores microseconds (Trino's default precision is 3); the staged
# Parquet's timestamps are UTC instants read as plain timestamps.
_TZ = "timestamp with time zone"
TRINO_LINES_DDL = (
    "create table if not exists iceberg.bronze.{source}_lines ("
    + LINE_COLUMNS.replace(_TZ, "timestamp(6) with time zone")
    + ") with (partitioning = array['ingestion_seq'])"
)
TRINO_INGESTIONS_DDL = (
    INGESTIONS_DDL.replace("bronze.", "iceberg.bronze.")
    .replace(" primary key", " not null")
    .replace(_TZ, "timestamp(6) with time zone")
)
STAGE_COLUMNS = LINE_COLUMNS.replace(_TZ, "timestamp(6)")


def stage_and_copy(con: object, relative: Path, stage: str, stage_columns: str, insert_select: str) -> None:
    """Expose the Parquet folder $MEDALLION_HOME/`relative` as the external table
    hive.medallion_stage.`stage`, run `insert_select` (an `insert into ... select ...` without its
    FROM) from it, then drop it. Nothing is formatted into the statement: column names pass as written."""
    from orchestration.warehouse import fetchall

    fetchall(con, f"drop table if exists hive.medallion_stage.{stage}")
    location = quote_literal(f"local:///{relative.as_posix()}")
    fetchall(
        con,
        f"create table hive.medallion_stage.{stage} ({stage_columns}) "
        f"with (external_location = {location}, format = 'PARQUET')",
    )
    try:
        fetchall(con, f"{insert_select} from hive.medallion_stage.{stage}")
    finally:
        fetchall(con, f"drop table hive.medallion_stage.{stage}")


def _load_trino(source: str, paths: Paths, progress: bool, limits: Limits) -> LoadSummary:
    from orchestration.warehouse import TrinoWarehouse, fetchall

    entries = Manifest(paths.landing(source)).entries()
    con = TrinoWarehouse(paths).connect()
    try:
        fetchall(con, "create schema if not exists iceberg.bronze")
        fetchall(con, "create schema if not exists hive.medallion_stage")
        fetchall(con, TRINO_LINES_DDL.format(source=source))
        # Homes from before line lengths were kept get the column (null for their old lines).
        fetchall(con, f"alter table iceberg.bronze.{source}_lines add column if not exists line_bytes bigint")
        fetchall(con, TRINO_INGESTIONS_DDL.format(source=source))
        loaded = {r[0] for r in fetchall(con, f"select ingestion_id from iceberg.bronze.{source}_ingestions")}
        todo = [e for e in entries if e.ingestion_id not in loaded]
        total_lines = total_invalid = 0
        for entry in todo:
            loaded_at = datetime.now(UTC)
            relative = Path("trino") / "stage" / f"{source}_lines" / f"ingestion_seq={entry.ingestion_seq:06d}"
            source_path = paths.home / entry.landed_path
            lines, invalid = _write_parquet(entry, source_path, paths.home / relative, loaded_at, progress, limits)
            # A landing half-copied by an interrupted load is copied again from scratch.
            fetchall(con, f"delete from iceberg.bronze.{source}_lines where ingestion_seq = {entry.ingestion_seq}")
            stage_and_copy(
                con,
                relative,
                f"{source}_lines_{entry.ingestion_seq:06d}",
                STAGE_COLUMNS,
                f"insert into iceberg.bronze.{source}_lines ({', '.join(n for n, _ in column_list(LINE_COLUMNS))}) "
                "select ingestion_id, ingestion_seq, source_file, source_sha256, line_number, line, is_valid_utf8,"
                " raw_base64, line_status, line_bytes, with_timezone(landed_at, 'UTC'),"
                " with_timezone(loaded_at, 'UTC')",
            )
            copied = fetchall(
                con,
                f"select count(*) from iceberg.bronze.{source}_lines where ingestion_seq = {entry.ingestion_seq}",
            )[0][0]
            shutil.rmtree(paths.home / relative)
            if copied != lines:
                raise RuntimeError(
                    f"{source_path}: {lines} lines were staged but {copied} reached "
                    f"iceberg.bronze.{source}_lines; the next build copies this landing again"
                )
            fetchall(
                con,
                f"insert into iceberg.bronze.{source}_ingestions values "
                "(?, ?, ?, ?, ?, ?, ?, cast(from_iso8601_timestamp_nanos(?) as timestamp(6) with time zone),"
                " cast(from_iso8601_timestamp_nanos(?) as timestamp(6) with time zone))",
                [
                    entry.ingestion_id,
                    entry.ingestion_seq,
                    entry.source_file,
                    entry.origin,
                    entry.sha256,
                    entry.delivered_bytes,
                    entry.line_count,
                    _iso(entry.landed_at),
                    loaded_at.isoformat(),
                ],
            )
            total_lines += lines
            total_invalid += invalid
        return LoadSummary(ingestions=len(todo), lines=total_lines, invalid_utf8=total_invalid)
    finally:
        con.close()


def _iso(value: str | datetime) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value).replace(" ", "T")
