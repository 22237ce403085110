"""The one place dbt is wired into Dagster: project, profile, translator."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.settings import PROJECT_DIR, Paths, target_name


def profiles_dir(paths: Paths) -> str:
    """DBT_PROFILES_DIR if the user set it, else a fresh copy of profiles.example.yml."""
    if os.environ.get("DBT_PROFILES_DIR"):
        return os.environ["DBT_PROFILES_DIR"]
    paths.dbt_profiles_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_DIR / "profiles.example.yml", paths.dbt_profiles_dir / "profiles.yml")
    return str(paths.dbt_profiles_dir)


def dbt_env(paths: Paths) -> dict[str, str]:
    return {"MEDALLION_HOME": str(paths.home), "DBT_PROFILES_DIR": profiles_dir(paths)}


class MedallionTranslator(DagsterDbtTranslator):
    """Assets are keyed [schema, model]; sources use meta.dagster.asset_key."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return fqn[2] if len(fqn) > 3 else None


_paths = Paths.from_env()
os.environ.update(dbt_env(_paths))

medallion_project = DbtProject(
    project_dir=PROJECT_DIR,
    profiles_dir=profiles_dir(_paths),
    target=target_name(),
)

translator = MedallionTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
