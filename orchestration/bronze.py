"""Bronze loader: landed files -> `bronze.<source>_lines`, one row per delivered line.

Bronze lives in the lake as zstd Parquet, one folder per landing
(`$MEDALLION_HOME/lake/bronze/<source>_lines/ingestion_seq=N/`), and the
warehouse exposes it as the view `bronze.<source>_lines`; `bronze.<source>_ingestions`
records each landing once it is fully loaded. Writing 400 MB of text into
DuckDB's own file costs about ten seconds of compression; Parquet costs one.

Every line is kept verbatim with its lineage. A line that is not valid UTF-8
is stored with the bad bytes replaced, flagged, and its original bytes kept in
`raw_base64`, so staging can reject it with a reason and nothing is lost.
Loading is idempotent: a landing already recorded is not loaded again, and a
half-written landing folder is rewritten from scratch.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pandas as pd
from tqdm import tqdm

from orchestration.landing import Landing, Manifest
from orchestration.settings import Paths, target_name

BATCH_LINES = 50_000

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


@dataclass(frozen=True)
class LoadSummary:
    ingestions: int
    lines: int
    invalid_utf8: int


def line_status(raw: bytes) -> str:
    """What the loader sees in a line: 'ok' for a JSON object with an id and a date.

    The bronze gate's reject rate is the share of new lines that are not 'ok';
    silver's `reject_reason` gives the exact reason for each rejected line.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "invalid_json"
    if not isinstance(value, dict):
        return "not_an_object"
    if value.get("id") is None:
        return "missing_id"
    if value.get("date") is None:
        return "missing_date"
    return "ok"


def _batches(path: Path) -> Iterator[pd.DataFrame]:
    numbers: list[int] = []
    lines: list[str] = []
    valid: list[bool] = []
    raw64: list[str | None] = []
    statuses: list[str] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                text, ok, original = raw.decode("utf-8"), True, None
                statuses.append(line_status(raw))
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "replace")
                ok, original = False, base64.b64encode(raw).decode("ascii")
                statuses.append("invalid_utf8")
            numbers.append(number)
            lines.append(text)
            valid.append(ok)
            raw64.append(original)
            if len(numbers) >= BATCH_LINES:
                yield _frame(numbers, lines, valid, raw64, statuses)
                numbers, lines, valid, raw64, statuses = [], [], [], [], []
    if numbers:
        yield _frame(numbers, lines, valid, raw64, statuses)


def _frame(
    numbers: list[int], lines: list[str], valid: list[bool], raw64: list[str | None], statuses: list[str]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line_number": pd.Series(numbers, dtype="int64"),
            "line": pd.Series(lines, dtype="object"),
            "is_valid_utf8": pd.Series(valid, dtype="bool"),
            "raw_base64": pd.Series(raw64, dtype="object"),
            "line_status": pd.Series(statuses, dtype="object"),
        }
    )


