"""Read the three answers from gold."""

from __future__ import annotations

from typing import Any

import duckdb

from orchestration.settings import Paths


class AnswersUnavailable(Exception):
    pass


def read_answers(paths: Paths) -> dict[str, list[dict[str, Any]]]:
    if not paths.warehouse.exists():
        raise AnswersUnavailable(
            f"{paths.warehouse}: no warehouse yet; run `medallion land tweets FILE` and `medallion build`"
        )
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        q1 = con.execute(
            "select strftime(tweet_date, '%Y-%m-%d'), tweet_count, top_username, top_username_tweet_count"
            " from gold.tweets_top_dates order by rank"
        ).fetchall()
        q2 = con.execute("select emoji, emoji_count from gold.tweets_top_emojis order by rank").fetchall()
        q3 = con.execute("select username, mention_count from gold.tweets_top_mentions order by rank").fetchall()
    except duckdb.CatalogException as exc:
        raise AnswersUnavailable(f"gold tables missing ({exc}); run `medallion build`") from exc
    finally:
        con.close()
    return {
        "q1": [{"date": d, "tweet_count": c, "top_username": u, "top_username_tweet_count": uc} for d, c, u, uc in q1],
        "q2": [{"emoji": e, "count": c} for e, c in q2],
        "q3": [{"username": u, "mention_count": c} for u, c in q3],
    }


def format_answers(answers: dict[str, list[dict[str, Any]]]) -> str:
    out = ["Q1  busiest dates and their most active user"]
    for i, row in enumerate(answers["q1"], 1):
        out.append(
            f"  {i:>2}. {row['date']}  {row['tweet_count']:>7,} tweets   "
            f"{row['top_username']} ({row['top_username_tweet_count']:,})"
        )
    out.append("Q2  most used emoji")
    for i, row in enumerate(answers["q2"], 1):
        out.append(f"  {i:>2}. {row['emoji']}  {row['count']:>7,}")
    out.append("Q3  most mentioned users")
    for i, row in enumerate(answers["q3"], 1):
        out.append(f"  {i:>2}. {row['username']:<20} {row['mention_count']:>7,}")
    return "\n".join(out)
