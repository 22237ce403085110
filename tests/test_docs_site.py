"""`make docs`: dbt docs, served, render the tweets models and the lineage graph in a real browser."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from orchestration.settings import PROJECT_DIR
from tools.generate import Options, generate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docs_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("docs")
    home = root / "home"
    data = generate(root / "t.jsonl", Options(rows=600, seed=51), progress=False)
    env = {**os.environ, "MEDALLION_HOME": str(home)}
    cli = [sys.executable, "-m", "orchestration.cli"]
    subprocess.run([*cli, "land", "tweets", str(data), "--quiet"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "build"], env=env, check=True, capture_output=True)
    dbt = str(Path(sys.executable).parent / "dbt")
    (home / "dbt").mkdir(exist_ok=True)  # as `make docs` does
    shutil.copyfile(PROJECT_DIR / "profiles.example.yml", home / "dbt" / "profiles.yml")
    env["DBT_PROFILES_DIR"] = str(home / "dbt")
    target = root / "docs-target"
    subprocess.run(
        [dbt, "docs", "generate", "--target-path", str(target)],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            dbt,
            "docs",
            "serve",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--no-browser",
            "--target-path",
            str(target),
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("dbt docs serve did not answer")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the browser's open connection holds it (30 s each run): stop it for good
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def test_docs_list_the_tweets_models(browser: Any, docs_url: str) -> None:
    browser.get(f"{docs_url}/#!/model/model.medallion.int_tweets__tweets")
    wait = WebDriverWait(browser, 60)
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "latest delivery wins"))
    body = browser.find_element(By.TAG_NAME, "body").text
    for name in ("int_tweets__tweets", "tweet_id", "int_tweets__emojis"):
        assert name in body, name
    browser.get(f"{docs_url}/#!/model/model.medallion.int_tweets__rejects")
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "reject_reason"))
    assert "nothing delivered" in browser.find_element(By.TAG_NAME, "body").text


def test_docs_render_the_lineage_graph(browser: Any, docs_url: str, tmp_path: Path) -> None:
    browser.get("about:blank")  # a hash-only change would not reopen the graph
    browser.get(f"{docs_url}/#!/model/model.medallion.fct_tweets_top_emojis?g_v=1")
    wait = WebDriverWait(browser, 60)
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "Lineage Graph"))
    canvases = wait.until(lambda d: [c for c in d.find_elements(By.CSS_SELECTOR, "canvas") if c.size["width"] > 100])
    assert canvases, "the lineage graph draws on a canvas"
    shot = Path(os.environ.get("MEDALLION_SCREENSHOTS", tmp_path)) / "dbt-docs-lineage.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
