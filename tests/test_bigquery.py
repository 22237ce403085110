"""The BigQuery target, on a local emulator (PyPI `bqemulator`, see tools/bq_emulator.py).

The whole pipeline through `medallion`, gates included: dirty tweets (duplicates,
re-deliveries, malformed lines, offsets, emoji sequences), two forecast pulls,
a week of media drops and a dataset onboarded here (CSV and nested JSON) land,
build, pass their gates and give the plain-Python answers and DuckDB's gold (one
home holds both warehouses, so both read the very same landings); a second build
merges incrementally; a bad delivery stops at its gate. Also: the loader's load
jobs, `dbt seed`, a compile of every model whose SQL must parse as GoogleSQL
(sqlglot), `make bq-up`'s exports, and clear messages without a project or
credentials. Each home uses a project of its own on the
emulator, so nothing one test writes is seen by another.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from conftest import free_port, gate_result
from sqlglot.errors import ErrorLevel

from orchestration.settings import PROJECT_DIR, Paths
from tools import reference
from tools.bq_emulator import Emulator
from tools.generate import Options

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = Emulator(free_port(), free_port())
    emulator.start(tmp_path_factory.mktemp("bqemulator"))
    try:
        yield emulator
    finally:
        emulator.stop()


def dbt(home: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    profiles = home / "dbt"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_DIR / "profiles.example.yml", profiles / "profiles.yml")
    env = {**os.environ, **emulator.env(), "MEDALLION_HOME": str(home), "MEDALLION_TARGET": "bigquery"}
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--target",
            "bigquery",
            "--profiles-dir",
            str(profiles),
            "--project-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(home / "target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=PROJECT_DIR,
    )


def test_bronze_lands_through_load_jobs(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_sample: Path
) -> None:
    from orchestration.core.landing import land
    from orchestration.core.lines import load_landed
    from orchestration.warehouse.bigquery_client import client

    for key, value in {**emulator.env(), "MEDALLION_HOME": str(tmp_path), "MEDALLION_TARGET": "bigquery"}.items():
        monkeypatch.setenv(key, value)
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(b'{"id": 1, "date": "2021-02-01T00:00:00+00:00", "content": "ok"}\nnot json\n\xff\xfe broken\n')
    paths = Paths(tmp_path)
    land("tweets", str(real_sample), paths, progress=False)
    land("tweets", str(odd), paths, progress=False)
    summary = load_landed("tweets", paths, progress=False)
    assert (summary.ingestions, summary.lines, summary.invalid_utf8) == (2, 23, 1)
    assert load_landed("tweets", paths, progress=False).ingestions == 0  # already loaded: nothing again
    bq = client()
    rows = {(r.source_file, r.line_number): r for r in bq.query("select * from bronze.tweets_lines").result()}
    assert len(rows) == 23
    # The loader flags only what it alone can see (bad UTF-8, an over-long line); staging classifies the rest.
    not_json = rows[("odd.jsonl", 2)]
    assert (not_json.line, not_json.line_status, not_json.line_bytes) == ("not json", "ok", 8)
    broken = rows[("odd.jsonl", 3)]
    assert not broken.is_valid_utf8 and broken.line_status == "invalid_utf8"
    assert base64.b64decode(broken.raw_base64) == b"\xff\xfe broken"
    first_real = real_sample.read_text(encoding="utf-8").splitlines()[0]
    assert rows[("tweets_real_sample.jsonl", 1)].line == first_real
    ingestions = list(bq.query("select source_file, line_count from bronze.tweets_ingestions order by 1").result())
    assert [(r.source_file, r.line_count) for r in ingestions] == [("odd.jsonl", 3), ("tweets_real_sample.jsonl", 20)]
    # The deliveries' states reach BigQuery by a load job, never as SQL text.
    from orchestration.core import deliveries

    deliveries.sync(paths)
    states = list(bq.query("select delivery_name, state, items from platform.deliveries order by 1").result())
    assert [(r["delivery_name"], r["state"], r["items"]) for r in states] == [
        ("odd.jsonl", "landed", 3),
        ("tweets_real_sample.jsonl", "landed", 20),
    ]


def test_seeds_and_source_tests_run_on_the_emulator(emulator: Emulator, tmp_path: Path) -> None:
    """A seed is loaded, then left as it is while its file is unchanged (not dropped and loaded again each
    build), and loaded again when its table no longer holds the file."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    bq = bigquery.Client(
        project=emulator.project, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.endpoint}
    )
    table = f"{emulator.project}.reference.emoji_walks"

    def seed() -> None:
        seeded = dbt(tmp_path, emulator, "seed")
        assert seeded.returncode == 0, seeded.stdout[-3000:]
        assert "OK loaded seed file reference.emoji_walks" in seeded.stdout

    def rows() -> int:
        return next(iter(bq.query(f"select count(*) from `{table}`").result()))[0]

    seed()
    loaded = bq.get_table(table)
    assert loaded.description.startswith("medallion seed ") and rows() == 6750
    seed()
    assert bq.get_table(table).created == loaded.created  # the same table: not loaded again
    bq.query(f"delete from `{table}` where ordinal = 2").result()  # rows lost behind dbt's back
    seed()
    assert bq.get_table(table).created > loaded.created and rows() == 6750


