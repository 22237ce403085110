"""`make bench`: land and build timings at a scale, as ratios to plain Python measured in the same run.

Prints, for each land and build: wall time, peak memory (the resident sets of the command and every
process it started, summed), rows/s;
then issue #11's targets in one table, each a ratio taken in this run: land +
build of a fresh home, of a 5% file and with nothing new against the plain-Python
answer to the three questions (tools/reference.py); peak RSS; a forecast pull
against the 5% file; at SCALE other than 1, the time against 1x (measured too);
with TARGET=trino, Trino's build against DuckDB's. Not a test: it measures, and
says which targets were met; it fails nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
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
    peak = TreePeak(process.pid)
    output = process.stdout.read() if process.stdout else b""
    status = process.wait()
    seconds = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{name} failed:\n{output.decode(errors='replace')[-4000:]}")
    return Step(name, seconds, peak.stop(), rows)


class TreePeak:
    """The largest memory a command and every process it started held at once (the sum of their resident
    sets, sampled every 20 ms from /proc), in MB. A process's own peak (`ru_maxrss` from wait4) would miss
    a worker process beside it, and counts the bench's own memory, which the command holds for the moment
    between fork and exec."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            total = sum(_rss_kb(pid) for pid in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            time.sleep(0.02)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return self.peak_kb / 1024


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc/<pid>/task/<tid>/children."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    queue.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


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


LOAN_BOOK_ROWS = 887_000  # issue #13: the loan book at its full size


def measure_datasets(paths: Paths, scale: float) -> tuple[list[Step], float]:
    """Issue #13: the example loan book (74 columns) landed and built as the onboarded dataset `credit_risk`,
    and, for the ratio, DuckDB alone reading the same CSV and writing the same partitioned zstd Parquet."""
    import duckdb

    from orchestration.sources.datasets.generate import credit_risk

    rows = int(LOAN_BOOK_ROWS * min(scale, 1.0))
    csv = paths.datasets / f"credit-risk-{rows}-seed12.csv"
    if not csv.exists():
        credit_risk(csv, rows, 12)
    home = paths.home / "bench" / "datasets"
    os.environ["MEDALLION_TARGET"] = "duckdb"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    steps = [
        run_cli("dataset land", home, rows, "land", "dataset", "credit_risk", str(csv), "--quiet"),
        run_cli("dataset build", home, rows, "build", "--source", "datasets"),
    ]
    out = home / "duckdb-alone"
    con = duckdb.connect()
    try:
        started = time.perf_counter()
        con.execute(
            "copy (select * from read_csv(?)) to '" + str(out).replace("'", "''") + "' "
            "(format parquet, partition_by (issue_d), compression zstd)",
            [str(csv)],
        )
        alone = time.perf_counter() - started
    finally:
        con.close()
    steps.append(Step("DuckDB alone (CSV -> Parquet)", alone, 0, rows))
    return steps, alone


