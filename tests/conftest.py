"""Shared fixtures. Tests never touch the repo's own .medallion/."""

from __future__ import annotations

import functools
import http.server
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

# Twenty real tweets, copied from ../shared/data so the tests run from any clone.
REAL_SAMPLE = Path(__file__).resolve().parent / "data" / "tweets_real_sample.jsonl"

os.environ["MEDALLION_HOME"] = tempfile.mkdtemp(prefix="medallion-test-home-")
os.environ.pop("DBT_PROFILES_DIR", None)
# Tests choose their engine themselves (tests/test_trino.py runs Trino explicitly).
os.environ.pop("MEDALLION_TARGET", None)


@pytest.fixture(scope="session")
def real_sample() -> Path:
    return REAL_SAMPLE


def medallion(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the `medallion` CLI on `home` as a user would, with extra environment `env`."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env={**os.environ, "MEDALLION_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    """The output of a command that must have exited 0 (its output tail otherwise)."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def gate_result(output: str, suite: str) -> str:
    """How `medallion build` reported the gate of `suite` on its step line: `passed: 7/7 expectations
    passed`, `FAILED: ...`, `WARNING: ...` (fails when the build printed no line for it)."""
    found = re.search(rf"^  gate {re.escape(suite)} +[0-9.]+ s  (.*)$", output, re.MULTILINE)
    assert found, f"no step line for the gate {suite} in:\n{output[-3000:]}"
    return found.group(1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def warehouse_rows(home: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a query on the home's DuckDB warehouse (read-only: never while a build runs)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server over a fresh folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven through chromedriver (`make test` installs both)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("chromium and chromedriver are missing: `make browsers` installs Debian's packages")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='medallion-chromium-')}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Receiver:
    """A webhook receiver on loopback: the JSON bodies posted to it; answers 503 while `down` is set (a
    channel that is down). `close()` stops it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.tries = 0
        self.down = False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import json

                outer.tries += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.down:
                    self.send_response(503)
                else:
                    outer.bodies.append(body)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
