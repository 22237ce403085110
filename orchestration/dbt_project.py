"""The one place dbt is wired into Dagster: project, profile, translator."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.settings import PROJECT_DIR, Paths, environment, load


def profiles_dir(paths: Paths) -> str:
    """DBT_PROFILES_DIR if the user set it, else a fresh copy of profiles.example.yml."""
    own = load().own_dbt_profiles_dir
    if own:
        return str(own)
    paths.dbt_profiles_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_DIR / "profiles.example.yml", paths.dbt_profiles_dir / "profiles.yml")
    return str(paths.dbt_profiles_dir)


LAYER_FOLDERS = {"staging", "intermediate", "marts", "published"}


class MedallionTranslator(DagsterDbtTranslator):
    """Assets are keyed by the relation they build, [schema, alias] (`gold_candidate/tweets_top_dates`
    is `gold_candidate.tweets_top_dates` in SQL); sources use meta.dagster.asset_key."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        relation = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return AssetKey([dbt_resource_props["schema"], relation])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Group by source: the first folder that is not a layer (`tweets`), else `platform`."""
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        sources = [f for f in folders if f not in LAYER_FOLDERS]
        return sources[0] if sources else "platform"


_settings = load()
_paths = _settings.paths
# The profile reads MEDALLION_HOME; the profiles dir is passed explicitly, never
# exported, so a child process never mistakes it for the user's own setting.
os.environ.setdefault("MEDALLION_HOME", str(_paths.home))

medallion_project = DbtProject(
    project_dir=PROJECT_DIR,
    profiles_dir=profiles_dir(_paths),
    target=_settings.target,
)

DBT_INPUTS = ("dbt_project.yml", "profiles.example.yml", "models", "macros", "seeds", "snapshots", "data-tests")


ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")


def _dbt_fingerprint() -> str:
    """What dbt's parse depends on: the project's files, and the environment variables its profile and
    project read. dbt parses again (instead of partially) when any of them changes, `MEDALLION_HOME`
    included (the DuckDB path is part of the profile): a stale parse would make every dbt step reparse."""
    digest = hashlib.sha256(load().target.encode())
    names: set[str] = set()
    for name in DBT_INPUTS:
        root = PROJECT_DIR / name
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(PROJECT_DIR)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
                if path.suffix == ".yml":
                    names.update(ENV_VAR.findall(path.read_text(encoding="utf-8")))
    for name, value in sorted(environment(sorted(names)).items()):
        digest.update(f"\0{name}={value}".encode())
    return digest.hexdigest()


def prepare_dbt() -> None:
    """Parse the dbt project unless the manifest already matches the files on disk."""
    from dbt.cli.main import dbtRunner

    stamp = PROJECT_DIR / "target" / ".medallion-parsed"
    fingerprint = _dbt_fingerprint()
    if medallion_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    result = dbtRunner().invoke(
        [
            "parse",
            "--quiet",
            "--project-dir",
            str(medallion_project.project_dir),
            "--profiles-dir",
            str(medallion_project.profiles_dir),
            "--target",
            medallion_project.target or "duckdb",
        ]
    )
    if not result.success:
        raise SystemExit(f"dbt parse failed: {result.exception}")
    stamp.write_text(fingerprint)


# Definitions are built from the manifest: make sure one exists, and in
# `dagster dev` that it matches the files being edited.
if not medallion_project.manifest_path.exists() or environment(["DAGSTER_IS_DEV_CLI"])["DAGSTER_IS_DEV_CLI"]:
    prepare_dbt()

translator = MedallionTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
