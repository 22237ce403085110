"""Tweets loader: landed files -> bronze.tweets_lines."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from orchestration import deliveries
from orchestration.core import build_lock
from orchestration.core.inbox import land_inbox
from orchestration.core.landing import Manifest
from orchestration.core.lines import load_landed
from orchestration.settings import Paths, target_name
from orchestration.warehouse import current


@asset(
    key=["bronze", "tweets_lines"],
    group_name="tweets",
    kinds={"python", target_name()},
    description=(
        "Every line of every landed tweets file, verbatim, with lineage "
        "(file, sha256, line number, landed/loaded at, ingestion id). "
        "Land files with `medallion land tweets PATH_OR_URL`, or drop them into "
        "$MEDALLION_HOME/inbox/tweets/ for the next build."
    ),
)
def tweets_lines(context: AssetExecutionContext) -> MaterializeResult:
    paths = Paths.from_env()
    build_lock.hold(paths, context.log.info)
    inbox = land_inbox(paths, "tweets")
    if inbox.landed or inbox.skipped:
        context.log.info(f"inbox: landed {inbox.landed}, already landed {inbox.skipped}")
    if inbox.rejected:
        raise Failure(
            description="inbox files could not be landed (moved to inbox/tweets/rejected/): "
            + "; ".join(inbox.rejected),
        )
    summary = load_landed("tweets", paths, progress=False)
    deliveries.sync(paths)
    landed = Manifest(paths.landing("tweets")).entries()
    context.log.info(
        f"loaded {summary.ingestions} new landing(s), {summary.lines} lines "
        f"({summary.invalid_utf8} not valid UTF-8); {len(landed)} landing(s) in total"
    )
    return MaterializeResult(
        metadata={
            "new_ingestions": summary.ingestions,
            "new_lines": summary.lines,
            "invalid_utf8_lines": summary.invalid_utf8,
            "landings_total": len(landed),
            "lines_total": sum(e.line_count for e in landed),
            "warehouse": MetadataValue.text(current(paths).location()),
        }
    )
