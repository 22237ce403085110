"""Landing forecast pulls and dated municipality folders, verbatim and with lineage.

Forecast pulls: `$MEDALLION_HOME/landing/forecast/pulls/<fetched-at>-<sha12>.json.gz`,
the body exactly as the service sent it (gzip-compressed if it was not), and one
line per pull in `pulls.jsonl` (fetched-at, URL, HTTP status, sha256, records,
attempts). A pull that fails lands nothing and is recorded in `failures.jsonl`,
so the gap stays visible.

Municipality figures: each `YYYYMMDD/data.csv` of a `data_municipios/` folder is
checked (header with `Cve_Ent` and `Cve_Mun`, integer keys, a value for every
column) and copied to `landing/municipios/<seq>-<YYYYMMDD>/data.csv`, with one
line in `deliveries.jsonl`. A bad file is refused with its line and problem.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.forecast.fetch import BadBody, PullFailed, RetryPolicy, decode, pull
from orchestration.settings import Paths

DATE_FOLDER = re.compile(r"^\d{8}$")


class ForecastLandingError(Exception):
    """Nothing was landed; the message says which pull or file and why."""


@dataclass(frozen=True)
class PullLanding:
    pull_id: str
    pull_seq: int
    fetched_at: str
    url: str
    http_status: int | None
    sha256: str
    records: int
    body_bytes: int
    attempts: str
    landed_at: str
    landed_path: str


@dataclass(frozen=True)
class MunicipiosLanding:
    delivery_id: str
    delivery_seq: int
    data_date: str
    origin: str
    sha256: str
    rows: int
    landed_at: str
    landed_path: str


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _append_jsonl(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)


# --- forecast pulls ---------------------------------------------------------


def forecast_dir(paths: Paths) -> Path:
    return paths.landing("forecast")


def pulls(paths: Paths) -> list[PullLanding]:
    return [PullLanding(**entry) for entry in _read_jsonl(forecast_dir(paths) / "pulls.jsonl")]


def failures(paths: Paths) -> list[dict[str, Any]]:
    return _read_jsonl(forecast_dir(paths) / "failures.jsonl")


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def record_failure(paths: Paths, url: str, fetched_at: datetime, error: str) -> None:
    _append_jsonl(
        forecast_dir(paths) / "failures.jsonl",
        {"fetched_at": _utc(fetched_at).isoformat(), "url": url, "error": error, "at": datetime.now(UTC).isoformat()},
    )


def land_pull(
    source: str, paths: Paths, fetched_at: datetime | None = None, policy: RetryPolicy | None = None
) -> tuple[PullLanding, bool]:
    """Pull `source` (an http(s) URL, or a saved response file) and land it; returns (landing, skipped).

    Raises ForecastLandingError (and records the gap) when no complete answer arrives.
    """
    is_url = urllib.parse.urlparse(source).scheme in ("http", "https")
    when = _utc(fetched_at or datetime.now(UTC))
    try:
        if is_url:
            pulled = pull(source, policy or RetryPolicy.from_env())
            body, status, records, attempts = pulled.body, pulled.status, len(pulled.records), pulled.attempts
        else:
            path = Path(source)
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise PullFailed(f"{source}: cannot read the saved response ({exc.strerror})") from exc
            try:
                records = len(decode(body))
            except BadBody as exc:
                raise PullFailed(f"{source}: {exc}") from exc
            status, attempts = None, [f"replayed from {path.resolve()}"]
    except PullFailed as exc:
        record_failure(paths, source, when, str(exc))
        raise ForecastLandingError(f"pull for {when:%Y-%m-%d %H:%M} UTC failed, nothing landed: {exc}") from exc

    sha256 = hashlib.sha256(body).hexdigest()
    existing = pulls(paths)
    for entry in existing:
        if entry.sha256 == sha256 and entry.fetched_at == when.isoformat():
            return entry, True
    stored = body if body[:2] == b"\x1f\x8b" else gzip.compress(body, mtime=0)
    pull_id = f"{when:%Y%m%dT%H%M%SZ}-{sha256[:12]}"
    relative = Path("landing") / "forecast" / "pulls" / f"{pull_id}.json.gz"
    _write_atomically(paths.home / relative, stored)
    entry = PullLanding(
        pull_id=pull_id,
        pull_seq=max((e.pull_seq for e in existing), default=0) + 1,
        fetched_at=when.isoformat(),
        url=source if is_url else f"file://{Path(source).resolve()}",
        http_status=status,
        sha256=sha256,
        records=records,
        body_bytes=len(body),
        attempts="; ".join(attempts),
        landed_at=datetime.now(UTC).isoformat(),
        landed_path=relative.as_posix(),
    )
    _append_jsonl(forecast_dir(paths) / "pulls.jsonl", asdict(entry))
    return entry, False


# --- dated municipality folders ---------------------------------------------


def municipios_dir(paths: Paths) -> Path:
    return paths.landing("municipios")


def deliveries(paths: Paths) -> list[MunicipiosLanding]:
    return [MunicipiosLanding(**entry) for entry in _read_jsonl(municipios_dir(paths) / "deliveries.jsonl")]


def dated_folders(location: Path) -> list[Path]:
    """`location` itself if it is a YYYYMMDD folder, else its YYYYMMDD sub-folders, oldest first."""
    if not location.is_dir():
        raise ForecastLandingError(f"{location}: not a folder (expected data_municipios/ or one YYYYMMDD/ folder)")
    if DATE_FOLDER.match(location.name):
        return [location]
    found = sorted(p for p in location.iterdir() if p.is_dir() and DATE_FOLDER.match(p.name))
    if not found:
        raise ForecastLandingError(f"{location}: no YYYYMMDD/ sub-folders")
    return found


def check_municipios_csv(path: Path) -> int:
    """Rows of a valid data.csv; ForecastLandingError naming the line and problem otherwise."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise ForecastLandingError(f"{path}: line 1: empty file, expected a header")
            missing = {"Cve_Ent", "Cve_Mun"} - set(header)
            if missing:
                raise ForecastLandingError(f"{path}: line 1: header lacks {', '.join(sorted(missing))}")
            ent, mun = header.index("Cve_Ent"), header.index("Cve_Mun")
            rows = 0
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    raise ForecastLandingError(f"{path}: line {line}: {len(row)} fields, the header has {len(header)}")
                for index in (ent, mun):
                    if not row[index].strip().isdigit():
                        raise ForecastLandingError(
                            f"{path}: line {line}: {header[index]} is {row[index]!r}, not an integer"
                        )
                rows += 1
    except UnicodeDecodeError as exc:
        raise ForecastLandingError(f"{path}: not UTF-8 ({exc})") from exc
    except csv.Error as exc:
        raise ForecastLandingError(f"{path}: CSV error ({exc})") from exc
    return rows


