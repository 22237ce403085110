"""Google BigQuery: bronze appended by load jobs, registries by load jobs, never SQL text.

A landing's Parquet parts (the same as every target's) go up to
`gs://$MEDALLION_BQ_BUCKET/medallion/bronze/<table>/<partition>=N/` and reach
the table by one load job; without a bucket (an emulator, say) each part goes
up with a load job of its own.

Configuration, all from the environment (see the README's settings table):
  MEDALLION_BQ_PROJECT          project id (required)
  MEDALLION_BQ_BUCKET           GCS bucket for staged Parquet (recommended)
  MEDALLION_BQ_LOCATION         dataset location (default US)
  GOOGLE_APPLICATION_CREDENTIALS  a service-account key file, or application-default login
  MEDALLION_BQ_API_ENDPOINT     another API endpoint (an emulator), with anonymous credentials
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestration.settings import Paths, load
from orchestration.warehouse.base import (
    BronzeLoadError,
    BronzeTable,
    Columns,
    ServerWarehouse,
    Tables,
    WarehouseUnavailable,
    parquet_schema,
)
from orchestration.warehouse.bigquery_client import client

TYPES = {
    "varchar": "STRING",
    "integer": "INT64",
    "bigint": "INT64",
    "double": "FLOAT64",
    "boolean": "BOOL",
    "date": "DATE",
    "timestamp with time zone": "TIMESTAMP",
}


class BigQueryWarehouse(ServerWarehouse):
    """Google BigQuery; credentials and project come from the environment (see README)."""

    name = "bigquery"

    def __init__(self, paths: Paths):
        self.paths = paths
        self.config = load().bigquery
        self.project = self.config.project
        self._bq: Any = None

    def _require(self) -> None:
        if not self.project:
            raise WarehouseUnavailable(
                "MEDALLION_TARGET=bigquery needs MEDALLION_BQ_PROJECT (and credentials: "
                "GOOGLE_APPLICATION_CREDENTIALS for a service account, or `gcloud auth application-default login`)"
            )

    def _client(self) -> Any:
        """One client per warehouse object (finding credentials and making a client is not free, and a gate
        asks twice: for its dataset and for silver's watermark)."""
        self._require()
        if self._bq is None:
            self._bq = client(self.project)
        return self._bq

    def connect(self, read_only: bool = True) -> Any:
        from google.cloud.bigquery import dbapi

        # The Storage Read API pays off for large results; ours are a few rows (answers, registries).
        return dbapi.connect(client=self._client(), prefer_bqstorage_client=False)

    def _dataset(self, bq: Any, name: str) -> None:
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{bq.project}.{name}")
        dataset.location = self.config.location
        bq.create_dataset(dataset, exists_ok=True)

    # --- bronze ---------------------------------------------------------------

    def _bronze(self, bq: Any, table: BronzeTable, extra: Sequence[Any] = ()) -> Any:
        """The bronze table, made with its declared columns and `extra`; an existing one lacking some of them
        (a column a dataset gained when onboarded again, a new CSV column) gains them by a table update before
        the load. (The load job's ALLOW_FIELD_ADDITION would add them on
        BigQuery; the bqemulator adds columns neither that way nor by an update, so a table made here takes
        the first landing's columns from the start.)"""
        from google.cloud import bigquery

        self._dataset(bq, "bronze")
        target = bq.create_table(
            bigquery.Table(f"{bq.project}.{table.relation}", schema=[*_schema(table.columns), *extra]),
            exists_ok=True,
        )
        have = {field.name.lower() for field in target.schema}
        missing = [field for field in [*_schema(table.columns), *extra] if field.name.lower() not in have]
        if missing:
            target.schema = [*target.schema, *missing]
            target = bq.update_table(target, ["schema"])
        return target

    def bronze_partitions(self, table: BronzeTable) -> set[int]:
        from google.api_core.exceptions import NotFound

        bq = self._client()
        try:  # not made here: the first landing's load makes it, with that landing's columns
            target = bq.get_table(f"{bq.project}.{table.relation}")
        except NotFound:
            return set()
        return {row[0] for row in bq.query(f"select distinct {table.partition} from `{target}`").result()}

    def append_parts(self, table: BronzeTable, seq: int, folder: Path) -> int:
        from google.cloud import bigquery

        bq = self._client()
        target = self._bronze(bq, table, self._new_columns(table, folder))
        # A landing half-loaded by an interrupted run is loaded again from scratch.
        self._run(bq, f"delete from `{target}` where {table.partition} = @seq", seq)
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            schema_update_options=[bigquery.SchemaUpdateOption.ALLOW_FIELD_ADDITION],
        )
        bucket = self.config.bucket
        if bucket:
            uri = _upload(self.project, bucket, folder, f"medallion/bronze/{table.name}/{folder.name}")
            bq.load_table_from_uri(uri, target, job_config=config).result()
        else:
            for part in sorted(folder.glob("*.parquet")):
                with part.open("rb") as handle:
                    bq.load_table_from_file(handle, target, job_config=config).result()
        rows = self._run(bq, f"select count(*) from `{target}` where {table.partition} = @seq", seq)
        return int(next(iter(rows))[0])

    @staticmethod
    def _new_columns(table: BronzeTable, folder: Path) -> list[Any]:
        """The columns a landing brings beyond the table's declared ones (a delivered CSV's value columns), as
        BigQuery fields; BronzeLoadError naming the column if BigQuery cannot hold it."""
        from google.cloud import bigquery

        declared = {name.lower() for name in table.columns}
        extra = [(name, kind) for name, kind in parquet_schema(folder) if name.lower() not in declared]
        for name, kind in extra:
            problem = column_name_problem(name)
            if problem or kind.lower() not in TYPES:
                fix = "rename it" if problem else "deliver it as text"
                raise BronzeLoadError(
                    f"column {name!r} cannot be a BigQuery column: {problem or f'type {kind}'}; {fix} in the "
                    "delivery and land it again (this landing stays as delivered, and stops this table's load)"
                )
        return [bigquery.SchemaField(name, TYPES[kind.lower()]) for name, kind in extra]

    def finish_bronze(self, table: BronzeTable) -> None:
        self._bronze(self._client(), table)

    @staticmethod
    def _run(bq: Any, sql: str, seq: int) -> Any:
        from google.cloud import bigquery

        parameters = [bigquery.ScalarQueryParameter("seq", "INT64", seq)]
        return bq.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=parameters)).result()

    # --- registries -----------------------------------------------------------

    def replace_tables(self, tables: Tables) -> None:
        self._write(tables, replace=True)

    def append_rows(self, tables: Tables) -> None:
        self._write(tables, replace=False)

    def _write(self, tables: Tables, replace: bool) -> None:
        from google.cloud import bigquery

        bq = self._client()
        for name, (columns, rows) in tables.items():
            self._dataset(bq, name.split(".")[0])
            config = bigquery.LoadJobConfig(
                schema=_schema(columns),
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=(
                    bigquery.WriteDisposition.WRITE_TRUNCATE if replace else bigquery.WriteDisposition.WRITE_APPEND
                ),
            )
            with tempfile.TemporaryDirectory() as scratch:
                part = Path(scratch) / "rows.parquet"
                _typed_parquet(columns, rows, part)
                with part.open("rb") as handle:
                    bq.load_table_from_file(handle, f"{bq.project}.{name}", job_config=config).result()

    # --- the gates ------------------------------------------------------------

    def sqlalchemy_url(self) -> str:
        """sqlalchemy-bigquery on this target's client (see bigquery_dialect.py); unqualified names are looked
        up in the gates' dataset `quality`."""
        from orchestration.warehouse.bigquery_dialect import url_for

        self._require()
        return url_for(self.project, "quality")

    def gate_sql(self, sql: str) -> str:
        """A gate's batch query, written once for every target in the SQL DuckDB and Trino share (`cast(x as
        double)`, `interval '1' hour`), in GoogleSQL: translated by sqlglot, which reads Trino's dialect. An
        interval's quoted count is written as a number (`INTERVAL 1 HOUR`), the form the GoogleSQL reference
        gives for one date part ("Interval type")."""
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="trino")
        for interval in tree.find_all(exp.Interval):
            count = interval.this
            if isinstance(count, exp.Literal) and count.is_string and count.this.lstrip("-").isdigit():
                interval.set("this", exp.Literal.number(count.this))
        return tree.sql(dialect="bigquery")

    def gate_view(self, connection: Any, schema: str, view: str, sql: str) -> None:
        """The view a gate's suite reads, in a dataset made with the target's location (a query may join
        datasets of one location only; CREATE SCHEMA would take the project's default)."""
        import sqlalchemy as sa

        self._dataset(self._client(), schema)
        connection.execute(sa.text(f"create or replace view `{schema}`.`{view}` as {self.gate_sql(sql)}"))

    def max_or_zero(self, connection: Any, schema: str, table: str, column: str) -> int:
        """Whether the table exists is asked of the API (tables.get): through the DB-API, the bqemulator answers
        a query on a missing table with no rows where BigQuery raises notFound."""
        import sqlalchemy as sa
        from google.api_core.exceptions import NotFound

        try:
            self._client().get_table(f"{self.project}.{schema}.{table}")
        except NotFound:
            return 0
        return int(
            connection.execute(sa.text(f"select coalesce(max({column}), 0) from `{schema}`.`{table}`")).scalar_one()
        )

    def is_missing_relation(self, exc: BaseException) -> bool:
        text = str(exc)
        return "Not found: Table" in text or "Not found: Dataset" in text

    def location(self) -> str:
        return f"bigquery://{self.project}"


