"""Incidents: opened by a failure, updated when it happens again, resolved by the next success.

One incident is open per (kind, source, subject) at a time. The same failure again adds an occurrence
(counted once per `key`: a run, a failed pull) and sends `incident_updated` at most once an hour; the next
success of that source resolves it and sends `incident_resolved`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orchestration.core.text import one_line, printable
from orchestration.monitoring import alerts, store
from orchestration.settings import Paths, load

KINDS = ("build_failed", "gate_failed", "source_stale", "pull_failed")
UPDATE_EVERY = timedelta(hours=1)  # `incident_updated` at most this often per incident
CLAIM = timedelta(minutes=2)  # an alert claimed this long ago, still not sent: its sender died; send again


@dataclass(frozen=True)
class Incident:
    id: int
    kind: str
    source: str
    subject: str
    opened_at: str
    last_seen_at: str
    occurrences: int
    detail: str
    resolved_at: str | None
    last_alerted_at: str | None
    last_key: str | None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def event(self, name: str) -> dict[str, Any]:
        """What the channels are sent."""
        return {
            "event": name,
            "incident_id": self.id,
            "kind": self.kind,
            "source": self.source,
            "subject": self.subject,
            "detail": self.detail,
            "opened_at": store.utc(self.opened_at),
            "last_seen_at": store.utc(self.last_seen_at),
            "occurrences": self.occurrences,
            "resolved_at": store.utc(self.resolved_at),
        }


def _incident(row: Any) -> Incident:
    return Incident(**{name: row[name] for name in store.TABLES["incidents"]})


def listing(paths: Paths, open_only: bool = False) -> list[Incident]:
    """Incidents, newest first (open ones only, if asked)."""
    where = "resolved_at is null" if open_only else ""
    return [_incident(row) for row in store.rows(paths, "incidents", where, order="opened_at desc, id desc")]


def _queue(con: Any, sends: list[tuple[Incident, str]]) -> None:
    """Write what each change is to send, one row per configured channel, in the change's transaction."""
    names = list(alerts.channels(load().alerts))
    con.executemany(
        "insert into alerts (sent_at, incident_id, event, channel, delivered, attempts, error, payload) "
        "values (?, ?, ?, ?, null, 0, '', ?)",
        [
            (store.stamp(store.now()), incident.id, name, channel, json.dumps(incident.event(name)))
            for incident, name in sends
            for channel in names
        ],
    )


def deliver_pending(paths: Paths) -> int:
    """Send every alert not tried yet (or claimed by a process that died over CLAIM ago); returns how many
    were delivered. Each is claimed first, so two processes never send one alert twice."""
    config = load().alerts
    moment = store.now()
    with store.connect(paths) as con:
        pending = con.execute(
            "select rowid, channel, payload from alerts where delivered is null and (attempts = 0 or sent_at < ?)",
            (store.stamp(moment - CLAIM),),
        ).fetchall()
        con.executemany(
            "update alerts set attempts = -1, sent_at = ? where rowid = ?",
            [(store.stamp(moment), row["rowid"]) for row in pending],
        )
    delivered = 0
    down: set[str] = set()
    for row in pending:
        if row["channel"] in down:  # tried and down this time: left for the next look, not tried again now
            with store.connect(paths) as con:
                con.execute("update alerts set attempts = 0 where rowid = ?", (row["rowid"],))
            continue
        ok, attempts, error = alerts.deliver(paths, config, row["channel"], json.loads(row["payload"]))
        delivered += ok
        if not ok:
            down.add(row["channel"])
        with store.connect(paths) as con:
            con.execute(
                "update alerts set delivered = ?, attempts = ?, error = ?, sent_at = ? where rowid = ?",
                (ok, attempts, error, store.stamp(store.now()), row["rowid"]),
            )
    return delivered


def report(
    paths: Paths, kind: str, source: str, detail: str, key: str, subject: str = "", at: datetime | None = None
) -> Incident:
    """A failure of `kind` in `source`: opens an incident, or counts one more occurrence of the open one
    (once per `key`). Sends what changed."""
    if kind not in KINDS:
        raise ValueError(f"unknown incident kind {kind!r}")
    detail, subject = one_line(detail, 1500), printable(subject)  # what people read: no tracebacks, no escapes
    moment = store.stamp(at or store.now())
    with store.connect(paths) as con:
        row = con.execute(
            "select * from incidents where kind = ? and source = ? and subject = ? and resolved_at is null",
            (kind, source, subject),
        ).fetchone()
        if row is None:
            number = con.execute("select coalesce(max(id), 0) + 1 from incidents").fetchone()[0]
            con.execute(
                "insert into incidents (id, kind, source, subject, opened_at, last_seen_at, occurrences, detail, "
                "resolved_at, last_alerted_at, last_key) values (?, ?, ?, ?, ?, ?, 1, ?, null, ?, ?)",
                (number, kind, source, subject, moment, moment, detail, moment, key),
            )
            incident = _incident(con.execute("select * from incidents where id = ?", (number,)).fetchone())
            _queue(con, [(incident, "incident_opened")])
        elif row["last_key"] == key:
            return _incident(row)  # this occurrence is counted already
        else:
            due = (
                row["last_alerted_at"] is None
                or datetime.fromisoformat(moment) - datetime.fromisoformat(row["last_alerted_at"]) >= UPDATE_EVERY
            )
            con.execute(
                "update incidents set last_seen_at = ?, occurrences = occurrences + 1, detail = ?, last_key = ?, "
                "last_alerted_at = case when ? then ? else last_alerted_at end where id = ?",
                (moment, detail, key, due, moment, row["id"]),
            )
            incident = _incident(con.execute("select * from incidents where id = ?", (row["id"],)).fetchone())
            if due:
                _queue(con, [(incident, "incident_updated")])
    deliver_pending(paths)
    return incident


def resolve(
    paths: Paths, source: str, kinds: tuple[str, ...], at: datetime | None = None, subject: str | None = None
) -> list[Incident]:
    """Resolve the open incidents of `kinds` in `source` (of one `subject`, if given); sends each."""
    moment = store.stamp(at or store.now())
    marks = ", ".join("?" * len(kinds))
    where = f"source = ? and kind in ({marks}) and resolved_at is null" + (" and subject = ?" if subject else "")
    params = (source, *kinds, *((subject,) if subject else ()))
    with store.connect(paths) as con:
        ids = [row["id"] for row in con.execute(f"select id from incidents where {where}", params)]
        con.executemany("update incidents set resolved_at = ? where id = ?", [(moment, i) for i in ids])
        resolved = [_incident(con.execute("select * from incidents where id = ?", (i,)).fetchone()) for i in ids]
        _queue(con, [(incident, "incident_resolved") for incident in resolved])
    deliver_pending(paths)
    return resolved


def close(paths: Paths, number: int, at: datetime | None = None) -> Incident:
    """Resolve one open incident by hand (a cause that no build will clear: a source given up); sends it."""
    moment = store.stamp(at or store.now())
    with store.connect(paths) as con:
        row = con.execute("select * from incidents where id = ?", (number,)).fetchone()
        if row is None or row["resolved_at"] is not None:
            raise LookupError(f"no open incident {number}; `medallion incidents` lists them")
        con.execute("update incidents set resolved_at = ? where id = ?", (moment, number))
        incident = _incident(con.execute("select * from incidents where id = ?", (number,)).fetchone())
        _queue(con, [(incident, "incident_resolved")])
    deliver_pending(paths)
    return incident