def test_every_model_compiles_for_bigquery_and_parses_as_googlesql(emulator: Emulator, tmp_path: Path) -> None:
    compiled = dbt(tmp_path, emulator, "compile")
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    root = tmp_path / "target" / "compiled" / "medallion"
    models = [p for p in (root / "models").rglob("*.sql") if not p.parent.name.endswith(".yml")]
    assert len(models) == len(list((PROJECT_DIR / "models").rglob("*.sql")))
    every = sorted(root.rglob("*.sql"))
    assert len(every) > 60  # models, snapshots, data tests and schema tests
    failures = {}
    for path in every:
        try:
            sqlglot.parse(path.read_text(), read="bigquery", error_level=ErrorLevel.RAISE)
        except sqlglot.errors.SqlglotError as exc:
            failures[str(path.relative_to(root))] = str(exc)[:300]
    assert not failures, failures
    lines = (root / "models" / "staging" / "tweets" / "stg_tweets__lines.sql").read_text()
    assert "safe.parse_json" in lines and "json_value" in lines  # the bigquery__ bodies, not DuckDB's


def test_bigquery_without_a_project_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDALLION_BQ")}
    env.update(MEDALLION_HOME=str(tmp_path), MEDALLION_TARGET="bigquery")
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "answers"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "MEDALLION_BQ_PROJECT" in result.stderr and "Traceback" not in result.stderr


def test_bigquery_without_credentials_says_how_to_get_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.warehouse.bigquery_client import BigQueryConfigError, client

    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud application-default login here
    monkeypatch.setenv("MEDALLION_BQ_PROJECT", "some-project")
    monkeypatch.delenv("MEDALLION_BQ_API_ENDPOINT", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    with pytest.raises(BigQueryConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        client()


class Home:
    """A medallion home on the emulator, in a BigQuery project of its own; `run` targets BigQuery unless
    told `target="duckdb"` (the same home's DuckDB warehouse)."""

    def __init__(self, home: Path, emulator: Emulator, project: str, code: Path | None = None):
        self.home = home
        self.code = code  # a copy of the repo to run (one a test onboards datasets into), else this one
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            **emulator.env(),
            "MEDALLION_BQ_PROJECT": project,
            "MEDALLION_HOME": str(home),
            "MEDALLION_MAX_REJECT_RATE": "0.05",
            "MEDALLION_FORECAST_RECORDS": "100,100000",
            **({"PYTHONPATH": str(code)} if code else {}),
        }

    def run(self, *args: str, target: str = "bigquery") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args],
            env={**self.env, "MEDALLION_TARGET": target},
            cwd=self.code,
            capture_output=True,
            text=True,
            timeout=1200,
        )

    def ok(self, *args: str, target: str = "bigquery") -> str:
        result = self.run(*args, target=target)
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def answers(self, target: str = "bigquery") -> dict[str, Any]:
        return json.loads(self.ok("answers", "--json", target=target))

    def bigquery(self, sql: str) -> list[tuple]:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        bq = bigquery.Client(
            project=self.env["MEDALLION_BQ_PROJECT"],
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.env["MEDALLION_BQ_API_ENDPOINT"]},
        )
        return [tuple(row.values()) for row in bq.query(sql).result()]

    def duckdb(self, sql: str) -> list[tuple]:
        import duckdb

        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def same_rows(rows: list[tuple]) -> list[tuple]:
    """Rows as both engines give them, sorted: floats to 9 digits (BigQuery sums in another order)."""
    return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows)


