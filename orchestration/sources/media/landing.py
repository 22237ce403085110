"""Landing media drops: every `*.json` object of the asked days, both datasets, copied verbatim and recorded.

One delivery is one object: `<root>/<dataset>/YYYY/MM/DD/<file>.json`. Landing streams it into
the landing zone (`landing/<dataset>/`), counting lines and hashing it on the way (the limits of
`MEDALLION_MAX_DELIVERY_BYTES` hold), then, under the dataset's lock, records it in
`landing/<dataset>/manifest.jsonl` with its lineage: object URI, ETag, sha256, delivery day, file
name, the batch it came with (one `medallion land media` run: `created_at_etl` in silver) and when
it landed. An object already landed with the same content is skipped, so a day landed twice, or
by two `land`s at once, is landed once. An object whose content changed since it was landed is
landed again as a new delivery (the earlier one still wins its ids: same day and name, landed first).

A day with no data file in a dataset is reported (`DayReport.missing`); an object that cannot be
read after its retries is reported as an error and the others still land; a listing that fails
(no such bucket, keys refused, endpoint unreachable) stops the run with `StoreError`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orchestration.core.landing import Copied, LandingError, copy_payload, readable, safe_name
from orchestration.core.ledger import Ledger, folder_lock, part_prefix, remove_abandoned_parts
from orchestration.settings import Limits, Media, Paths
from orchestration.sources.media.store import DATASETS, Store, StoredObject, StoreError


class EmptyObject(LandingError):
    """An object of zero bytes: reported, not landed, and no failure (producers write them)."""


@dataclass(frozen=True)
class Drop:
    """One landed object."""

    delivery_id: str
    delivery_seq: int
    dataset: str
    delivery_day: str  # YYYY-MM-DD, from the object's folder (UTC)
    file_name: str
    object_uri: str
    etag: str
    sha256: str
    delivered_bytes: int
    line_count: int
    batch_at: str  # when the `land` run that brought it started
    landed_at: str
    landed_path: str


def manifest(paths: Paths, dataset: str) -> Ledger:
    return Ledger(paths.landing(dataset) / "manifest.jsonl")


def drops(paths: Paths, dataset: str) -> list[Drop]:
    """Every landed object of `dataset`, in landing order."""
    return [Drop(**record) for record in manifest(paths, dataset).read()]


@dataclass
class DayReport:
    dataset: str
    day: date
    files: int = 0
    ignored: int = 0  # objects in the day's folder that are not data (`_SUCCESS`, `*.tmp`, ...)
    empty: list[str] = field(default_factory=list)
    landed: list[Drop] = field(default_factory=list)
    skipped: list[Drop] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.files == 0

    def line(self) -> str:
        where = f"{self.dataset}/{self.day:%Y/%m/%d}/"
        if self.missing:
            ignored = f"; {self.ignored} not data (only *.json is)" if self.ignored else ""
            return f"{where}: no files (nothing delivered for {self.day}){ignored}"
        lines = sum(d.line_count for d in self.landed)
        text = f"{where}: {self.files} file(s): landed {len(self.landed)} ({lines:,} lines)"
        if self.skipped:
            text += f", already landed {len(self.skipped)}"
        if self.empty:
            text += f", {len(self.empty)} empty (nothing to land)"
        if self.errors:
            text += f", {len(self.errors)} failed"
        if self.ignored:
            text += f"; {self.ignored} not data (only *.json is)"
        return text


def days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise LandingError(f"--from {first} is after --to {last}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def month_days(month: str) -> list[date]:
    """`2026-10` -> every day of October 2026."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise LandingError(f"--month {month!r}: expected YYYY-MM, e.g. 2026-10") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return days_between(first, following - timedelta(days=1))


