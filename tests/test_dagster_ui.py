"""The Dagster UI (`dagster dev`, as `make dev` runs it) shows and materializes the same graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import free_port

from orchestration.settings import Paths
from tools import reference
from tools.generate import Options, generate

pytestmark = pytest.mark.integration

EXPECTED_ASSETS = {
    "bronze/tweets_lines",
    "silver/stg_tweets__lines",
    "silver/int_tweets__tweets",
    "silver/int_tweets__emojis",
    "silver/int_tweets__mentions",
    "gold_candidate/tweets_top_dates",
    "gold_candidate/tweets_top_emojis",
    "gold_candidate/tweets_top_mentions",
    "gold/tweets_top_dates__versions",
    "gold/versions",
    "gold/tweets_top_dates",
    "silver/snap_tweets__authors",
    "reference/emoji_walks",
    "landing/forecast_pulls",
    "bronze/forecast_records",
    "bronze/municipios_rows",
    "silver/stg_forecast__records",
    "silver/int_forecast__hourly",
    "gold/forecast_municipality_2h",
    "gold/forecast_municipality_enriched",
}


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.load(response)
    assert "errors" not in payload, payload["errors"]
    return payload["data"]


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("ui")
    home = root / "home"
    data = generate(root / "t.jsonl", Options(rows=800, seed=21, malformed_share=0.02), progress=False)
    env = {
        **os.environ,
        "MEDALLION_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "MEDALLION_MAX_REJECT_RATE": "0.05",  # the data has 2% malformed lines on purpose
        # A forecast service that is down: every hourly pull fails, quickly.
        "MEDALLION_FORECAST_URL": f"http://127.0.0.1:{free_port()}/down",
        "MEDALLION_FORECAST_ATTEMPTS": "2",
        "MEDALLION_FORECAST_BACKOFF": "0.1",
    }
    Paths(home).ensure_dagster_home()
    subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "land", "tweets", str(data), "--quiet"],
        env=env,
        check=True,
        capture_output=True,
    )
    # Create the instance's storage first: on a fresh DAGSTER_HOME, `dagster dev`'s
    # webserver and daemon otherwise race to create it ("database is locked").
    subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "instance", "migrate"], env=env, check=True, capture_output=True
    )
    port = free_port()
    log = (root / "dagster.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-m",
            "orchestration.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                data_nodes = graphql(url, "{ assetNodes { id } }")
                if data_nodes["assetNodes"]:
                    break
            except (urllib.error.URLError, ConnectionError, AssertionError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dagster dev did not come up:\n{(root / 'dagster.log').read_text()[-3000:]}")
            time.sleep(1)
        yield {"url": url, "home": home, "data": data}
    finally:
        try:
            os.killpg(server.pid, 15)
            server.wait(timeout=5)  # it seldom stops on TERM while the browser holds a connection; then KILL
        except ProcessLookupError:
            pass  # it had already stopped
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=30)
        log.close()


def test_ui_shows_every_asset_with_its_checks(ui: dict[str, Any]) -> None:
    data = graphql(
        ui["url"],
        "{ assetNodes { assetKey { path } groupName assetChecksOrError { ... on AssetChecks { checks { name } } } } }",
    )
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert set(nodes) >= EXPECTED_ASSETS
    checks = {
        "/".join(n["assetKey"]["path"]): [c["name"] for c in n["assetChecksOrError"].get("checks", [])]
        for n in data["assetNodes"]
    }
    assert "unique_int_tweets__tweets_tweet_id" in checks["silver/int_tweets__tweets"]
    assert any(name.startswith("row_count_between") for name in checks["gold_candidate/tweets_top_dates"])
    assert "ge_gold__tweets_top_dates" in checks["gold_candidate/tweets_top_dates"]
    assert "ge_bronze__tweets_lines" in checks["bronze/tweets_lines"]
    assert nodes["bronze/tweets_lines"]["groupName"] == "tweets"


def launch(url: str, job: str, tags: list[dict[str, str]] | None = None) -> str:
    """Launch `job` through the UI's GraphQL API and wait for it to end; returns its status."""
    launched = graphql(
        url,
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {
            "params": {
                "selector": {
                    "repositoryLocationName": "orchestration.definitions",
                    "repositoryName": "__repository__",
                    "jobName": job,
                },
                "runConfigData": {},
                "executionMetadata": {"tags": tags or []},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 600
    status = "STARTING"
    while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
        time.sleep(2)
        status = graphql(url, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id})[
            "runOrError"
        ]["status"]
    return status


def test_ui_materializes_the_graph(ui: dict[str, Any]) -> None:
    assert launch(ui["url"], "build_everything") == "SUCCESS"
    con = duckdb.connect(str(ui["home"] / "warehouse.duckdb"), read_only=True)
    try:
        mentions = con.execute("select username, mention_count from gold.tweets_top_mentions order by rank").fetchall()
    finally:
        con.close()
    expected = reference.answers([ui["data"]])["q3"]
    assert [{"username": u, "mention_count": c} for u, c in mentions] == expected


def click_past_the_newsletter(browser: Any, element: Any) -> None:
    """Click `element`. Dagster's first-visit newsletter dialog can open a moment after the page, over what
    the test clicks: skip it and click again."""
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.common.by import By

    for _ in range(5):
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            for skip in browser.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
                skip.click()
            time.sleep(0.5)
    element.click()


def test_browser_shows_the_asset_graph_and_the_gates(ui: dict[str, Any], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 90)
    browser.get(f"{ui['url']}/locations/orchestration.definitions/asset-groups/tweets")
    for skip in browser.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        skip.click()  # Dagster's first-visit newsletter dialog
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "int_tweets__tweets"))
    body = browser.find_element(By.TAG_NAME, "body").text
    # Long names are shortened inside graph nodes; these fit whole.
    for name in ("tweets_lines", "stg_tweets__lines", "int_tweets__tweets", "int_tweets__emojis"):
        assert name in body, name
    shots = Path(os.environ.get("MEDALLION_SCREENSHOTS", ui["home"]))
    browser.save_screenshot(str(shots / "dagster-asset-graph.png"))

    browser.get(f"{ui['url']}/assets/bronze/tweets_lines?view=checks")
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "ge_bronze__tweets_lines"))
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "blocking"))
    browser.save_screenshot(str(shots / "dagster-checks.png"))


