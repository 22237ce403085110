"""The Dagster instance's storage: Dagster's own SQLite storage, with its connections kept open.

Dagster's SQLite storages open a new SQLAlchemy engine for every statement they
run and close it afterwards (`NullPool`): creating an engine costs more than
the write it makes, and a build writes a few hundred events (every step's
start and end, every asset and check result, the run's planned assets). That
was about half of a build's wall time on a small delivery. These subclasses keep
one engine per database file, so a connection is opened once and reused; the
files, their schema and every query are Dagster's own, so `dagster dev`, the
daemon and `medallion build` share one instance as before (SQLite locks per
transaction across processes, not per connection).

Each storage also checks its database's schema version (Alembic) once per
Dagster release, not on every start: the check reads all of Dagster's migration
scripts. After a Dagster upgrade the first start checks (and Dagster upgrades
as usual with `dagster instance migrate`).

`dagster.yaml` in the instance folder (written by `Paths.ensure_dagster_home`)
names these classes with `base_dir: {env: DAGSTER_HOME}`; the database files
stay where Dagster's default puts them under it (`history/runs.db`,
`history/runs/<run>.db`, `schedules/schedules.db`), so an instance moves with
its folder.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# Run shards whose engines stay open at once (a webserver reads many runs; a build writes one).
OPEN_SHARDS = 8


def _engine(conn_string: str) -> Engine:
    """An engine that keeps its SQLite connections open between uses, for any thread. Dagster keeps its
    databases in WAL mode; `synchronous=NORMAL` lets a commit skip its fsync (the WAL is synced at each
    checkpoint): the database stays consistent whatever happens, and only a power cut can lose the last few
    events written before it, not a crash of the process."""
    engine = create_engine(
        conn_string,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        pool_size=2,
        max_overflow=8,
    )
    event.listen(engine, "connect", _on_connect)
    return engine


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _checked_marker(base_dir: str) -> Path:
    return Path(base_dir) / ".medallion-schema-checked"


def _schema_checked(base_dir: str, database: str) -> bool:
    """Whether this Dagster release already checked the schema of `database` in `base_dir`."""
    marker = _checked_marker(base_dir)
    return (Path(base_dir) / database).exists() and marker.exists() and marker.read_text() == dagster.__version__


def _mark_checked(base_dir: str) -> None:
    _checked_marker(base_dir).write_text(dagster.__version__)


class _OneEngine:
    """What the run and schedule storages share: connections from one engine, and the schema checked once
    per Dagster release. `FOLDER` is the storage's folder under `base_dir`, `DATABASE` its database name."""

    FOLDER: str
    DATABASE: str

    def __init__(self, conn_string: str, inst_data: Any = None) -> None:
        super().__init__(conn_string, inst_data)  # the SQLite storage it is mixed into
        self._pooled = _engine(conn_string)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> Any:
        base_dir = str(Path(config_value["base_dir"]) / cls.FOLDER)
        if _schema_checked(base_dir, f"{cls.DATABASE}.db"):
            from dagster._core.storage.sqlite import create_db_conn_string

            return cls(create_db_conn_string(base_dir, cls.DATABASE), inst_data)
        storage = cls.from_local(base_dir, inst_data=inst_data)
        _mark_checked(base_dir)
        return storage

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._pooled.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._pooled.dispose()


class PooledSqliteRunStorage(_OneEngine, SqliteRunStorage):
    """Dagster's SQLite run storage (`history/runs.db`) on one engine."""

    FOLDER = "history"
    DATABASE = "runs"


class PooledSqliteScheduleStorage(_OneEngine, SqliteScheduleStorage):
    """Dagster's SQLite schedule and sensor storage (`schedules/schedules.db`) on one engine."""

    FOLDER = "schedules"
    DATABASE = "schedules"


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (a database per run, and `index.db` across runs), an engine per database,
    the most recently used `OPEN_SHARDS` of them kept open."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(str(Path(config_value["base_dir"]) / "history" / "runs"), inst_data=inst_data)

    def _shard_engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None) or _engine(self.conn_string_for_shard(shard))
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has `table_name`. Dagster asks before every asset check event; a table
        once there stays, so a yes is remembered."""
        if table_name not in self._tables:
            engine = self._shard_engine(INDEX_SHARD_NAME)
            with engine.connect() as conn:
                if engine.dialect.has_table(conn, table_name):
                    self._tables.add(table_name)
        return table_name in self._tables

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._shard_engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
