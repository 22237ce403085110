"""`medallion build`: run the Dagster asset graph in-process, report, exit code."""

from __future__ import annotations

import os
import time

from orchestration.dbt_project import prepare_dbt
from orchestration.notify import notify_failure
from orchestration.settings import Paths


def build(paths: Paths, job_name: str = "build_everything") -> int:
    os.environ["DAGSTER_HOME"] = str(paths.ensure_dagster_home())
    prepare_dbt()

    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    started = time.perf_counter()
    job = defs.resolve_job_def(job_name)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={"medallion/trigger": "cli"},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    elapsed = time.perf_counter() - started

    failures: list[str] = []
    gates: list[str] = []
    checks_passed = checks_failed = 0
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
            if is_gate:
                gates.append(f"  {'passed' if evaluation.passed else 'FAILED'}  {evaluation.description}")
            if evaluation.passed:
                checks_passed += 1
            else:
                checks_failed += 1
                failures.append(f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed")
                detail = evaluation.metadata.get("failures")
                if is_gate and detail is not None:
                    failures.extend(f"    {line}" for line in str(detail.value).splitlines())
    status = "succeeded" if result.success else "FAILED"
    print(
        f"build {status} in {elapsed:.1f} s: {materialized} assets materialized, "
        f"{checks_passed} checks passed, {checks_failed} failed (run {result.run_id})"
    )
    if gates:
        print("quality gates (Great Expectations):")
        print("\n".join(gates))
        print(f"  Data Docs: {paths.home / 'gx' / 'uncommitted' / 'data_docs' / 'local_site' / 'index.html'}")
    for failure in failures:
        print(f"  - {failure}")
    if not result.success:
        print("gold was not published: the current version is unchanged (`medallion versions` lists them)")
        if notify_failure(
            f"build {result.run_id} failed",
            {"run_id": result.run_id, "job": job_name, "failures": failures},
        ):
            print("failure notice sent to $MEDALLION_WEBHOOK_URL")
    return 0 if result.success else 1
