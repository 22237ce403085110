"""The forecast gold tables computed the plain way, from the raw responses and CSV files (tests' yardstick)."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def _hour(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H")
    except ValueError:
        return None


def gold(
    pulls: list[tuple[datetime, Path]], municipios: list[tuple[str, Path]], tz: str = "America/Mexico_City"
) -> dict[tuple[int, int], dict[str, Any]]:
    """(ides, idmun) -> the row of forecast_municipality_enriched.

    `pulls`: (fetched_at, response file) in landing order; `municipios`: (YYYYMMDD, data.csv) in landing order.
    """
    latest: dict[tuple[int, int, str], tuple[tuple, dict[str, Any]]] = {}
    for seq, (fetched_at, path) in enumerate(pulls):
        raw = path.read_bytes()
        records = orjson.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        for index, record in enumerate(records):
            ides, idmun, hour = _int(record.get("ides")), _int(record.get("idmun")), _hour(record.get("hloc"))
            if ides is None or idmun is None or hour is None:
                continue
            key = (ides, idmun, str(record["hloc"]))
            rank = (fetched_at, seq, index)
            if key not in latest or rank > latest[key][0]:
                latest[key] = (rank, {**record, "_hour": hour, "_fetched_at": fetched_at})
    reference = max(f for f, _ in pulls).astimezone(ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0)
    reference = reference.replace(tzinfo=None)
    window = {reference, reference - timedelta(hours=1)}

    names: dict[tuple[int, int], tuple[tuple, str, str]] = {}
    values: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for (ides, idmun, _), (_, record) in latest.items():
        key = (ides, idmun)
        order = (record["_fetched_at"], record["_hour"])
        if key not in names or order > names[key][0]:
            names[key] = (order, record.get("nes"), record.get("nmun"))
        if record["_hour"] in window:
            values.setdefault(key, []).append(record)

    newest: dict[tuple[int, int], dict[str, str]] = {}
    data_date = None
    if municipios:
        day = max(d for d, _ in municipios)
        data_date = datetime.strptime(day, "%Y%m%d").date()
        path = [p for d, p in municipios if d == day][-1]
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                newest[(int(row["Cve_Ent"]), int(row["Cve_Mun"]))] = {
                    k: v for k, v in row.items() if k not in ("Cve_Ent", "Cve_Mun")
                }

    out = {}
    for key, (_, nes, nmun) in names.items():
        used = values.get(key, [])
        temps = [t for t in (_float(r.get("temp")) for r in used) if t is not None]
        precs = [p for p in (_float(r.get("prec")) for r in used) if p is not None]
        match = newest.get(key)
        out[key] = {
            "nes": nes,
            "nmun": nmun,
            "hours_used": len(used),
            "avg_temp": sum(temps) / len(temps) if temps else None,
            "avg_prec": sum(precs) / len(precs) if precs else None,
            "reference_hour": reference,
            "data_date": data_date if match is not None else None,
            **(match or {}),
        }
    return out
