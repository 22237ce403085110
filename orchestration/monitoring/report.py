"""`$MEDALLION_HOME/reports/monitoring.html`: how builds behave over time, one page, no scripts.

Build time per run and per step, rows loaded and gate results per run, freshness per source, forecast pulls
per hour (an hour without one is a gap), open incidents. Each chart has its numbers in a table beside it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import Any

from orchestration.core.charts import bar_chart
from orchestration.core.source import registry
from orchestration.monitoring import health, incidents, store
from orchestration.monitoring.layers import LAYERS
from orchestration.settings import Paths

RUNS = 30  # the latest runs shown
PULL_HOURS = 48  # the hours of forecast pulls shown


def _table(headers: list[str], rows: list[list[Any]], name: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f'<table data-name="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figure(name: str, svg: str) -> str:
    return f'<figure data-chart="{name}">{svg}</figure>'


def _pull_hours(paths: Paths) -> tuple[list[str], list[int]]:
    """Forecast pulls landed per hour, the last PULL_HOURS hours up to now (0: a gap)."""
    source = registry().get("forecast")
    moment = store.now().replace(minute=0, second=0, microsecond=0)
    hours = [moment - timedelta(hours=h) for h in range(PULL_HOURS - 1, -1, -1)]
    counts: Counter[str] = Counter()
    if source is not None:
        for delivery in health.landed(paths, source):
            if delivery.source == "forecast":
                counts[health.when(delivery.landed_at).strftime("%Y-%m-%d %H:00")] += 1
    labels = [h.strftime("%Y-%m-%d %H:00") for h in hours]
    return labels, [counts[label] for label in labels]


def _step_seconds(runs: list[dict[str, Any]], by_run: dict[str, list[dict[str, Any]]]) -> list[list[Any]]:
    """One row per step, one column per run: how long the step took in each (blank: not run)."""
    names = sorted({s["step"] for r in runs for s in by_run.get(r["run_id"], [])})
    took = {(s["run_id"], s["step"]): s["seconds"] for r in runs for s in by_run.get(r["run_id"], [])}
    return [
        [name, *(None if took.get((r["run_id"], name)) is None else round(took[(r["run_id"], name)], 1) for r in runs)]
        for name in names
    ]


def page(paths: Paths) -> str:
    runs = store.rows(paths, "build_runs", order="started_at desc")[:RUNS][::-1]
    steps = store.rows(paths, "build_steps", order="started_at")
    by_run: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        by_run.setdefault(step["run_id"], []).append(step)
    labels = [f"{r['started_at'][5:16]} {r['run_id'][:8]}" for r in runs]
    seconds = [round(r["seconds"] or 0) for r in runs]
    rows_loaded = [sum(s["rows"] or 0 for s in by_run.get(r["run_id"], [])) for r in runs]
    passed = [r["gates_passed"] or 0 for r in runs]
    failed = [r["gates_failed"] or 0 for r in runs]
    counted = store.rows(paths, "layer_rows")
    # A run that counted nothing (it failed) shows no figure rather than a false zero.
    per_layer = {
        layer: [
            sum(c["rows"] for c in counted if c["run_id"] == r["run_id"] and c["layer"] == layer)
            if any(c["run_id"] == r["run_id"] for c in counted)
            else None
            for r in runs
        ]
        for layer in LAYERS
    }
    status = health.status(paths)
    pull_labels, pulls = _pull_hours(paths)
    gaps = sum(1 for count in pulls if count == 0)
    open_now = incidents.listing(paths, open_only=True)
    step_rows = [
        [r["run_id"][:8], s["step"], s["source"], s["status"], s["seconds"] and round(s["seconds"], 1), s["rows"]]
        for r in runs[-5:]
        for s in by_run.get(r["run_id"], [])
    ]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Medallion monitoring</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.bad{color:#a00}</style></head><body>",
        f"<h1>Medallion monitoring</h1><p>Written {escape(store.stamp(store.now())[:19])} UTC from "
        f"{escape(str(store.path(paths)))}; {len(runs)} latest builds.</p>",
        "<h2>Freshness per source</h2>",
        _table(
            ["source", "state", "newest data (UTC)", "age (s)", "cadence (s)", "open incidents"],
            [
                [
                    s["source"],
                    s["freshness"]["state"],
                    s["freshness"]["newest_at"],
                    s["freshness"]["age_seconds"],
                    s["freshness"]["cadence_seconds"],
                    len(s["open_incidents"]),
                ]
                for s in status
            ],
            "freshness",
        ),
        "<h2>Open incidents</h2>",
        _table(
            ["id", "kind", "source", "subject", "opened (UTC)", "occurrences", "detail"],
            [[i.id, i.kind, i.source, i.subject, i.opened_at[:19], i.occurrences, i.detail[:300]] for i in open_now],
            "incidents",
        ),
        "<h2>Builds</h2>",
        _figure("build-seconds", bar_chart("Build time per run (s)", labels, seconds)),
        _figure("rows-loaded", bar_chart("Rows loaded per run (new deliveries)", labels, rows_loaded)),
        _figure("gates-failed", bar_chart("Gates failed per run", labels, failed)),
        _figure(
            "silver-rows",
            bar_chart("Rows in silver after each good run", labels, [n or 0 for n in per_layer["silver"]]),
        ),
        _table(
            [
                "run",
                "started (UTC)",
                "status",
                "seconds",
                "rows loaded",
                "gates passed",
                "gates failed",
                "gold version",
                "rows in bronze",
                "rows in silver",
                "rows in gold",
            ],
            [
                [
                    r["run_id"],
                    r["started_at"][:19],
                    r["status"],
                    round(r["seconds"] or 0),
                    rows_loaded[i],
                    passed[i],
                    failed[i],
                    r["gold_version"],
                    *(per_layer[layer][i] for layer in LAYERS),
                ]
                for i, r in enumerate(runs)
            ],
            "runs",
        ),
        "<h2>Seconds per step, the last ten builds</h2>",
        _table(["step", *(r["run_id"][:8] for r in runs[-10:])], _step_seconds(runs[-10:], by_run), "step-seconds"),
        "<h2>Steps of the last five builds</h2>",
        _table(["run", "step", "source", "status", "seconds", "rows"], step_rows, "steps"),
        f"<h2>Forecast pulls per hour (last {PULL_HOURS} h): {gaps} hour(s) without one</h2>",
        _figure("forecast-pulls", bar_chart("Forecast pulls landed per hour", pull_labels, pulls, width=1000)),
        "</body></html>",
    ]
    return "\n".join(parts)


def write(paths: Paths) -> Path:
    """Write the page; returns its path."""
    out = paths.home / "reports" / "monitoring.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(page(paths), encoding="utf-8")
    tmp.replace(out)
    return out