# Besides letters, marks, digits, connectors (`_`) and dashes, what BigQuery's flexible column names may hold
# (BigQuery docs, "Specifying a schema" > "Flexible column names"); at most 300 characters.
FLEXIBLE_NAME_PUNCTUATION = set(" &%=+:'<>#|")
RESERVED_PREFIXES = ("_TABLE_", "_FILE_", "_PARTITION", "_ROW_TIMESTAMP", "__ROOT__", "_COLON_")


def column_name_problem(name: str) -> str | None:
    """Why `name` cannot be a BigQuery column name, or None."""
    import unicodedata

    if not name:
        return "it is empty"
    if len(name) > 300:
        return "longer than 300 characters"
    reserved = next((p for p in RESERVED_PREFIXES if name.upper().startswith(p)), None)
    if reserved:
        return f"BigQuery reserves names starting {reserved}"
    bad = sorted(
        {
            ch
            for ch in name
            if not (unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) in ("Pc", "Pd"))
            and ch not in FLEXIBLE_NAME_PUNCTUATION
        }
    )
    return f"it holds {' '.join(bad)}" if bad else None


def _schema(columns: Columns) -> list[Any]:
    from google.cloud import bigquery

    return [bigquery.SchemaField(name, TYPES[kind.lower()]) for name, kind in columns.items()]


def _upload(project: str, bucket_name: str, folder: Path, prefix: str) -> str:
    from google.cloud import storage

    bucket = storage.Client(project=project).bucket(bucket_name)
    for part in sorted(folder.glob("*.parquet")):
        bucket.blob(f"{prefix}/{part.name}").upload_from_filename(str(part))
    return f"gs://{bucket_name}/{prefix}/*.parquet"


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
