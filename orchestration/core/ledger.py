"""Append-only JSON-lines ledgers, safe from any number of concurrent processes.

Every registry the landing zone keeps (a source's manifest, forecast pulls and
failures, municipality deliveries, delivery decisions) is a ledger: one JSON
object per line, never rewritten. Writers take an exclusive `flock` on the
ledger's folder itself for the whole read-decide-append step, so two `land`
commands can never both take sequence number 2, and a reader never sees half
a line (a torn last line from a killed writer is ignored and overwritten by
the next append). The lock goes with the process: a killed writer never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of `folder` until the block ends (waiting for another holder)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class Ledger:
    """One append-only JSON-lines file. Read freely; append only under `folder_lock(ledger.folder)`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def folder(self) -> Path:
        return self.path.parent

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        records = []
        with self.path.open("rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break  # a writer was killed mid-line; that record never happened
                if raw.strip():
                    records.append(json.loads(raw))
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Append one record durably. The caller holds the folder's lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        with os.fdopen(fd, "r+b") as handle:
            end = handle.seek(0, os.SEEK_END)
            if end:
                handle.seek(end - 1)
                if handle.read(1) != b"\n":  # drop the torn record of a killed writer
                    handle.seek(0)
                    end = handle.read().rfind(b"\n") + 1
                    handle.truncate(end)
                handle.seek(end)
            handle.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())


# Temporary files a writer makes beside what it writes are named `.part-<pid>-...`,
# so the leftovers of a killed writer can be told from a live one's and removed.
PART = ".part-"


def part_prefix() -> str:
    return f"{PART}{os.getpid()}-"


def remove_abandoned_parts(folder: Path) -> None:
    """Remove the temporary files of writers that are gone (killed mid-write)."""
    for part in folder.glob(f"{PART}*") if folder.exists() else []:
        pid = part.name[len(PART) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            part.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
