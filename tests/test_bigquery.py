"""The BigQuery target, as far as an offline machine allows.

Against a local emulator (PyPI `bqemulator`, see orchestration/bq_emulator.py):
the loader's load jobs, dbt's seed and source tests, and a compile of every
model, test and snapshot whose SQL must then parse as GoogleSQL (sqlglot).
Without a project or credentials the target fails with a message, not a trace.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlglot
from conftest import free_port
from sqlglot.errors import ErrorLevel

from orchestration.settings import PROJECT_DIR, Paths
from tools.bq_emulator import Emulator

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
    from orchestration.warehouse.bigquery import client

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
    seeded = dbt(tmp_path, emulator, "seed")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    assert "reference.emoji_walks" in seeded.stdout


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
    from orchestration.warehouse.bigquery import BigQueryConfigError, client

    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud application-default login here
    monkeypatch.setenv("MEDALLION_BQ_PROJECT", "some-project")
    monkeypatch.delenv("MEDALLION_BQ_API_ENDPOINT", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    with pytest.raises(BigQueryConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        client()
