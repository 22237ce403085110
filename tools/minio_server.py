"""A local MinIO (S3 API) for the media source: `make s3-up` / `make s3-down`, and the tests.

MinIO publishes no binaries to the registries this machine reaches, but it is a Go module: the
pinned version is built once with `go install` (about 14 minutes and 1.2 GB of module cache the
first time) and reused from `$(go env GOPATH)/bin/minio` while `go version -m` says it is that
version. The server binds 127.0.0.1 only, keeps its data under `$MEDALLION_HOME/s3/data`, and runs
with credentials made for that home (`$MEDALLION_HOME/s3/credentials`, mode 600). `up` prints
the `export` lines that point `medallion` (and the AWS CLI) at it:

    eval "$(make -s s3-up)"
    medallion land media s3://medallion/drops --day 2026-11-20
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import paths as home_paths

MODULE = "github.com/minio/minio"
VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"
DEFAULT_PORT = 9900
BUCKET = "medallion"


class ServerError(RuntimeError):
    pass


def _go() -> str:
    found = shutil.which("go")
    if not found:
        raise ServerError("`go` is not on PATH: MinIO is built from its Go module (`go install`)")
    return found


def binary() -> Path:
    """The pinned MinIO, built once."""
    go = _go()
    gopath = subprocess.run([go, "env", "GOPATH"], capture_output=True, text=True, check=True).stdout.strip()
    path = Path(gopath.split(os.pathsep)[0]) / "bin" / "minio"
    if path.exists():
        info = subprocess.run([go, "version", "-m", str(path)], capture_output=True, text=True).stdout
        if f"{MODULE}\t{VERSION}" in info:
            return path
    print(f"building MinIO {VERSION} with `go install` (once; about 14 minutes)", file=sys.stderr)
    done = subprocess.run([go, "install", f"{MODULE}@{VERSION}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise ServerError(f"go install {MODULE}@{VERSION} failed:\n{done.stderr[-3000:]}")
    return path


@dataclass(frozen=True)
class Server:
    folder: Path
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.folder / "minio.pid"

    def credentials(self) -> dict[str, str]:
        """This home's keys, made on first use."""
        path = self.folder / "credentials"
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(
                    {"access_key": "medallion-" + secrets.token_hex(6), "secret_key": secrets.token_hex(20)}, handle
                )
        return json.loads(path.read_text())

    def environment(self) -> dict[str, str]:
        keys = self.credentials()
        return {
            "MEDALLION_S3_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": keys["access_key"],
            "AWS_SECRET_ACCESS_KEY": keys["secret_key"],
        }

    def _alive(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/minio/health/live", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def up(self, timeout: float = 60) -> None:
        if self._alive() and self._ready():
            return
        executable = binary()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise ServerError(f"port {self.port} is taken by another program (set MEDALLION_MINIO_PORT)")
        keys = self.credentials()
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        log = (self.folder / "minio.log").open("ab")
        process = subprocess.Popen(
            [
                str(executable),
                "server",
                str(self.folder / "data"),
                "--address",
                f"127.0.0.1:{self.port}",
                "--console-address",
                f"127.0.0.1:{self.port + 1}",
                "--quiet",
            ],
            env={
                **os.environ,
                "MINIO_ROOT_USER": keys["access_key"],
                "MINIO_ROOT_PASSWORD": keys["secret_key"],
                "MINIO_BROWSER": "off",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"MinIO exited ({process.returncode}); see {self.folder / 'minio.log'}")
            if self._ready():
                self._bucket(BUCKET)
                return
            time.sleep(0.2)
        self.down()
        raise ServerError(f"MinIO did not answer within {timeout:g} s; see {self.folder / 'minio.log'}")

    def _bucket(self, name: str) -> None:
        import boto3

        keys = self.credentials()
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=keys["access_key"],
            aws_secret_access_key=keys["secret_key"],
            region_name="us-east-1",
        )
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)

    def down(self) -> None:
        pid = self._alive()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def server(port: int | None = None) -> Server:
    chosen = port or int(os.environ.get("MEDALLION_MINIO_PORT") or DEFAULT_PORT)
    return Server(home_paths().home / "s3", chosen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down", "env"])
    args = parser.parse_args()
    local = server()
    try:
        if args.action == "up":
            local.up()
            print(
                f"# MinIO at {local.endpoint}, bucket s3://{BUCKET}, data in {local.folder / 'data'}", file=sys.stderr
            )
        if args.action == "down":
            local.down()
            print("# MinIO stopped", file=sys.stderr)
            return 0
    except ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, value in local.environment().items():
        print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
