"""A dbt-duckdb plugin that opens the home's warehouse: `$MEDALLION_HOME/warehouse.duckdb`.

The dbt profile names the file without a folder (`path: warehouse.duckdb`) and
lists this plugin, which puts the file in the home just before dbt connects.
dbt keeps its parse of the project (`target/partial_parse.msgpack`) only while
the profile's connection settings stay as they were: with the home's folder in
the profile, every other home (a second checkout's, a test's, the bench's) made
dbt parse the whole project again, about 7 seconds before the first model.
The same goes for `external_root`, where external models (a dataset's processed zone) write.
The home is read from the environment the same way every command reads it
(`orchestration.settings`).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.settings import load

log = logging.getLogger(__name__)
STAGED = ".writing"  # the suffix of a processed zone being written beside the one it replaces


def replace_path(staged: str, location: str) -> bool:
    """Put a dataset table's processed zone, just written at `staged` (`<location>.writing`, a folder or a
    file), in place of the one at `location`; the `processed_parquet` materialization calls it from SQL once
    its `COPY` succeeded. Only a table's zone in the home's processed zone is moved: `location` is
    `<root>/<dataset>/<table>` or a file in it, and `staged` sits beside it."""
    root = (load().paths.home / "lake" / "processed").resolve()
    new, old = Path(staged), Path(location)
    depth = len(old.resolve().relative_to(root).parts) if old.resolve().is_relative_to(root) else 0
    if staged != location + STAGED or new.parent != old.parent or depth not in (2, 3) or not new.exists():
        raise ValueError(f"not a processed zone written beside its place: {staged!r} -> {location!r}")
    if new.is_file():  # one file: a single rename replaces it
        new.replace(old)
        return True
    replaced = old.with_name(old.name + ".replaced")
    _remove(replaced)
    if old.exists():
        old.rename(replaced)
    try:
        new.rename(old)
    except OSError:
        if replaced.exists():  # put the old zone back: never no zone at all
            replaced.rename(old)
        raise
    try:
        _remove(replaced)
    except OSError:  # the new zone is in place; the old one's files go with the next build's swap
        log.warning("could not remove %s", replaced, exc_info=True)
    return True


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        paths = load().paths
        creds.path = str(paths.warehouse)
        # Where `external` models write (the datasets' processed zone): `$MEDALLION_HOME/lake/processed`.
        creds.external_root = str(paths.home / "lake" / "processed")

    def configure_connection(self, conn: Any) -> None:
        """`medallion_replace_path(staged, location)` for `macros/processed_parquet.sql`."""
        from duckdb.sqltypes import BOOLEAN, VARCHAR

        conn.create_function("medallion_replace_path", replace_path, [VARCHAR, VARCHAR], BOOLEAN, side_effects=True)
