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

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.settings import load


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        paths = load().paths
        creds.path = str(paths.warehouse)
        # Where `external` models write (the datasets' processed zone): `$MEDALLION_HOME/lake/processed`.
        creds.external_root = str(paths.home / "lake" / "processed")
