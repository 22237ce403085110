"""Bronze for the forecast source (DuckDB): landed pulls and municipality files, as delivered.

* `bronze.forecast_records`: one row per record of every landed pull, every field
  as the text the service sent, plus the record as JSON and the pull's lineage.
* `bronze.forecast_pulls`: one row per landed pull (fetched-at, URL, HTTP status,
  sha256, record count); `bronze.forecast_pull_failures`: the pulls that failed.
* `bronze.municipios_rows`: one row per line of every landed `data.csv`, every
  column as delivered text, with the folder's date and the line number;
  `bronze.municipios_deliveries`: one row per landed file.

Rows live as Parquet under $MEDALLION_HOME/lake/bronze/, one folder per landing,
and the warehouse holds views over them, as for tweets.
"""

from __future__ import annotations

import gzip
import shutil
from dataclasses import asdict
from pathlib import Path

import duckdb
import orjson
import pandas as pd

from orchestration.core.lines import column_list, lake_view, stage_and_copy
from orchestration.settings import Paths, target_name
from orchestration.sources.forecast.landing import MunicipiosLanding, PullLanding, failures
from orchestration.warehouse import TrinoWarehouse, current, fetchall
from orchestration.warehouse.sqltext import quote_identifier

FIELDS = (
    "ides", "idmun", "nes", "nmun", "hloc", "nhor", "temp", "prec", "probprec", "hr",
    "desciel", "velvien", "dirvienc", "dirvieng", "raf", "lat", "lon",
)  # fmt: skip

