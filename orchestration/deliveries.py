"""Deliveries and what became of each: admitted into silver, quarantined, released or dropped.

A delivery is one landed file of tweets, one forecast pull, or one municipality
file. Every build judges each delivery that is new (state `landed`) or
`quarantined` on its own, with its source's per-delivery Great Expectations
suite: its own line counts, its own reject rate, its own dates. One that passes
is `admitted` and gets the next `admitted_seq` (silver takes in deliveries in
that order); one that fails is `quarantined` with the reasons, kept as it
arrived, and the build goes on with everything else. A quarantined delivery is
judged again by every later build (so fixing a setting lets it through), until
an operator decides: `medallion quarantine release ID` admits it as it is,
`medallion quarantine drop ID` sets it aside for good. Municipality files are
checked when they land (a bad file is refused there) and are admitted then.

Decisions are appended to `landing/<source>/decisions.jsonl` under the landing
zone's lock; the warehouse holds a copy, `platform.deliveries`, that the silver
models read to know what they may take in.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from orchestration.forecast.landing import deliveries as municipios_files
from orchestration.forecast.landing import failures as forecast_failures
from orchestration.forecast.landing import forecast_dir, municipios_dir
from orchestration.forecast.landing import pulls as forecast_pulls
from orchestration.landing import Manifest
from orchestration.ledger import Ledger, folder_lock
from orchestration.settings import Paths
from orchestration.warehouse import current

LANDED, ADMITTED, QUARANTINED, RELEASED, DROPPED, FAILED = (
    "landed",
    "admitted",
    "quarantined",
    "released",
    "dropped",
    "failed",
)
# States whose rows silver takes in, and states a build judges.
IN_SILVER = (ADMITTED, RELEASED)
TO_JUDGE = (LANDED, QUARANTINED)


class DeliveryError(Exception):
    """An operator's decision cannot be applied; the message says why."""


@dataclass(frozen=True)
class Delivery:
    source: str
    delivery_id: str
    seq: int
    name: str
    landed_at: str
    items: int
    sha256: str = ""
    state: str = LANDED
    admitted_seq: int | None = None
    reasons: list[str] = field(default_factory=list)
    decided_at: str | None = None
    decided_by: str | None = None


@dataclass(frozen=True)
class _Source:
    folder: Callable[[Paths], object]
    landed: Callable[[Paths], list[Delivery]]
    judged: bool  # False: checked when landed, admitted then


def _tweets(paths: Paths) -> list[Delivery]:
    return [
        Delivery("tweets", e.ingestion_id, e.ingestion_seq, e.source_file, e.landed_at, e.line_count, e.sha256)
        for e in Manifest(paths.landing("tweets")).entries()
    ]


def _forecast(paths: Paths) -> list[Delivery]:
    return [
        Delivery("forecast", p.pull_id, p.pull_seq, p.url, p.landed_at, p.records, p.sha256)
        for p in forecast_pulls(paths)
    ]


def _municipios(paths: Paths) -> list[Delivery]:
    return [
        Delivery(
            "municipios",
            d.delivery_id,
            d.delivery_seq,
            d.origin,
            d.landed_at,
            d.rows,
            d.sha256,
            ADMITTED,
            d.delivery_seq,
            ["checked when landed"],
            d.landed_at,
        )
        for d in municipios_files(paths)
    ]


SOURCES: dict[str, _Source] = {
    "tweets": _Source(lambda paths: paths.landing("tweets"), _tweets, True),
    "forecast": _Source(forecast_dir, _forecast, True),
    "municipios": _Source(municipios_dir, _municipios, False),
}


def _ledger(paths: Paths, source: str) -> Ledger:
    return Ledger(SOURCES[source].folder(paths) / "decisions.jsonl")  # type: ignore[operator]


def _decided(delivery: Delivery, decision: dict) -> Delivery:
    return Delivery(
        delivery.source,
        delivery.delivery_id,
        delivery.seq,
        delivery.name,
        delivery.landed_at,
        delivery.items,
        delivery.sha256,
        decision["state"],
        decision.get("admitted_seq"),
        list(decision.get("reasons") or []),
        decision.get("at"),
        decision.get("by"),
    )


def for_source(paths: Paths, source: str) -> list[Delivery]:
    """Every landed delivery of `source` in landing order, with its latest decision."""
    spec = SOURCES[source]
    landed = spec.landed(paths)
    if not spec.judged:
        return landed
    latest: dict[str, dict] = {}
    for decision in _ledger(paths, source).read():
        latest[decision["delivery_id"]] = decision
    return [_decided(d, latest[d.delivery_id]) if d.delivery_id in latest else d for d in landed]


def everything(paths: Paths, sources: Iterable[str] | None = None) -> list[Delivery]:
    """Every delivery of every source (or of `sources`), plus forecast pulls that failed (state `failed`)."""
    chosen = list(sources or SOURCES)
    found = [d for source in chosen for d in for_source(paths, source)]
    if "forecast" in chosen:
        found.extend(
            Delivery("forecast", f"failed-{f['fetched_at']}", 0, f["url"], f["at"], 0, "", FAILED, None, [f["error"]])
            for f in forecast_failures(paths)
        )
    return found


