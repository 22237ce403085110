"""The warehouse behind the current target (MEDALLION_TARGET): DuckDB, Trino or BigQuery.

Everything outside dbt that touches the warehouse goes through here: reading
gold (answers, versions, charts), the Great Expectations connection, the
small registries Python writes (`replace_tables`, always with bound values,
never values spliced into SQL text), and which errors mean "that table does
not exist yet". dbt reaches the same warehouse through the output of the same
name in profiles.example.yml.

Readers never wait for a build. DuckDB allows one writing process or many
reading ones per file, so on DuckDB every publish also writes gold (current
views, versions and the registry) into a snapshot file of its own,
`$MEDALLION_HOME/serving/published.duckdb`, replaced atomically; `medallion
answers`, `versions` and `forecast` read that file and never touch the
warehouse a build holds. Trino and BigQuery serve readers during writes
themselves.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from orchestration.settings import Paths, target_name
from orchestration.warehouse.sqltext import quote_identifier

# A small table Python writes whole: {column: type}, rows as dicts (ISO strings for times).
Columns = dict[str, str]

TARGETS = ("duckdb", "trino", "bigquery")


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached, or holds nothing yet."""


class Warehouse(Protocol):
    name: str

    def connect(self) -> Any: ...

    def connect_gold(self) -> Any: ...

    def replace_tables(self, tables: dict[str, tuple[Columns, list[dict[str, Any]]]]) -> None: ...

    def sqlalchemy_url(self) -> str: ...

    def is_missing_relation(self, exc: BaseException) -> bool: ...

    def location(self) -> str: ...


