"""Quality gates hold at every layer, gold is versioned, and author profiles keep their history.

One warehouse goes through: two good builds (two versions; older one readable;
a profile change recorded by the snapshot), then bad data at silver and at
gold -- each stopped at its layer with a message naming the failure, and
gold's current version untouched every time -- and a bad delivery, which its
own gate quarantines while the build publishes everything else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import gate_result
from conftest import medallion as run
from conftest import succeeded as ok

from tools import reference
from tools.generate import Options, generate

pytestmark = pytest.mark.integration


def answers(home: Path, *extra: str) -> dict[str, Any]:
    return json.loads(ok(run(home, "answers", "--json", *extra)))


def versions(home: Path) -> list[dict[str, Any]]:
    return json.loads(ok(run(home, "versions", "--json")))


def execute(home: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def profile_changes(source: Path, out: Path) -> Path:
    """New tweets by authors of `source` whose follower counts have changed."""
    lines = []
    for i, raw in enumerate(source.read_bytes().splitlines()[:200]):
        tweet = json.loads(raw)
        tweet["id"] = 1_500_000_000_000_000_000 + i
        tweet["user"]["followersCount"] += 1000
        tweet["user"]["location"] = "Singhu border"
        lines.append(json.dumps(tweet))
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("gates")
    a = generate(root / "a.jsonl", Options(rows=1500, seed=31, offset_share=0.2), progress=False)
    b = profile_changes(a, root / "b.jsonl")
    bad = generate(root / "bad.jsonl", Options(rows=600, seed=32, malformed_share=0.05), progress=False)
    return {"home": root / "home", "a": a, "b": b, "bad": bad, "state": {}}


def test_two_good_builds_leave_two_versions_and_current_is_the_latest(world: dict[str, Any]) -> None:
    home = world["home"]
    ok(run(home, "land", "tweets", str(world["a"]), "--quiet"))
    first = ok(run(home, "build"))
    assert gate_result(first, "bronze.tweets_lines").startswith("passed")
    assert gate_result(first, "gold.tweets_top_dates").startswith("passed")
    ok(run(home, "land", "tweets", str(world["b"]), "--quiet"))
    ok(run(home, "build"))
    kept = versions(home)
    assert len(kept) == 2 and kept[0]["current"] and not kept[1]["current"]
    assert kept[0]["version_id"] > kept[1]["version_id"]
    assert [f["file"] for f in kept[0]["source_files"]] == ["a.jsonl", "b.jsonl"]
    assert kept[0]["row_counts"] == {"tweets_top_dates": 10, "tweets_top_emojis": 10, "tweets_top_mentions": 10}
    assert set(kept[0]["gate_results"].values()) == {True} and len(kept[0]["gate_results"]) == 8
    assert answers(home) == reference.answers([world["a"], world["b"]])
    assert answers(home, "--version", kept[1]["version_id"]) == reference.answers([world["a"]])
    world["state"]["current"] = answers(home)
    world["state"]["versions"] = [v["version_id"] for v in kept]


def test_the_snapshot_records_profile_changes(world: dict[str, Any]) -> None:
    rows = execute(
        world["home"],
        "select user_id, count(*), count(dbt_valid_to),"
        " count(*) filter (where dbt_valid_to is null and location = 'Singhu border'),"
        " max(dbt_valid_to) = max(dbt_valid_from)"
        " from silver.snap_tweets__authors group by user_id having count(*) > 1",
    )
    changed = {json.loads(line)["user"]["id"] for line in world["b"].read_text().splitlines()}
    assert {r[0] for r in rows} == changed, "exactly the authors whose profile changed have a second version"
    for _user, n_versions, closed, current_is_new, contiguous in rows:
        assert (n_versions, closed, current_is_new, contiguous) == (2, 1, 1, True)


def assert_gold_untouched(world: dict[str, Any]) -> None:
    home = world["home"]
    assert answers(home) == world["state"]["current"]
    assert [v["version_id"] for v in versions(home)] == world["state"]["versions"]


def test_duplicate_ids_forced_into_silver_stop_at_silver(world: dict[str, Any]) -> None:
    home = world["home"]
    execute(home, "insert into silver.int_tweets__tweets select * from silver.int_tweets__tweets limit 3")
    result = run(home, "build")
    assert result.returncode == 1
    assert "build FAILED" in result.stdout
    assert "unique_int_tweets__tweets_tweet_id" in result.stdout
    assert "gold was not published" in result.stdout
    assert_gold_untouched(world)
    execute(
        home,
        "create or replace table silver.int_tweets__tweets as select distinct * from silver.int_tweets__tweets",
    )


def test_a_tampered_gold_candidate_is_never_published(world: dict[str, Any]) -> None:
    home = world["home"]
    execute(home, "update gold_candidate.tweets_top_dates set tweet_count = tweet_count + 1 where rank = 1")
    result = run(home, "build", "--publish-only")
    assert result.returncode == 1
    assert "FAILED  gold.tweets_top_dates" in result.stdout
    assert "expect_column_pair_values_to_be_equal(tweet_count, silver_count)" in result.stdout
    # A passing suite is judged without examples; a failing one is run again to show them.
    assert "observed 1 unexpected" in result.stdout
    assert "disagrees with the same count taken straight from silver" in result.stdout
    assert_gold_untouched(world)


def test_a_file_with_five_percent_malformed_lines_is_quarantined_and_the_rest_publishes(world: dict[str, Any]) -> None:
    home = world["home"]
    ok(run(home, "land", "tweets", str(world["bad"]), "--quiet"))
    result = run(home, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "WARNING  silver.stg_tweets__lines: 1 delivery judged: 0 admitted, 1 quarantined" in result.stdout
    share = re.search(
        r"\(bad\.jsonl\): expect_column_values_to_be_between\(reject_share\): reject_share = ([0-9.]+)\.", result.stdout
    )
    assert share and 0.01 < float(share.group(1)) < 0.1, result.stdout[-3000:]
    assert "Too many of this delivery's lines are not tweets" in result.stdout
    assert answers(home) == world["state"]["current"], "the quarantined delivery is not in gold"
    kept = versions(home)
    assert kept[0]["version_id"] not in world["state"]["versions"]
    assert [f["file"] for f in kept[0]["source_files"]] == ["a.jsonl", "b.jsonl"]
    assert execute(home, "select count(*) from silver.int_tweets__tweets where source_file = 'bad.jsonl'") == [(0,)]
    listed = json.loads(ok(run(home, "deliveries", "--json")))
    assert [(d["name"], d["state"]) for d in listed] == [
        ("a.jsonl", "admitted"),
        ("b.jsonl", "admitted"),
        ("bad.jsonl", "quarantined"),
    ]
    world["state"]["versions"] = [v["version_id"] for v in kept]


def test_a_higher_reject_threshold_lets_it_through_and_retention_prunes(world: dict[str, Any]) -> None:
    home = world["home"]
    ok(run(home, "build", MEDALLION_MAX_REJECT_RATE="0.10", MEDALLION_GOLD_RETENTION="2"))
    kept = versions(home)
    assert len(kept) == 2
    assert kept[1]["version_id"] == world["state"]["versions"][0]
    assert answers(home) == reference.answers([world["a"], world["b"], world["bad"]])
    gone = run(home, "answers", "--version", world["state"]["versions"][1])
    assert gone.returncode == 2 and "no gold version" in gone.stderr
    states = {d["name"]: d["state"] for d in json.loads(ok(run(home, "deliveries", "--json")))}
    assert states["bad.jsonl"] == "admitted", "a quarantined delivery is judged again by every build"


def test_a_failure_names_what_its_expectation_looks_at() -> None:
    """A failed expectation is named by its column(s), or `table` for one about the whole table (it read
    `(None, None)` before)."""
    from orchestration.quality.gates import _columns

    assert _columns({"column": "amount", "min_value": 0}) == "amount"
    assert _columns({"column_list": ["grade", "issued"]}) == "grade, issued"
    assert _columns({"column_A": "tweet_count", "column_B": "silver_count"}) == "tweet_count, silver_count"
    assert _columns({"min_value": 1}) == "table"
