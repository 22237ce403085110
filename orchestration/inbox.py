"""The inbox: files dropped into $MEDALLION_HOME/inbox/<source>/ are landed by the next build.

A landed file moves to `landed/`; one that cannot be landed moves to
`rejected/` beside a `.error` note, and the build fails naming it, so one bad
drop is reported once and does not block the files after it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.landing import LandingError, land
from orchestration.settings import Paths


@dataclass
class InboxResult:
    landed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def waiting(paths: Paths, source: str) -> list[Path]:
    folder = paths.inbox(source)
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        target = folder / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    shutil.move(path, target)
    return target


def land_inbox(paths: Paths, source: str) -> InboxResult:
    result = InboxResult()
    for path in waiting(paths, source):
        try:
            outcome = land(source, str(path), paths, progress=False)
        except LandingError as exc:
            moved = _move(path, paths.inbox(source) / "rejected")
            moved.with_name(moved.name + ".error").write_text(f"{exc}\n")
            result.rejected.append(f"{path.name}: {exc}")
            continue
        _move(path, paths.inbox(source) / "landed")
        (result.skipped if outcome.skipped else result.landed).append(path.name)
    return result