def fetchall(con: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one query on a DB-API connection (DuckDB or Trino; both use `?` parameters)."""
    cur = con.cursor()
    try:
        cur.execute(sql, list(params)) if params else cur.execute(sql)
        return [tuple(row) for row in cur.fetchall()]
    finally:
        cur.close()


class DuckDBWarehouse:
    name = "duckdb"

    def __init__(self, paths: Paths):
        self.paths = paths

    def connect(self, read_only: bool = True) -> Any:
        import duckdb

        if read_only and not self.paths.warehouse.exists():
            raise WarehouseUnavailable(
                f"{self.paths.warehouse}: no warehouse yet; run `medallion land tweets FILE` and `medallion build`"
            )
        self.paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.paths.warehouse), read_only=read_only)

    def connect_gold(self) -> Any:
        """Gold for readers: the snapshot of the last publish, or (before the first snapshot) the warehouse."""
        import duckdb

        if self.paths.serving.exists():
            return duckdb.connect(str(self.paths.serving), read_only=True)
        try:
            return self.connect(read_only=True)
        except duckdb.IOException as exc:
            raise WarehouseUnavailable(
                f"{self.paths.warehouse} is busy (a build is running) and nothing has been published yet; "
                "try again when the build has finished"
            ) from exc

    def replace_tables(self, tables: dict[str, tuple[Columns, list[dict[str, Any]]]]) -> None:
        import pandas as pd

        con = self.connect(read_only=False)
        try:
            for name, (columns, rows) in tables.items():
                frame = pd.DataFrame(
                    [{c: r.get(c) for c in columns} for r in rows], columns=list(columns), dtype=object
                )
                con.register("medallion_rows", frame)
                typed = ", ".join(f'cast("{column}" as {kind}) as "{column}"' for column, kind in columns.items())
                con.execute(f"create schema if not exists {name.split('.')[0]}")
                con.execute(f"create or replace table {name} as select {typed} from medallion_rows")
                con.unregister("medallion_rows")
        finally:
            con.close()

    def ensure_snapshot(self) -> None:
        """A home published before snapshots existed gets one, so that readers leave its builds alone.
        Called by a build as it starts (it holds the home's build lock)."""
        import duckdb

        if self.paths.serving.exists() or not self.paths.warehouse.exists():
            return
        con = duckdb.connect(str(self.paths.warehouse), read_only=True)
        try:
            published = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'gold' and table_name = 'versions'"
            ).fetchone()[0]
        finally:
            con.close()
        if published:
            self.publish_snapshot()

    def publish_snapshot(self) -> Path:
        """Write gold as it is now (views materialized, only registered versions) to a new file and
        make it the one readers open. Called right after a publish, by the process that built it."""

        folder = self.paths.serving.parent
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".published-{os.getpid()}.duckdb"
        for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
            stale.unlink(missing_ok=True)
        con = self.connect(read_only=False)
        try:
            con.execute("attach ? as serving", [str(tmp)])
            con.execute("create schema serving.gold")
            relations = [
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables"
                    " where table_catalog = current_database() and table_schema = 'gold' order by table_name"
                ).fetchall()
            ]
            registered = "versions" in relations
            for relation in relations:
                source = f"gold.{quote_identifier(relation)}"
                where = (
                    " where version_id in (select version_id from gold.versions)"
                    if registered and relation.endswith("__versions")
                    else ""
                )
                con.execute(f"create table serving.{source} as select * from {source}{where}")
            con.execute("detach serving")
        finally:
            con.close()
        os.replace(tmp, self.paths.serving)
        return self.paths.serving

    def sqlalchemy_url(self) -> str:
        from orchestration.quality.duckdb_dialect import url_for  # registers duckdb+buffered

        return url_for(str(self.paths.warehouse))

    def is_missing_relation(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(exc, duckdb.CatalogException)

    def location(self) -> str:
        return str(self.paths.warehouse)


class TrinoWarehouse:
    """Trino's `iceberg` catalog; start it with `medallion trino up`."""

    name = "trino"
    catalog = "iceberg"

    def __init__(self, paths: Paths):
        from orchestration.warehouse.trino_stack import TrinoSettings

        self.paths = paths
        self.settings = TrinoSettings.from_env()

    def connect(self, read_only: bool = True) -> Any:
        import trino

        con = trino.dbapi.connect(
            host=self.settings.host,
            port=self.settings.port,
            user=self.settings.user,
            catalog=self.catalog,
            http_scheme="http",
            request_timeout=600,
        )
        try:
            fetchall(con, "select 1")
        except Exception as exc:
            con.close()
            raise WarehouseUnavailable(
                f"Trino does not answer on {self.settings.host}:{self.settings.port} ({type(exc).__name__}); "
                "start it with `make trino-up` (or `medallion trino up`)"
            ) from exc
        return con

    def connect_gold(self) -> Any:
        return self.connect()

    def replace_tables(self, tables: dict[str, tuple[Columns, list[dict[str, Any]]]]) -> None:
        con = self.connect()
        try:
            for name, (columns, rows) in tables.items():
                fetchall(con, f"create schema if not exists {self.catalog}.{name.split('.')[0]}")
                definition = ", ".join(f'"{column}" {trino_type(kind)}' for column, kind in columns.items())
                fetchall(con, f"create or replace table {self.catalog}.{name} ({definition})")
                slots = "(" + ", ".join(_trino_slot(kind) for kind in columns.values()) + ")"
                for start in range(0, len(rows), TRINO_ROWS_PER_INSERT):
                    chunk = rows[start : start + TRINO_ROWS_PER_INSERT]
                    fetchall(
                        con,
                        f"insert into {self.catalog}.{name} values " + ", ".join([slots] * len(chunk)),
                        [_trino_value(row.get(column), kind) for row in chunk for column, kind in columns.items()],
                    )
        finally:
            con.close()

    def sqlalchemy_url(self) -> str:
        return f"trino://{self.settings.user}@{self.settings.host}:{self.settings.port}/{self.catalog}"

    def is_missing_relation(self, exc: BaseException) -> bool:
        from trino.exceptions import TrinoUserError

        return isinstance(exc, TrinoUserError) and exc.error_name in {"TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND"}

    def location(self) -> str:
        return f"trino://{self.settings.host}:{self.settings.port}/{self.catalog}"


class BigQueryWarehouse:
    """Google BigQuery; credentials and project come from the environment (see README)."""

    name = "bigquery"

    def __init__(self, paths: Paths):
        self.paths = paths
        self.project = os.environ.get("MEDALLION_BQ_PROJECT", "")

    def _require(self) -> None:
        if not self.project:
            raise WarehouseUnavailable(
                "MEDALLION_TARGET=bigquery needs MEDALLION_BQ_PROJECT (and credentials: "
                "GOOGLE_APPLICATION_CREDENTIALS for a service account, or `gcloud auth application-default login`)"
            )

    def connect(self, read_only: bool = True) -> Any:
        self._require()
        from google.cloud.bigquery import dbapi

        from orchestration.warehouse.bigquery import client

        return dbapi.connect(client=client(self.project))

    def connect_gold(self) -> Any:
        return self.connect()

    def replace_tables(self, tables: dict[str, tuple[Columns, list[dict[str, Any]]]]) -> None:
        self._require()
        from google.cloud import bigquery

        from orchestration.warehouse.bigquery import client

        bq = client(self.project)
        for name, (columns, rows) in tables.items():
            dataset = bigquery.Dataset(f"{bq.project}.{name.split('.')[0]}")
            dataset.location = os.environ.get("MEDALLION_BQ_LOCATION", "US")
            bq.create_dataset(dataset, exists_ok=True)
            schema = [bigquery.SchemaField(column, BIGQUERY_TYPES[kind]) for column, kind in columns.items()]
            config = bigquery.LoadJobConfig(
                schema=schema,
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            )
            with tempfile.TemporaryDirectory() as scratch:
                part = Path(scratch) / "rows.parquet"
                _typed_parquet(columns, rows, part)
                with part.open("rb") as handle:
                    bq.load_table_from_file(handle, f"{bq.project}.{name}", job_config=config).result()

    def sqlalchemy_url(self) -> str:
        raise WarehouseUnavailable(
            "the Great Expectations gates do not run on BigQuery yet: this project does not pin "
            "the sqlalchemy-bigquery dialect, so a BigQuery build cannot be gated"
        )

    def is_missing_relation(self, exc: BaseException) -> bool:
        return "Not found: Table" in str(exc) or "Not found: Dataset" in str(exc)

    def location(self) -> str:
        return f"bigquery://{self.project}"


def _typed_parquet(columns: Columns, rows: list[dict[str, Any]], target: Path) -> None:
    """`rows` as a Parquet file with the column types of `columns` (a BigQuery load job's input)."""
    import duckdb
    import pandas as pd

    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns), dtype=object)
    typed = ", ".join(f'cast("{column}" as {kind}) as "{column}"' for column, kind in columns.items())
    scratch = duckdb.connect()
    try:
        scratch.register("medallion_rows", frame)
        scratch.sql(f"select {typed} from medallion_rows").write_parquet(str(target))
    finally:
        scratch.close()


