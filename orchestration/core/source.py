"""What a source tells the rest of the system about itself.

Each package under `orchestration/sources/` defines one `SOURCE`; the CLI, the
build and the automation read them from `orchestration.sources.registry()` and
never list sources themselves. A source's Dagster definitions live in its own
`assets.py`, which `orchestration/defs/sources.py` loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchestration.settings import Paths


@dataclass(frozen=True)
class Source:
    # The folder name under orchestration/sources/, models/*/ and the Dagster asset group.
    name: str
    # What `medallion land NAME ...` accepts for this source (one source may take several kinds).
    lands: tuple[str, ...]
    # Whether anything is landed, or waits in an inbox: a build skips a source with nothing.
    has_landed: Callable[[Paths], bool]
    # Asset groups it needs besides its own (its seeds).
    needs: tuple[str, ...] = ()
    # The warehouse targets it runs on.
    targets: tuple[str, ...] = ("duckdb", "trino", "bigquery")
    # Inboxes of files (`$MEDALLION_HOME/inbox/<name>/`) that the inbox sensor watches.
    file_inboxes: tuple[str, ...] = ()
    # Asset keys (as "a/b") that only their own schedule materializes, never a full build.
    scheduled_only: tuple[str, ...] = ()
