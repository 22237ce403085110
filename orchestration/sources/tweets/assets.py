"""The tweets source in Dagster: its inbox and bronze loader, and the tweets-per-day chart from gold."""

import base64

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from orchestration.core import build_lock, deliveries
from orchestration.core.charts import bar_chart
from orchestration.core.inbox import land_inbox
from orchestration.core.landing import Manifest
from orchestration.core.resources import SettingsResource
from orchestration.settings import load as load_settings
from orchestration.sources.tweets.bronze import load
from orchestration.warehouse import current, fetchall


@asset(
    key=["bronze", "tweets_lines"],
    group_name="tweets",
    kinds={"python", load_settings().target},
    description=(
        "Every line of every landed tweets file, verbatim, with lineage "
        "(file, sha256, line number, landed/loaded at, ingestion id). "
        "Land files with `medallion land tweets PATH_OR_URL`, or drop them into "
        "$MEDALLION_HOME/inbox/tweets/ for the next build."
    ),
)
def tweets_lines(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    paths = settings.get().paths
    build_lock.hold(paths, context.log.info)
    inbox = land_inbox(paths, "tweets")
    if inbox.landed or inbox.skipped:
        context.log.info(f"inbox: landed {inbox.landed}, already landed {inbox.skipped}")
    if inbox.rejected:
        raise Failure(
            description="inbox files could not be landed (moved to inbox/tweets/rejected/): "
            + "; ".join(inbox.rejected),
        )
    summary = load(paths, progress=False)
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


def _image(svg: str) -> str:
    return f"![chart](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"


@asset(
    key=["gold", "tweets_charts"],
    group_name="tweets",
    kinds={"python", "svg"},
    deps=[AssetKey(["gold", "tweets_top_emojis"]), AssetKey(["gold", "versions"])],
    description="Charts of the current gold version: tweets per day (all days, from silver) and the top 10 emoji.",
)
def tweets_charts(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    paths = settings.get().paths
    build_lock.hold(paths, context.log.info)
    con = current(paths).connect()
    try:
        days = [
            (day[5:], count)
            for day, count in fetchall(
                con, "select cast(tweet_date as varchar), count(*) from silver.int_tweets__tweets group by 1 order by 1"
            )
        ]
        emojis = fetchall(con, "select emoji, emoji_count from gold.tweets_top_emojis order by rank")
        version = fetchall(con, "select max(version_id) from gold.versions")[0][0]
    finally:
        con.close()
    per_day = bar_chart(f"Tweets per day (UTC), version {version}", [d for d, _ in days], [n for _, n in days])
    top_emoji = bar_chart("Top 10 emoji", [e for e, _ in emojis], [n for _, n in emojis], width=480)
    folder = paths.home / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tweets_per_day.svg").write_text(per_day)
    (folder / "tweets_top_emojis.svg").write_text(top_emoji)
    context.log.info(f"charts written to {folder}")
    return MaterializeResult(
        metadata={
            "tweets_per_day": MetadataValue.md(_image(per_day)),
            "top_emoji": MetadataValue.md(_image(top_emoji)),
            "tweets_per_day_svg": MetadataValue.path(str(folder / "tweets_per_day.svg")),
            "gold_version": version,
        }
    )
