"""`medallion build`: run the Dagster asset graph in-process, report, exit code."""

from __future__ import annotations

import os
import time

from orchestration.core import build_lock
from orchestration.core.notify import notify_failure
from orchestration.core.source import registry
from orchestration.dbt_project import prepare_dbt
from orchestration.settings import Paths, load

# The gold registry every source's build shares.
SHARED = ("platform",)


def quarantined_in(paths: Paths, run_id: str) -> tuple[list[str], bool]:
    """Each delivery a per-delivery gate of this run left in quarantine, with its reasons; and whether
    any of them was newly quarantined by this run (the others were already, and stay)."""
    from orchestration.quality.gates import recorded

    left = [v for data in recorded(paths, run_id) for v in data.get("verdicts") or [] if not v["admitted"]]
    lines = [f"{v['delivery_id']} ({v['name']}): " + " | ".join(v["reasons"]) for v in left]
    return lines, any(v["changed"] for v in left)


def build(
    paths: Paths, job_name: str = "build_everything", sources: list[str] | None = None, full_refresh: bool = False
) -> int:
    os.environ["DAGSTER_HOME"] = str(paths.ensure_dagster_home())
    build_lock.hold(paths)
    prepare_dbt()

    from dagster import AssetCheckSeverity, AssetKey, AssetSelection, DagsterEventType, DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.dbt_assets import FULL_REFRESH_TAG

    job = defs.resolve_job_def(job_name)
    if job_name == "build_everything":
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
        if not chosen:
            print("nothing to build")
            return 0
        groups = [*(s.name for s in chosen), *(g for s in chosen for g in s.needs), *SHARED]
        scheduled_only = [AssetKey.from_user_string(k) for s in chosen for k in s.scheduled_only]
        selection = AssetSelection.groups(*groups) - AssetSelection.assets(*scheduled_only)
        graph = defs.resolve_asset_graph()
        job = job.get_subset(
            asset_selection=selection.resolve(graph), asset_check_selection=selection.resolve_checks(graph)
        )

    started = time.perf_counter()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={"medallion/trigger": "cli", **({FULL_REFRESH_TAG: "true"} if full_refresh else {})},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    elapsed = time.perf_counter() - started

    failures: list[str] = []
    gates: list[str] = []
    checks_passed = checks_failed = checks_warned = 0
    materialized = 0
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            failures.append(f"step {event.step_key} failed: {error.message.strip() if error else 'unknown error'}")
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialized += 1
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            is_gate = evaluation.check_name.startswith("ge_")
            warned = not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN
            if is_gate:
                state = "passed" if evaluation.passed else "WARNING" if warned else "FAILED"
                gates.append(f"  {state}  {evaluation.description}")
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
    status = "succeeded" if result.success else "FAILED"
    warned = f", {checks_warned} warned" if checks_warned else ""
    print(
        f"build {status} in {elapsed:.1f} s: {materialized} assets materialized, "
        f"{checks_passed} checks passed{warned}, {checks_failed} failed (run {result.run_id})"
    )
    if gates:
        print("quality gates (Great Expectations):")
        print("\n".join(gates))
        print(f"  Data Docs: {paths.home / 'gx' / 'uncommitted' / 'data_docs' / 'local_site' / 'index.html'}")
    for failure in failures:
        print(f"  - {failure}")
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
        if notify_failure(
            f"build {result.run_id} failed",
            {"run_id": result.run_id, "job": job_name, "failures": failures},
        ):
            print("failure notice sent to $MEDALLION_WEBHOOK_URL")
    return 0 if result.success else 1
