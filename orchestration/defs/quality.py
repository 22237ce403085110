"""One blocking asset check per Great Expectations suite in expectations/<layer>/.

A failed gate stops every asset downstream of the one it checks, in the same
run: bad bronze never reaches silver, bad silver never reaches gold, and a
bad gold candidate is never published. A per-delivery gate instead sets the
deliveries that fail it aside (quarantine) and lets the rest through: it
reports them as a warning (severity WARN does not block) and fails, blocking,
only when it cannot judge at all.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.core import build_lock
from orchestration.core.resources import TRIGGER_TAG, SettingsResource
from orchestration.quality.gates import SuiteFile, suite_files
from orchestration.quality.worker import run_suite


def gate_for(suite_file: SuiteFile) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(list(suite_file.asset_key)),
        name=suite_file.check_name,
        blocking=True,
        description=f"Great Expectations suite {suite_file.name} ({suite_file.path.name}): {suite_file.description}",
    )
    def gate(context: AssetCheckExecutionContext, settings: SettingsResource) -> AssetCheckResult:
        paths = settings.get().paths
        build_lock.hold(paths, context.log.info)
        run = context.op_execution_context
        # `medallion build` renders the run's Data Docs once at its end; a run from the UI, a schedule or a
        # sensor has no such end, so each of its gates renders its own page.
        from_cli = run.run.tags.get(TRIGGER_TAG) == "cli"
        result = run_suite(suite_file, paths, run.run_id, docs=not from_cli)
        context.log.info(result.summary())
        metadata = {
            "suite": suite_file.name,
            "expectations": result.evaluated,
            "failed": len(result.failures),
            "failures": MetadataValue.md("\n".join(f"- {f.line()}" for f in result.failures) or "none"),
        }
        if result.deliveries:  # whose rows the failures showed (a table that keeps its lineage)
            metadata["deliveries"] = ", ".join(result.deliveries)
        if result.verdicts is not None:
            metadata["admitted"] = len(result.verdicts) - len(result.quarantined)
            metadata["quarantined"] = len(result.quarantined)
            metadata["verdicts"] = MetadataValue.md("\n".join(f"- {v.line()}" for v in result.verdicts) or "none")
        if result.docs_url:
            metadata["data_docs"] = MetadataValue.url(result.docs_url)
        return AssetCheckResult(
            passed=result.success and not result.quarantined,
            severity=AssetCheckSeverity.WARN if result.quarantined else AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=result.summary(),
        )

    return gate


quality_gates = [gate_for(suite_file) for suite_file in suite_files()]