def _who() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "unknown"


def judge(
    paths: Paths, source: str, failures: dict[str, list[str]], judged: Iterable[str], run_id: str
) -> list[Delivery]:
    """Record a gate's verdict: each delivery in `judged` is admitted unless `failures` lists
    reasons for it, then it is quarantined. Returns the deliveries whose state changed."""
    judged = set(judged)
    changed = []
    ledger = _ledger(paths, source)
    with folder_lock(ledger.folder):
        current = {d.delivery_id: d for d in for_source(paths, source)}
        next_seq = max((d.admitted_seq or 0 for d in current.values()), default=0) + 1
        now = datetime.now(UTC).isoformat()
        for delivery_id in sorted(judged & current.keys(), key=lambda i: current[i].seq):
            delivery = current[delivery_id]
            if delivery.state not in TO_JUDGE:
                continue
            reasons = failures.get(delivery_id)
            if reasons:
                if delivery.state == QUARANTINED and delivery.reasons == reasons:
                    continue
                record = {"delivery_id": delivery_id, "state": QUARANTINED, "reasons": reasons}
            else:
                record = {"delivery_id": delivery_id, "state": ADMITTED, "admitted_seq": next_seq}
                next_seq += 1
            record.update(at=now, by=f"gate (run {run_id})", run_id=run_id)
            ledger.append(record)
            changed.append(_decided(delivery, record))
    return changed


def find(paths: Paths, delivery_id: str) -> Delivery:
    matches = [d for d in everything(paths) if d.delivery_id == delivery_id or d.delivery_id.startswith(delivery_id)]
    exact = [d for d in matches if d.delivery_id == delivery_id]
    if exact:
        return exact[0]
    if not matches:
        raise DeliveryError(f"no delivery {delivery_id!r}; `medallion deliveries` lists them")
    if len(matches) > 1:
        raise DeliveryError(
            f"{delivery_id!r} matches {len(matches)} deliveries ({', '.join(d.delivery_id for d in matches[:5])}); "
            "give more of the id"
        )
    return matches[0]


def decide(paths: Paths, delivery_id: str, action: str, note: str = "") -> Delivery:
    """An operator's decision on a quarantined delivery: `release` admits it, `drop` sets it aside for good."""
    if action not in ("release", "drop"):
        raise DeliveryError(f"unknown action {action!r}: release or drop")
    target = find(paths, delivery_id)
    if target.source not in SOURCES or not SOURCES[target.source].judged:
        raise DeliveryError(f"{target.delivery_id} ({target.source}) is never quarantined; nothing to {action}")
    ledger = _ledger(paths, target.source)
    with folder_lock(ledger.folder):
        current = {d.delivery_id: d for d in for_source(paths, target.source)}
        delivery = current[target.delivery_id]
        if delivery.state != QUARANTINED:
            raise DeliveryError(
                f"{delivery.delivery_id} is {delivery.state}, not quarantined; only a quarantined delivery can be "
                f"{'released' if action == 'release' else 'dropped'}"
            )
        record: dict = {"delivery_id": delivery.delivery_id, "reasons": delivery.reasons}
        if action == "release":
            next_seq = max((d.admitted_seq or 0 for d in current.values()), default=0) + 1
            record.update(state=RELEASED, admitted_seq=next_seq)
        else:
            record.update(state=DROPPED)
        record.update(at=datetime.now(UTC).isoformat(), by=_who(), note=note)
        ledger.append(record)
    return _decided(delivery, record)


# The warehouse copy, `platform.deliveries`: what silver may take in.
MIRROR_COLUMNS = {
    "source_name": "varchar",
    "delivery_id": "varchar",
    "delivery_seq": "integer",
    "delivery_name": "varchar",
    "landed_at": "timestamp with time zone",
    "items": "bigint",
    "state": "varchar",
    "admitted_seq": "integer",
    "reasons": "varchar",
    "decided_at": "timestamp with time zone",
}


def mirror_rows(paths: Paths) -> list[dict]:
    return [
        {
            "source_name": d.source,
            "delivery_id": d.delivery_id,
            "delivery_seq": d.seq,
            "delivery_name": d.name,
            "landed_at": d.landed_at,
            "items": d.items,
            "state": d.state,
            "admitted_seq": d.admitted_seq,
            "reasons": "; ".join(d.reasons) or None,
            "decided_at": d.decided_at,
        }
        for source in SOURCES
        for d in for_source(paths, source)
    ]


def as_dict(delivery: Delivery) -> dict:
    return asdict(delivery)


def in_silver(paths: Paths) -> list[Delivery]:
    """The deliveries whose data silver holds (admitted or released), every source, in admission order."""
    found = [d for source in SOURCES for d in for_source(paths, source) if d.state in IN_SILVER]
    return sorted(found, key=lambda d: (d.source, d.admitted_seq or 0))


def sync(paths: Paths) -> None:
    """Copy every delivery's state into the warehouse (`platform.deliveries`), for silver to read."""
    current(paths).replace_tables({"platform.deliveries": (MIRROR_COLUMNS, mirror_rows(paths))})
