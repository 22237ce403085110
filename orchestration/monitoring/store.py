"""The monitoring record: a SQLite file under the home, written by builds, sensors and `medallion status`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import Paths

# Each table as the warehouse's `ops.<table>` has it too: column -> SQL type (also the SQLite affinity).
TABLES: dict[str, dict[str, str]] = {
    "incidents": {
        "id": "bigint",
        "kind": "varchar",  # build_failed | gate_failed | source_stale | pull_failed
        "source": "varchar",
        "subject": "varchar",  # what failed: a step, a gate; empty for a stale source or a failed pull
        "opened_at": "timestamp with time zone",
        "last_seen_at": "timestamp with time zone",
        "occurrences": "bigint",
        "detail": "varchar",
        "resolved_at": "timestamp with time zone",
        "last_alerted_at": "timestamp with time zone",
        "last_key": "varchar",  # what was last counted as an occurrence (a run, a failed pull): counted once
    },
    "build_runs": {
        "run_id": "varchar",
        "target": "varchar",
        "sources": "varchar",  # comma-separated
        "started_at": "timestamp with time zone",
        "finished_at": "timestamp with time zone",
        "seconds": "double",
        "status": "varchar",  # succeeded | failed
        "gold_version": "varchar",
        "gates_passed": "bigint",
        "gates_failed": "bigint",
        "failures": "varchar",  # one line per failure
    },
    "build_steps": {
        "run_id": "varchar",
        "step": "varchar",
        "source": "varchar",  # the asset group the step's assets belong to (several: comma-separated)
        "started_at": "timestamp with time zone",
        "finished_at": "timestamp with time zone",
        "seconds": "double",
        "status": "varchar",  # succeeded | failed | skipped
        "rows": "bigint",  # rows the step reported (a loader's delivery rows), when it reports them
        "gates_passed": "bigint",
        "gates_failed": "bigint",
    },
    "layer_rows": {  # after a good build: the rows of each relation of each source, by layer
        "run_id": "varchar",
        "source": "varchar",
        "layer": "varchar",  # bronze | silver | gold (the current version)
        "relation": "varchar",
        "rows": "bigint",
    },
    "alerts": {
        "sent_at": "timestamp with time zone",  # queued, then tried (a claim: see incidents.deliver_pending)
        "incident_id": "bigint",
        "event": "varchar",
        "channel": "varchar",
        "delivered": "boolean",  # null: not tried yet (sent by the next look if this process dies first)
        "attempts": "bigint",
        "error": "varchar",
        "payload": "varchar",  # the event as JSON, as sent
    },
}

_SQLITE_TYPES = {"bigint": "integer", "double": "real", "boolean": "integer"}


def path(paths: Paths) -> Path:
    return paths.home / "state" / "monitoring.sqlite"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def from_timestamp(seconds: float) -> datetime:
    """A POSIX time as the record keeps times: naive UTC."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def stamp(moment: datetime) -> str:
    """A UTC time as the record keeps it (ISO, seconds with microseconds, no offset: all of them are UTC)."""
    return moment.isoformat(timespec="microseconds")


def utc(text: str | None) -> str | None:
    """A recorded time as others read it: ISO with its offset (`Z`)."""
    return None if text is None else text + "Z"


@contextmanager
def connect(paths: Paths, write: bool = True) -> Iterator[sqlite3.Connection]:
    """The record, created when missing; one transaction, committed on success. A writer takes the write
    lock at once (`begin immediate`: two writers never both read, then both write); a reader does not."""
    file = path(paths)
    file.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(file, timeout=60, isolation_level=None)
    con.row_factory = sqlite3.Row
    try:
        con.execute("pragma journal_mode = wal")
        con.execute("begin immediate" if write or not file.stat().st_size else "begin")
        for table, columns in TABLES.items():
            body = ", ".join(f"{name} {_SQLITE_TYPES.get(kind, 'text')}" for name, kind in columns.items())
            key = ", primary key (id)" if table == "incidents" else ""
            con.execute(f"create table if not exists {table} ({body}{key})")
            have = {row[1] for row in con.execute(f"pragma table_info({table})")}
            for name, kind in columns.items():  # a record an earlier version wrote gains the new columns
                if name not in have:
                    con.execute(f"alter table {table} add column {name} {_SQLITE_TYPES.get(kind, 'text')}")
        yield con
        con.execute("commit")
    except BaseException:
        if con.in_transaction:
            con.execute("rollback")
        raise
    finally:
        con.close()


def rows(paths: Paths, table: str, where: str = "", params: tuple = (), order: str = "") -> list[dict]:
    """Rows of one of the record's tables (`where` and `order` are ours, values bound)."""
    if table not in TABLES:
        raise ValueError(f"no monitoring table {table!r}")
    sql = f"select * from {table}" + (f" where {where}" if where else "") + (f" order by {order}" if order else "")
    with connect(paths, write=False) as con:
        return [dict(row) for row in con.execute(sql, params)]


def publish(paths: Paths) -> None:
    """Copy the record's tables into the warehouse as `ops.<table>` (values bound, never in SQL text)."""
    from orchestration.warehouse import current

    tables = {}
    with connect(paths, write=False) as con:  # one snapshot of every table
        read = {table: [dict(row) for row in con.execute(f"select * from {table}")] for table in TABLES}
    for table, columns in TABLES.items():
        found = read[table]
        for row in found:
            for name, kind in columns.items():
                if kind == "timestamp with time zone" and row[name]:
                    row[name] = datetime.fromisoformat(row[name]).replace(tzinfo=UTC)
                elif kind == "boolean" and row[name] is not None:
                    row[name] = bool(row[name])
        tables[f"ops.{table}"] = (columns, found)
    warehouse = current(paths)
    try:
        warehouse.replace_tables(tables)
    finally:
        warehouse.release()