@pytest.fixture(scope="module")
def tweets_home(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory, real_sample: Path) -> dict[str, Any]:
    from test_pipeline import dirty_deliveries

    root = tmp_path_factory.mktemp("bq-tweets")
    (root / "data").mkdir()
    files = dirty_deliveries(
        root / "data",
        real_sample,
        Options(rows=2500, seed=31, duplicate_share=0.05, malformed_share=0.02, offset_share=0.3),
        Options(rows=1000, seed=32, malformed_share=0.01),
    )
    return {"home": Home(root / "home", emulator, "medallion-tweets"), **files}


def test_tweets_build_on_bigquery_with_gates_and_give_the_python_answers(tweets_home: dict[str, Any]) -> None:
    home, world = tweets_home["home"], tweets_home
    home.ok("land", "tweets", str(world["a"]), str(world["b"]), str(world["edge"]), "--quiet")
    build = home.ok("build")
    assert "build succeeded" in build
    for suite in ("bronze.tweets_lines", "silver.int_tweets__tweets", "gold.tweets_top_emojis"):
        assert gate_result(build, suite).startswith("passed"), suite
    assert gate_result(build, "silver.stg_tweets__lines").startswith("passed: 3 deliveries judged: 3 admitted")
    # Each gate saw its data (the emulator answers a query on a missing table with no rows, and most
    # expectations pass on none): the views its suites read hold what they should.
    assert home.bigquery("select count(*) from quality.gold__tweets_top_dates") == [(10,)]
    tweets = home.bigquery("select count(*) from silver.int_tweets__tweets")[0][0]
    assert tweets > 3000 and home.bigquery("select count(*) from quality.silver__int_tweets__tweets") == [(tweets,)]
    assert home.bigquery("select count(*) from quality.bronze__tweets_lines") == [(3508,)]
    expected = reference.answers([world["a"], world["b_plain"], world["edge"]])
    assert home.answers() == expected
    home.ok("build", target="duckdb")
    assert home.answers("duckdb") == expected
    # Silver as DuckDB has it: every tweet, and every emoji at its position.
    sql = "select tweet_id, emoji, emoji_position from silver.int_tweets__emojis"
    assert same_rows(home.bigquery(sql)) == same_rows(home.duckdb(sql))
    # The run is recorded in ops.* on BigQuery too.
    assert home.bigquery("select count(*) from ops.build_runs where status = 'succeeded'")[0][0] >= 1


