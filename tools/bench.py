"""`make bench`: land and build timings at a scale, beside a bare scan and plain Python.

Prints, for land and build: wall time, peak RSS (largest process), rows/s; the
build's ratio to a bare DuckDB `read_json` scan of the same file and to a naive
Python q1+q2+q3; the answer query time; and what a 5% extra file costs.
Not a test: it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import Paths, load
from orchestration.sources.tweets.report import read_answers
from tools import reference
from tools.generate import Options, generate

ROWS_PER_SCALE = 117_407


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    rows: int

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0
        return f"{self.name:<26} {self.seconds:>8.2f} s {self.peak_rss_mb:>8.0f} MB {rate:>12,.0f} rows/s"


def run_cli(name: str, home: Path, rows: int, *args: str, **extra_env: str) -> Step:
    env = {**os.environ, "MEDALLION_HOME": str(home), **extra_env}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{name} failed:\n{output.decode(errors='replace')[-4000:]}")
    return Step(name, seconds, usage.ru_maxrss / 1024, rows)


def dataset(paths: Paths, rows: int, seed: int) -> Path:
    path = paths.datasets / f"tweets-{rows}-seed{seed}.jsonl"
    if not path.exists():
        generate(path, Options(rows=rows, seed=seed))
    return path


def bare_scan(path: Path) -> float:
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(
        f"""select count(distinct id), max(date), sum(length(content)), count("user"), count(mentionedUsers)
            from read_json('{path}', format = 'newline_delimited',
            columns = {{id: 'BIGINT', date: 'VARCHAR', content: 'VARCHAR', "user": 'JSON', mentionedUsers: 'JSON'}})"""
    ).fetchall()
    return time.perf_counter() - started


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def jvm_peak_rss_mb(home: Path) -> float | None:
    """Peak RSS of this home's Trino server (the JVM), from /proc."""
    pid_file = home / "trino" / "data" / "var" / "run" / "launcher.pid"
    try:
        status = Path(f"/proc/{pid_file.read_text().strip()}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def measure(target: str, home: Path, main_file: Path, extra_file: Path, rows: int, extra_rows: int) -> list[Step]:
    os.environ["MEDALLION_TARGET"] = target
    stack = None
    if target == "trino":
        from orchestration.warehouse.trino_stack import Stack

        os.environ.setdefault("MEDALLION_TRINO_PORT", str(free_port()))
        os.environ.setdefault("MEDALLION_PG_PORT", str(free_port()))
        stack = Stack(Paths(home))
        stack.down()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    home.chmod(0o755)
    steps = []
    try:
        if stack is not None:
            started = time.perf_counter()
            stack.up()
            steps.append(Step("trino up", time.perf_counter() - started, 0, 0))
        steps.append(run_cli("land", home, rows, "land", "tweets", str(main_file), "--quiet"))
        steps.append(run_cli("build (full)", home, rows, "build"))
        steps.append(run_cli("land (+5% file)", home, extra_rows, "land", "tweets", str(extra_file), "--quiet"))
        steps.append(run_cli("build (+5% file)", home, extra_rows, "build"))
        steps.append(run_cli("build (nothing new)", home, 0, "build"))
        query_times = []
        for _ in range(5):
            started = time.perf_counter()
            read_answers(Paths(home))
            query_times.append(time.perf_counter() - started)
        steps.append(Step("answers query (best of 5)", min(query_times), 0, 0))
        if stack is not None:
            peak = jvm_peak_rss_mb(home)
            steps.append(Step("Trino JVM peak RSS", 0, peak or 0, 0))
    finally:
        if stack is not None:
            stack.down()
    return steps


def measure_forecast(home: Path) -> list[Step]:
    """One full-size pull (2,500 municipalities x 48 hours) landed and built, twice (the second an hour later)."""
    from datetime import UTC, datetime, timedelta

    from tools import forecast_generate as forecast

    os.environ["MEDALLION_TARGET"] = "duckdb"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    places = forecast.municipalities(2500, 1)
    steps = []
    now = datetime.now(UTC).replace(microsecond=0)
    for n, fetched_at in enumerate((now - timedelta(hours=1), now), start=1):
        records = forecast.records(places, fetched_at, 48, n)
        pull = home / f"pull-{n}.json.gz"
        pull.write_bytes(forecast.payload(records))
        stamp = fetched_at.isoformat()
        steps.append(
            run_cli(
                f"forecast land (pull {n})", home, len(records), "land", "forecast", str(pull), "--fetched-at", stamp
            )
        )
        steps.append(run_cli(f"forecast build (pull {n})", home, len(records), "build", "--source", "forecast"))
    return steps


def measure_huge_line(home: Path, companion: Path, companion_rows: int) -> list[Step]:
    """One 2 MB tweet of 150,000 emoji (and as many @mentions in its text) landed beside `companion` and
    built in full under a raised MEDALLION_MAX_LINE_BYTES: a line must cost time and memory in proportion
    to its length (before, this line alone ran for over 9 minutes at 20 GB)."""
    import json

    os.environ["MEDALLION_TARGET"] = "duckdb"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    template = json.loads(companion.read_text(encoding="utf-8").splitlines()[0])
    path = home / "huge-line.jsonl"
    path.write_text(json.dumps(dict(template, id=1, content="🙏 @someone " * 150_000), ensure_ascii=False) + "\n")
    limit = {"MEDALLION_MAX_LINE_BYTES": str(4 << 20)}
    rows = companion_rows + 1
    return [
        run_cli("land (+ one 2 MB line)", home, rows, "land", "tweets", str(companion), str(path), "--quiet", **limit),
        run_cli("build (+ one 2 MB line)", home, rows, "build", **limit),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--target", choices=["duckdb", "trino"], default="duckdb", help="trino: measure Trino beside DuckDB"
    )
    args = parser.parse_args()
    paths = load().paths
    rows = int(ROWS_PER_SCALE * args.scale)
    extra_rows = max(1, rows // 20)
    main_file = dataset(paths, rows, seed=2021)
    extra_file = dataset(paths, extra_rows, seed=4242)

    print(
        f"benchmark at scale {args.scale:g}: {rows:,} tweets, {main_file.stat().st_size / 1e6:.0f} MB, "
        f"{os.cpu_count()} cores"
    )
    targets = ["duckdb", "trino"] if args.target == "trino" else ["duckdb"]
    results = {
        target: measure(
            target, paths.home / "bench" / f"{target}-scale-{args.scale:g}", main_file, extra_file, rows, extra_rows
        )
        for target in targets
    }
    results["forecast (duckdb)"] = measure_forecast(paths.home / "bench" / "forecast")
    results["the +5% file and one emoji-dense 2 MB line (duckdb)"] = measure_huge_line(
        paths.home / "bench" / "huge-line", extra_file, extra_rows
    )
    duck = {step.name: step for step in results["duckdb"]}

    scan = bare_scan(main_file)
    started = time.perf_counter()
    reference.answers([main_file])
    naive = time.perf_counter() - started

    for target, steps in results.items():
        print(f"\n{target}")
        print(f"{'step':<26} {'wall':>10} {'peak RSS':>11} {'throughput':>19}")
        for step in steps:
            print(step.line())
    build, extra_build, land = duck["build (full)"], duck["build (+5% file)"], duck["land"]
    total = land.seconds + build.seconds
    print("\nduckdb against the targets")
    print(f"land + build           {total:>8.2f} s   (target <= 20 s, <= 1500 MB)")
    print(f"bare read_json scan    {scan:>8.2f} s   build / scan = {build.seconds / scan:.1f}x (target <= 3x)")
    print(f"naive Python q1+q2+q3  {naive:>8.2f} s   build / naive = {build.seconds / naive:.2f}x")
    print(f"answers query          {duck['answers query (best of 5)'].seconds * 1000:>8.1f} ms  (target <= 100 ms)")
    print(
        f"+5% file build         {extra_build.seconds:>8.2f} s   = {extra_build.seconds / build.seconds:.0%} of a full "
        "build (target <= 15%)"
    )
    if "trino" in results:
        trino = {step.name: step for step in results["trino"]}
        print("\ntrino / duckdb")
        for name in ("land", "build (full)", "build (+5% file)", "build (nothing new)"):
            print(f"{name:<22} {trino[name].seconds / duck[name].seconds:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
