"""Bronze for the forecast source (DuckDB): landed pulls and municipality files, as delivered.

* `bronze.forecast_records`: one row per record of every landed pull, every field
  as the text the service sent, plus the record as JSON and the pull's lineage.
* `bronze.forecast_pulls`: one row per landed pull (fetched-at, URL, HTTP status,
  sha256, record count); `bronze.forecast_pull_failures`: the pulls that failed.
* `bronze.municipios_rows`: one row per line of every landed `data.csv`, every
  column as delivered text, with the folder's date and the line number;
  `bronze.municipios_deliveries`: one row per landed file.

Rows live as Parquet under $MEDALLION_HOME/lake/bronze/, one folder per landing,
loaded into the current target by the shared bronze load, as for tweets.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson

from orchestration.core import bronze
from orchestration.settings import Paths
from orchestration.sources.forecast.landing import MunicipiosLanding, PullLanding, failures
from orchestration.warehouse import BronzeTable, current
from orchestration.warehouse.base import parquet_rows

FIELDS = (
    "ides", "idmun", "nes", "nmun", "hloc", "nhor", "temp", "prec", "probprec", "hr",
    "desciel", "velvien", "dirvienc", "dirvieng", "raf", "lat", "lon",
)  # fmt: skip

RECORDS = BronzeTable(
    "forecast_records",
    "pull_seq",
    {
        "pull_id": "varchar",
        "pull_seq": "integer",
        "fetched_at": "timestamp with time zone",
        "url": "varchar",
        "record_index": "integer",
        **{name: "varchar" for name in FIELDS},
        "record": "varchar",
    },
)
# The lineage and the two key columns; a file's value columns come as delivered (and widen the table).
MUNICIPIOS = BronzeTable(
    "municipios_rows",
    "delivery_seq",
    {
        "delivery_id": "varchar",
        "delivery_seq": "integer",
        "data_date": "date",
        "line_number": "integer",
        "Cve_Ent": "varchar",
        "Cve_Mun": "varchar",
    },
)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _write_pull(paths: Paths, entry: PullLanding, folder: Path) -> int:
    records = orjson.loads(gzip.decompress((paths.home / entry.landed_path).read_bytes()))
    # NumPy columns, which DuckDB scans as a table without importing pandas (0.4 s of every build).
    frame = {
        "record_index": np.arange(1, len(records) + 1, dtype=np.int32),
        **{name: np.array([_text(r.get(name)) for r in records], dtype=object) for name in FIELDS},
        "record": np.array([orjson.dumps(r).decode() for r in records], dtype=object),
    }
    scratch = duckdb.connect()
    try:
        scratch.register("frame", frame)
        scratch.sql(
            f"""select $1::varchar as pull_id, $2::integer as pull_seq,
                    $3::timestamp with time zone as fetched_at, $4::varchar as url, record_index,
                    {", ".join(f"{name}::varchar as {name}" for name in FIELDS)}, record::varchar as record
                from frame""",
            params=[entry.pull_id, entry.pull_seq, entry.fetched_at, entry.url],
        ).write_parquet(str(folder / "part-00001.parquet"), compression="zstd")
    finally:
        scratch.close()
    return len(records)


def _write_municipios(paths: Paths, entry: MunicipiosLanding, folder: Path) -> int:
    scratch = duckdb.connect()
    try:
        scratch.sql(
            """select $1::varchar as delivery_id, $2::integer as delivery_seq, $3::date as data_date,
                    (row_number() over ())::integer + 1 as line_number, *
                from read_csv(
                    $4, header = true, all_varchar = true, parallel = false,
                    delim = ',', quote = '"', escape = '"', comment = ''
                )""",
            params=[entry.delivery_id, entry.delivery_seq, entry.data_date, str(paths.home / entry.landed_path)],
        ).write_parquet(str(folder / "part-00001.parquet"), compression="zstd")
    finally:
        scratch.close()
    return parquet_rows(folder)


def _load_new(
    paths: Paths, table: BronzeTable, kind: str, landed: list[Any], seq: Callable[[Any], int], write: Callable
) -> tuple[int, int]:
    """Load every landing of `kind` the warehouse does not hold yet into `table`, then rewrite that
    kind's registries; returns (new landings, new rows)."""
    warehouse = current(paths)
    have = warehouse.bronze_partitions(table)
    loaded = bronze.load(
        paths,
        warehouse,
        table,
        [entry for entry in landed if seq(entry) not in have],
        seq=seq,
        write=lambda e, folder: write(paths, e, folder),
        name=lambda e: str(paths.home / e.landed_path),
    )
    warehouse.replace_tables(registries(paths, kind, landed))
    return len(loaded), sum(done.rows for done in loaded)


def load_forecast(paths: Paths, landed: list[PullLanding]) -> tuple[int, int]:
    """Load every landed pull the warehouse does not hold yet, and rewrite the pull registries;
    returns (new pulls, new records)."""
    return _load_new(paths, RECORDS, "forecast", landed, lambda e: e.pull_seq, _write_pull)


def load_municipios(paths: Paths, delivered: list[MunicipiosLanding]) -> tuple[int, int]:
    """Load every landed data.csv the warehouse does not hold yet, and rewrite the file registry;
    returns (new files, new rows)."""
    return _load_new(paths, MUNICIPIOS, "municipios", delivered, lambda e: e.delivery_seq, _write_municipios)


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
