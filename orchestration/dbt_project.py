"""The one place dbt is wired into Dagster: project, profile, translator."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from dagster import AssetExecutionContext, AssetKey, ConfigurableResource
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.core.uptodate import DBT_INPUTS, file_stamp, project_files
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


ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")


def _dbt_fingerprint() -> str:
    """What dbt's parse depends on: the project's files, and the environment variables its profile and
    project read. dbt parses again (instead of partially) when any of them changes, `MEDALLION_HOME`
    included (the DuckDB path is part of the profile): a stale parse would make every dbt step reparse."""
    digest = hashlib.sha256(load().target.encode())
    names: set[str] = set()
    for path in project_files(DBT_INPUTS):
        digest.update(":".join(map(str, file_stamp(path))).encode())
        if path.suffix == ".yml":
            names.update(ENV_VAR.findall(path.read_text(encoding="utf-8")))
    for name, value in sorted(environment(sorted(names)).items()):
        digest.update(f"\0{name}={value}".encode())
    return digest.hexdigest()


def _dbt_args() -> list[str]:
    """Where every dbt invocation finds the project, the profile and the target."""
    return [
        "--project-dir",
        str(medallion_project.project_dir),
        "--profiles-dir",
        str(medallion_project.profiles_dir),
        "--target",
        medallion_project.target or "duckdb",
    ]


_PARSED: list[Any] = []  # the dbt Manifest this process parsed, once
_PARSING = threading.Lock()


def parsed_manifest(write_json: bool = True) -> Any:
    """The project's dbt Manifest, parsed in this process once (partially: dbt reuses the parse it saved in
    target/ for every file that did not change). Every dbt step of a build runs on it, so no step starts a
    dbt process or parses the project again. `write_json=False` leaves target/manifest.json as it is (for a
    parse ahead of time, while Dagster may be reading it)."""
    with _PARSING:
        if not _PARSED:
            from dbt.cli.main import dbtRunner

            flags = [] if write_json else ["--no-write-json"]
            result = dbtRunner().invoke(["parse", "--quiet", *flags, *_dbt_args()])
            if not result.success:
                raise DbtStepError(f"dbt could not parse the project: {result.exception}")
            if write_json:
                (PROJECT_DIR / "target" / ".medallion-parsed").write_text(_dbt_fingerprint())
            _PARSED.append(result.result)
        return _PARSED[0]


def warm_up() -> None:
    """Start, in the background, what the build's first dbt step would otherwise wait for: parsing the
    project. It overlaps with Dagster starting the run and with the bronze loads (DuckDB's work, which
    leaves Python free). Call it once the manifest on disk is current (`prepare_dbt`). (Great Expectations
    imports in the gate worker, `orchestration/quality/worker.py`.)"""

    def work() -> None:
        try:
            parsed_manifest(write_json=False)
        except Exception:  # the first gate or dbt step does it again, and reports what fails
            logging.getLogger(__name__).warning("warm-up failed; the build does it step by step", exc_info=True)

    threading.Thread(target=work, name="warm-up", daemon=True).start()


def _uncompiled(manifest: Any) -> Any:
    """`manifest` with what the last dbt run compiled into it forgotten. dbt keeps a compiled ephemeral
    model in the manifest and inlines that SQL wherever it is used next; the pending publication, compiled
    by the staging step before the publish step writes its table, must be compiled again by the publish."""
    for node in manifest.nodes.values():
        if getattr(node, "compiled", False):
            node.compiled = False
            node.compiled_code = None
            node.extra_ctes_injected = False
            node.extra_ctes = []
            if hasattr(node, "_pre_injected_sql"):
                node._pre_injected_sql = None
    return manifest


def prepare_dbt() -> None:
    """Parse the dbt project unless the manifest already matches the files on disk."""
    stamp = PROJECT_DIR / "target" / ".medallion-parsed"
    if medallion_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == _dbt_fingerprint():
        return
    try:
        parsed_manifest()
    except DbtStepError as exc:
        raise SystemExit(str(exc)) from exc


# Definitions are built from the manifest: make sure one exists, and in
# `dagster dev` that it matches the files being edited.
if not medallion_project.manifest_path.exists() or environment(["DAGSTER_IS_DEV_CLI"])["DAGSTER_IS_DEV_CLI"]:
    prepare_dbt()

translator = MedallionTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


# dbt's events that report one node's result; dagster-dbt turns each into an Output or an asset check.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


class DbtStepError(Exception):
    """A dbt step whose models, tests or snapshots failed (or that could not run)."""


class InProcessDbt(ConfigurableResource):
    """dbt, run inside the build's own process on the manifest parsed once (`parsed_manifest`).

    dagster-dbt's `DbtCliResource` starts a dbt process per step, and each one imports dbt and parses the
    project again: about 8 s of every step's 9. Here a step costs what its SQL costs. dagster-dbt still
    decides what a step selects (the subset a run asked for) and turns dbt's results into Dagster events, so
    assets and checks are what they were. dbt logs to $MEDALLION_HOME/logs/dbt.log; with `verbose` (what
    `medallion build -v` sets) it also prints to the console as the dbt CLI does.
    """

    verbose: bool = False

    def build(
        self,
        context: AssetExecutionContext,
        select: str,
        exclude: str | None = None,
        flags: Sequence[str] = (),
        variables: Mapping[str, Any] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> Iterator[Any]:
        """`dbt build` of this step's selection (as far as the run selected it): yields the Dagster events
        of each node as it finishes, and raises DbtStepError at the end if any node failed."""
        from dagster_dbt.asset_utils import (
            get_manifest_and_translator_from_dbt_assets,
            get_subset_selection_for_context,
        )
        from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

        manifest, dbt_translator, project = get_manifest_and_translator_from_dbt_assets([context.assets_def])
        selection, indirect = get_subset_selection_for_context(
            context=context,
            manifest=manifest,
            select=select,
            exclude=exclude,
            selector=None,
            dagster_dbt_translator=dbt_translator,
            current_dbt_indirect_selection_env=None,
        )
        paths = load().paths
        logs = paths.home / "logs"
        args = [
            "build",
            *flags,
            *(["--vars", json.dumps(dict(variables))] if variables else []),
            *selection,
            *(["--indirect-selection", indirect] if indirect else []),
            "--target-path",
            str(paths.dbt_profiles_dir / "target"),  # the compiled SQL of each run, for who debugs it
            "--no-write-json",  # no manifest.json, run_results.json per step: nobody reads them, 0.3 s each
            "--log-path",
            str(logs),
            *([] if self.verbose else ["--log-level", "none"]),
            "--log-level-file",
            "info",
            *_dbt_args(),
        ]
        for done, raw in enumerate(_invoke(args), start=1):
            if progress:
                progress(done, int(raw["data"].get("total") or 0), raw["data"]["node_info"].get("unique_id", ""))
            event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            yield from event.to_default_asset_events(
                manifest=manifest, dagster_dbt_translator=dbt_translator, context=context, project=project
            )


def _invoke(args: list[str]) -> Iterator[dict[str, Any]]:
    """Run dbt in a worker thread and yield each node's result as dbt reports it (as the dict dbt's JSON
    log line holds), so the step reports progress while dbt works; raises what dbt raised."""
    import queue
    import threading

    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    results: queue.Queue[Any] = queue.Queue()
    finished = object()
    outcome: dict[str, Any] = {}

    def collect(event: Any) -> None:
        if event.info.name in RESULT_EVENTS:
            results.put(msg_to_dict(event))

    def work() -> None:
        from orchestration.warehouse import current

        try:
            manifest = _uncompiled(parsed_manifest())
            outcome["result"] = dbtRunner(manifest=manifest, callbacks=[collect]).invoke(args)
        except BaseException as exc:  # handed to the step, which raises it
            outcome["error"] = exc
        finally:
            try:
                current(load().paths).release()
            finally:
                results.put(finished)

    worker = threading.Thread(target=work, name="dbt", daemon=True)
    worker.start()
    try:
        while (item := results.get()) is not finished:
            yield item
    finally:  # also when the step stops early: dbt must be done before anything else opens the warehouse
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    if result.exception is not None:
        raise DbtStepError(f"dbt could not run: {result.exception}") from result.exception
    if not result.success:
        failed = [
            f"{node.node.resource_type} {node.node.name}: {' '.join(str(node.message or node.status).split())}"
            for node in getattr(result.result, "results", [])
            if str(node.status) in FAILED_STATUSES
        ]
        listed = "\n".join(failed) or "see dbt.log in $MEDALLION_HOME/logs/"
        raise DbtStepError(f"dbt build failed on {len(failed)} node(s): {listed}")