def measure_huge_line(home: Path, companion: Path, companion_rows: int) -> list[Step]:
    """One 2 MB tweet of 150,000 emoji (and as many @mentions in its text) landed beside `companion` and
    built in full under a raised MEDALLION_MAX_LINE_BYTES: a line must cost time and memory in proportion
    to its length (before, this line alone ran for over 9 minutes at 20 GB)."""
    import json

    os.environ["MEDALLION_TARGET"] = "duckdb"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with companion.open(encoding="utf-8") as lines:
        template = json.loads(lines.readline())
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
    results["the loan book, 74 columns (datasets, duckdb)"], _ = measure_datasets(paths, args.scale)
    duck = {step.name: step for step in results["duckdb"]}

    scan = bare_scan(main_file)
    started = time.perf_counter()
    reference.answers([main_file])
    naive = time.perf_counter() - started
    one_x = None
    if args.scale != 1:
        # The same land + build at 1x, for the scaling ratio (time at SCALE against time at 1x).
        small = dataset(paths, ROWS_PER_SCALE, seed=2021)
        home = paths.home / "bench" / "duckdb-scale-1-for-ratio"
        one_x = measure("duckdb", home, small, dataset(paths, ROWS_PER_SCALE // 20, seed=4242), ROWS_PER_SCALE, 1)

    for target, steps in results.items():
        print(f"\n{target}")
        print(f"{'step':<26} {'wall':>10} {'peak RSS':>11} {'throughput':>19}")
        for step in steps:
            print(step.line())
    print(f"\nbare read_json scan {scan:.2f} s; plain Python q1+q2+q3 (the 60-line script) {naive:.2f} s")
    print(targets_table(args.scale, naive, duck, results, one_x))
    return 0


def targets_table(
    scale: float, naive: float, duck: dict[str, Step], results: dict[str, list[Step]], one_x: list[Step] | None
) -> str:
    """Issue #11's targets, each as a ratio measured in this one run."""
    land, build = duck["land"], duck["build (full)"]
    rows: list[tuple[str, str, float, float]] = [
        (
            "land + build, fresh home / plain Python",
            f"{land.seconds + build.seconds:.2f} s",
            (land.seconds + build.seconds) / naive,
            1.0,
        ),
        (
            "land + build of a 5% file / plain Python",
            f"{duck['land (+5% file)'].seconds + duck['build (+5% file)'].seconds:.2f} s",
            (duck["land (+5% file)"].seconds + duck["build (+5% file)"].seconds) / naive,
            0.4,
        ),
        (
            "build with nothing new / plain Python",
            f"{duck['build (nothing new)'].seconds:.2f} s",
            duck["build (nothing new)"].seconds / naive,
            0.25,
        ),
        (
            "peak RSS of land + build (GB)",
            f"{max(land.peak_rss_mb, build.peak_rss_mb):.0f} MB",
            max(land.peak_rss_mb, build.peak_rss_mb) / 1024,
            1.5 if scale <= 1 else 3.0,
        ),
    ]
    forecast = {step.name: step for step in results.get("forecast (duckdb)", [])}
    if "forecast build (pull 2)" in forecast:
        pull = forecast["forecast land (pull 2)"].seconds + forecast["forecast build (pull 2)"].seconds
        five = duck["land (+5% file)"].seconds + duck["build (+5% file)"].seconds
        rows.append(("forecast pull land + build / tweets 5% land + build", f"{pull:.2f} s", pull / five, 1.0))
    if one_x is not None:
        small = {step.name: step for step in one_x}
        at_one = small["land"].seconds + small["build (full)"].seconds
        rows.append(
            (
                f"land + build at {scale:g}x / at 1x",
                f"{land.seconds + build.seconds:.2f} s",
                (land.seconds + build.seconds) / at_one,
                10.5 * scale / 10,
            )
        )
    if "trino" in results:
        trino = {step.name: step for step in results["trino"]}
        rows.append(
            (
                "Trino build / DuckDB build",
                f"{trino['build (full)'].seconds:.2f} s",
                trino["build (full)"].seconds / build.seconds,
                2.0,
            )
        )
    loans = {step.name: step for step in results.get("the loan book, 74 columns (datasets, duckdb)", [])}
    if "dataset build" in loans:
        ours = loans["dataset land"].seconds + loans["dataset build"].seconds
        alone = loans["DuckDB alone (CSV -> Parquet)"].seconds
        rows.append(("#13: loan book land + build / DuckDB alone", f"{ours:.2f} s", ours / alone, 2.0))
        peak = max(loans["dataset land"].peak_rss_mb, loans["dataset build"].peak_rss_mb)
        rows.append(("#13: loan book peak RSS (GB)", f"{peak:.0f} MB", peak / 1024, 2.0))
    lines = [f"\n{'issue #11 (#13) target':<54} {'measured':>11} {'ratio':>8} {'limit':>7}  met"]
    for name, measured, ratio, limit in rows:
        lines.append(f"{name:<54} {measured:>11} {ratio:>7.2f}x {limit:>6.2f}x  {'yes' if ratio <= limit else 'NO'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
