"""Realistic forecast-service payloads and `data_municipios/` folders, deterministic for a seed.

A payload is what the national service answers: a gzip-compressed JSON array,
one record per municipality and forecast hour, field names and value styles as
the real service (ids and most figures as strings, `hloc` as local
`YYYYMMDDTHH`). Municipality figures come as `data_municipios/YYYYMMDD/data.csv`
keyed by `Cve_Ent`, `Cve_Mun`.
"""

from __future__ import annotations

import csv
import gzip
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

STATES = [
    "Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Coahuila", "Colima", "Chiapas",
    "Chihuahua", "Ciudad de México", "Durango", "Guanajuato", "Guerrero", "Hidalgo", "Jalisco", "México",
    "Michoacán", "Morelos", "Nayarit", "Nuevo León", "Oaxaca", "Puebla", "Querétaro", "Quintana Roo",
    "San Luis Potosí", "Sinaloa", "Sonora", "Tabasco", "Tamaulipas", "Tlaxcala", "Veracruz", "Yucatán", "Zacatecas",
]  # fmt: skip
SKY = ["Despejado", "Poco nuboso", "Medio nublado", "Nublado", "Cielo cubierto", "Lluvia ligera", "Tormenta"]
WIND = ["Norte", "Noreste", "Este", "Sureste", "Sur", "Suroeste", "Oeste", "Noroeste"]
DEFAULT_TZ = "America/Mexico_City"


@dataclass(frozen=True)
class Municipality:
    ides: int
    idmun: int
    nes: str
    nmun: str
    lat: float
    lon: float
    base_temp: float


def municipalities(count: int, seed: int) -> list[Municipality]:
    """`count` municipalities spread over the 32 states, stable for a seed."""
    rng = random.Random(seed)
    out = []
    per_state = [0] * len(STATES)
    for i in range(count):
        state = i % len(STATES)
        per_state[state] += 1
        out.append(
            Municipality(
                ides=state + 1,
                idmun=per_state[state],
                nes=STATES[state],
                nmun=f"{STATES[state].split()[0]} {per_state[state]:03d}",
                lat=round(rng.uniform(14.5, 32.5), 4),
                lon=round(rng.uniform(-117.0, -86.7), 4),
                base_temp=rng.uniform(8, 30),
            )
        )
    return out


def records(
    places: list[Municipality], fetched_at: datetime, hours: int, seed: int, tz: str = DEFAULT_TZ
) -> list[dict[str, object]]:
    """One pull's records: every municipality for `hours` local hours from the fetch hour on."""
    rng = random.Random(f"{seed}:{fetched_at.isoformat()}")
    local = fetched_at.astimezone(ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    out: list[dict[str, object]] = []
    for place in places:
        for n in range(hours):
            hour = local + timedelta(hours=n)
            daily = 6 * math.sin((hour.hour - 9) / 24 * 2 * math.pi)
            temp = round(place.base_temp + daily + rng.uniform(-1.5, 1.5), 1)
            rain = rng.random() < 0.2
            prec = round(rng.uniform(0.1, 12.0), 1) if rain else 0.0
            out.append(
                {
                    "desciel": SKY[rng.randrange(len(SKY))] if not rain else SKY[5 + rng.randrange(2)],
                    "dirvienc": WIND[rng.randrange(len(WIND))],
                    "dirvieng": str(rng.randrange(360)),
                    "dloc": hour.strftime("%Y%m%dT%H"),
                    "hloc": hour.strftime("%Y%m%dT%H"),
                    "hr": str(rng.randrange(20, 100)),
                    "ides": str(place.ides),
                    "idmun": str(place.idmun),
                    "lat": str(place.lat),
                    "lon": str(place.lon),
                    "nes": place.nes,
                    "nhor": n + 1,
                    "nmun": place.nmun,
                    "prec": str(prec),
                    "probprec": str(rng.randrange(0, 101) if rain else rng.randrange(0, 30)),
                    "raf": str(round(rng.uniform(0, 60), 1)),
                    "temp": str(temp),
                    "velvien": str(round(rng.uniform(0, 35), 1)),
                }
            )
    return out


def payload(records_: list[dict[str, object]]) -> bytes:
    """The service's answer body: a gzip-compressed JSON array."""
    return gzip.compress(orjson.dumps(records_), compresslevel=6, mtime=0)


def write_municipios(folder: Path, places: list[Municipality], day: datetime, seed: int) -> Path:
    """`folder/YYYYMMDD/data.csv` with per-municipality figures."""
    rng = random.Random(f"{seed}:{day:%Y%m%d}")
    target = folder / f"{day:%Y%m%d}" / "data.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Cve_Ent", "Cve_Mun", "Nom_Mun", "Pob_Total", "Viviendas", "Superficie_km2", "Indice_Riesgo"])
        for place in places:
            writer.writerow(
                [
                    place.ides,
                    place.idmun,
                    place.nmun,
                    rng.randrange(900, 1_800_000),
                    rng.randrange(300, 500_000),
                    round(rng.uniform(5, 9000), 2),
                    round(rng.uniform(0, 1), 3),
                ]
            )
    return target
