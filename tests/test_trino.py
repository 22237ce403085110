"""The same project on Trino + Iceberg: start the stack, build, compare with DuckDB and Python, stop.

`make test` runs this like every other test: `medallion trino up` installs
Trino 476 from Maven Central (cached in ~/.m2) and PostgreSQL from Debian if
missing, and the module's teardown stops both. One home holds both engines'
warehouses, so each comparison reads the very same landed files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import emoji
import pytest
from conftest import free_port, gate_result
from test_pipeline import DIVERGENT_CONTENT, EDGE_CONTENTS, dirty_deliveries

from orchestration.settings import PROJECT_DIR
from tools import reference
from tools.generate import Options

pytestmark = pytest.mark.integration


class Env:
    def __init__(self, home: Path):
        self.home = home
        self.base = {
            **os.environ,
            "MEDALLION_HOME": str(home),
            "MEDALLION_TRINO_PORT": str(free_port()),
            "MEDALLION_PG_PORT": str(free_port()),
            "MEDALLION_MAX_REJECT_RATE": "0.05",
            "MEDALLION_FORECAST_RECORDS": "100,100000",
        }

    def run(self, target: str, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
        env = {**self.base, "MEDALLION_TARGET": target}
        return subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    def ok(self, target: str, *args: str) -> str:
        result = self.run(target, *args)
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        return result.stdout

    def answers(self, target: str) -> dict[str, Any]:
        return json.loads(self.ok(target, "answers", "--json"))

    def trino(self, sql: str) -> list[tuple[Any, ...]]:
        import trino

        con = trino.dbapi.connect(
            host="127.0.0.1", port=int(self.base["MEDALLION_TRINO_PORT"]), user="medallion", catalog="iceberg"
        )
        try:
            cur = con.cursor()
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            con.close()

    def duckdb(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[Env]:
    # As root, PostgreSQL runs as Debian's `postgres` user, which must reach the
    # home: a world-traversable folder under /tmp rather than pytest's 0700 one.
    home = Path(tempfile.mkdtemp(prefix="medallion-trino-"))
    home.chmod(0o755)
    env = Env(home)
    started = time.perf_counter()
    up = env.run("trino", "trino", "up")
    print(f"\ntrino up: {time.perf_counter() - started:.1f} s\n{up.stdout}")
    try:
        assert up.returncode == 0, f"trino up failed:\n{up.stdout}\n{up.stderr}"
        yield env
    finally:
        down = env.run("trino", "trino", "down")
        assert down.returncode == 0, down.stderr
        assert "not answering" in env.ok("trino", "trino", "status")


@pytest.fixture(scope="module")
def world(stack: Env, tmp_path_factory: pytest.TempPathFactory, real_sample: Path) -> dict[str, Any]:
    return dirty_deliveries(
        tmp_path_factory.mktemp("trino-data"),
        real_sample,
        Options(rows=2500, seed=21, duplicate_share=0.05, malformed_share=0.02, offset_share=0.3),
        Options(rows=1000, seed=22, malformed_share=0.01),
    )


def test_trino_builds_the_python_answers_and_duckdbs(stack: Env, world: dict[str, Any]) -> None:
    landed = stack.ok("trino", "land", "tweets", str(world["a"]), str(world["b"]), str(world["edge"]), "--quiet")
    assert "landed 2,500 lines" in landed
    started = time.perf_counter()
    build = stack.ok("trino", "build")
    print(f"trino build 1: {time.perf_counter() - started:.1f} s")
    assert "build succeeded" in build
    assert gate_result(build, "bronze.tweets_lines").startswith("passed")
    assert gate_result(build, "gold.tweets_top_emojis").startswith("passed")
    expected = reference.answers([world["a"], world["b_plain"], world["edge"]])
    assert stack.answers("trino") == expected
    stack.ok("duckdb", "build")
    assert stack.answers("duckdb") == expected


def test_bronze_on_iceberg_keeps_every_line_with_its_lineage(stack: Env, world: dict[str, Any]) -> None:
    files = {"a.jsonl": world["a"], "b.jsonl.gz": world["b_plain"], "edge.jsonl": world["edge"]}
    rows = stack.trino(
        "select source_file, count(*), max(line_number), count(distinct ingestion_seq) "
        "from bronze.tweets_lines group by source_file"
    )
    assert {r[0]: r[1:] for r in rows} == {
        name: (len(p.read_bytes().splitlines()), len(p.read_bytes().splitlines()), 1) for name, p in files.items()
    }
    kinds = stack.trino("select table_name, table_type from information_schema.tables where table_schema = 'bronze'")
    assert ("tweets_lines", "BASE TABLE") in kinds
    # The Iceberg files are on the local lake, catalogued in PostgreSQL.
    assert any((stack.home / "lake" / "iceberg" / "bronze").glob("tweets_lines-*/data/**/*.parquet"))


def test_every_dispatch_macro_gives_duckdbs_rows_on_trino(stack: Env) -> None:
    """JSON parsing, date handling, regex and unnesting: silver is row for row the same."""
    same = [
        (
            "select source_file, line_number, coalesce(reject_reason, '') from silver.stg_tweets__lines",
            "select source_file, line_number, coalesce(reject_reason, '') from silver.stg_tweets__lines",
        ),
        (
            "select tweet_id, content, cast(tweet_date as varchar), cast(tweeted_at as varchar), username "
            "from silver.int_tweets__tweets",
            "select tweet_id, content, cast(tweet_date as varchar), "
            "strftime(tweeted_at, '%Y-%m-%d %H:%M:%S.%f'), username from silver.int_tweets__tweets",
        ),
        (
            "select tweet_id, mention_position, mentioned_username from silver.int_tweets__mentions",
            "select tweet_id, mention_position, mentioned_username from silver.int_tweets__mentions",
        ),
        (
            "select tweet_id, emoji_position, emoji from silver.int_tweets__emojis",
            "select tweet_id, emoji_position, emoji from silver.int_tweets__emojis",
        ),
    ]
    for trino_sql, duckdb_sql in same:
        on_trino = sorted(stack.trino(trino_sql))
        assert on_trino, trino_sql
        assert on_trino == sorted(stack.duckdb(duckdb_sql)), trino_sql


def test_emoji_on_trino_equal_emoji_list(stack: Env, world: dict[str, Any]) -> None:
    tweets = reference.latest_tweets([world["a"], world["b_plain"], world["edge"]])
    got = {
        tweet_id: [e for _, e in sorted(zip(positions, emojis, strict=True))]
        for tweet_id, positions, emojis in stack.trino(
            "select tweet_id, array_agg(emoji_position), array_agg(emoji) from silver.int_tweets__emojis "
            "group by tweet_id"
        )
    }
    divergent = 900000000000000000 + len(EDGE_CONTENTS)
    assert tweets[divergent]["content"] == DIVERGENT_CONTENT
    mismatches = {
        i: (got.get(i, []), [m["emoji"] for m in emoji.emoji_list(t["content"] or "")])
        for i, t in tweets.items()
        if i != divergent and got.get(i, []) != [m["emoji"] for m in emoji.emoji_list(t["content"] or "")]
    }
    assert not mismatches, list(mismatches.items())[:5]
    assert sum(len(v) for v in got.values()) > 2000


def test_redeliveries_merge_incrementally_and_snapshot_keeps_history(stack: Env, world: dict[str, Any]) -> None:
    stack.ok("trino", "land", "tweets", str(world["c"]), str(world["sample"]), "--quiet")
    snapshots_sql = 'select snapshot_id from reference."emoji_walks$snapshots" order by committed_at'
    seed_snapshots = stack.trino(snapshots_sql)
    started = time.perf_counter()
    build = stack.ok("trino", "build")
    print(f"trino build 2 (incremental): {time.perf_counter() - started:.1f} s")
    # The unchanged seed was not loaded again (no new Iceberg snapshot), and its test still ran.
    assert stack.trino(snapshots_sql) == seed_snapshots
    assert re.search(r"^  dbt staging .* 2 assets, 7/7 checks passed$", build, re.MULTILINE), build[-3000:]
    files = [world["a"], world["b_plain"], world["edge"], world["c_plain"], world["sample"]]
    expected = reference.answers(files)
    got = stack.answers("trino")
    assert got == expected
    assert "redelivered_user" in {row["username"] for row in got["q3"]}
    stack.ok("duckdb", "build")
    assert stack.answers("duckdb") == expected
    # Two published versions, the newest current, the older still readable.
    versions = json.loads(stack.ok("trino", "versions", "--json"))
    assert len(versions) == 2 and versions[0]["current"]
    assert stack.ok("trino", "answers", "--json", "--version", versions[1]["version_id"])
    # Silver holds each tweet's latest delivery, exactly as on DuckDB.
    latest = reference.latest_tweets(files)
    rows = stack.trino("select tweet_id, content, cast(tweet_date as varchar) from silver.int_tweets__tweets")
    assert {r[0]: (r[1], r[2]) for r in rows} == {i: (t["content"], t["_date"]) for i, t in latest.items()}
    # The authors snapshot (timestamp(6) validity columns on Iceberg) matches DuckDB's shape.
    trino_snapshot = stack.trino(
        "select count(*), count(dbt_valid_to), count(distinct user_id) from silver.snap_tweets__authors"
    )
    duckdb_snapshot = stack.duckdb(
        "select count(*), count(dbt_valid_to), count(distinct user_id) from silver.snap_tweets__authors"
    )
    assert trino_snapshot == duckdb_snapshot
    assert trino_snapshot[0][1] > 0, "re-delivered authors should have closed history rows"


def test_a_bad_delivery_is_quarantined_on_trino_and_the_rest_publishes(stack: Env, tmp_path: Path) -> None:
    bad = tmp_path / "garbage.jsonl"
    bad.write_text("".join(f"not json {i}\n" for i in range(200)))
    lines = stack.trino("select count(*) from silver.stg_tweets__lines")[0][0]
    tweets = stack.trino("select count(*), sum(tweet_id % 1000003) from silver.int_tweets__tweets")
    answers = stack.answers("trino")
    stack.ok("trino", "land", "tweets", str(bad), "--quiet")
    # A seed whose table lost rows behind dbt's back is loaded again by the next build.
    stack.trino("delete from reference.emoji_walks where ordinal = 2")
    walks = len((PROJECT_DIR / "seeds" / "emoji_walks.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert stack.trino("select count(*) from reference.emoji_walks")[0][0] < walks
    build = stack.ok("trino", "build")
    assert stack.trino("select count(*) from reference.emoji_walks") == [(walks,)]
    assert "WARNING  silver.stg_tweets__lines: 1 delivery judged: 0 admitted, 1 quarantined" in build
    assert "(garbage.jsonl): expect_column_values_to_be_between(reject_share): reject_share = 1." in build
    assert stack.trino("select count(*) from silver.stg_tweets__lines") == [(lines + 200,)]
    assert stack.trino("select count(*), sum(tweet_id % 1000003) from silver.int_tweets__tweets") == tweets
    assert stack.answers("trino") == answers
    states = {d["name"]: d["state"] for d in json.loads(stack.ok("trino", "deliveries", "--json"))}
    assert states["garbage.jsonl"] == "quarantined"
    assert stack.trino("select state from platform.deliveries where delivery_name = 'garbage.jsonl'") == [
        ("quarantined",)
    ]


def test_the_local_stack_listens_on_loopback_only(stack: Env) -> None:
    ports = {int(stack.base["MEDALLION_TRINO_PORT"]), int(stack.base["MEDALLION_PG_PORT"])}
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) in ports:  # 0A: LISTEN
                listening.add((int(port, 16), address))
    assert {port for port, _ in listening} == ports, listening
    loopback = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}
    assert {address for _, address in listening} <= loopback, listening


def test_the_forecast_source_gives_duckdbs_gold_on_trino(stack: Env, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tools import forecast_generate as forecast
    from tools import forecast_reference

    places = forecast.municipalities(48, seed=8)
    now = datetime(2026, 11, 22, 15, 20, tzinfo=UTC)
    pulls = []
    for n, fetched_at in enumerate((now - timedelta(hours=1), now)):
        pull = tmp_path / f"pull-{n}.json.gz"
        pull.write_bytes(forecast.payload(forecast.records(places[: 48 - 8 * n], fetched_at, 6, seed=n)))
        stack.ok("trino", "land", "forecast", str(pull), "--fetched-at", fetched_at.isoformat())
        pulls.append((fetched_at, pull))
    folders = tmp_path / "data_municipios"
    data = forecast.write_municipios(folders, places[:40], datetime(2026, 11, 21), seed=9)
    # A delivered column name with a quote, a comma and template braces becomes a quoted Iceberg column.
    header, *rows = data.read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join([header + ',"Pob 2020\'s, {{ 7*7 }}"', *(r + ",x" for r in rows)]) + "\n")
    stack.ok("trino", "land", "municipios", str(folders))
    build = stack.ok("trino", "build", "--source", "forecast")
    assert gate_result(build, "gold.forecast_municipality_2h").startswith("passed")
    stack.ok("duckdb", "build", "--source", "forecast")
    sql = "select * from gold.forecast_municipality_enriched"
    on_trino = sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in stack.trino(sql))
    on_duckdb = sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in stack.duckdb(sql))
    assert len(on_trino) == 48 and on_trino == on_duckdb
    assert "pob 2020's, {{ 7*7 }}" in {r[0] for r in stack.trino("describe gold.forecast_municipality_enriched")}
    expected = forecast_reference.gold(pulls, [("20261121", folders / "20261121" / "data.csv")])
    got = {(row[0], row[1]): row for row in on_trino}
    assert {k: (v["hours_used"], v["data_date"]) for k, v in expected.items()} == {
        k: (row[4], row[-1]) for k, row in got.items()
    }


def test_trino_target_without_a_server_says_how_to_start_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MEDALLION_HOME": str(tmp_path),
        "MEDALLION_TARGET": "trino",
        "MEDALLION_TRINO_PORT": str(free_port()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "answers"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "Trino does not answer" in result.stderr and "make trino-up" in result.stderr


def test_a_dataset_onboarded_here_gives_duckdbs_rows_and_profiles_on_trino(stack: Env, tmp_path: Path) -> None:
    """A dataset the repo has never seen (a Latin-1 semicolon CSV with dates and timestamps, and nested JSON
    lines) onboarded, landed and built on Trino: partitioned Iceberg tables holding what DuckDB's processed
    zone holds, and the same profiles."""
    from test_datasets import (
        PROFILES_SQL,
        assert_silver_as_duckdbs,
        comparable_profiles,
        project_copy,
        write_deliveries,
    )

    project = project_copy(tmp_path / "medallion")

    def run(target: str, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args],
            cwd=project,
            env={**stack.base, "MEDALLION_TARGET": target, "PYTHONPATH": str(project)},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    loans, papers = write_deliveries(tmp_path)
    run("duckdb", "onboard", "dataset", "loans", str(loans), "--partition-by", "issued", "--key", "loan_id")
    run("duckdb", "onboard", "dataset", "papers", str(papers), "--key", "id")
    staging = (project / "models" / "staging" / "datasets" / "loans" / "stg_datasets__loans.sql").read_text()
    assert """dataset_timestamp("nullif(c010, '')", with_zone=true) }} as signed""" in staging
    assert """dataset_timestamp("nullif(c011, '')", with_zone=false) }} as opened""" in staging
    run("trino", "land", "dataset", "loans", str(loans))
    run("trino", "land", "dataset", "papers", str(papers))
    built = run("trino", "build", "--source", "datasets")
    assert gate_result(built, "silver.int_datasets__loans").startswith("passed"), built
    run("duckdb", "build", "--source", "datasets")

    assert_silver_as_duckdbs(stack.trino, stack.duckdb)
    assert len(stack.trino("select * from silver.int_datasets__loans")) == 4
    signed = dict(stack.trino("select loan_id, signed from silver.int_datasets__loans"))
    assert signed[1].astimezone(UTC) == datetime(2021, 1, 1, 10, 0, tzinfo=UTC)
    assert signed[4].astimezone(UTC) == datetime(2021, 3, 1, 15, 0, 0, 123456, tzinfo=UTC)
    # Partitioned Iceberg in Parquet: one partition per issue month, as DuckDB's Hive folders.
    partitions = stack.trino('select count(*) from silver."int_datasets__loans$partitions"')[0][0]
    assert partitions == 3
    (ddl,) = stack.trino("show create table silver.int_datasets__loans")[0]
    assert "partitioning = ARRAY['issued']" in ddl and "format = 'PARQUET'" in ddl
    # The profiles: the same counts and means; min and max the same values (Trino writes a double its way).
    on_trino, on_duckdb = (
        comparable_profiles(stack.trino(PROFILES_SQL)),
        comparable_profiles(stack.duckdb(PROFILES_SQL)),
    )
    assert len(on_trino) > 15 and on_trino == on_duckdb
    # The monitoring record is copied into Trino too: the runs, and the rows per layer of the good build.
    kinds = dict(stack.trino("select column_name, data_type from information_schema.columns "
                             "where table_schema = 'ops' and table_name = 'build_runs'"))  # fmt: skip
    assert kinds["started_at"].startswith("timestamp(6) with time zone") and kinds["seconds"] == "double"
    assert stack.trino("select count(*) from ops.build_runs where target = 'trino' and status = 'succeeded'")[0][0] >= 1
    counted = stack.trino(
        "select \"rows\" from ops.layer_rows where layer = 'silver' and relation = 'silver.int_datasets__loans' "
        "and run_id = (select max_by(run_id, started_at) from ops.build_runs where target = 'trino')"
    )
    assert counted == [(4,)]
