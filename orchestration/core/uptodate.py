"""Whether a build would find anything new, so `medallion build` can say "up to date" in a second.

A build's result depends on what was delivered and what became of it (the
ledgers), what waits in the inboxes, the project (models, macros, seeds,
snapshots, tests, suites and the orchestration code), the settings, the target,
and the warehouse it left behind. After a build succeeds, `record` keeps a
fingerprint of all of them; the next `medallion build` of the same sources on
the same target compares a fresh one (`unchanged`) and, when nothing differs,
runs neither dbt nor a gate: the gold it would publish is the one that is
current. Anything that differs (a new delivery, a release or drop, an edited
model or suite, a changed setting, a DuckDB file someone else wrote to) runs the
build as always.

The fingerprint is recorded only when the build left nothing behind it: a
delivery that landed, was released or dropped while the build ran, one still
waiting to be judged, a file in an inbox, or a model, suite or setting edited
meanwhile means the next build has work, so nothing is recorded (and a build
forgets the record as it starts, so one that fails or is killed leaves none). On
Trino and BigQuery the warehouse is not fingerprinted (a server's tables have no
cheap identity); `medallion build --force` builds whatever the fingerprint says.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.core.source import LANDED, Source
from orchestration.settings import PROJECT_DIR, SETTINGS, Paths, environment

# What dbt's parse reads from the project (dbt_project.py fingerprints its parse with these).
DBT_INPUTS = ("dbt_project.yml", "profiles.example.yml", "models", "macros", "seeds", "snapshots", "data-tests")
# What a build reads from the project: dbt's inputs, the datasets' contracts, the suites, and the code that runs them.
PROJECT_INPUTS = (*DBT_INPUTS, "datasets", "expectations", "orchestration", "pyproject.toml", "requirements.lock")


@dataclass(frozen=True)
class Fingerprint:
    key: str  # the target and the sources built
    inputs: dict[str, str]  # part -> digest
    # Each delivery: (state, who decided it last), by "source/id".
    delivery_states: dict[str, tuple[str, str]]
    waiting: bool  # a delivery not judged yet, or a file in an inbox

    def differences(self, other: dict[str, str]) -> list[str]:
        return sorted(part for part, digest in self.inputs.items() if other.get(part) != digest)


def _digest(items: Iterable[Any]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def project_files(names: Iterable[str]) -> Iterator[Path]:
    """Every file under the named project files and folders, in a stable order (no byte-code caches)."""
    for name in names:
        root = PROJECT_DIR / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def file_stamp(path: Path) -> tuple[str, int, int]:
    """A file as a fingerprint sees it: where it is in the project, its size, when it was last written."""
    stat = path.stat()
    return str(path.relative_to(PROJECT_DIR)), stat.st_size, stat.st_mtime_ns


def _project() -> str:
    return _digest(file_stamp(path) for path in project_files(PROJECT_INPUTS))


def _warehouse(paths: Paths, target: str) -> str:
    if target != "duckdb":
        return target
    found = []
    for path in (paths.warehouse, paths.warehouse.with_name(paths.warehouse.name + ".wal")):
        if path.exists():
            stat = path.stat()
            found.append((path.name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return _digest(found)


DATED_FOLDER = re.compile(r"[0-9]{8}")


def _waiting(folder: Path) -> list[str]:
    """What a build would land from an inbox: its files and its dated (YYYYMMDD) folders, not what it
    moved aside (`landed/`, `rejected/`) or hidden files."""
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name[0] != "." and (p.is_file() or (p.is_dir() and DATED_FOLDER.fullmatch(p.name)))
    )


def take(paths: Paths, target: str, sources: list[Source]) -> Fingerprint:
    """The fingerprint of everything a build of `sources` on `target` would read, as it is now."""
    from orchestration.core import deliveries

    kinds = [kind.name for source in sources for kind in source.deliveries]
    known = deliveries.everything(paths, kinds)
    inboxes = [(name, _waiting(paths.inbox(name))) for source in sources for name in source.lands]
    profile = environment(["DBT_PROFILES_DIR"])["DBT_PROFILES_DIR"]
    own_profile = Path(profile) / "profiles.yml" if profile else None
    return Fingerprint(
        key=f"{target}:{','.join(sorted(s.name for s in sources))}",
        inputs={
            "deliveries": _digest(sorted((d.source, d.delivery_id, d.state, d.seq) for d in known)),
            "inboxes": _digest(inboxes),
            "project": _project(),
            "settings": _digest(
                [
                    sorted(environment([s.name for s in SETTINGS]).items()),
                    own_profile.read_text(encoding="utf-8") if own_profile and own_profile.exists() else "",
                ]
            ),
            "warehouse": _warehouse(paths, target),
        },
        delivery_states={f"{d.source}/{d.delivery_id}": (d.state, d.decided_by or "") for d in known},
        waiting=any(d.state == LANDED for d in known) or any(names for _, names in inboxes),
    )


def _state_file(paths: Paths) -> Path:
    return paths.home / "state" / "last-build.json"


def unchanged(paths: Paths, now: Fingerprint) -> dict[str, Any] | None:
    """The record of the last build if it saw exactly what a build would see now, else None."""
    try:
        recorded = json.loads(_state_file(paths).read_text(encoding="utf-8")).get(now.key)
    except (OSError, ValueError):
        return None
    if not recorded or now.waiting or now.differences(recorded.get("inputs", {})):
        return None
    return recorded


def record(paths: Paths, before: Fingerprint, after: Fingerprint, run_id: str) -> bool:
    """Keep what the build of run `run_id` left (`after`), taken against what it started from (`before`),
    unless anything changed while it ran that the build itself did not do: a delivery landed, released or
    dropped, a file dropped into an inbox, a model, suite or setting edited. Then the next build has work,
    and nothing is kept. Returns whether it was kept."""
    own = f"gate (run {run_id})"
    changed_by_others = any(
        now != before.delivery_states.get(key) and now[1] != own for key, now in after.delivery_states.items()
    )
    edited = any(after.inputs[part] != before.inputs[part] for part in ("inboxes", "project", "settings"))
    if after.waiting or changed_by_others or edited or after.delivery_states.keys() != before.delivery_states.keys():
        forget(paths)
        return False
    path = _state_file(paths)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    state[after.key] = {"inputs": after.inputs, "run_id": run_id, "finished_at": datetime.now(UTC).isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(state, indent=2), encoding="utf-8")
    part.replace(path)
    return True


def forget(paths: Paths) -> None:
    """The next build runs in full, whatever it finds (after a failed build, say)."""
    _state_file(paths).unlink(missing_ok=True)