def _download(store: Store, item: StoredObject, folder: Path, limits: Limits, attempts: int) -> tuple[Path, Copied]:
    """Stream `item` into a scratch file in `folder`, counting and hashing; started again from the beginning
    when the connection breaks off mid-body (at most `attempts` times)."""
    for attempt in range(1, attempts + 1):
        tmp: Path | None = None
        try:
            with store.open(item) as body:
                fd, name = tempfile.mkstemp(dir=folder, prefix=part_prefix())
                tmp = Path(name)
                with os.fdopen(fd, "wb") as out:
                    copied = copy_payload(body, out, item.uri, item.size, False, limits, progress=False)
                    out.flush()
                    os.fsync(out.fileno())
            if item.size and copied.size != item.size:
                raise LandingError(f"{item.uri}: read {copied.size:,} of {item.size:,} bytes")
            return tmp, copied
        except BaseException as exc:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            # A connection that broke off mid-body: raised as it is, or (from copy_payload) as the cause of
            # a LandingError. Anything else is no reason to read again.
            broken = (
                exc if isinstance(exc, store.transient) else exc.__cause__ if isinstance(exc, LandingError) else None
            )
            if broken is None or not isinstance(broken, store.transient):
                raise
            if attempt == attempts:
                raise LandingError(f"{item.uri}: the read broke off {attempts} times ({broken})") from exc
    raise AssertionError("unreachable")


def _land_object(
    store: Store, item: StoredObject, dataset: str, day: date, paths: Paths, limits: Limits, media: Media, batch: str
) -> tuple[Drop, bool]:
    folder = paths.landing(dataset)
    folder.mkdir(parents=True, exist_ok=True)
    uri = readable(item.uri)  # as the manifest keeps it (bytes of a local name that are not UTF-8 replaced)
    known = [d for d in drops(paths, dataset) if d.object_uri == uri]
    if item.etag and any(d.etag == item.etag for d in known):
        return next(d for d in known if d.etag == item.etag), True
    remove_abandoned_parts(folder)
    tmp, copied = _download(store, item, folder, limits, media.s3_attempts)
    try:
        if copied.lines == 0:
            raise EmptyObject(f"{item.uri}: empty, nothing to land")
        with folder_lock(folder):
            entries = drops(paths, dataset)
            for entry in entries:
                if entry.object_uri == uri and entry.sha256 == copied.content_sha256:
                    return entry, True
            landed_at = datetime.now(UTC)
            delivery_id = f"{landed_at:%Y%m%dT%H%M%S%fZ}-{copied.content_sha256[:12]}"
            name = readable(item.name)
            target = folder / f"{delivery_id}__{day:%Y%m%d}__{safe_name(name)}"
            drop = Drop(
                delivery_id=delivery_id,
                delivery_seq=max((e.delivery_seq for e in entries), default=0) + 1,
                dataset=dataset,
                delivery_day=day.isoformat(),
                file_name=name,
                object_uri=uri,
                etag=item.etag,
                sha256=copied.content_sha256,
                delivered_bytes=copied.size,
                line_count=copied.lines,
                batch_at=batch,
                landed_at=landed_at.isoformat(),
                landed_path=str(target.relative_to(paths.home)),
            )
            os.replace(tmp, target)
            try:
                manifest(paths, dataset).append(asdict(drop))
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return drop, False
    finally:
        tmp.unlink(missing_ok=True)


def land_days(
    store: Store,
    days: list[date],
    paths: Paths,
    limits: Limits,
    media: Media,
    datasets: tuple[str, ...] = DATASETS,
    report: Callable[[DayReport], None] | None = None,
) -> list[DayReport]:
    """Land every data object of `days` for each dataset; one report per dataset and day. `report`, if
    given, is called with each finished report (progress on a long backfill)."""
    batch = datetime.now(UTC).isoformat()
    reports = []
    for day in days:
        for dataset in datasets:
            # A listing that fails (no bucket, refused keys, no endpoint) fails every day alike: it raises.
            listed, ignored = store.list_day(dataset, day)
            outcome = DayReport(dataset, day, files=len(listed), ignored=ignored)
            for item in listed:
                try:
                    drop, skipped = _land_object(store, item, dataset, day, paths, limits, media, batch)
                except EmptyObject as exc:
                    outcome.empty.append(str(exc))
                    continue
                except (LandingError, StoreError) as exc:
                    outcome.errors.append(str(exc))
                    continue
                except OSError as exc:
                    outcome.errors.append(f"{item.uri}: {exc.strerror or exc}")
                    continue
                except Exception as exc:  # the client's own (a checksum that does not match, ...): this object only
                    outcome.errors.append(f"{item.uri}: {type(exc).__name__}: {exc}")
                    continue
                (outcome.skipped if skipped else outcome.landed).append(drop)
            reports.append(outcome)
            if report is not None:
                report(outcome)
    return reports
