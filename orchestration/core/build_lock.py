"""One build at a time per home.

Two builds writing one warehouse at once would trip over each other (DuckDB
lets one process write a file at a time). A build, from `medallion build` or a
run the Dagster UI, a schedule or a sensor starts, takes the home's build lock
(`$MEDALLION_HOME/.build.lock`) at its first step and keeps it until its
process ends; a second build waits for it, saying whom it waits for. The lock
is an `flock`, released by the system when the holder exits, however it exits.
Landing and reading never take it. A DuckDB home published before readers got
a snapshot of their own gets one as its next build starts.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import Paths
from orchestration.warehouse import DuckDBWarehouse, current

_HELD: dict[Path, int] = {}


def hold(paths: Paths, say: Callable[[str], None] = print) -> None:
    """Take the home's build lock for the rest of this process; waits while another process holds it."""
    path = paths.home / ".build.lock"
    if path in _HELD:
        return
    paths.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
        say(f"another build is running ({holder}); waiting for it to finish")
        fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n".encode(), 0)
    _HELD[path] = fd
    warehouse = current(paths)
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.ensure_snapshot()


@contextmanager
def attempt(paths: Paths) -> Iterator[bool]:
    """The home's build lock if no one holds it (True, held for the `with` block), else False at once."""
    path = paths.home / ".build.lock"
    if path in _HELD:
        yield True
        return
    paths.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
