"""What `medallion build` says and skips: one line per step, the full log on disk, and "up to date"
without running dbt or a gate when nothing is new (while anything new, or changed, builds)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import gate_result
from conftest import medallion as run
from conftest import succeeded as ok

from tools.generate import Options, generate

STEP_LINE = re.compile(r"^  (\S.*?) +([0-9]+\.[0-9]) s  (.*)$", re.MULTILINE)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("build-output")
    return {
        "home": root / "home",
        "a": generate(root / "a.jsonl", Options(rows=400, seed=71), progress=False),
        "b": generate(root / "b.jsonl", Options(rows=200, seed=72), progress=False),
    }


def versions(home: Path) -> list[str]:
    return [v["version_id"] for v in json.loads(ok(run(home, "versions", "--json")))]


def build_logs(home: Path) -> list[Path]:
    return sorted((home / "logs").glob("build-*.log"))


def test_a_build_prints_a_line_per_step_and_keeps_the_full_log(world: dict[str, Any]) -> None:
    home = world["home"]
    ok(run(home, "land", "tweets", str(world["a"]), "--quiet"))
    output = ok(run(home, "build"))
    steps = {m.group(1): (float(m.group(2)), m.group(3)) for m in STEP_LINE.finditer(output)}
    # Every dbt step and every gate of the tweets build has its line, with its time and its outcome.
    for step in ("dbt staging", "dbt silver", "dbt gold candidates", "dbt publish", "bronze/tweets_lines"):
        assert step in steps, f"no line for {step} in:\n{output}"
    assert re.fullmatch(r"\d+ assets?, \d+/\d+ checks passed", steps["dbt silver"][1]), steps["dbt silver"]
    assert gate_result(output, "bronze.tweets_lines") == "passed: 7/7 expectations passed"
    assert len([s for s in steps if s.startswith("gate ")]) == 8
    assert "bronze/tweets_lines" in steps and "400 new rows" in steps["bronze/tweets_lines"][1]
    # The breakdown, and where the full log is; nothing of dbt's or Dagster's own chatter.
    assert re.search(r"^time: dbt [0-9.]+ s, gates [0-9.]+ s, ", output, re.MULTILINE)
    log = re.search(r"^full log: (\S+)", output, re.MULTILINE)
    assert log and Path(log.group(1)).is_file()
    assert "STEP_SUCCESS" in Path(log.group(1)).read_text() or "step" in Path(log.group(1)).read_text().lower()
    assert (home / "logs" / "dbt.log").is_file() and "stg_tweets__lines" in (home / "logs" / "dbt.log").read_text()
    assert "AssetObservation" not in output and "Finished running" not in output
    assert len(output.splitlines()) < 30, output
    # The version records its delivery (the publish step compiles what it reads afresh, in-process).
    newest = json.loads(ok(run(home, "versions", "--json")))[0]
    assert [f["file"] for f in newest["source_files"]] == ["a.jsonl"]


def test_nothing_new_is_up_to_date_without_dbt_or_gates(world: dict[str, Any]) -> None:
    home = world["home"]
    before, logs = versions(home), build_logs(home)
    output = ok(run(home, "build"))
    assert output.strip().splitlines()[-1].startswith("up to date: nothing new since the build of ")
    assert versions(home) == before, "no new gold version"
    assert build_logs(home) == logs, "no Dagster run at all"


def test_a_changed_setting_builds_again(world: dict[str, Any]) -> None:
    home = world["home"]
    before = versions(home)
    output = ok(run(home, "build", MEDALLION_GOLD_RETENTION="4"))
    assert "up to date" not in output and "build succeeded" in output
    assert len(versions(home)) == len(before) + 1


def test_a_new_delivery_builds_and_force_builds_anyway(world: dict[str, Any]) -> None:
    home = world["home"]
    ok(run(home, "land", "tweets", str(world["b"]), "--quiet"))
    before = versions(home)
    output = ok(run(home, "build", MEDALLION_GOLD_RETENTION="4"))
    assert "build succeeded" in output and len(versions(home)) == len(before) + 1
    assert "up to date" in ok(run(home, "build", MEDALLION_GOLD_RETENTION="4"))
    forced = ok(run(home, "build", "--force", "-v", MEDALLION_GOLD_RETENTION="4"))
    assert "build succeeded" in forced and len(versions(home)) == len(before) + 2
    # -v streams what dbt and Dagster log, as before.
    assert "Finished running" in forced and "STEP_SUCCESS" in forced


def test_a_warehouse_changed_behind_the_builds_back_builds_again(world: dict[str, Any]) -> None:
    import duckdb

    home = world["home"]
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute("create table main.someone_elses as select 1 as x")
    con.close()
    output = ok(run(home, "build", MEDALLION_GOLD_RETENTION="4"))
    assert "up to date" not in output and "build succeeded" in output


def test_what_changed_while_a_build_ran_is_left_for_the_next_build(tmp_path: Path) -> None:
    from orchestration.core.uptodate import Fingerprint, record, unchanged
    from orchestration.settings import Paths

    paths = Paths(tmp_path)
    inputs = {"deliveries": "d1", "inboxes": "i", "project": "p", "settings": "s", "warehouse": "w1"}
    before = Fingerprint("duckdb:tweets", inputs, {"tweets/a": ("landed", ""), "tweets/b": ("quarantined", "")}, True)

    def after(states: dict[str, tuple[str, str]], **changed: str) -> Fingerprint:
        return Fingerprint("duckdb:tweets", {**inputs, "deliveries": "d2", "warehouse": "w2", **changed}, states, False)

    judged = {"tweets/a": ("admitted", "gate (run r1)"), "tweets/b": ("quarantined", "")}
    # What the build's own gates decided is what it built: the next build with the same inputs is up to date.
    assert record(paths, before, after(judged), "r1")
    assert unchanged(paths, after(judged)) is not None
    # An operator's release while it ran, a delivery landed meanwhile, a model edited meanwhile: not kept.
    released = {**judged, "tweets/b": ("released", "ops@host")}
    assert not record(paths, before, after(released), "r1")
    assert unchanged(paths, after(judged)) is None, "the earlier record is forgotten too"
    assert not record(paths, before, after({**judged, "tweets/c": ("admitted", "gate (run r1)")}), "r1")
    assert not record(paths, before, after(judged, project="p2"), "r1")
