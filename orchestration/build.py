"""`medallion build`: run the Dagster asset graph in-process, report, exit code."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from orchestration.core import build_lock, uptodate
from orchestration.core.notify import notify_failure
from orchestration.core.source import IN_SILVER, Source, registry
from orchestration.core.text import printable
from orchestration.monitoring import store
from orchestration.settings import Paths, load

if TYPE_CHECKING:
    from orchestration.quality.worker import GateWorker

# The gold registry every source's build shares.
SHARED = ("platform",)


def quarantined_in(paths: Paths, run_id: str) -> tuple[list[str], bool]:
    """Each delivery a per-delivery gate of this run left in quarantine, with its reasons; and whether
    any of them was newly quarantined by this run (the others were already, and stay)."""
    from orchestration.quality.gates import recorded

    left = [v for data in recorded(paths, run_id) for v in data.get("verdicts") or [] if not v["admitted"]]
    lines = [f"{v['delivery_id']} ({v['name']}): " + " | ".join(v["reasons"]) for v in left]
    return lines, any(v["changed"] for v in left)


def chosen_sources(paths: Paths, sources: list[str] | None) -> list[Source]:
    """The sources a build takes: the ones asked for (or all) that have landed data and run on the target."""
    known = registry()
    target = load().target
    chosen = []
    for source in [known[name] for name in sources] if sources else known.values():
        if not source.has_landed(paths):
            print(f"{source.name}: nothing landed yet, skipped (`medallion land {source.lands[0]} ...` first)")
        elif target not in source.targets:
            print(f"{source.name}: runs on {' and '.join(source.targets)} only for now, skipped on {target}")
        else:
            chosen.append(source)
    return chosen


def root_cause(error: Any) -> str:
    """What went wrong at the bottom of a step's error (Dagster wraps it in its own), as its message says."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def _failed_dataset(asset_key: list[str]) -> str | None:
    """The dataset whose processed table a gate guards (`silver/int_datasets__<dataset>[__<array>]`), if any."""
    from orchestration.sources.datasets.onboard import contracts

    if len(asset_key) != 2 or asset_key[0] != "silver" or not asset_key[1].startswith("int_datasets__"):
        return None
    table = asset_key[1].removeprefix("int_datasets__")
    return next((c.dataset for c in contracts() for t in c.tables if t.table == table), None)


def _set_aside_hint(paths: Paths, dataset: str, shown: list[str]) -> str:
    """What to run about a dataset's failed gate: drop the deliveries whose rows the failures showed (named
    with their files), or, when none was named, find the delivery among those listed."""
    from orchestration.core import deliveries
    from orchestration.quality.gates import EXAMPLE_ROWS

    landed = deliveries.for_source(paths, f"dataset:{dataset}")
    names = {d.delivery_id: d.name for d in landed}
    known = [d for d in shown if d in names]
    named = [f"{d} ({names[d]})" for d in known]
    if not named:
        return (
            f"    a delivery of {dataset} that should not be built: `medallion deliveries --source dataset` lists "
            "them, `medallion quarantine drop ID` sets one aside"
        )
    if len(named) == 1:
        command = f"`medallion quarantine drop {known[0]}` sets it aside"
    else:
        command = "`medallion quarantine drop ID` sets each aside"
    if not any(d.state in IN_SILVER and d.delivery_id not in known for d in landed):
        # Dropping them all would leave the tables empty, which `drop` refuses.
        command = f"land a corrected file first; then {command}"
    return (
        f"    the first failing rows (up to {EXAMPLE_ROWS} per expectation) come from "
        f"{'delivery' if len(named) == 1 else 'deliveries'} {', '.join(named)}: "
        f"{command} (kept as delivered; the next build leaves its rows out)"
    )


