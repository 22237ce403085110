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
import io
import os
import re
import tempfile
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from orchestration.core.ledger import Ledger, folder_lock, part_prefix, remove_abandoned_parts
from orchestration.settings import Paths
from orchestration.sources.forecast.fetch import BadBody, PullFailed, RetryPolicy, decode, pull

DATE_FOLDER = re.compile(r"^\d{8}$")
# A state or municipality key: digits only (ASCII), small enough for an integer column.
KEY = re.compile(r"[0-9]{1,9}")


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


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_parts(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=part_prefix())
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)


# --- forecast pulls ---------------------------------------------------------


def forecast_dir(paths: Paths) -> Path:
    return paths.landing("forecast")


def _pulls_ledger(paths: Paths) -> Ledger:
    return Ledger(forecast_dir(paths) / "pulls.jsonl")


def _failures_ledger(paths: Paths) -> Ledger:
    return Ledger(forecast_dir(paths) / "failures.jsonl")


def pulls(paths: Paths) -> list[PullLanding]:
    return [PullLanding(**entry) for entry in _pulls_ledger(paths).read()]


def failures(paths: Paths) -> list[dict[str, Any]]:
    return _failures_ledger(paths).read()


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def record_failure(paths: Paths, url: str, fetched_at: datetime, error: str) -> None:
    ledger = _failures_ledger(paths)
    with folder_lock(ledger.folder):
        ledger.append(
            {
                "fetched_at": _utc(fetched_at).isoformat(),
                "url": url,
                "error": error,
                "at": datetime.now(UTC).isoformat(),
            }
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
            pulled = pull(source, policy or RetryPolicy.configured())
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
    stored = body if body[:2] == b"\x1f\x8b" else gzip.compress(body, mtime=0)
    pull_id = f"{when:%Y%m%dT%H%M%SZ}-{sha256[:12]}"
    relative = Path("landing") / "forecast" / "pulls" / f"{pull_id}.json.gz"
    ledger = _pulls_ledger(paths)
    with folder_lock(ledger.folder):
        existing = pulls(paths)
        for entry in existing:
            if entry.sha256 == sha256 and entry.fetched_at == when.isoformat():
                return entry, True
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
        ledger.append(asdict(entry))
    return entry, False


# --- dated municipality folders ---------------------------------------------


def municipios_dir(paths: Paths) -> Path:
    return paths.landing("municipios")


def _deliveries_ledger(paths: Paths) -> Ledger:
    return Ledger(municipios_dir(paths) / "deliveries.jsonl")


def deliveries(paths: Paths) -> list[MunicipiosLanding]:
    return [MunicipiosLanding(**entry) for entry in _deliveries_ledger(paths).read()]


def folder_date(folder: Path) -> date:
    """The date a YYYYMMDD folder stands for; ForecastLandingError when it is not a calendar date."""
    try:
        return datetime.strptime(folder.name, "%Y%m%d").date()
    except ValueError:
        raise ForecastLandingError(f"{folder}: {folder.name} is not a calendar date (expected YYYYMMDD)") from None


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


# Columns bronze adds to every row; a delivered column may not take their names.
LINEAGE_COLUMNS = ("delivery_id", "delivery_seq", "data_date", "line_number")
IDENTIFIER_QUOTES = '"`\\'


def _check_header(path: Path, header: list[str]) -> None:
    """Column names become warehouse columns (Trino folds them to lower case): each must be
    non-empty, printable, unique ignoring case, not one of bronze's lineage columns, and free of
    the quote characters SQL identifiers are written with (dbt's adapters write column lists
    without escaping them, so such a name would break, or reach into, the SQL of a later build)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise ForecastLandingError(f"{path}: line 1: column {position} has no name")
        if not name.isprintable():
            raise ForecastLandingError(f"{path}: line 1: column {position} name {name!r} holds control characters")
        quotes = sorted(set(name) & set(IDENTIFIER_QUOTES))
        if quotes:
            raise ForecastLandingError(
                f"{path}: line 1: column {position} name {name!r} holds {' and '.join(quotes)}, which a warehouse "
                "column name cannot hold; rename the column"
            )
        folded = name.lower()
        if folded in LINEAGE_COLUMNS:
            raise ForecastLandingError(f"{path}: line 1: column {position} is named {name!r}, which bronze reserves")
        if folded in seen:
            raise ForecastLandingError(
                f"{path}: line 1: columns {seen[folded]} and {position} are both named {name!r} (ignoring case)"
            )
        seen[folded] = position


def check_municipios_csv(path: Path, content: bytes) -> int:
    """Rows of a valid data.csv (`content`, read from `path`); ForecastLandingError naming the file,
    the line and the problem otherwise."""
    try:
        with io.StringIO(content.decode("utf-8"), newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise ForecastLandingError(f"{path}: line 1: empty file, expected a header")
            missing = {"Cve_Ent", "Cve_Mun"} - set(header)
            if missing:
                raise ForecastLandingError(f"{path}: line 1: header lacks {', '.join(sorted(missing))}")
            _check_header(path, header)
            ent, mun = header.index("Cve_Ent"), header.index("Cve_Mun")
            rows = 0
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(header):
                    raise ForecastLandingError(f"{path}: line {line}: {len(row)} fields, the header has {len(header)}")
                for index in (ent, mun):
                    if not KEY.fullmatch(row[index].strip()):
                        raise ForecastLandingError(
                            f"{path}: line {line}: {header[index]} is {row[index]!r}, "
                            "not an integer of at most 9 digits"
                        )
                rows += 1
    except UnicodeDecodeError as exc:
        raise ForecastLandingError(f"{path}: not UTF-8 ({exc})") from exc
    except csv.Error as exc:
        raise ForecastLandingError(f"{path}: CSV error ({exc})") from exc
    return rows


@dataclass(frozen=True)
class FolderOutcome:
    """What happened to one dated folder: landed (or already landed), or refused with the reason."""

    folder: Path
    landing: MunicipiosLanding | None = None
    skipped: bool = False
    error: str | None = None


def land_municipios(location: Path, paths: Paths) -> list[FolderOutcome]:
    """Land every dated folder under `location`, each on its own: a bad folder is refused (nothing of it
    is kept) and reported, and the good ones beside it still land."""
    outcomes = []
    for folder in dated_folders(location):
        try:
            landing, skipped = land_municipios_folder(folder, paths)
        except ForecastLandingError as exc:
            outcomes.append(FolderOutcome(folder, error=str(exc)))
            continue
        outcomes.append(FolderOutcome(folder, landing, skipped))
    return outcomes


def land_municipios_folder(folder: Path, paths: Paths) -> tuple[MunicipiosLanding, bool]:
    """Land one YYYYMMDD/ folder's data.csv; returns (landing, skipped)."""
    data = folder / "data.csv"
    day = folder_date(folder)
    if not data.is_file():
        raise ForecastLandingError(f"{folder}: no data.csv")
    content = data.read_bytes()
    rows = check_municipios_csv(data, content)
    sha256 = hashlib.sha256(content).hexdigest()
    ledger = _deliveries_ledger(paths)
    with folder_lock(ledger.folder):
        existing = deliveries(paths)
        same = next((e for e in existing if e.sha256 == sha256 and e.data_date == day.isoformat()), None)
        if same:
            return same, True
        seq = max((e.delivery_seq for e in existing), default=0) + 1
        relative = Path("landing") / "municipios" / f"{seq:06d}-{folder.name}" / "data.csv"
        _write_atomically(paths.home / relative, content)
        entry = MunicipiosLanding(
            delivery_id=f"{folder.name}-{sha256[:12]}",
            delivery_seq=seq,
            data_date=day.isoformat(),
            origin=str((folder / "data.csv").resolve()),
            sha256=sha256,
            rows=rows,
            landed_at=datetime.now(UTC).isoformat(),
            landed_path=relative.as_posix(),
        )
        ledger.append(asdict(entry))
    return entry, False
