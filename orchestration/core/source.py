"""What a source tells the rest of the system about itself, and where the sources are found.

Each package under `orchestration/sources/` defines one `SOURCE`. The CLI, the build, the
deliveries and the automation read them from `registry()` and never list sources themselves;
the registry finds them by looking (a plugin lookup by package name), so nothing here
imports a source and a new source is a new folder. A source's Dagster definitions live in
its own `assets.py`, which `orchestration/defs/sources.py` loads.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from types import ModuleType

from orchestration.settings import Paths

SOURCES_PACKAGE = "orchestration.sources"

# What became of a delivery (orchestration/core/deliveries.py judges and decides).
LANDED, ADMITTED, QUARANTINED, RELEASED, DROPPED, FAILED = (
    "landed",
    "admitted",
    "quarantined",
    "released",
    "dropped",
    "failed",
)
# States whose rows silver takes in, and states a build judges.
IN_SILVER = (ADMITTED, RELEASED)
TO_JUDGE = (LANDED, QUARANTINED)


@dataclass(frozen=True)
class Delivery:
    source: str
    delivery_id: str
    seq: int
    name: str
    landed_at: str
    items: int
    sha256: str = ""
    state: str = LANDED
    admitted_seq: int | None = None
    reasons: list[str] = field(default_factory=list)
    decided_at: str | None = None
    decided_by: str | None = None


@dataclass(frozen=True)
class DeliveryKind:
    """One kind of delivery a source lands (a tweets file, a forecast pull, a municipality file)."""

    # As `medallion deliveries --source` and `platform.deliveries.source_name` name it.
    name: str
    # The landing folder whose lock guards its decisions (`decisions.jsonl` there).
    folder: Callable[[Paths], Path]
    # Every landed delivery, in landing order, undecided.
    landed: Callable[[Paths], list[Delivery]]
    # False: checked when landed and admitted then, never quarantined.
    judged: bool = True
    # An operator may set an admitted delivery aside (`medallion quarantine drop ID`): its gate judges a
    # whole table, not one delivery, so a delivery whose rows fail it is found and dropped by hand.
    droppable: bool = False
    # Why dropping one would not take effect (its models do not read the decisions), or None.
    drop_blocked: Callable[[], str | None] | None = None
    # Attempts that landed nothing (a forecast pull that failed), listed with state `failed`.
    failed: Callable[[Paths], list[Delivery]] | None = None


@dataclass(frozen=True)
class Freshness:
    cadence: timedelta  # how often new data is expected
    warn_after: timedelta  # older newest data: late (a warning in `medallion status`, dbt's `warn_after`)
    error_after: timedelta  # older: stale, a `source_stale` incident (dbt's `error_after`)
    loader: str  # the asset (as "a/b") that loads the source's deliveries: Dagster shows the check on it
    kinds: tuple[str, ...] = ()  # the kinds of delivery whose landings count (all, when empty)


@dataclass(frozen=True)
class Source:
    # The folder name under orchestration/sources/, models/*/ and the Dagster asset group.
    name: str
    # What `medallion land NAME ...` accepts for this source (one source may take several kinds).
    lands: tuple[str, ...]
    # Whether anything is landed, or waits in an inbox: a build skips a source with nothing.
    has_landed: Callable[[Paths], bool]
    # The kinds of delivery it lands, each judged (or not) on its own.
    deliveries: tuple[DeliveryKind, ...] = ()
    # Asset groups it needs besides its own (its seeds).
    needs: tuple[str, ...] = ()
    # The warehouse targets it runs on.
    targets: tuple[str, ...] = ("duckdb", "trino", "bigquery")
    # Inboxes of files (`$MEDALLION_HOME/inbox/<name>/`) that the inbox sensor watches.
    file_inboxes: tuple[str, ...] = ()
    # Asset keys (as "a/b") that only their own schedule materializes, never a full build.
    scheduled_only: tuple[str, ...] = ()
    # Asset keys (as "a/b") a build leaves out for now, with what is landed (a dataset nothing was landed for).
    idle: Callable[[Paths], tuple[str, ...]] = lambda paths: ()
    # How often new data is expected, and when its absence is worth a warning or an incident (None: data
    # comes whenever someone delivers). dbt's source freshness says the same (a test holds them equal).
    freshness: Freshness | None = None


@cache
def registry() -> dict[str, Source]:
    """Every source, by name: the `SOURCE` of each package under orchestration/sources/."""
    package = importlib.import_module(SOURCES_PACKAGE)
    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            source = importlib.import_module(f"{SOURCES_PACKAGE}.{module.name}").SOURCE
            found[source.name] = source
    return dict(sorted(found.items()))


def delivery_kinds() -> dict[str, DeliveryKind]:
    """Every kind of delivery of every source, by name."""
    return {kind.name: kind for source in registry().values() for kind in source.deliveries}


def asset_modules() -> list[ModuleType]:
    """Each source's `assets` module: its Dagster assets, jobs, schedules and sensors."""
    return [importlib.import_module(f"{SOURCES_PACKAGE}.{name}.assets") for name in registry()]
