"""Landing a dataset's delivery: the file kept verbatim in the raw zone, checked against the contract first.

`medallion land dataset NAME FILE_OR_URL` copies the file as delivered (compressed stays compressed) to
`$MEDALLION_HOME/lake/raw/<name>/landed_date=YYYY-MM-DD/<delivery id>__<file name>` and records it, with
its origin, sha256, size and rows, in `landing/datasets/<name>/manifest.jsonl` (a ledger: safe from two
`land`s at once). Before it is recorded the copy is read against the dataset's contract: a file whose
columns were added, went missing or changed type is refused, with each difference named, and nothing
of it stays. A file landed before (the same bytes) is not landed twice.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.core.landing import (
    LandingError,
    _file_name,
    _sha256,
    delivered_file,
    place_and_record,
    readable,
    safe_name,
)
from orchestration.core.ledger import Ledger, folder_lock, part_prefix, remove_abandoned_parts
from orchestration.settings import Limits, Paths
from orchestration.sources.datasets.contract import Contract, DatasetError, check


@dataclass(frozen=True)
class DatasetDelivery:
    dataset: str
    delivery_id: str
    delivery_seq: int
    file_name: str
    origin: str
    sha256: str
    delivered_bytes: int
    rows: int
    landed_at: str
    landed_path: str  # relative to $MEDALLION_HOME


def manifest(paths: Paths, dataset: str) -> Ledger:
    return Ledger(paths.landing("datasets") / dataset / "manifest.jsonl")


def deliveries(paths: Paths, dataset: str) -> list[DatasetDelivery]:
    """Every landed delivery of `dataset`, in landing order."""
    return [DatasetDelivery(**record) for record in manifest(paths, dataset).read()]


def _landed_name(display: str) -> str:
    """The delivered name, made safe and short, its suffixes (`.csv.gz`) kept: they say how to read it."""
    suffixes = "".join(Path(display).suffixes[-2:])
    stem = display[: len(display) - len(suffixes)] if suffixes else display
    return safe_name(stem)[:80] + safe_name(suffixes)[:20] if suffixes else safe_name(stem)[:100]


@dataclass(frozen=True)
class Landed:
    delivery: DatasetDelivery
    skipped: bool  # the same bytes were landed before
    notes: tuple[str, ...] = ()  # what the check saw that a user should know (no refusal)


def land(contract: Contract, location: str, paths: Paths, limits: Limits, progress: bool = False) -> Landed:
    """Land one file (or URL) of `contract`'s dataset; raises LandingError naming what is wrong with it."""
    origin = readable(location)
    display = _file_name(origin)
    source, downloaded = delivered_file(location, paths, progress, limits)
    ledger = manifest(paths, contract.dataset)
    tmp: Path | None = None
    try:
        size = source.stat().st_size
        if size > limits.max_delivery_bytes:
            raise LandingError(
                f"{display}: larger than {limits.max_delivery_bytes:,} bytes (MEDALLION_MAX_DELIVERY_BYTES)"
            )
        sha256 = _sha256(source)
        earlier = next((d for d in deliveries(paths, contract.dataset) if d.sha256 == sha256), None)
        if earlier is not None:
            return Landed(earlier, skipped=True)
        landed_at = datetime.now(UTC)
        folder = paths.home / "lake" / "raw" / contract.dataset / f"landed_date={landed_at:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        remove_abandoned_parts(folder)
        fd, name = tempfile.mkstemp(dir=folder, prefix=part_prefix(), suffix="__" + _landed_name(display))
        tmp = Path(name)
        with source.open("rb") as src, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        try:
            drift, rows = check(contract, tmp, display)
        except DatasetError as exc:
            raise LandingError(str(exc).replace(str(tmp), display)) from None
        if drift:
            hint = (
                "\n  (a dataset that changed shape is onboarded again: "
                f"`medallion onboard dataset {contract.dataset} FILE --force`)"
                if drift.changed_shape
                else ""
            )
            raise LandingError(
                f"{display}: does not match dataset {contract.dataset} (datasets/{contract.dataset}.yml); "
                "not landed:\n  " + "\n  ".join(drift.lines()) + hint
            )
        with folder_lock(ledger.folder):
            known = deliveries(paths, contract.dataset)
            earlier = next((d for d in known if d.sha256 == sha256), None)
            if earlier is not None:  # another `land` took the same file meanwhile
                return Landed(earlier, skipped=True)
            delivery_id = f"{landed_at:%Y%m%dT%H%M%S%fZ}-{sha256[:12]}"
            target = folder / f"{delivery_id}__{_landed_name(display)}"
            delivery = DatasetDelivery(
                dataset=contract.dataset,
                delivery_id=delivery_id,
                delivery_seq=max((d.delivery_seq for d in known), default=0) + 1,
                file_name=display,
                origin=origin,
                sha256=sha256,
                delivered_bytes=size,
                rows=rows,
                landed_at=landed_at.isoformat(),
                landed_path=str(target.relative_to(paths.home)),
            )
            place_and_record(tmp, target, lambda: ledger.append(asdict(delivery)))
            tmp = None
        return Landed(delivery, skipped=False, notes=tuple(drift.notes))
    except OSError as exc:
        raise LandingError(f"{origin}: cannot read: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)
