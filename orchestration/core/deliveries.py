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
checked when they land (a bad file is refused there) and are admitted then. So
are a dataset's deliveries; their gate judges a whole table, so one whose rows
fail it is dropped by an operator (and can be released again).

Decisions are appended to `landing/<source>/decisions.jsonl` under the landing
zone's lock; the warehouse holds a copy, `platform.deliveries`, that the silver
models read to know what they may take in.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from orchestration.core.ledger import Ledger, folder_lock
from orchestration.core.source import (
    ADMITTED,
    DROPPED,
    FAILED,
    IN_SILVER,
    QUARANTINED,
    RELEASED,
    TO_JUDGE,
    Delivery,
    delivery_kinds,
)
from orchestration.settings import Paths
from orchestration.warehouse import current as current_warehouse


class DeliveryError(Exception):
    """An operator's decision cannot be applied; the message says why."""


def _ledger(paths: Paths, source: str) -> Ledger:
    return Ledger(delivery_kinds()[source].folder(paths) / "decisions.jsonl")


def _decided(delivery: Delivery, decision: dict) -> Delivery:
    return replace(
        delivery,
        state=decision["state"],
        admitted_seq=decision.get("admitted_seq"),
        reasons=list(decision.get("reasons") or []),
        decided_at=decision.get("at"),
        decided_by=decision.get("by"),
    )


def _next_admission(deliveries: Iterable[Delivery]) -> int:
    return max((d.admitted_seq or 0 for d in deliveries), default=0) + 1


def for_source(paths: Paths, source: str) -> list[Delivery]:
    """Every landed delivery of `source` in landing order, with its latest decision."""
    kind = delivery_kinds()[source]
    landed = kind.landed(paths)
    if not (kind.judged or kind.droppable):
        return landed
    latest: dict[str, dict] = {}
    for decision in _ledger(paths, source).read():
        latest[decision["delivery_id"]] = decision
    return [_decided(d, latest[d.delivery_id]) if d.delivery_id in latest else d for d in landed]


def everything(paths: Paths, sources: Iterable[str] | None = None) -> list[Delivery]:
    """Every delivery of every kind (or of the kinds in `sources`), plus attempts that landed nothing
    (a forecast pull that failed: state `failed`)."""
    kinds = delivery_kinds()
    chosen = list(sources or kinds)
    found = [d for source in chosen for d in for_source(paths, source)]
    for source in chosen:
        if kinds[source].failed:
            found.extend(kinds[source].failed(paths))
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
        known = {d.delivery_id: d for d in for_source(paths, source)}
        next_seq = _next_admission(known.values())
        now = datetime.now(UTC).isoformat()
        for delivery_id in sorted(judged & known.keys(), key=lambda i: known[i].seq):
            delivery = known[delivery_id]
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
    """An operator's decision on a quarantined delivery: `release` admits it, `drop` sets it aside for good.
    A delivery of a droppable kind (a dataset's) can also be dropped once admitted."""
    if action not in ("release", "drop"):
        raise DeliveryError(f"unknown action {action!r}: release or drop")
    target = find(paths, delivery_id)
    if target.state == FAILED:
        raise DeliveryError(
            f"{target.delivery_id} is a pull that failed: nothing of it was landed, nothing to {action}"
        )
    kind = delivery_kinds()[target.source]
    if not (kind.judged or kind.droppable):
        raise DeliveryError(f"{target.delivery_id} ({target.source}) is never quarantined; nothing to {action}")
    ledger = _ledger(paths, target.source)
    with folder_lock(ledger.folder):
        known = {d.delivery_id: d for d in for_source(paths, target.source)}
        delivery = known[target.delivery_id]
        # A dataset's delivery, admitted when it landed, is set aside (the next build leaves its rows out), and
        # one set aside can be taken back.
        set_aside = action == "drop" and kind.droppable and delivery.state in (ADMITTED, RELEASED)
        taken_back = action == "release" and kind.droppable and delivery.state == DROPPED
        if delivery.state != QUARANTINED and not (set_aside or taken_back):
            done = "released" if action == "release" else "dropped"
            also = f" (or a dataset's {'admitted' if action == 'drop' else 'dropped'})" if kind.droppable else ""
            raise DeliveryError(
                f"{delivery.delivery_id} is {delivery.state}, not quarantined; only a quarantined{also} delivery "
                f"can be {done}"
            )
        if set_aside:
            blocked = kind.drop_blocked() if kind.drop_blocked else None
            if blocked:
                raise DeliveryError(f"{delivery.delivery_id} not dropped: {blocked}")
            if not any(d.state in IN_SILVER for d in known.values() if d.delivery_id != delivery.delivery_id):
                raise DeliveryError(
                    f"{delivery.delivery_id} not dropped: it is the only delivery of {target.source} silver takes, "
                    "and its tables would be empty (their gate fails on no rows); land a corrected file first, "
                    "then drop this one"
                )
        record: dict = {"delivery_id": delivery.delivery_id, "reasons": delivery.reasons}
        if action == "release":
            record.update(state=RELEASED, admitted_seq=_next_admission(known.values()))
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
    "sha256": "varchar",
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
            "sha256": d.sha256,
            "state": d.state,
            "admitted_seq": d.admitted_seq,
            "reasons": "; ".join(d.reasons) or None,
            "decided_at": d.decided_at,
        }
        for source in delivery_kinds()
        for d in for_source(paths, source)
    ]


def sync(paths: Paths) -> None:
    """Copy every delivery's state into the warehouse (`platform.deliveries`), for silver to read."""
    current_warehouse(paths).replace_tables({"platform.deliveries": (MIRROR_COLUMNS, mirror_rows(paths))})