def time_breakdown(seconds: dict[str, float], elapsed: float) -> str:
    """Where a build's time went: dbt, the gates, the rest of the steps, and what is outside any step."""
    kinds = {"dbt": 0.0, "gates": 0.0, "loading and reports": 0.0}
    for key, spent in seconds.items():
        kinds["gates" if "_ge_" in key else "dbt" if key.startswith("dbt_") else "loading and reports"] += spent
    kinds["start, Data Docs and the rest"] = max(0.0, elapsed - sum(kinds.values()))
    return ", ".join(f"{name} {spent:.1f} s" for name, spent in kinds.items())


def build(
    paths: Paths,
    job_name: str = "build_everything",
    sources: list[str] | None = None,
    full_refresh: bool = False,
    force: bool = False,
    verbose: bool = False,
) -> int:
    os.environ["DAGSTER_HOME"] = str(paths.ensure_dagster_home())
    build_lock.hold(paths)
    target = load().target
    chosen: list[Source] = []
    before = None
    if job_name == "build_everything":
        chosen = chosen_sources(paths, sources)
        if not chosen:
            print("nothing to build")
            return 0
        before = uptodate.take(paths, target, chosen)
        last = None if force or full_refresh else uptodate.unchanged(paths, before)
        if last:
            print(
                f"up to date: nothing new since the build of {last['finished_at'][:19].replace('T', ' ')} UTC "
                f"(run {last['run_id']}); `medallion build --force` builds anyway"
            )
            return 0

    from orchestration.quality.worker import gate_worker

    with gate_worker() as worker:  # imports Great Expectations on the other core while Dagster loads here
        return _run(paths, job_name, chosen, target, before, full_refresh, verbose, worker)