def land_municipios(location: Path, paths: Paths) -> list[tuple[MunicipiosLanding, bool]]:
    """Land every dated folder under `location`; a bad file stops before anything of it is kept."""
    results = []
    for folder in dated_folders(location):
        data = folder / "data.csv"
        if not data.is_file():
            raise ForecastLandingError(f"{folder}: no data.csv")
        day = datetime.strptime(folder.name, "%Y%m%d").date()
        rows = check_municipios_csv(data)
        sha256 = hashlib.sha256(data.read_bytes()).hexdigest()
        existing = deliveries(paths)
        same = next((e for e in existing if e.sha256 == sha256 and e.data_date == day.isoformat()), None)
        if same:
            results.append((same, True))
            continue
        seq = max((e.delivery_seq for e in existing), default=0) + 1
        relative = Path("landing") / "municipios" / f"{seq:06d}-{folder.name}" / "data.csv"
        (paths.home / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data, paths.home / relative)
        entry = MunicipiosLanding(
            delivery_id=f"{folder.name}-{sha256[:12]}",
            delivery_seq=seq,
            data_date=day.isoformat(),
            origin=str(data.resolve()),
            sha256=sha256,
            rows=rows,
            landed_at=datetime.now(UTC).isoformat(),
            landed_path=relative.as_posix(),
        )
        _append_jsonl(municipios_dir(paths) / "deliveries.jsonl", asdict(entry))
        results.append((entry, False))
    return results
