"""Landing: copy delivered files into the landing zone, verified and recorded.

A delivery is a local path or an http(s) URL holding JSON lines, optionally
gzip-compressed or zipped (one member). Landing reads the whole delivery once:
it decompresses into a temporary file, counts lines and checks the archive's
integrity, and only then moves the result into the landing zone and appends
one entry to the manifest. A corrupt or unreadable delivery raises
`LandingError` and leaves nothing behind. A delivery whose sha256 was landed
before is skipped.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from orchestration.settings import Paths

CHUNK = 1 << 20
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


class LandingError(Exception):
    """A delivery could not be landed; nothing of it was kept."""


@dataclass(frozen=True)
class Landing:
    ingestion_id: str
    ingestion_seq: int
    source: str
    source_file: str
    origin: str
    sha256: str
    delivered_bytes: int
    line_count: int
    landed_at: str
    landed_path: str


@dataclass(frozen=True)
class LandResult:
    landing: Landing
    skipped: bool


def _is_url(location: str) -> bool:
    return urllib.parse.urlparse(location).scheme in ("http", "https")


def _file_name(location: str) -> str:
    if _is_url(location):
        name = Path(urllib.parse.urlparse(location).path).name
        return name or "download"
    return Path(location).name


def _download(url: str, directory: Path, progress: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=f"download {_file_name(url)}",
                disable=not progress,
            ) as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
            if total is not None and out.tell() != total:
                raise LandingError(f"{url}: download ended after {out.tell()} of {total} bytes; try again")
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
        tmp.unlink(missing_ok=True)
        raise LandingError(f"{url}: download failed: {exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _kind(name: str, head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if name.lower().endswith((".gz", ".zip")):
        return "corrupt-archive"
    return "plain"


def _open_payload(path: Path, display: str) -> tuple[BinaryIO, str, bool]:
    """Open the JSON-lines payload inside a delivery: (stream, inner name, compressed)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    kind = _kind(display, head)
    if kind == "gzip":
        inner = display[:-3] if display.lower().endswith(".gz") else display
        return gzip.open(path, "rb"), inner, True
    if kind == "zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise LandingError(f"{display}: not a readable zip archive ({exc})") from exc
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            names = ", ".join(m.filename for m in members) or "none"
            archive.close()
            raise LandingError(f"{display}: a zip delivery must hold exactly one file, found {len(members)} ({names})")
        return archive.open(members[0]), members[0].filename, True
    if kind == "corrupt-archive":
        raise LandingError(f"{display}: named like an archive but is not gzip or zip data")
    return path.open("rb"), display, False


def _copy_counting_lines(src: BinaryIO, dst: BinaryIO, display: str, size: int | None, progress: bool) -> int:
    lines = 0
    last = b"\n"
    with tqdm(total=size, unit="B", unit_scale=True, desc=f"land {display}", disable=not progress) as bar:
        while True:
            try:
                chunk = src.read(CHUNK)
            except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
                raise LandingError(f"{display}: archive is corrupt or truncated ({exc})") from exc
            if not chunk:
                break
            dst.write(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            bar.update(len(chunk))
    if last != b"\n":
        lines += 1
    return lines


class Manifest:
    """Append-only record of landings for one source (JSON lines)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "manifest.jsonl"

    def entries(self) -> list[Landing]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [Landing(**json.loads(line)) for line in handle if line.strip()]

    def append(self, landing: Landing) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(landing)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def iter_locations(locations: list[str]) -> Iterator[str]:
    for location in locations:
        if _is_url(location):
            yield location
            continue
        path = Path(location)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.name != "manifest.jsonl")
            if not found:
                raise LandingError(f"{location}: directory holds no files")
            yield from (str(p) for p in found)
        else:
            yield location


def land(source: str, location: str, paths: Paths, progress: bool = True) -> LandResult:
    """Land one delivery for `source`; see the module docstring."""
    display = _file_name(location)
    directory = paths.landing(source)
    directory.mkdir(parents=True, exist_ok=True)
    downloaded: Path | None = None
    if _is_url(location):
        downloaded = _download(location, paths.downloads, progress)
        delivered = downloaded
    else:
        delivered = Path(location)
        if not delivered.is_file():
            raise LandingError(f"{location}: no such file")
    try:
        sha256 = _sha256(delivered)
        manifest = Manifest(directory)
        entries = manifest.entries()
        for entry in entries:
            if entry.sha256 == sha256:
                return LandResult(entry, skipped=True)
        seq = max((e.ingestion_seq for e in entries), default=0) + 1
        landed_at = datetime.now(UTC)
        ingestion_id = f"{landed_at:%Y%m%dT%H%M%S%fZ}-{sha256[:12]}"
        stream, inner, compressed = _open_payload(delivered, display)
        if not inner.lower().endswith(JSON_SUFFIXES):
            stream.close()
            raise LandingError(f"{display}: holds {inner!r}; expected JSON lines (.json, .jsonl or .ndjson)")
        fd, tmp_name = tempfile.mkstemp(dir=directory, suffix=".part")
        tmp = Path(tmp_name)
        try:
            with stream, os.fdopen(fd, "wb") as out:
                size = None if compressed else delivered.stat().st_size
                lines = _copy_counting_lines(stream, out, display, size, progress)
            target = directory / f"{ingestion_id}__{Path(inner).name}"
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        landing = Landing(
            ingestion_id=ingestion_id,
            ingestion_seq=seq,
            source=source,
            source_file=display,
            origin=location,
            sha256=sha256,
            delivered_bytes=delivered.stat().st_size,
            line_count=lines,
            landed_at=landed_at.isoformat(),
            landed_path=str(target.relative_to(paths.home)),
        )
        manifest.append(landing)
        return LandResult(landing, skipped=False)
    except OSError as exc:
        raise LandingError(f"{location}: cannot read: {exc}") from exc
    finally:
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)
