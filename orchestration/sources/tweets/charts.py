"""Tweets per day and the top emoji, drawn from the published gold version."""

import base64

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.core import build_lock
from orchestration.core.charts import bar_chart
from orchestration.settings import Paths
from orchestration.warehouse import current, fetchall


def _image(svg: str) -> str:
    return f"![chart](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"


@asset(
    key=["gold", "tweets_charts"],
    group_name="tweets",
    kinds={"python", "svg"},
    deps=[AssetKey(["gold", "tweets_top_emojis"]), AssetKey(["gold", "gold_versions"])],
    description="Charts of the current gold version: tweets per day (all days, from silver) and the top 10 emoji.",
)
def tweets_charts(context: AssetExecutionContext) -> MaterializeResult:
    paths = Paths.from_env()
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
