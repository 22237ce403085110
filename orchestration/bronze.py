"""Bronze loader: landed files -> `bronze.<source>_lines`, one row per delivered line.

Every line is kept verbatim with its lineage. A line that is not valid UTF-8
is stored with the bad bytes replaced, flagged, and its original bytes kept
in `raw_base64`, so staging can reject it with a reason and nothing is lost.
Loading is idempotent: an ingestion already in bronze is not loaded again.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from orchestration.landing import Landing, Manifest
from orchestration.settings import Paths

BATCH_LINES = 20_000

LINES_DDL = """
create table if not exists bronze.{source}_lines (
    ingestion_id varchar not null,
    ingestion_seq integer not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    line_number bigint not null,
    line varchar not null,
    is_valid_utf8 boolean not null,
    raw_base64 varchar,
    landed_at timestamp with time zone not null,
    loaded_at timestamp with time zone not null
)
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


def _batches(path: Path) -> Iterator[pd.DataFrame]:
    numbers: list[int] = []
    lines: list[str] = []
    valid: list[bool] = []
    raw64: list[str | None] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                text, ok, original = raw.decode("utf-8"), True, None
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "replace")
                ok, original = False, base64.b64encode(raw).decode("ascii")
            numbers.append(number)
            lines.append(text)
            valid.append(ok)
            raw64.append(original)
            if len(numbers) >= BATCH_LINES:
                yield _frame(numbers, lines, valid, raw64)
                numbers, lines, valid, raw64 = [], [], [], []
    if numbers:
        yield _frame(numbers, lines, valid, raw64)


def _frame(numbers: list[int], lines: list[str], valid: list[bool], raw64: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line_number": pd.Series(numbers, dtype="int64"),
            "line": pd.Series(lines, dtype="object"),
            "is_valid_utf8": pd.Series(valid, dtype="bool"),
            "raw_base64": pd.Series(raw64, dtype="object"),
        }
    )


def pending(con: duckdb.DuckDBPyConnection, source: str, entries: list[Landing]) -> list[Landing]:
    loaded = {
        row[0] for row in con.execute(f"select ingestion_id from bronze.{source}_ingestions").fetchall()
    }
    return [e for e in entries if e.ingestion_id not in loaded]


def load_landed(source: str, paths: Paths, progress: bool = True) -> LoadSummary:
    """Load every landed file of `source` that bronze does not hold yet."""
    entries = Manifest(paths.landing(source)).entries()
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists bronze")
        con.execute(LINES_DDL.format(source=source))
        con.execute(INGESTIONS_DDL.format(source=source))
        todo = pending(con, source, entries)
        total_lines = invalid = 0
        for entry in todo:
            total_lines_before = total_lines
            loaded_at = datetime.now(UTC)
            con.execute("begin")
            try:
                with tqdm(
                    total=entry.line_count, unit=" lines", desc=f"bronze {entry.source_file}",
                    disable=not progress,
                ) as bar:
                    for frame in _batches(paths.home / entry.landed_path):
                        con.execute(
                            f"""
                            insert into bronze.{source}_lines
                            select ?, ?, ?, ?, line_number, line, is_valid_utf8, raw_base64,
                                cast(? as timestamp with time zone), ?
                            from frame
                            """,
                            [entry.ingestion_id, entry.ingestion_seq, entry.source_file,
                             entry.sha256, entry.landed_at, loaded_at],
                        )
                        total_lines += len(frame)
                        invalid += int((~frame["is_valid_utf8"]).sum())
                        bar.update(len(frame))
                loaded = total_lines - total_lines_before
                if loaded != entry.line_count:
                    raise RuntimeError(
                        f"{entry.landed_path}: manifest says {entry.line_count} lines, "
                        f"bronze read {loaded}; the landed file changed after landing"
                    )
                con.execute(
                    f"insert into bronze.{source}_ingestions values "
                    "(?, ?, ?, ?, ?, ?, ?, cast(? as timestamp with time zone), ?)",
                    [entry.ingestion_id, entry.ingestion_seq, entry.source_file, entry.origin,
                     entry.sha256, entry.delivered_bytes, entry.line_count, entry.landed_at,
                     loaded_at],
                )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return LoadSummary(ingestions=len(todo), lines=total_lines, invalid_utf8=invalid)
    finally:
        con.close()
