"""What `medallion build` prints: one line per step as it ends, and every log line to a file.

A Dagster logger (`medallion`): each step's line says its time, what it
materialized (and the rows, where the step reports them) and how its checks or
its gate came out; a dbt step shows its progress on a terminal while it runs.
Every record, at every level, goes to `$MEDALLION_HOME/logs/build-<run>.log`
(dbt's own log is `dbt.log` beside it). `verbose` also streams every record to
the console, as Dagster's console logger does.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetCheckSeverity, DagsterEventType, Field, logger

from orchestration.core.resources import reported_rows

_SHOWN: list[StepLines] = []  # the step lines this process prints (the build's), for `reporter`


def step_seconds() -> dict[str, float]:
    """How long each finished step of this process's build took, by step key."""
    return {key: step.seconds for lines in _SHOWN for key, step in lines.steps.items() if step.seconds is not None}


def reporter(step_key: str) -> Callable[[int, int, str], None]:
    """A dbt step's progress callback: shown on the build's console line while the step runs (never logged
    as an event: a line per dbt node would fill the run's event log)."""

    def report(done: int, total: int, node: str) -> None:
        for lines in _SHOWN:
            lines.progress(step_key, done)

    return report


@dataclass
class _Step:
    started: float
    materialized: int = 0
    rows: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    gate: str = ""
    failure: str = ""
    seconds: float | None = None


def step_label(step_key: str) -> str:
    """`dbt_silver` -> `dbt silver`; `x_ge_silver__int_tweets__tweets` -> `gate silver.int_tweets__tweets`;
    `bronze__tweets_lines` -> `bronze/tweets_lines`."""
    if "_ge_" in step_key:
        return "gate " + step_key.rsplit("_ge_", 1)[1].replace("__", ".", 1)
    if step_key.startswith("dbt_"):
        return "dbt " + step_key[4:].replace("_", " ")
    return step_key.replace("__", "/", 1)


class StepLines(logging.Handler):
    """Prints a line as each step ends (and dbt's progress, on a terminal, while it runs)."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream or sys.stdout
        self.steps: dict[str, _Step] = {}
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.pending = False  # a progress line is on screen

    def _write(self, text: str, transient: bool = False) -> None:
        if self.pending:
            self.stream.write("\r\033[K")
        self.stream.write(text if transient else text + "\n")
        self.pending = transient
        self.stream.flush()

    def progress(self, key: str, done: int) -> None:
        step = self.steps.get(key)
        if step and self.tty:
            seconds = time.monotonic() - step.started
            self._write(f"  {step_label(key):<44} {seconds:6.1f} s  {done} dbt nodes done", transient=True)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        key = meta.get("step_key")
        event = meta.get("dagster_event")
        if key is None:
            return
        if event is None:
            return
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self.steps[key] = _Step(time.monotonic())
            return
        step = self.steps.setdefault(key, _Step(time.monotonic()))
        if kind == DagsterEventType.ASSET_MATERIALIZATION:
            step.materialized += 1
            step.rows += reported_rows(dict(event.event_specific_data.materialization.metadata))
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                step.checks_passed += 1
            else:
                step.checks_failed += 1
            if evaluation.check_name.startswith("ge_"):
                warned = evaluation.severity == AssetCheckSeverity.WARN
                outcome = "passed" if evaluation.passed else "WARNING" if warned else "FAILED"
                step.gate = f"{outcome}: {(evaluation.description or '').split(': ', 1)[-1]}"
        elif kind == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            step.failure = (error.message.strip().splitlines() or [""])[0][:160] if error else "failed"
            self._write(self.line(key, step, failed=True))
        elif kind == DagsterEventType.STEP_SUCCESS:
            self._write(self.line(key, step))

    @staticmethod
    def line(key: str, step: _Step, failed: bool = False) -> str:
        parts = []
        if step.gate:
            parts.append(step.gate)
        else:
            if step.materialized:
                parts.append(f"{step.materialized} asset{'s' if step.materialized != 1 else ''}")
            if step.rows:
                parts.append(f"{step.rows:,} new rows")
            checks = step.checks_passed + step.checks_failed
            if checks:
                parts.append(f"{step.checks_passed}/{checks} checks passed")
        if failed:
            parts.append(f"FAILED: {step.failure}")
        seconds = step.seconds = time.monotonic() - step.started
        return f"  {step_label(key):<44} {seconds:6.1f} s  {', '.join(parts)}".rstrip()


@logger(
    {
        "log_dir": Field(str, description="Where build-<run>.log goes."),
        "verbose": Field(bool, default_value=False, description="Also stream every record to the console."),
    },
    description="One line per step on the console; every record to $MEDALLION_HOME/logs/build-<run>.log.",
)
def medallion_logger(init_context: Any) -> logging.Logger:
    config = init_context.logger_config
    log = logging.Logger("medallion", level=logging.DEBUG)
    folder = Path(config["log_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(folder / f"build-{init_context.run_id}.log", encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(to_file)
    if config["verbose"]:
        console = logging.StreamHandler(sys.stdout)
        console.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
        log.addHandler(console)
    lines = StepLines()
    _SHOWN[:] = [lines]
    log.addHandler(lines)
    return log