RECORD_COLUMNS = (
    "pull_id varchar, pull_seq integer, fetched_at timestamp with time zone, url varchar, record_index integer, "
    + ", ".join(f"{name} varchar" for name in FIELDS)
    + ", record varchar"
)
MUNICIPIOS_COLUMNS = (
    "delivery_id varchar, delivery_seq integer, data_date date, line_number integer, Cve_Ent varchar, Cve_Mun varchar"
)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def load_forecast(paths: Paths, landed: list[PullLanding]) -> tuple[int, int]:
    """Write every landed pull not yet in the lake; returns (new pulls, new records)."""
    lake = paths.lake("bronze", "forecast_records")
    new_pulls = new_records = 0
    scratch = duckdb.connect()
    try:
        for entry in landed:
            folder = lake / f"pull_seq={entry.pull_seq:06d}"
            if (folder / "part-00001.parquet").exists():
                continue
            records = orjson.loads(gzip.decompress((paths.home / entry.landed_path).read_bytes()))
            frame = pd.DataFrame(
                {
                    "record_index": pd.Series(range(1, len(records) + 1), dtype="int32"),
                    **{name: pd.Series([_text(r.get(name)) for r in records], dtype="object") for name in FIELDS},
                    "record": pd.Series([orjson.dumps(r).decode() for r in records], dtype="object"),
                }
            )
            tmp = folder.with_name(folder.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            scratch.register("frame", frame)
            scratch.sql(
                f"""select $1::varchar as pull_id, $2::integer as pull_seq,
                        $3::timestamp with time zone as fetched_at, $4::varchar as url, record_index,
                        {", ".join(f"{name}::varchar as {name}" for name in FIELDS)}, record::varchar as record
                    from frame""",
                params=[entry.pull_id, entry.pull_seq, entry.fetched_at, entry.url],
            ).write_parquet(str(tmp / "part-00001.parquet"), compression="zstd")
            scratch.unregister("frame")
            tmp.rename(folder)
            new_pulls += 1
            new_records += len(records)
    finally:
        scratch.close()
    return new_pulls, new_records


def load_municipios(paths: Paths, delivered: list[MunicipiosLanding]) -> tuple[int, int]:
    """Write every landed data.csv not yet in the lake; returns (new files, new rows)."""
    lake = paths.lake("bronze", "municipios_rows")
    new_files = new_rows = 0
    scratch = duckdb.connect()
    try:
        for entry in delivered:
            folder = lake / f"delivery_seq={entry.delivery_seq:06d}"
            if (folder / "part-00001.parquet").exists():
                continue
            tmp = folder.with_name(folder.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            csv_path = paths.home / entry.landed_path
            scratch.sql(
                """select $1::varchar as delivery_id, $2::integer as delivery_seq, $3::date as data_date,
                        (row_number() over ())::integer + 1 as line_number, *
                    from read_csv(
                        $4, header = true, all_varchar = true, parallel = false,
                        delim = ',', quote = '"', escape = '"'
                    )""",
                params=[entry.delivery_id, entry.delivery_seq, entry.data_date, str(csv_path)],
            ).write_parquet(str(tmp / "part-00001.parquet"), compression="zstd")
            tmp.rename(folder)
            new_files += 1
            new_rows += entry.rows
    finally:
        scratch.close()
    return new_files, new_rows


# The landing registries, as small warehouse tables with explicit types.
PULLS = {
    "pull_id": "varchar", "pull_seq": "integer", "fetched_at": "timestamp with time zone", "url": "varchar",
    "http_status": "integer", "sha256": "varchar", "records": "bigint", "body_bytes": "bigint",
    "attempts": "varchar", "landed_at": "timestamp with time zone", "landed_path": "varchar",
}  # fmt: skip
FAILURES = {
    "fetched_at": "timestamp with time zone",
    "url": "varchar",
    "error": "varchar",
    "at": "timestamp with time zone",
}
DELIVERIES = {
    "delivery_id": "varchar", "delivery_seq": "integer", "data_date": "date", "origin": "varchar",
    "sha256": "varchar", "rows": "bigint", "landed_at": "timestamp with time zone", "landed_path": "varchar",
}  # fmt: skip


def registries(paths: Paths, what: str, entries: list[PullLanding] | list[MunicipiosLanding]) -> dict:
    """The landing registries of the forecast (what='forecast') or municipality files (what='municipios'),
    as small warehouse tables with explicit types: the `entries` just loaded, never ones landed since."""
    if what == "forecast":
        return {
            "bronze.forecast_pulls": (PULLS, [asdict(p) for p in entries]),
            "bronze.forecast_pull_failures": (FAILURES, failures(paths)),
        }
    return {"bronze.municipios_deliveries": (DELIVERIES, [asdict(d) for d in entries])}


def refresh_warehouse(paths: Paths, what: str, entries: list[PullLanding] | list[MunicipiosLanding]) -> None:
    """DuckDB: views over the lake, and the landing registries."""
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("create schema if not exists bronze")
        lake_view(
            con,
            "bronze.forecast_records",
            paths.lake("bronze", "forecast_records"),
            "pull_seq",
            column_list(RECORD_COLUMNS),
        )
        lake_view(
            con,
            "bronze.municipios_rows",
            paths.lake("bronze", "municipios_rows"),
            "delivery_seq",
            column_list(MUNICIPIOS_COLUMNS),
        )
    finally:
        con.close()
    current(paths).replace_tables(registries(paths, what, entries))


# --- Trino + Iceberg -------------------------------------------------------
#
# The Parquet parts above are exposed to Trino as external tables of its
# `hive` catalog and copied into Iceberg with one INSERT ... SELECT per pull or
# file; the registries are rewritten whole (they are a few rows).


def sync_trino(paths: Paths, what: str, entries: list[PullLanding] | list[MunicipiosLanding]) -> None:
    """Copy every pull (what='forecast') or municipality file (what='municipios') of the lake not yet
    in Iceberg, and rewrite that source's registries."""
    warehouse = TrinoWarehouse(paths)
    con = warehouse.connect()
    try:
        fetchall(con, "create schema if not exists iceberg.bronze")
        fetchall(con, "create schema if not exists hive.medallion_stage")
        if what == "forecast":
            _sync_pulls(con, paths, entries)
        else:
            _sync_municipios(con, paths, entries)
    finally:
        con.close()
    warehouse.replace_tables(registries(paths, what, entries))


def _sync_pulls(con: object, paths: Paths, landed: list[PullLanding]) -> None:
    fields = ", ".join(f"{name} varchar" for name in FIELDS)
    fetchall(
        con,
        "create table if not exists iceberg.bronze.forecast_records (pull_id varchar, pull_seq integer, "
        f"fetched_at timestamp(6) with time zone, url varchar, record_index integer, {fields}, record varchar) "
        "with (partitioning = array['pull_seq'])",
    )
    loaded = {r[0] for r in fetchall(con, "select distinct pull_seq from iceberg.bronze.forecast_records")}
    for entry in landed:
        folder = Path("lake") / "bronze" / "forecast_records" / f"pull_seq={entry.pull_seq:06d}"
        if entry.pull_seq in loaded or not (paths.home / folder).is_dir():
            continue
        stage_and_copy(
            con,
            folder,
            f"forecast_records_{entry.pull_seq:06d}",
            "pull_id varchar, pull_seq integer, fetched_at timestamp(6), url varchar, record_index integer, "
            f"{fields}, record varchar",
            f"insert into iceberg.bronze.forecast_records select pull_id, pull_seq, "
            f"with_timezone(fetched_at, 'UTC'), url, record_index, {', '.join(FIELDS)}, record",
        )


def _sync_municipios(con: object, paths: Paths, delivered: list[MunicipiosLanding]) -> None:
    fetchall(
        con,
        "create table if not exists iceberg.bronze.municipios_rows (delivery_id varchar, delivery_seq integer, "
        "data_date date, line_number integer, cve_ent varchar, cve_mun varchar)",
    )
    loaded = {r[0] for r in fetchall(con, "select distinct delivery_seq from iceberg.bronze.municipios_rows")}
    have = {r[0] for r in fetchall(con, "describe iceberg.bronze.municipios_rows")}
    lineage = {"delivery_id": "varchar", "delivery_seq": "integer", "data_date": "date", "line_number": "integer"}
    for entry in delivered:
        if entry.delivery_seq in loaded:
            continue
        lake = paths.lake("bronze", "municipios_rows") / f"delivery_seq={entry.delivery_seq:06d}"
        if not lake.is_dir():
            continue
        # Hive (the staging catalog) takes no comma in a column name, a delivered header may hold one: the
        # staging copy names its columns by position, and the insert puts each where it belongs.
        relative = Path("trino") / "stage" / "municipios_rows" / f"delivery_seq={entry.delivery_seq:06d}"
        scratch = duckdb.connect()
        try:
            parts = str(lake / "*.parquet")
            read = "read_parquet($1, hive_partitioning = false)"  # the folder's name is no column
            names = [r[0] for r in scratch.sql(f"describe select * from {read}", params=[parts]).fetchall()]
            positional = ", ".join(f"{quote_identifier(n)} as c{i}" for i, n in enumerate(names))
            (paths.home / relative).mkdir(parents=True, exist_ok=True)
            scratch.sql(f"select {positional} from {read}", params=[parts]).write_parquet(
                str(paths.home / relative / "part-00001.parquet")
            )
        finally:
            scratch.close()
        names = [n.lower() for n in names]
        for name in names:
            if name not in have:  # a file with new value columns widens the table
                fetchall(con, f"alter table iceberg.bronze.municipios_rows add column {quote_identifier(name)} varchar")
                have.add(name)
        try:
            stage_and_copy(
                con,
                relative,
                f"municipios_rows_{entry.delivery_seq:06d}",
                ", ".join(f"c{i} {lineage.get(n, 'varchar')}" for i, n in enumerate(names)),
                f"insert into iceberg.bronze.municipios_rows ({', '.join(quote_identifier(n) for n in names)}) "
                f"select {', '.join(f'c{i}' for i in range(len(names)))}",
            )
        finally:
            shutil.rmtree(paths.home / relative, ignore_errors=True)


def publish(paths: Paths, what: str, entries: list[PullLanding] | list[MunicipiosLanding]) -> None:
    """Make the lake's forecast (what='forecast') or municipality (what='municipios') bronze visible
    in the current target's warehouse."""
    if target_name() == "trino":
        sync_trino(paths, what, entries)
    else:
        refresh_warehouse(paths, what, entries)
