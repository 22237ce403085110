"""The forecast source end to end through the CLI: pulls from a misbehaving service, a replayed
archive, dated municipality folders, build, and gold equal to a plain Python computation."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import gate_result, medallion
from conftest import succeeded as ok

from tools import forecast_generate as generate
from tools import forecast_reference
from tools.fake_forecast_service import FakeService

pytestmark = pytest.mark.integration

PLACES = generate.municipalities(64, seed=5)
HOURS = 8


# Small pulls, and a service that is retried quickly.
ENV = {
    "MEDALLION_FORECAST_RECORDS": "100,100000",
    "MEDALLION_FORECAST_BACKOFF": "0.05",
    "MEDALLION_FORECAST_ATTEMPTS": "5",
    "MEDALLION_FORECAST_TIMEOUT": "3",
}


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return medallion(home, *args, **ENV)


def gold(home: Path, table: str = "forecast_municipality_enriched") -> dict[tuple[int, int], dict[str, Any]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        cursor = con.execute(f"select * from gold.{table}")
        names = [d[0] for d in cursor.description]
        return {(r[0], r[1]): dict(zip(names[2:], r[2:], strict=True)) for r in cursor.fetchall()}
    finally:
        con.close()


def same(got: dict[tuple[int, int], dict[str, Any]], expected: dict[tuple[int, int], dict[str, Any]]) -> None:
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        for column, value in row.items():
            actual = got[key].get(column)
            if isinstance(value, float):
                assert actual is not None and math.isclose(actual, value, rel_tol=1e-12, abs_tol=1e-12), (key, column)
            else:
                assert actual == value, (key, column, actual, value)


def landed_pulls(home: Path) -> list[tuple[datetime, Path]]:
    lines = (home / "landing" / "forecast" / "pulls.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    return [(datetime.fromisoformat(e["fetched_at"]), home / e["landed_path"]) for e in entries]


@pytest.fixture(scope="module")
def service() -> Iterator[FakeService]:
    with FakeService() as fake:
        yield fake


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("forecast")
    now = datetime.now(UTC).replace(microsecond=0)
    return {"home": root / "home", "root": root, "now": now}


def test_first_pull_through_a_misbehaving_service_builds_the_python_answer(
    service: FakeService, world: dict[str, Any]
) -> None:
    home = world["home"]
    service.serve(
        generate.payload(generate.records(PLACES, world["now"] - timedelta(hours=1), HOURS, seed=1)),
        ("status", 503),
        ("truncated", None),
        ("empty", None),
    )
    out = ok(run(home, "land", "forecast", service.url))
    assert f"landed {len(PLACES) * HOURS:,} records" in out
    assert service.requests == 4
    build = ok(run(home, "build"))
    assert "tweets: nothing landed yet, skipped" in build
    assert gate_result(build, "gold.forecast_municipality_2h").startswith("passed")
    expected = forecast_reference.gold(landed_pulls(home), [])
    same(gold(home), expected)
    assert {row["hours_used"] for row in expected.values()} == {2}  # the pull covers H-1 and H


def test_a_later_pull_a_replayed_older_one_and_new_folders_update_gold(
    service: FakeService, world: dict[str, Any]
) -> None:
    home, root, now = world["home"], world["root"], world["now"]
    # A newer pull an hour later: overlapping hours with changed values, and some municipalities missing.
    later = generate.records(PLACES[:50], now, HOURS, seed=2)
    service.serve(generate.payload(later), ("cut", None))
    ok(run(home, "land", "forecast", service.url))
    # An archived pull from two hours earlier, replayed now: it must not override anything newer.
    archive = root / "archived.json.gz"
    archive.write_bytes(generate.payload(generate.records(PLACES, now - timedelta(hours=2), HOURS + 4, seed=3)))
    replay = ok(run(home, "land", "forecast", str(archive), "--fetched-at", (now - timedelta(hours=2)).isoformat()))
    assert "landed" in replay
    # Two dated folders; the newer one wins.
    folders = root / "data_municipios"
    generate.write_municipios(folders, PLACES, datetime(2026, 11, 20), seed=4)
    generate.write_municipios(folders, PLACES[:60], datetime(2026, 11, 21), seed=5)
    assert "landed 64 rows" in ok(run(home, "land", "municipios", str(folders)))
    ok(run(home, "build", "--source", "forecast"))
    municipios = [
        ("20261120", folders / "20261120" / "data.csv"),
        ("20261121", folders / "20261121" / "data.csv"),
    ]
    expected = forecast_reference.gold(landed_pulls(home), municipios)
    got = gold(home)
    same(got, expected)
    assert {row["data_date"] for row in got.values()} == {datetime(2026, 11, 21).date(), None}
    # Silver holds each (municipality, hour) from the latest pull that had it.
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("select count(*), count(distinct pull_id) from silver.int_forecast__hourly").fetchone()
        versions = con.execute("select row_counts from gold.versions order by version_id").fetchall()
    finally:
        con.close()
    assert rows[1] == 3
    assert len(versions) == 2 and all("forecast_municipality_2h" in r[0] for r in versions)


def test_a_failed_pull_lands_nothing_and_shows_as_a_gap(service: FakeService, world: dict[str, Any]) -> None:
    home = world["home"]
    service.fail_always("status", 503)
    result = run(home, "land", "forecast", service.url)
    assert result.returncode == 1
    assert "failed, nothing landed" in result.stderr and "HTTP 503" in result.stderr
    before = gold(home, "forecast_municipality_2h")
    ok(run(home, "build", "--source", "forecast"))
    assert gold(home, "forecast_municipality_2h") == before
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        gaps = con.execute("select url, error from bronze.forecast_pull_failures").fetchall()
    finally:
        con.close()
    assert len(gaps) == 1 and gaps[0][0] == service.url and "503" in gaps[0][1]


def test_a_bad_municipios_file_is_refused_with_its_line(world: dict[str, Any]) -> None:
    folder = world["root"] / "bad" / "20261122"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("Cve_Ent,Cve_Mun,Pob\n1,1,10\n1,x,20\n")
    result = run(world["home"], "land", "municipios", str(folder.parent))
    assert result.returncode == 1
    assert "data.csv: line 3: Cve_Mun is 'x', not an integer" in result.stderr
    assert "20261122" not in (world["home"] / "landing" / "municipios" / "deliveries.jsonl").read_text()