def test_a_second_build_merges_redeliveries_and_keeps_author_history(tweets_home: dict[str, Any]) -> None:
    home, world = tweets_home["home"], tweets_home
    home.ok("land", "tweets", str(world["c"]), str(world["sample"]), "--quiet")
    assert "build succeeded" in home.ok("build")
    files = [world["a"], world["b_plain"], world["edge"], world["c_plain"], world["sample"]]
    expected = reference.answers(files)
    assert home.answers() == expected
    assert "redelivered_user" in {row["username"] for row in expected["q3"]}
    home.ok("build", target="duckdb")
    latest = reference.latest_tweets(files)
    rows = home.bigquery("select tweet_id, content, cast(tweet_date as string) from silver.int_tweets__tweets")
    assert {r[0]: (r[1], r[2]) for r in rows} == {i: (t["content"], t["_date"]) for i, t in latest.items()}
    sql = "select count(*), count(dbt_valid_to), count(distinct user_id) from silver.snap_tweets__authors"
    assert home.bigquery(sql) == home.duckdb(sql) and home.bigquery(sql)[0][1] > 0
    versions = json.loads(home.ok("versions", "--json"))
    assert len(versions) == 2 and versions[0]["current"]
    assert home.ok("answers", "--json", "--version", versions[1]["version_id"])


def test_a_bad_delivery_stops_at_its_gate_on_bigquery(tweets_home: dict[str, Any], tmp_path: Path) -> None:
    home = tweets_home["home"]
    before = home.answers()
    tweets = home.bigquery("select count(*), sum(mod(tweet_id, 1000003)) from silver.int_tweets__tweets")
    bad = tmp_path / "garbage.jsonl"
    bad.write_text("".join(f"not json {i}\n" for i in range(200)))
    home.ok("land", "tweets", str(bad), "--quiet")
    build = home.ok("build")
    assert "WARNING  silver.stg_tweets__lines: 1 delivery judged: 0 admitted, 1 quarantined" in build
    assert "(garbage.jsonl): expect_column_values_to_be_between(reject_share): reject_share = 1." in build
    assert home.bigquery("select count(*), sum(mod(tweet_id, 1000003)) from silver.int_tweets__tweets") == tweets
    assert home.answers() == before
    assert home.bigquery("select state from platform.deliveries where delivery_name = 'garbage.jsonl'") == [
        ("quarantined",)
    ]


def test_two_forecast_pulls_give_duckdbs_gold_on_bigquery(emulator: Emulator, tmp_path: Path) -> None:
    from tools import forecast_generate as forecast
    from tools import forecast_reference

    home = Home(tmp_path / "home", emulator, "medallion-forecast")
    places = forecast.municipalities(48, seed=8)
    now = datetime(2026, 11, 22, 15, 20, tzinfo=UTC)
    pulls = []
    for n, fetched_at in enumerate((now - timedelta(hours=1), now)):
        pull = tmp_path / f"pull-{n}.json.gz"
        pull.write_bytes(forecast.payload(forecast.records(places[: 48 - 8 * n], fetched_at, 6, seed=n)))
        home.ok("land", "forecast", str(pull), "--fetched-at", fetched_at.isoformat())
        pulls.append((fetched_at, pull))
    folders = tmp_path / "data_municipios"
    forecast.write_municipios(folders, places[:40], datetime(2026, 11, 21), seed=9)
    home.ok("land", "municipios", str(folders))
    build = home.ok("build", "--source", "forecast")
    assert gate_result(build, "gold.forecast_municipality_2h").startswith("passed")
    home.ok("build", "--source", "forecast", target="duckdb")
    sql = "select * from gold.forecast_municipality_enriched"
    on_bigquery = same_rows(home.bigquery(sql))
    assert len(on_bigquery) == 48 and on_bigquery == same_rows(home.duckdb(sql))
    expected = forecast_reference.gold(pulls, [("20261121", folders / "20261121" / "data.csv")])
    assert {k: v["hours_used"] for k, v in expected.items()} == {(r[0], r[1]): r[4] for r in on_bigquery}


