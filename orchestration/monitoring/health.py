"""How each source is doing: its newest delivery against its cadence, failed pulls, builds, incidents.

`check` turns what it finds into incidents (a source whose newest data is older than its
`error_after` is `source_stale`; a source whose
latest pull attempt failed, after its retries, is `pull_failed`) and resolves them once new data lands.
It runs at the end of every build, on every `medallion status`, and in the Dagster sensor `monitoring`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orchestration.core import deliveries
from orchestration.core.source import IN_SILVER, LANDED, Delivery, Source, registry
from orchestration.monitoring import incidents, store
from orchestration.settings import Paths


def when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def landed(paths: Paths, source: Source) -> list[Delivery]:
    """Every delivery of `source`, each with its latest decision (admitted, quarantined, ...)."""
    return [d for kind in source.deliveries for d in deliveries.for_source(paths, kind.name)]


def _failed(paths: Paths, source: Source) -> list[Delivery]:
    return [d for kind in source.deliveries if kind.failed for d in kind.failed(paths)]


def freshness(source: Source, latest: datetime | None, at: datetime) -> dict[str, Any]:
    """`state`: ok, late, stale, `no cadence` (data comes when someone delivers) or `no data`."""
    rule = source.freshness
    if rule is None:
        state = "no cadence"
    elif latest is None:
        state = "no data"
    else:
        age = at - latest
        state = "stale" if age > rule.error_after else "late" if age > rule.warn_after else "ok"
    return {
        "state": state,
        "cadence_seconds": rule.cadence.total_seconds() if rule else None,
        "stale_after_seconds": rule.error_after.total_seconds() if rule else None,
        "age_seconds": round((at - latest).total_seconds()) if latest else None,
        "newest_at": store.utc(store.stamp(latest)) if latest else None,
    }


def newest(paths: Paths, source: Source, found: list[Delivery] | None = None) -> datetime | None:
    """When the newest delivery that counts for the source's freshness landed (None: none yet); `found`:
    the source's deliveries, when read already."""
    kinds = source.freshness.kinds if source.freshness else ()
    counted = [d for d in (landed(paths, source) if found is None else found) if not kinds or d.source in kinds]
    return max((when(d.landed_at) for d in counted), default=None)


def check(paths: Paths, at: datetime | None = None) -> None:
    """Open, update or resolve each source's `source_stale` and `pull_failed` incidents (and send what an
    earlier process queued and could not)."""
    moment = at or store.now()
    incidents.deliver_pending(paths)
    for source in registry().values():
        latest = newest(paths, source)
        state = freshness(source, latest, moment)
        if state["state"] == "stale":
            hours = state["age_seconds"] / 3600
            incidents.report(
                paths,
                "source_stale",
                source.name,
                f"the newest {source.name} data landed {hours:.1f} h ago ({state['newest_at']}); "
                f"expected every {source.freshness.cadence}, stale after {source.freshness.error_after}",
                key=state["newest_at"],  # one occurrence per newest delivery (nothing new: nothing to count)
                at=moment,
            )
        elif state["state"] in ("ok", "late"):
            incidents.resolve(paths, source.name, ("source_stale",), at=moment)
        failed = _failed(paths, source)
        if not failed:
            continue
        last_failure = max(failed, key=lambda d: when(d.landed_at))
        if latest is None or when(last_failure.landed_at) > latest:
            incidents.report(
                paths,
                "pull_failed",
                source.name,
                f"{last_failure.name}: " + "; ".join(last_failure.reasons),
                key=last_failure.delivery_id,
                at=moment,
            )
        else:
            incidents.resolve(paths, source.name, ("pull_failed",), at=moment)


def status(paths: Paths, at: datetime | None = None) -> list[dict[str, Any]]:
    """Per source: newest delivery, last good build, last failure, freshness, rows, open incidents."""
    moment = at or store.now()
    runs = store.rows(paths, "build_runs", order="started_at desc")
    steps = store.rows(paths, "build_steps", "status = 'failed'", order="finished_at desc")
    open_incidents = incidents.listing(paths, open_only=True)
    counted = store.rows(paths, "layer_rows")
    out = []
    for source in registry().values():
        found = landed(paths, source)
        last = max(found, key=lambda d: when(d.landed_at), default=None)
        built = [r for r in runs if source.name in (r["sources"] or "").split(",")]
        good = next((r for r in built if r["status"] == "succeeded"), None)
        bad = next((r for r in built if r["status"] == "failed"), None)
        failed_step = next(
            (
                s
                for s in steps
                if bad and s["run_id"] == bad["run_id"] and source.name in (s["source"] or "").split(",")
            ),
            None,
        )
        mine = [i for i in open_incidents if i.source == source.name]
        last_success = None
        if good:
            last_success = {
                "at": store.utc(good["finished_at"]),
                "run_id": good["run_id"],
                "gold_version": good["gold_version"],
            }
        last_failure = None
        if bad:
            last_failure = {
                "at": store.utc(bad["finished_at"]),
                "run_id": bad["run_id"],
                "step": failed_step["step"] if failed_step else None,
                "failures": [line for line in (bad["failures"] or "").splitlines() if f" {source.name} " in line],
            }
        layer_rows = {}
        if good:
            mine_counted = [r for r in counted if r["run_id"] == good["run_id"] and r["source"] == source.name]
            layer_rows = {
                layer: {r["relation"]: r["rows"] for r in mine_counted if r["layer"] == layer}
                for layer in ("bronze", "silver", "gold")
            }
        # Rows in silver: admitted or released deliveries, and those no gate judges (checked when landed).
        kept = [d for d in found if d.state in IN_SILVER or (d.state == LANDED and not _judged(source, d))]
        out.append(
            {
                "source": source.name,
                "last_landed": {"at": last.landed_at, "name": last.name} if last else None,
                "last_success": last_success,
                "last_failure": last_failure,
                "freshness": freshness(source, newest(paths, source, found), moment),
                "rows": {"delivered": sum(d.items for d in found), "in_silver": sum(d.items for d in kept)},
                # after the last good build, per layer: each relation's rows (the current gold version's)
                "layers": layer_rows,
                "open_incidents": [{k: v for k, v in i.event("").items() if k != "event"} for i in mine],
            }
        )
    return out


def _judged(source: Source, delivery: Delivery) -> bool:
    """Whether a gate judges deliveries of this kind (else each is admitted when it lands)."""
    return any(kind.judged for kind in source.deliveries if kind.name == delivery.source)
