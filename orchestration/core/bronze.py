"""The bronze load, written once for every source and every target.

A source says which landings it has, which of them the warehouse holds already,
and how one landing becomes Parquet parts; this loop writes each new landing's
parts into the lake (atomically: a folder is either whole or absent), has the
target append them to the bronze table (DuckDB reads the lake where it is,
Trino copies into Iceberg, BigQuery runs a load job), checks that every row
arrived, and tells the source, which records the landing in its registry.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from orchestration.settings import Paths
from orchestration.warehouse import BronzeLoadError, BronzeTable, Warehouse

L = TypeVar("L")


@dataclass(frozen=True)
class Loaded(Generic[L]):
    entry: L
    rows: int


def write_partition(folder: Path, write: Callable[[Path], int]) -> int:
    """Run `write(tmp)` into a fresh scratch folder beside `folder`, then put it in place of `folder`.
    Returns what `write` returns (the rows written)."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows = write(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return rows


def load(
    paths: Paths,
    warehouse: Warehouse,
    table: BronzeTable,
    pending: Iterable[L],
    seq: Callable[[L], int],
    write: Callable[[L, Path], int],
    name: Callable[[L], str] = str,
) -> list[Loaded[L]]:
    """Load every landing in `pending` (those the warehouse does not hold yet) into `table`."""
    loaded: list[Loaded[L]] = []
    for entry in pending:
        folder = table.partition_folder(paths, seq(entry))
        rows = write_partition(folder, lambda tmp, entry=entry: write(entry, tmp))
        try:
            arrived = warehouse.append_parts(table, seq(entry), folder)
        except BronzeLoadError as exc:  # the target refused what the landing holds: say which landing
            raise BronzeLoadError(f"{name(entry)}: {exc}") from None
        if arrived != rows:
            raise BronzeLoadError(
                f"{name(entry)}: {rows} rows were written to {folder} but {arrived} reached "
                f"{table.relation} on {warehouse.name}; the next build loads this landing again"
            )
        loaded.append(Loaded(entry, rows))
    warehouse.finish_bronze(table)
    return loaded