def test_a_delivered_column_bigquery_cannot_name_is_refused_with_its_name(emulator: Emulator, tmp_path: Path) -> None:
    from tools import forecast_generate as forecast

    home = Home(tmp_path / "home", emulator, "medallion-columns")
    folders = tmp_path / "data_municipios"
    data = forecast.write_municipios(folders, forecast.municipalities(5, seed=3), datetime(2026, 11, 21), seed=4)
    header, *rows = data.read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join([header + ',"Pob 2020, {{ 7*7 }}"', *(r + ",x" for r in rows)]) + "\n")
    home.ok("land", "municipios", str(folders))
    build = home.run("build", "--source", "forecast")
    assert build.returncode == 1
    assert "data.csv: column 'Pob 2020, {{ 7*7 }}' cannot be a BigQuery column: it holds * , { }" in build.stdout
    assert "Traceback" not in build.stdout


def test_a_week_of_media_drops_gives_duckdbs_gold_on_bigquery(emulator: Emulator, tmp_path: Path) -> None:
    from tools import media_reference

    home = Home(tmp_path / "home", emulator, "medallion-media")
    drops = tmp_path / "drops"
    home.ok("generate", "media", "--out", str(drops), "--days", "3", "--end", "2026-11-20")
    home.ok("land", "media", str(drops), "--from", "2026-11-18", "--to", "2026-11-20", "--quiet")
    build = home.ok("build", "--source", "media")
    assert gate_result(build, "gold.media_daily").startswith("passed")
    home.ok("build", "--source", "media", target="duckdb")
    media = "select publish_date, outlet, articles from gold.media_daily"
    assert same_rows(home.bigquery(media)) == same_rows(home.duckdb(media))
    assert [(str(d), o, n) for d, o, n in same_rows(home.bigquery(media))] == media_reference.media_daily(drops)
    comments = "select comment_date, aweme_id, comments, commenters, likes from gold.tiktok_comments_daily"
    assert same_rows(home.bigquery(comments)) == same_rows(home.duckdb(comments))


