"""Read the three answers from gold."""

from __future__ import annotations

import json
from typing import Any

from orchestration import warehouse
from orchestration.settings import Paths
from orchestration.warehouse import fetchall


class AnswersUnavailable(Exception):
    pass


def _connect(paths: Paths) -> tuple[Any, Any]:
    """Gold as readers see it: never the file a running build holds (see warehouse.py)."""
    target = warehouse.current(paths)
    try:
        return target, target.connect_gold()
    except warehouse.WarehouseUnavailable as exc:
        raise AnswersUnavailable(str(exc)) from exc


def read_answers(paths: Paths, version: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The answers of the current gold version, or of `version` (e.g. 20261122T103000Z)."""
    target, con = _connect(paths)
    suffix, where, params = ("__versions", "where version_id = ?", [version]) if version else ("", "", [])
    try:
        if version and not fetchall(con, "select count(*) from gold.versions where version_id = ?", params)[0][0]:
            raise AnswersUnavailable(f"no gold version {version}; `medallion versions` lists the kept ones")
        q1 = fetchall(
            con,
            "select cast(tweet_date as varchar), tweet_count, top_username, top_username_tweet_count"
            f" from gold.tweets_top_dates{suffix} {where} order by rank",
            params,
        )
        q2 = fetchall(
            con, f"select emoji, emoji_count from gold.tweets_top_emojis{suffix} {where} order by rank", params
        )
        q3 = fetchall(
            con, f"select username, mention_count from gold.tweets_top_mentions{suffix} {where} order by rank", params
        )
    except Exception as exc:
        if target.is_missing_relation(exc):
            raise AnswersUnavailable(
                f"gold tables missing in {target.location()} ({exc}); run `medallion build`"
            ) from exc
        raise
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


def read_versions(paths: Paths) -> list[dict[str, Any]]:
    """Every kept gold version, newest first."""
    target, con = _connect(paths)
    try:
        rows = fetchall(
            con,
            "select version_id, run_id, run_started_at, published_at, source_files, row_counts, gate_results"
            " from gold.versions order by version_id desc",
        )
    except Exception as exc:
        if target.is_missing_relation(exc):
            raise AnswersUnavailable(f"no gold version yet in {target.location()}; run `medallion build`") from exc
        raise
    finally:
        con.close()
    return [
        {
            "version_id": v,
            "run_id": run,
            "run_started_at": started.isoformat(),
            "published_at": published.isoformat(),
            "source_files": _json(files, []),
            "row_counts": _json(counts, {}),
            "gate_results": _json(gates, {}),
            "current": i == 0,
        }
        for i, (v, run, started, published, files, counts, gates) in enumerate(rows)
    ]


def _json(text: str | None, empty: Any) -> Any:
    """A registry column's JSON; a value that is not JSON (written by an older release) is shown as text."""
    if text is None:
        return empty
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _count(files: Any) -> str:
    return str(len(files)) if isinstance(files, list) else "?"


def format_versions(versions: list[dict[str, Any]]) -> str:
    out = [f"{'version':<18} {'published (UTC)':<20} {'files':>5} {'gates':>7}  run"]
    for v in versions:
        gates = v["gate_results"] if isinstance(v["gate_results"], dict) else {}
        passed = sum(1 for ok in gates.values() if ok)
        mark = " (current)" if v["current"] else ""
        out.append(
            f"{v['version_id']:<18} {v['published_at'][:19]:<20} {_count(v['source_files']):>5} "
            f"{passed:>3}/{len(gates):<3}  {v['run_id']}{mark}"
        )
    return "\n".join(out)