def _run(
    paths: Paths,
    job_name: str,
    chosen: list[Source],
    target: str,
    before: dict | None,
    full_refresh: bool,
    verbose: bool,
    worker: GateWorker,
) -> int:
    from dagster import AssetCheckSeverity, AssetKey, AssetSelection, DagsterEventType, DagsterInstance

    from orchestration.dbt_project import prepare_dbt, warm_up

    prepare_dbt()
    from orchestration.core.resources import TRIGGER_TAG
    from orchestration.definitions import defs
    from orchestration.defs.dbt_assets import FULL_REFRESH_TAG
    from orchestration.defs.monitoring import NOT_IN_BUILDS
    from orchestration.defs.progress import step_seconds
    from orchestration.monitoring.builds import after_run

    job = defs.resolve_job_def(job_name)
    if chosen:
        groups = [*(s.name for s in chosen), *(g for s in chosen for g in s.needs), *SHARED]
        scheduled_only = [AssetKey.from_user_string(k) for s in chosen for k in (*s.scheduled_only, *s.idle(paths))]
        selection = AssetSelection.groups(*groups) - AssetSelection.assets(*scheduled_only) - NOT_IN_BUILDS
        graph = defs.resolve_asset_graph()
        job = job.get_subset(
            asset_selection=selection.resolve(graph), asset_check_selection=selection.resolve_checks(graph)
        )
    elif job_name == "publish_gold":
        # What the sources that have landed something publish, and their gold gates: the others have no
        # candidates to check (their gates would fail on missing tables, their publish on missing sources).
        from orchestration.defs.dbt_assets import dbt_publish
        from orchestration.defs.quality import quality_gates

        chosen = [s for s in registry().values() if s.has_landed(paths)]
        groups = {*(s.name for s in chosen), *(g for s in chosen for g in s.needs), *SHARED}
        graph = defs.resolve_asset_graph()
        job = job.get_subset(
            asset_selection={k for k in dbt_publish.keys if graph.get(k).group_name in groups},
            asset_check_selection={
                check
                for gate in quality_gates
                if gate.node_def.name.startswith("gold_candidate")
                for check in gate.check_keys
                if graph.get(check.asset_key).group_name in groups
            },
        )

    # Once the definitions are loaded (dagster-dbt sets dbt's global flags while it loads them).
    warm_up()
    uptodate.forget(paths)  # a build that fails, or is killed, leaves no "up to date" behind
    started = time.perf_counter()
    started_at = store.now()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={TRIGGER_TAG: "cli", **({FULL_REFRESH_TAG: "true"} if full_refresh else {})},
            run_config={
                "loggers": {"medallion": {"config": {"log_dir": str(paths.home / "logs"), "verbose": verbose}}},
                "resources": {"dbt": {"config": {"verbose": verbose}}},
            },
        )
        stats = instance.get_run_stats(result.run_id)  # the run's own times (not the monitoring's after it)
        monitored = after_run(
            paths, instance, result.run_id, defs.resolve_asset_graph(), target,
            [s.name for s in chosen] or list(registry()), result.success,
            store.from_timestamp(stats.start_time) if stats.start_time else started_at,
            store.from_timestamp(stats.end_time) if stats.end_time else None,
        )  # fmt: skip
    try:
        docs = worker.render_docs(paths, result.run_id)
    except Exception as exc:  # the pages are a view of the results; the build's outcome stands without them
        docs = f"not rendered ({type(exc).__name__}: {exc})"
    elapsed = time.perf_counter() - started

    failures: list[str] = []
    gates: list[str] = []
    checks_passed = checks_failed = checks_warned = gates_passed = 0
    materialized = 0
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            failures.append(f"step {event.step_key} failed: {root_cause(error) if error else 'unknown error'}")
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialized += 1
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            is_gate = evaluation.check_name.startswith("ge_")
            warned = not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN
            if is_gate and evaluation.passed:
                gates_passed += 1
            elif is_gate:
                gates.append(f"  {'WARNING' if warned else 'FAILED'}  {evaluation.description}")
            if evaluation.passed:
                checks_passed += 1
            elif warned:
                checks_warned += 1
            else:
                checks_failed += 1
                failures.append(f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed")
                detail = evaluation.metadata.get("failures")
                if is_gate and detail is not None:
                    failures.extend(f"    {line}" for line in str(detail.value).splitlines())
                dataset = _failed_dataset(evaluation.asset_key.path) if is_gate else None
                if dataset:
                    shown = evaluation.metadata.get("deliveries")
                    suite = f"expectations/silver/{evaluation.asset_key.path[-1]}.json"
                    failures.append(
                        _set_aside_hint(paths, dataset, str(shown.value).split(", ") if shown else [])
                        + f"; data that is right: widen the suite, {suite}"
                    )
    status = "succeeded" if result.success else "FAILED"
    warned = f", {checks_warned} warned" if checks_warned else ""
    print(
        f"build {status} in {elapsed:.1f} s: {materialized} assets materialized, "
        f"{checks_passed} checks passed{warned}, {checks_failed} failed (run {result.run_id})"
    )
    print(f"time: {time_breakdown(step_seconds(), elapsed)}")
    if gates or gates_passed:
        print(f"quality gates (Great Expectations): {gates_passed} passed, {len(gates)} not; Data Docs: {docs}")
        for line in gates:
            print(line)
    print(f"full log: {paths.home / 'logs' / f'build-{result.run_id}.log'} (dbt's: {paths.home / 'logs' / 'dbt.log'})")
    for failure in failures:
        print(f"  - {printable(failure)}")
    quarantined, newly = quarantined_in(paths, result.run_id)
    if quarantined:
        count = "1 delivery" if len(quarantined) == 1 else f"{len(quarantined)} deliveries"
        print(f"{count} quarantined (kept as delivered, left out of silver and gold):")
        for line in quarantined:
            print(f"  - {line}")
        print("  `medallion deliveries` lists them; `medallion quarantine release ID` admits one as it is,")
        print("  `medallion quarantine drop ID` sets it aside for good.")
        if newly and notify_failure(
            f"build {result.run_id}: {len(quarantined)} deliveries quarantined",
            {"run_id": result.run_id, "job": job_name, "quarantined": quarantined},
            status="quarantine",
        ):
            print("quarantine notice sent to $MEDALLION_WEBHOOK_URL")
    if not result.success:
        print("gold was not published: the current version is unchanged (`medallion versions` lists them)")
    for line in monitored:
        print(line)
    if result.success and before is not None:
        uptodate.record(paths, before, uptodate.take(paths, target, chosen), result.run_id)
    return 0 if result.success else 1
