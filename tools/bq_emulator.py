"""A local BigQuery emulator (PyPI `bqemulator`): `make bq-up` / `make bq-down`, and the tests.

bqemulator speaks BigQuery's REST API and runs GoogleSQL on DuckDB through
SQLGlot. It needs DuckDB 1.5 and DuckDB's spatial extension, so it lives in a
venv of its own under $MEDALLION_CACHE, installed from requirements-bqemulator.lock;
the extension comes from PyPI's `duckdb-extension-spatial` and is placed where
DuckDB looks for it (the emulator's HOME), because DuckDB's extension server is
not reachable here.

`up` starts one for the home, bound to 127.0.0.1, its tables kept under
`$MEDALLION_HOME/bigquery` (so they survive a restart), and prints only the
`export` lines that point medallion and dbt at it:

    eval "$(make -s bq-up)"
    medallion land tweets FILE && medallion build
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from orchestration.settings import PROJECT_DIR
from orchestration.settings import paths as home_paths
from orchestration.warehouse.trino_stack import cache_dir

LOCK = PROJECT_DIR / "requirements-bqemulator.lock"
DUCKDB_VERSION = "v1.5.5"
DEFAULT_PORT = 9050
PROJECT = "medallion-local"


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
    """One bqemulator process: `folder` keeps its tables (None: in memory, gone when it stops) and its log."""

    def __init__(self, port: int, grpc_port: int, project: str = PROJECT, folder: Path | None = None):
        self.port = port
        self.grpc_port = grpc_port
        self.project = project
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path | None:
        return self.folder / "bqemulator.pid" if self.folder else None

    def env(self) -> dict[str, str]:
        """What the project needs to target this emulator."""
        return {
            "MEDALLION_TARGET": "bigquery",
            "MEDALLION_BQ_PROJECT": self.project,
            "MEDALLION_BQ_API_ENDPOINT": self.endpoint,
            "MEDALLION_BQ_METHOD": "oauth-secrets",
            "MEDALLION_BQ_TOKEN": "emulator",
        }

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets", timeout=2):
                return True
        except OSError:
            return False

    def _alive(self) -> int | None:
        if self.pid_file is None:
            return None
        try:
            pid = int(self.pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        # The pid file may outlive its process (a reboot): only our emulator, on this home's data, is ours.
        ours = any(part.endswith(b"bqemulator") for part in command) and str(self.folder / "data").encode() in command
        return pid if ours else None

    def start(self, workdir: Path, timeout: float = 120) -> None:
        """Start it, logging to `workdir`, and wait until it answers (EmulatorError if it does not)."""
        root = install()
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "bqemulator.log"
        for port in (self.port, self.grpc_port):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise EmulatorError(f"port {port} is taken by another program (set MEDALLION_BQ_EMULATOR_PORT)")
        storage = ["--persistent", "--data-dir", str(self.folder / "data")] if self.folder else ["--ephemeral"]
        if self.folder:
            (self.folder / "data").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                str(root / "venv" / "bin" / "bqemulator"),
                "start",
                *storage,
                "--rest-host",
                "127.0.0.1",
                "--rest-port",
                str(self.port),
                "--grpc-host",
                "127.0.0.1",
                "--grpc-port",
                str(self.grpc_port),
                "--project",
                self.project,
                "--log-level",
                "warning",
            ],
            env={**os.environ, "HOME": str(root / "home")},
            stdout=self.log.open("wb"),  # this run's log: an error shows what this start said
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.pid_file is not None:
            self.pid_file.write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if self.pid_file is not None:
                    self.pid_file.unlink(missing_ok=True)
                raise EmulatorError(f"bqemulator exited:\n{self.log.read_text()[-3000:]}")
            if self._ready():
                return
            time.sleep(0.5)
        self.stop()
        raise EmulatorError(f"bqemulator did not answer within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def up(self) -> None:
        """Start the home's emulator unless it is already answering."""
        if self._alive():  # ours, perhaps still starting: wait for it rather than start a second
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if self._ready():
                    return
                if not self._alive():
                    break
                time.sleep(0.5)
            else:
                raise EmulatorError(f"the emulator (pid file {self.pid_file}) runs but does not answer; `make bq-down`")
        assert self.folder is not None
        self.start(self.folder)

    def stop(self) -> None:
        pid = self.process.pid if self.process and self.process.poll() is None else self._alive()
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGTERM)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                if self.process and self.process.poll() is not None:
                    break
                time.sleep(0.1)
            else:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)


def local(port: int | None = None) -> Emulator:
    """The home's emulator: REST on MEDALLION_BQ_EMULATOR_PORT (default 9050), gRPC on the next port."""
    chosen = port or int(os.environ.get("MEDALLION_BQ_EMULATOR_PORT") or DEFAULT_PORT)
    return Emulator(chosen, chosen + 1, folder=home_paths().home / "bigquery")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down", "env"])
    args = parser.parse_args()
    emulator = local()
    try:
        if args.action == "up":
            emulator.up()
            print(f"# BigQuery emulator at {emulator.endpoint}, tables in {emulator.folder}", file=sys.stderr)
        if args.action == "down":
            emulator.stop()
            print("# BigQuery emulator stopped", file=sys.stderr)
            return 0
    except EmulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, value in emulator.env().items():
        print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
