"""Bronze of the datasets: every row of every landed delivery, each value as delivered text.

`bronze.dataset_<table>` holds, per table of a dataset (the parent, and one per array of objects), the
delivery's lineage (`delivery_id`, `delivery_seq`, `record_number`, and `ordinal` for an array's element)
and its columns in the contract's order as `c001`, `c002`, ... (the contract maps them to the delivered
names). Each delivery is read once per table with DuckDB, written as zstd Parquet into the lake and
appended by the shared bronze load (`core/bronze.py`), like every other source.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.core import bronze
from orchestration.core import deliveries as ledger
from orchestration.core.source import DROPPED
from orchestration.settings import Paths
from orchestration.sources.datasets.contract import Contract, Table, bronze_name, delivered, readable_file, scratch
from orchestration.sources.datasets.landing import DatasetDelivery, deliveries
from orchestration.warehouse import BronzeTable, current
from orchestration.warehouse.base import parquet_rows


def bronze_table(table: Table) -> BronzeTable:
    lineage = {"delivery_id": "varchar", "delivery_seq": "integer", "record_number": "bigint"}
    if table.array is not None:
        lineage["parent_key"] = "varchar"
        lineage["ordinal"] = "bigint"
    columns = {bronze_name(i): "varchar" for i in range(1, len(table.columns) + 1)}
    return BronzeTable(table.bronze, "delivery_seq", {**lineage, **columns})


def _write(paths: Paths, contract: Contract, table: Table, entry: DatasetDelivery, folder: Path) -> int:
    con = scratch()
    try:
        con.execute("set preserve_insertion_order = true")
        with readable_file(paths.home / entry.landed_path) as readable:
            con.register("rows", delivered(con, contract, readable)[table.table])
            con.sql(
                "select $id::varchar as delivery_id, $seq::integer as delivery_seq, * from rows",
                params={"id": entry.delivery_id, "seq": entry.delivery_seq},
            ).write_parquet(str(folder / "part-00001.parquet"), compression="zstd")
    finally:
        con.close()
    return parquet_rows(folder)


def load(paths: Paths, contract: Contract) -> dict[str, tuple[int, int]]:
    """Load every landed delivery of `contract`'s dataset that bronze does not hold yet, table by table;
    returns {table: (new deliveries, new rows)}. The processed zone's folders are made here too (DuckDB
    writes a file into a folder, not the folder)."""
    warehouse = current(paths)
    # A delivery set aside before bronze read it is not read: one that cannot be would fail every build.
    try:
        decided = ledger.for_source(paths, f"dataset:{contract.dataset}")
    except KeyError:  # a dataset onboarded since this process started: nothing of it was decided on
        decided = []
    dropped = {d.delivery_id for d in decided if d.state == DROPPED}
    landed = [entry for entry in deliveries(paths, contract.dataset) if entry.delivery_id not in dropped]
    out = {}
    for table in contract.tables:
        (paths.home / "lake" / "processed" / contract.dataset / table.table).mkdir(parents=True, exist_ok=True)
        target = bronze_table(table)
        have = warehouse.bronze_partitions(target)
        loaded = bronze.load(
            paths,
            warehouse,
            target,
            [entry for entry in landed if entry.delivery_seq not in have],
            seq=lambda e: e.delivery_seq,
            write=lambda e, folder, table=table: _write(paths, contract, table, e, folder),
            name=lambda e: e.file_name,
        )
        out[table.table] = (len(loaded), sum(done.rows for done in loaded))
    return out