TRINO_ROWS_PER_INSERT = 200
BIGQUERY_TYPES = {
    "varchar": "STRING",
    "integer": "INT64",
    "bigint": "INT64",
    "date": "DATE",
    "timestamp with time zone": "TIMESTAMP",
}


def trino_type(kind: str) -> str:
    """Iceberg keeps microseconds; Trino's default timestamp precision is 3."""
    return "timestamp(6) with time zone" if kind == "timestamp with time zone" else kind


def _trino_slot(kind: str) -> str:
    if kind == "timestamp with time zone":
        return "cast(from_iso8601_timestamp_nanos(?) as timestamp(6) with time zone)"
    return f"cast(? as {kind})"


def _trino_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "timestamp with time zone":
        return str(value).replace(" ", "T")
    if kind == "date":
        return str(value)
    return value


def current(paths: Paths) -> DuckDBWarehouse | TrinoWarehouse | BigQueryWarehouse:
    name = target_name()
    if name == "duckdb":
        return DuckDBWarehouse(paths)
    if name == "trino":
        return TrinoWarehouse(paths)
    if name == "bigquery":
        return BigQueryWarehouse(paths)
    raise WarehouseUnavailable(f"MEDALLION_TARGET={name!r}: expected one of {', '.join(TARGETS)}")
