"""The inbox: what is dropped into $MEDALLION_HOME/inbox/<source>/ is landed by the next build.

Tweets files, or municipality `YYYYMMDD/` folders. A landed item moves to
`landed/`; one that cannot be landed moves to `rejected/` beside a `.error`
note, and the build fails naming it, so one bad drop is reported once and does
not block the items after it.

Two builds may look at the inbox at once (the sensor's run and a
`medallion build`, say). Each item is first claimed by renaming it into
`claimed/` under a name of the claiming process: a rename is atomic, so
exactly one of them gets it, and the other goes on with the next item.
A claim left behind by a killed build goes back to the inbox the next time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.landing import LandingError, land
from orchestration.settings import Paths

CLAIMED = "claimed"


@dataclass
class InboxResult:
    landed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def is_file_drop(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


def waiting(paths: Paths, source: str, pick: Callable[[Path], bool] = is_file_drop) -> list[Path]:
    folder = paths.inbox(source)
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if pick(p))


def move_aside(path: Path, folder: Path, name: str | None = None) -> Path:
    """Move `path` into `folder` under `name` (default: its own), never overwriting what is there."""
    folder.mkdir(parents=True, exist_ok=True)
    name = name or path.name
    target = folder / name
    counter = 1
    while target.exists():
        stem, dot, suffix = name.partition(".")
        target = folder / f"{stem}.{counter}{dot}{suffix}"
        counter += 1
    shutil.move(path, target)
    return target


def _claim(path: Path) -> Path | None:
    """Take `path` for this process, or None when another process took it first."""
    claimed = path.parent / CLAIMED / f"{os.getpid()}__{path.name}"
    claimed.parent.mkdir(exist_ok=True)
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def _release_stale_claims(paths: Paths, source: str) -> None:
    """Claims of processes that are gone (a killed build) go back to the inbox."""
    folder = paths.inbox(source) / CLAIMED
    if not folder.exists():
        return
    for claimed in folder.iterdir():
        pid, _, name = claimed.name.partition("__")
        if pid.isdigit() and not _alive(int(pid)):
            move_aside(claimed, paths.inbox(source), name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def land_inbox(
    paths: Paths,
    source: str,
    land_one: Callable[[Path, Path], bool] | None = None,
    pick: Callable[[Path], bool] = is_file_drop,
    errors: tuple[type[Exception], ...] = (LandingError,),
) -> InboxResult:
    """Land every item waiting in the inbox of `source`. `land_one(claimed, original)` lands one
    claimed item (recording `original` as where it came from) and says whether it was already landed;
    the default lands a tweets file."""

    def land_file(claimed: Path, original: Path) -> bool:
        return land(source, str(claimed), paths, progress=False, delivered_as=str(original)).skipped

    land_one = land_one or land_file
    result = InboxResult()
    _release_stale_claims(paths, source)
    for path in waiting(paths, source, pick):
        claimed = _claim(path)
        if claimed is None:
            continue
        try:
            skipped = land_one(claimed, path)
        except errors as exc:
            moved = move_aside(claimed, paths.inbox(source) / "rejected", path.name)
            moved.with_name(moved.name + ".error").write_text(f"{exc}\n")
            result.rejected.append(f"{path.name}: {exc}")
            continue
        move_aside(claimed, paths.inbox(source) / "landed", path.name)
        (result.skipped if skipped else result.landed).append(path.name)
    return result
