"""A finished Dagster run, recorded: its steps (times, rows, gates), its failures turned into incidents.

Read from the run's event log in the Dagster instance, so a `medallion build` and a run started in the
Dagster UI are recorded the same way. A failed step opens `build_failed`, a failed blocking check (a Great
Expectations gate or a dbt test) `gate_failed`, each for the source (the asset group) it belongs to; a run
that succeeds resolves both kinds for every source it built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from orchestration.core.resources import reported_rows
from orchestration.core.text import one_line, printable
from orchestration.monitoring import incidents, store
from orchestration.settings import Paths

log = logging.getLogger(__name__)

PLATFORM = "platform"  # what belongs to no one source (gold's version registry)


class _NoGraph:
    """Where no asset graph is at hand: every failure is the platform's."""

    assets_defs: tuple = ()


NO_GRAPH = _NoGraph()


@dataclass
class Step:
    step: str
    sources: set[str] = field(default_factory=set)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    status: str = "skipped"
    rows: int | None = None
    gates_passed: int = 0
    gates_failed: int = 0
    failure: str = ""


@dataclass(frozen=True)
class Failure:
    kind: str  # build_failed | gate_failed
    source: str
    subject: str
    detail: str


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _groups(graph: Any) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Each op's asset groups (a dbt step spans several), and each asset's group, by user string."""
    by_op: dict[str, set[str]] = {}
    by_asset: dict[str, str] = {}
    for definition in graph.assets_defs:
        if not definition.is_executable:  # an external asset: no step of ours
            continue
        keys = set(definition.keys) | {check.asset_key for check in definition.check_keys}
        groups = set()
        for key in keys:
            group = graph.get(key).group_name if graph.has(key) else None
            if group:
                groups.add(group)
                by_asset[key.to_user_string()] = group
        by_op.setdefault(definition.node_def.name, set()).update(groups)
    return by_op, by_asset


@cache
def _owners() -> dict[str, str]:
    """Which source each asset group is: a source's own group, and the groups it needs (its seeds)."""
    from orchestration.core.source import registry

    owners = {}
    for source in registry().values():
        for group in source.needs:
            owners.setdefault(group, source.name)
        owners[source.name] = source.name
    return owners


def _source(group: str | None, sources: set[str]) -> str:
    owner = _owners().get(group or "", PLATFORM)
    return owner if owner in sources else PLATFORM


def _failed_models(cause: str, folders: dict[str, str]) -> set[str]:
    """The sources of the dbt nodes a dbt step's error names (`model int_tweets__tweets: ...`)."""
    import re

    names = re.findall(r"(?:^|: )(?:model|snapshot|seed|test) ([A-Za-z0-9_]+): ", cause, flags=re.M)
    return {folders[name] for name in names if name in folders}


