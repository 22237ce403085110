"""The inbox: what is dropped into $MEDALLION_HOME/inbox/<source>/ is landed by the next build.

Tweets files, or municipality `YYYYMMDD/` folders. A landed item moves to
`landed/`; one that cannot be landed moves to `rejected/` beside a `.error`
note, and the build fails naming it, so one bad drop is reported once and does
not block the items after it.

An inbox is emptied under its folder's lock: two processes at it at once
(a build and a hand-run landing, say) take turns, and the second finds only
what the first left.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.core.landing import LandingError, land
from orchestration.core.ledger import folder_lock
from orchestration.settings import Paths


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


def land_inbox(
    paths: Paths,
    source: str,
    land_one: Callable[[Path], bool] | None = None,
    pick: Callable[[Path], bool] = is_file_drop,
    errors: tuple[type[Exception], ...] = (LandingError,),
) -> InboxResult:
    """Land every item waiting in the inbox of `source`. `land_one(item)` lands one item and says
    whether it was already landed; the default lands a tweets file."""

    def land_file(item: Path) -> bool:
        return land(source, str(item), paths, progress=False).skipped

    land_one = land_one or land_file
    result = InboxResult()
    if not paths.inbox(source).exists():
        return result
    with folder_lock(paths.inbox(source)):
        for path in waiting(paths, source, pick):
            try:
                skipped = land_one(path)
            except errors as exc:
                moved = move_aside(path, paths.inbox(source) / "rejected")
                moved.with_name(moved.name + ".error").write_text(f"{exc}\n")
                result.rejected.append(f"{path.name}: {exc}")
                continue
            move_aside(path, paths.inbox(source) / "landed")
            (result.skipped if skipped else result.landed).append(path.name)
    return result
