"""Great Expectations in a process of its own, for `medallion build`.

Importing Great Expectations costs about 3.5 s of Python (it brings pandas,
SciPy and Altair), and Python runs one thread at a time: imported inside the
build's process, even on a background thread, it held up Dagster loading the
definitions and the first steps by as much. `medallion build` starts this worker
first; it imports GE and opens the home's GE context on the other core while
the build loads Dagster and dbt, then runs each gate's suite when its step asks
and renders the run's Data Docs at the end.

Nothing about a gate changes: its step waits for the suite's result, blocks what
is downstream when it fails, and a worker that cannot run a suite (it died, GE
raised) fails the gate that asked, never passes it. DuckDB lets one process at
a time open a database file: the build's process holds the warehouse only
inside its own steps (dbt and the loaders close it at the end of each), and the
worker only inside a suite (`run_suite` releases it).

A run started from the Dagster UI, a schedule or a sensor has no worker and runs
its suites in its own process, as before.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any

from orchestration.quality import gates
from orchestration.quality.gates import SuiteFile, SuiteResult
from orchestration.settings import Paths, load


class GateError(RuntimeError):
    """A suite the worker could not run (what it raised, with its traceback), or a worker that died."""


def _serve(requests: Connection) -> None:
    """The worker: import GE and open the home's context, then run `gates.<function>(*args)` for each request
    until told to stop. Anything raised goes back as text (not every GE exception survives pickling)."""
    try:
        gates.prepare(load().paths)
        failed_start = None
    except BaseException:  # reported to the first gate that asks, which fails with it
        failed_start = traceback.format_exc()
    while (request := requests.recv()) is not None:
        function, args = request
        if failed_start:
            requests.send(("error", f"Great Expectations could not start:\n{failed_start}"))
            continue
        try:
            requests.send(("ok", getattr(gates, function)(*args)))
        except BaseException as exc:
            requests.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    requests.close()
    # Nothing is left to write (each request finished its files); skip tearing down GE's imports (a second).
    os._exit(0)


class GateWorker:
    """The worker process, started as `python -m orchestration.quality.worker FD` on one end of a socket pair
    (not by multiprocessing, which would import the caller's own script again in the worker). What it prints
    goes to $MEDALLION_HOME/logs/gate-worker.log."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        log = load().paths.home / "logs" / "gate-worker.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with theirs, log.open("ab") as output:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self._requests = Connection(ours.detach())

    def _ask(self, function: str, *args: Any) -> Any:
        try:
            self._requests.send((function, args))
            status, value = self._requests.recv()
        except (EOFError, OSError) as exc:
            code = self._process.poll()
            raise GateError(f"the gate worker stopped (exit code {code}) during {function}") from exc
        if status == "error":
            raise GateError(f"{function} failed in the gate worker: {value}")
        return value

    def run_suite(self, suite_file: SuiteFile, paths: Paths, run_id: str) -> SuiteResult:
        return self._ask("run_suite", suite_file, paths, run_id, False)

    def render_docs(self, paths: Paths, run_id: str) -> str | None:
        return self._ask("render_docs", paths, run_id)

    def close(self) -> None:
        with suppress(OSError):  # a worker that died has closed its end
            self._requests.send(None)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._requests.close()


_ACTIVE: list[GateWorker] = []


@contextmanager
def gate_worker() -> Iterator[GateWorker]:
    """A gate worker for the suites this process runs until the block ends."""
    worker = GateWorker()
    _ACTIVE.append(worker)
    try:
        yield worker
    finally:
        _ACTIVE.remove(worker)
        worker.close()


def run_suite(suite_file: SuiteFile, paths: Paths, run_id: str, docs: bool) -> SuiteResult:
    """Run a suite in this process's gate worker if it has one (and leave its Data Docs page to the end of the
    build), else here."""
    if _ACTIVE:
        return _ACTIVE[-1].run_suite(suite_file, paths, run_id)
    return gates.run_suite(suite_file, paths, run_id, docs)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