def _write_parquet(
    entry: Landing, source_path: Path, folder: Path, loaded_at: datetime, progress: bool
) -> tuple[int, int]:
    """Write one landing as Parquet parts; returns (lines, invalid UTF-8 lines)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    lines = invalid = 0
    scratch = duckdb.connect()
    try:
        with tqdm(
            total=entry.line_count, unit=" lines", desc=f"bronze {entry.source_file}", disable=not progress
        ) as bar:
            for part, frame in enumerate(_batches(source_path), start=1):
                target = folder / f"part-{part:05d}.parquet"
                scratch.execute(
                    f"""
                    copy (
                        select
                            $1::varchar as ingestion_id, $2::integer as ingestion_seq,
                            $3::varchar as source_file, $4::varchar as source_sha256,
                            line_number, line, is_valid_utf8, raw_base64::varchar as raw_base64,
                            line_status::varchar as line_status,
                            $5::timestamp with time zone as landed_at,
                            $6::timestamp with time zone as loaded_at
                        from frame
                    ) to '{target}' (format parquet, compression zstd, row_group_size 10000)
                    """,
                    [
                        entry.ingestion_id,
                        entry.ingestion_seq,
                        entry.source_file,
                        entry.sha256,
                        entry.landed_at,
                        loaded_at,
                    ],
                )
                lines += len(frame)
                invalid += int((~frame["is_valid_utf8"]).sum())
                bar.update(len(frame))
    finally:
        scratch.close()
    return lines, invalid


def refresh_view(con: duckdb.DuckDBPyConnection, source: str, paths: Paths) -> None:
    lake = paths.lake("bronze", f"{source}_lines")
    if any(lake.glob("*/*.parquet")):
        body = (
            f"select * from read_parquet('{lake}/*/*.parquet', union_by_name = true,"
            " hive_partitioning = true, hive_types = {'ingestion_seq': integer})"
        )
    else:
        columns = ", ".join(
            f"cast(null as {' '.join(c.split()[1:])}) as {c.split()[0]}"
            for c in LINE_COLUMNS.strip().rstrip(",").split(",\n")
        )
        body = f"select {columns} where false"
    con.execute(f"create or replace view bronze.{source}_lines as {body}")


def load_landed(source: str, paths: Paths, progress: bool = True) -> LoadSummary:
    """Load every landed file of `source` that bronze does not hold yet, into the current target."""
    target = target_name()
    if target == "trino":
        return _load_trino(source, paths, progress)
    if target == "bigquery":
        from orchestration.bigquery_loader import load_landed as load_bigquery

        return load_bigquery(source, paths, progress)
    return _load_duckdb(source, paths, progress)


def _check_count(entry: Landing, source_path: Path, lines: int) -> None:
    if lines != entry.line_count:
        raise RuntimeError(
            f"{source_path}: the manifest says {entry.line_count} lines but "
            f"{lines} were read; the landed file changed after landing. Land the delivery again."
        )


def _load_duckdb(source: str, paths: Paths, progress: bool) -> LoadSummary:
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
            lines, invalid = _write_parquet(entry, paths.home / entry.landed_path, folder, loaded_at, progress)
            if lines != entry.line_count:
                shutil.rmtree(folder)
                _check_count(entry, paths.home / entry.landed_path, lines)
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


def stage_and_copy(con: object, relative: Path, stage: str, stage_columns: str, insert: str) -> None:
    """Expose the Parquet folder $MEDALLION_HOME/`relative` as the external table
    hive.medallion_stage.`stage` and run `insert` (with `{stage}` in it) from it, then drop it."""
    from orchestration.warehouse import fetchall

    fetchall(con, f"drop table if exists hive.medallion_stage.{stage}")
    fetchall(
        con,
        f"create table hive.medallion_stage.{stage} ({stage_columns}) "
        f"with (external_location = 'local:///{relative.as_posix()}', format = 'PARQUET')",
    )
    try:
        fetchall(con, insert.format(stage=f"hive.medallion_stage.{stage}"))
    finally:
        fetchall(con, f"drop table hive.medallion_stage.{stage}")


def _load_trino(source: str, paths: Paths, progress: bool) -> LoadSummary:
    from orchestration.warehouse import TrinoWarehouse, fetchall

    entries = Manifest(paths.landing(source)).entries()
    con = TrinoWarehouse(paths).connect()
    try:
        fetchall(con, "create schema if not exists iceberg.bronze")
        fetchall(con, "create schema if not exists hive.medallion_stage")
        fetchall(con, TRINO_LINES_DDL.format(source=source))
        fetchall(con, TRINO_INGESTIONS_DDL.format(source=source))
        loaded = {r[0] for r in fetchall(con, f"select ingestion_id from iceberg.bronze.{source}_ingestions")}
        todo = [e for e in entries if e.ingestion_id not in loaded]
        total_lines = total_invalid = 0
        for entry in todo:
            loaded_at = datetime.now(UTC)
            relative = Path("trino") / "stage" / f"{source}_lines" / f"ingestion_seq={entry.ingestion_seq:06d}"
            source_path = paths.home / entry.landed_path
            lines, invalid = _write_parquet(entry, source_path, paths.home / relative, loaded_at, progress)
            _check_count(entry, source_path, lines)
            # A landing half-copied by an interrupted load is copied again from scratch.
            fetchall(con, f"delete from iceberg.bronze.{source}_lines where ingestion_seq = {entry.ingestion_seq}")
            stage_and_copy(
                con,
                relative,
                f"{source}_lines_{entry.ingestion_seq:06d}",
                STAGE_COLUMNS,
                f"""
                insert into iceberg.bronze.{source}_lines
                select
                    ingestion_id, ingestion_seq, source_file, source_sha256, line_number, line,
                    is_valid_utf8, raw_base64, line_status,
                    with_timezone(landed_at, 'UTC'), with_timezone(loaded_at, 'UTC')
                from {{stage}}
                """,
            )
            copied = fetchall(
                con,
                f"select count(*) from iceberg.bronze.{source}_lines where ingestion_seq = {entry.ingestion_seq}",
            )[0][0]
            shutil.rmtree(paths.home / relative)
            if copied != entry.line_count:
                raise RuntimeError(
                    f"{source_path}: {entry.line_count} lines landed but {copied} reached "
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
