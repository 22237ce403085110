"""A local BigQuery emulator (PyPI `bqemulator`) for checking the BigQuery target offline.

bqemulator speaks BigQuery's REST API and runs GoogleSQL on DuckDB through
SQLGlot. It needs DuckDB 1.5 and DuckDB's spatial extension, so it lives in a
venv of its own under $MEDALLION_CACHE, installed from requirements-bqemulator.lock;
the extension comes from PyPI's `duckdb-extension-spatial` and is placed where
DuckDB looks for it (the emulator's HOME), because DuckDB's extension server is
not reachable here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from orchestration.settings import PROJECT_DIR
from orchestration.warehouse.trino_stack import cache_dir

LOCK = PROJECT_DIR / "requirements-bqemulator.lock"
DUCKDB_VERSION = "v1.5.5"


class EmulatorError(RuntimeError):
    pass


def install() -> Path:
    """The emulator's venv, created once per lock file content."""
    import hashlib

    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    root = cache_dir() / f"bqemulator-{digest}"
    marker = root / ".complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "-r", str(LOCK)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise EmulatorError(f"installing the BigQuery emulator failed:\n{done.stdout}{done.stderr}")
    found = list((venv / "lib").glob(f"python*/site-packages/duckdb_extension_spatial/extensions/{DUCKDB_VERSION}/*"))
    if not found:
        raise EmulatorError("duckdb-extension-spatial did not ship the spatial extension for DuckDB " + DUCKDB_VERSION)
    extensions = root / "home" / ".duckdb" / "extensions" / DUCKDB_VERSION / "linux_amd64"
    extensions.mkdir(parents=True)
    shutil.copy(found[0], extensions / found[0].name)
    marker.write_text(digest)
    return root


class Emulator:
    def __init__(self, port: int, grpc_port: int, project: str = "medallion-local"):
        self.port = port
        self.grpc_port = grpc_port
        self.project = project
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What the project needs to target this emulator."""
        return {
            "MEDALLION_BQ_PROJECT": self.project,
            "MEDALLION_BQ_API_ENDPOINT": self.endpoint,
            "MEDALLION_BQ_METHOD": "oauth-secrets",
            "MEDALLION_BQ_TOKEN": "emulator",
        }

    def start(self, workdir: Path, timeout: float = 120) -> None:
        root = install()
        self.log = workdir / "bqemulator.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                str(root / "venv" / "bin" / "bqemulator"),
                "start",
                "--ephemeral",
                "--rest-port",
                str(self.port),
                "--grpc-port",
                str(self.grpc_port),
                "--project",
                self.project,
                "--log-level",
                "warning",
            ],
            env={**os.environ, "HOME": str(root / "home")},
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        url = f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmulatorError(f"bqemulator exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise EmulatorError(f"bqemulator did not answer within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