def _model_folders() -> dict[str, str]:
    """Each dbt node's name -> the source folder it lives in (`models/<layer>/<source>/...`)."""
    import json

    from orchestration.dbt_project import medallion_project

    try:
        manifest = json.loads(medallion_project.manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    folders = {}
    for node in manifest.get("nodes", {}).values():
        parts = node.get("original_file_path", "").split("/")
        if len(parts) >= 4 and parts[0] in ("models", "snapshots"):
            folders[node["name"]] = parts[2] if parts[1] in ("staging", "intermediate", "marts") else parts[1]
            if parts[1:3] == ["marts", "published"] and len(parts) >= 5:
                folders[node["name"]] = parts[3]
    return folders


def _cause(error: Any) -> str:
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message if error is not None else "unknown error"


def read_run(instance: Any, run_id: str, graph: Any, sources: set[str]) -> tuple[list[Step], list[Failure]]:
    """The steps of run `run_id` and what failed in it, each failure with the source it belongs to."""
    from dagster import AssetCheckSeverity, DagsterEventType

    by_op, by_asset = _groups(graph)
    steps: dict[str, Step] = {}
    failures: list[Failure] = []
    failed_gate_steps: set[str] = set()
    step_failures: list[tuple[str, str]] = []
    materialized: set[str] = set()
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        step = steps.setdefault(event.step_key, Step(event.step_key))
        step.sources |= {_source(g, sources) for g in by_op.get(event.step_key.split("[")[0], set())}
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            step.started_at = _moment(entry.timestamp)
        elif kind == DagsterEventType.STEP_SUCCESS:
            step.finished_at, step.status = _moment(entry.timestamp), "succeeded"
        elif kind == DagsterEventType.STEP_FAILURE:
            step.finished_at, step.status = _moment(entry.timestamp), "failed"
            step.failure = _cause(event.step_failure_data.error)
            step_failures.append((event.step_key, step.failure))
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            materialized.add(materialization.asset_key.to_user_string())
            rows = reported_rows(dict(materialization.metadata))
            if rows:
                step.rows = (step.rows or 0) + rows
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            gate = evaluation.check_name.startswith("ge_")
            if evaluation.passed:
                step.gates_passed += gate
                continue
            if evaluation.severity == AssetCheckSeverity.WARN:
                continue
            step.gates_failed += gate
            asset = evaluation.asset_key.to_user_string()
            detail = evaluation.metadata.get("failures")
            failures.append(
                Failure(
                    "gate_failed",
                    _source(by_asset.get(asset), sources),
                    f"{evaluation.check_name} on {asset}",
                    str(detail.value) if detail is not None else (evaluation.description or ""),
                )
            )
            failed_gate_steps.add(event.step_key)
    folders = _model_folders() if step_failures else {}
    for key, cause in step_failures:
        if key in failed_gate_steps:
            continue  # the gate's own failure says it
        step = steps[key]
        # A dbt step spans every source: its error names the nodes that failed, each in a source's folder.
        named = {f if f in sources else PLATFORM for f in _failed_models(cause, folders)}
        owners = named or step.sources or {PLATFORM}
        for source in sorted(owners):
            failures.append(Failure("build_failed", source, f"step {key}", cause))
    return list(steps.values()), failures


def _failure_line(failure: Failure) -> str:
    first = one_line(failure.detail, 300).splitlines()[0] if failure.detail.strip() else ""
    return printable(f"{failure.kind} {failure.source} {failure.subject}: {first}")


def record(
    paths: Paths,
    instance: Any,
    run_id: str,
    graph: Any,
    target: str,
    sources: list[str],
    success: bool,
    started_at: datetime,
    gold_version: str | None = None,
    layer_rows: list[dict[str, Any]] | None = None,
    finished_at: datetime | None = None,
) -> list[Failure]:
    """Record run `run_id` (its steps and outcome), open or update an incident per failure, and on success
    resolve the built sources' build and gate incidents. Returns the failures."""
    chosen = set(sources)
    steps, failures = read_run(instance, run_id, graph, chosen | {PLATFORM})
    if not success and not failures:  # a run that failed outside any step (set-up, terminated, crashed)
        failures = [Failure("build_failed", PLATFORM, "run", f"run {run_id} failed outside its steps; see its log")]
    finished = finished_at or store.now()
    with store.connect(paths) as con:
        con.execute("delete from build_steps where run_id = ?", (run_id,))
        con.execute("delete from build_runs where run_id = ?", (run_id,))
        con.execute(
            "insert into build_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id, target, ",".join(sorted(chosen)), store.stamp(started_at), store.stamp(finished),
                (finished - started_at).total_seconds(), "succeeded" if success else "failed", gold_version,
                sum(s.gates_passed for s in steps), sum(s.gates_failed for s in steps),
                "\n".join(_failure_line(f) for f in failures),
            ),
        )  # fmt: skip
        con.executemany(
            "insert into build_steps values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id, s.step, ",".join(sorted(s.sources)),
                    store.stamp(s.started_at) if s.started_at else None,
                    store.stamp(s.finished_at) if s.finished_at else None,
                    (s.finished_at - s.started_at).total_seconds() if s.started_at and s.finished_at else None,
                    s.status, s.rows, s.gates_passed, s.gates_failed,
                )
                for s in steps
            ],
        )  # fmt: skip
        con.execute("delete from layer_rows where run_id = ?", (run_id,))
        con.executemany(
            "insert into layer_rows values (?, ?, ?, ?, ?)",
            [(run_id, r["source"], r["layer"], r["relation"], r["rows"]) for r in layer_rows or []],
        )
    for failure in failures:
        incidents.report(paths, failure.kind, failure.source, failure.detail, key=run_id, subject=failure.subject)
    if success:
        for source in sorted(chosen | {PLATFORM}):
            incidents.resolve(paths, source, ("build_failed", "gate_failed"))
    return failures


def after_run(
    paths: Paths,
    instance: Any,
    run_id: str,
    graph: Any,
    target: str,
    sources: list[str],
    success: bool,
    started_at: datetime,
    finished_at: datetime | None = None,
    warehouse_free: bool = True,
) -> list[str]:
    """All a finished run leaves behind: its gold version and rows per layer (when it succeeded), its
    record, its incidents opened or resolved (alerts go out), freshness checked, the record copied into
    the warehouse's `ops` schema. `warehouse_free=False` (a build holds the home) leaves the warehouse
    alone. Lines to print; never raises (monitoring never fails a build)."""
    from orchestration.monitoring import health, layers, store

    lines: list[str] = []
    try:
        before = {i.id: i for i in incidents.listing(paths)}
        version = None
        rows: list[dict[str, Any]] = []
        if success and warehouse_free:
            from orchestration.dbt_project import medallion_project
            from orchestration.warehouse import current

            warehouse = current(paths)
            try:
                try:
                    found = warehouse.query("select version_id from gold.versions where run_id = ?", [run_id])
                    version = found[0][0] if found else None  # None: this run published nothing new
                except Exception:  # no gold yet (a build of sources without gold): no version to name
                    version = None
                rows = layers.count(warehouse, medallion_project.manifest_path, sources)
            finally:
                warehouse.release()
        record(paths, instance, run_id, graph, target, sources, success, started_at, version, rows, finished_at)
        health.check(paths)
        after = incidents.listing(paths)
    except Exception as exc:  # the record is a view of the run; the run's outcome stands without it
        return [f"monitoring: not recorded ({type(exc).__name__}: {exc})"]
    for incident in after:
        was = before.get(incident.id)
        if was is None:
            change = "opened"
        elif was.open and not incident.open:
            change = "resolved"
        elif incident.occurrences != was.occurrences:
            change = f"seen again ({incident.occurrences} times)"
        else:
            continue
        what = f"{incident.kind} in {incident.source}" + (f" ({incident.subject})" if incident.subject else "")
        lines.append(f"incident {incident.id} {change}: {what}")
    if warehouse_free:
        try:
            store.publish(paths)
        except Exception as exc:
            lines.append(f"monitoring: ops.* tables not copied to the warehouse ({type(exc).__name__}: {exc})")
    if any(line.startswith("incident") for line in lines):
        lines.append("`medallion incidents` lists them; `medallion status` shows each source")
    return lines


def last_runs(paths: Paths, limit: int = 200) -> list[dict[str, Any]]:
    """The latest recorded runs, newest first."""
    return store.rows(paths, "build_runs", order="started_at desc")[:limit]
