"""Incidents: opened by a failure, updated when it happens again, resolved by the next success.

One incident is open per (kind, source, subject) at a time. The same failure again adds an occurrence
(counted once per `key`: a run, a failed pull) and sends `incident_updated` at most once an hour; the next
success of that source resolves it and sends `incident_resolved`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orchestration.monitoring import alerts, store
from orchestration.settings import Paths, load

KINDS = ("build_failed", "gate_failed", "source_stale", "pull_failed")
UPDATE_EVERY = timedelta(hours=1)  # `incident_updated` at most this often per incident


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
            "opened_at": self.opened_at,
            "last_seen_at": self.last_seen_at,
            "occurrences": self.occurrences,
            "resolved_at": self.resolved_at,
        }


def _incident(row: Any) -> Incident:
    return Incident(**{name: row[name] for name in store.TABLES["incidents"]})


def listing(paths: Paths, open_only: bool = False) -> list[Incident]:
    """Incidents, newest first (open ones only, if asked)."""
    where = "resolved_at is null" if open_only else ""
    return [_incident(row) for row in store.rows(paths, "incidents", where, order="opened_at desc, id desc")]


def _send(paths: Paths, sends: list[tuple[Incident, str]]) -> None:
    if not sends:
        return
    config = load().alerts
    outcomes = [o for incident, name in sends for o in alerts.send(paths, config, incident.event(name))]
    if outcomes:
        columns = list(store.TABLES["alerts"])
        with store.connect(paths) as con:
            con.executemany(
                f"insert into alerts ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                [[o[c] for c in columns] for o in outcomes],
            )


def report(
    paths: Paths, kind: str, source: str, detail: str, key: str, subject: str = "", at: datetime | None = None
) -> Incident:
    """A failure of `kind` in `source`: opens an incident, or counts one more occurrence of the open one
    (once per `key`). Sends what changed."""
    if kind not in KINDS:
        raise ValueError(f"unknown incident kind {kind!r}")
    moment = store.stamp(at or store.now())
    sends: list[tuple[Incident, str]] = []
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
            sends.append((incident, "incident_opened"))
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
                sends.append((incident, "incident_updated"))
    _send(paths, sends)
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
    _send(paths, [(incident, "incident_resolved") for incident in resolved])
    return resolved
