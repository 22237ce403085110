"""`medallion build` runs the Great Expectations suites in a worker process (orchestration/quality/worker.py):
a suite that cannot run there, or a worker that died, fails the gate that asked; it never passes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.quality.gates import SUITES_DIR, SuiteFile
from orchestration.quality.worker import GateError, gate_worker
from orchestration.settings import Paths


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    paths = Paths(tmp_path / "home")
    paths.home.mkdir()
    monkeypatch.setenv("MEDALLION_HOME", str(paths.home))  # the worker reads the settings as every command does
    return paths


def test_a_suite_whose_table_is_missing_fails_with_the_warehouse_error(home: Paths) -> None:
    duckdb.connect(str(home.warehouse)).close()  # a warehouse without bronze.tweets_lines
    suite = SuiteFile.load(SUITES_DIR / "bronze" / "tweets_lines.json")
    with gate_worker() as worker, pytest.raises(GateError) as failed:
        worker.run_suite(suite, home, "run-1")
    assert "run_suite failed in the gate worker" in str(failed.value)
    assert "tweets_lines" in str(failed.value)


def test_a_worker_that_died_fails_the_gate_that_asks(home: Paths) -> None:
    suite = SuiteFile.load(SUITES_DIR / "bronze" / "tweets_lines.json")
    with gate_worker() as worker:
        worker._process.kill()
        worker._process.wait()
        with pytest.raises(GateError, match="the gate worker stopped"):
            worker.run_suite(suite, home, "run-1")


def test_an_edited_suite_is_the_one_that_runs(home: Paths) -> None:
    """GE's registration of a suite is kept between builds; an edited suite file registers again and gates with
    its new expectations (and the old ones come back when the edit is undone)."""
    import json

    from orchestration.quality.gates import run_suite

    con = duckdb.connect(str(home.warehouse))
    con.execute("create table main.scores as select * from (values (1, 10), (2, 20), (3, 30)) as t(id, score)")
    con.close()

    def suite(max_score: int) -> SuiteFile:
        path = home.home / "scores.json"
        path.write_text(
            json.dumps(
                {
                    "name": "silver.scores",
                    "meta": {"layer": "silver", "asset_key": ["silver", "scores"], "relation": "main.scores"},
                    "expectations": [
                        {
                            "type": "expect_column_values_to_be_between",
                            "kwargs": {"column": "score", "max_value": max_score},
                        }
                    ],
                }
            )
        )
        return SuiteFile.load(path)

    assert run_suite(suite(100), home, "run-1", docs=False).success
    assert not run_suite(suite(25), home, "run-2", docs=False).success
    assert run_suite(suite(100), home, "run-3", docs=False).success