def test_a_dataset_onboarded_here_gives_duckdbs_rows_and_profiles_on_bigquery(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A dataset the repo has never seen (a Latin-1 semicolon CSV with dates and timestamps in every form the
    landing takes, and nested JSON lines) onboarded, landed and built on BigQuery: clustered tables holding
    what DuckDB's processed zone holds, the same profiles, and a report per table."""
    from test_datasets import (
        LOANS,
        LOANS_HEADER,
        PROFILES_SQL,
        STAMPS,
        assert_silver_as_duckdbs,
        comparable,
        comparable_profiles,
        project_copy,
        write_deliveries,
        write_loans,
    )

    home = Home(tmp_path / "home", emulator, "medallion-datasets", code=project_copy(tmp_path / "medallion"))
    loans, papers = write_deliveries(tmp_path)
    home.ok("onboard", "dataset", "loans", str(loans), "--partition-by", "issued", "--key", "loan_id")
    home.ok("onboard", "dataset", "papers", str(papers), "--key", "id")
    home.ok("land", "dataset", "loans", str(loans))
    home.ok("land", "dataset", "papers", str(papers))
    built = home.ok("build", "--source", "datasets")
    for suite in ("silver.int_datasets__loans", "silver.int_datasets__papers__refs", "gold.dataset_profiles"):
        assert gate_result(built, suite).startswith("passed"), (suite, built)
    # Clustered by the declared column (the emulator takes the DDL but keeps no clustering to look at); read
    # before DuckDB's build writes its own SQL there.
    ddl = next((home.home / "dbt" / "target" / "run").rglob("int_datasets__loans.sql")).read_text()
    assert re.search(r"create or replace table `[^`]+`\.`silver`\.`int_datasets__loans`\s+cluster by issued\s", ddl)
    home.ok("build", "--source", "datasets", target="duckdb")
    assert_silver_as_duckdbs(home.bigquery, home.duckdb)
    signed = dict(home.bigquery("select loan_id, signed from silver.int_datasets__loans"))
    assert len(signed) == 4 and signed[2] == datetime(2021, 1, 1, 6, 0, tzinfo=UTC)  # 11:30 at +05:30
    opened = dict(home.bigquery("select loan_id, opened from silver.int_datasets__loans"))
    assert opened[2] == datetime(2021, 1, 1, 11, 30) and opened[4] == datetime(2021, 3, 1, 12, 0, 0, 123456)
    kinds = dict(home.bigquery("select column_name, data_type from silver.INFORMATION_SCHEMA.COLUMNS "
                               "where table_name = 'int_datasets__loans'"))  # fmt: skip
    assert (kinds["signed"], kinds["opened"], kinds["rate"]) == ("TIMESTAMP", "DATETIME", "FLOAT64")
    on_bigquery, on_duckdb = (
        comparable_profiles(home.bigquery(PROFILES_SQL)),
        comparable_profiles(home.duckdb(PROFILES_SQL)),
    )
    assert len(on_bigquery) > 15 and on_bigquery == on_duckdb
    # A report per table, drawn from BigQuery's profile: the rate's histogram, the grades' top values.
    report = (home.home / "reports" / "datasets" / "loans__loans.html").read_text(encoding="utf-8")
    assert "rate: histogram" in report and "grade: top values" in report
    # A second delivery: loan 1 sent again with another amount, loan 5 new; the later row of a key wins.
    again = tmp_path / "loans-again.csv"
    write_loans(again, [["1", "1111", *LOANS[0][2:], *STAMPS[0]], ["5", "50", "A", "1", "007", "2021-04-01", "1.5",
                "new", "x", "2021-04-01T00:00Z", "2021-04-01 00:00"]], [*LOANS_HEADER, "signed", "opened"])  # fmt: skip
    home.ok("land", "dataset", "loans", str(again))
    assert gate_result(home.ok("build", "--source", "datasets"), "silver.int_datasets__loans").startswith("passed")
    home.ok("build", "--source", "datasets", target="duckdb")
    sql = "select loan_id, amount, delivery_seq, signed, opened from silver.int_datasets__loans"
    assert comparable(home.bigquery(sql)) == comparable(home.duckdb(sql))
    assert {r[0]: r[1] for r in home.bigquery(sql)} == {1: 1111, 2: None, 3: 2600, 4: 400, 5: 50}
    assert comparable_profiles(home.bigquery(PROFILES_SQL)) == comparable_profiles(home.duckdb(PROFILES_SQL))
    counted = home.bigquery(
        "select `rows` from ops.layer_rows where layer = 'silver' and relation = 'silver.int_datasets__loans' and "
        "run_id = (select run_id from ops.build_runs where target = 'bigquery' order by started_at desc limit 1)"
    )
    assert counted == [(5,)]


def test_bq_up_prints_only_exports_and_bq_down_stops_it(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MEDALLION_HOME": str(tmp_path), "MEDALLION_BQ_EMULATOR_PORT": str(port)}
    for name in [n for n in env if n.startswith("MEDALLION_BQ_") and n != "MEDALLION_BQ_EMULATOR_PORT"]:
        del env[name]
    up = subprocess.run(
        ["make", "-s", "--no-print-directory", "bq-up"], env=env, cwd=PROJECT_DIR, capture_output=True, text=True
    )
    try:
        assert up.returncode == 0, up.stderr
        lines = up.stdout.strip().splitlines()
        assert lines and all(line.startswith("export ") for line in lines), up.stdout
        exported = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert exported["MEDALLION_TARGET"] == "bigquery"
        assert exported["MEDALLION_BQ_API_ENDPOINT"] == f"http://127.0.0.1:{port}"
        status = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "status"],
            env={**env, **exported},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in status.stderr, status.stderr
        assert (tmp_path / "bigquery" / "data").is_dir()
    finally:
        down = subprocess.run(["make", "-s", "bq-down"], env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    assert down.returncode == 0, down.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the emulator still answers after bq-down"