def test_browser_shows_the_tweets_per_day_chart(ui: dict[str, Any], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{ui['url']}/assets/gold/tweets_charts")
    wait = WebDriverWait(browser, 90)
    for skip in browser.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        skip.click()  # Dagster's first-visit newsletter dialog
    show = wait.until(lambda d: d.find_elements(By.XPATH, "//a[contains(text(), 'Show Markdown')]"))
    click_past_the_newsletter(browser, show[0])
    images = wait.until(
        lambda d: [
            i
            for i in d.find_elements(By.TAG_NAME, "img")
            if (i.get_attribute("src") or "").startswith("data:image/svg+xml") and i.size["width"] > 100
        ]
    )
    assert images
    shots = Path(os.environ.get("MEDALLION_SCREENSHOTS", ui["home"]))
    browser.save_screenshot(str(shots / "dagster-chart.png"))
    assert (ui["home"] / "charts" / "tweets_per_day.svg").read_text().count("<rect") == 1 + 21


def test_ui_shows_hourly_forecast_partitions_and_the_gap_a_failed_pull_leaves(ui: dict[str, Any]) -> None:
    query = """{ assetNodeOrError(assetKey: {path: ["landing", "forecast_pulls"]}) { ... on AssetNode {
        partitionDefinition { type description } partitionKeys
        partitionStats { numMaterialized numFailed numPartitions } } } }"""
    node = graphql(ui["url"], query)["assetNodeOrError"]
    assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
    assert "hour" in node["partitionDefinition"]["description"].lower()
    hour = node["partitionKeys"][-1]
    # The service is down (MEDALLION_FORECAST_URL): the hour's pull fails and nothing is published.
    status = launch(ui["url"], "forecast_hourly", [{"key": "dagster/partition", "value": hour}])
    assert status == "FAILURE"
    stats = graphql(ui["url"], query)["assetNodeOrError"]["partitionStats"]
    assert stats["numFailed"] == 1 and stats["numMaterialized"] == 0
    failures = (ui["home"] / "landing" / "forecast" / "failures.jsonl").read_text().splitlines()
    assert len(failures) == 1 and "/down" in failures[0]
