"""Landing: copy delivered files into the landing zone, verified and recorded.

A delivery is a local path or an http(s) URL holding JSON lines, optionally
gzip-compressed or zipped (one member). Landing reads the whole delivery once,
outside any lock: it decompresses into a temporary file in the landing zone,
counts lines, hashes the content and checks the archive's integrity and the
limits (`Limits`: expansion ratio and size, so a small zip cannot fill the
disk). Only then, holding the landing zone's lock, it takes the next sequence
number, moves the file into place and appends one entry to the manifest, so
any number of concurrent `land` commands each get their own number and lose
nothing. A corrupt, empty, oversized or unreadable delivery, or one JSON array
instead of JSON lines, raises `LandingError` and leaves nothing behind.

A delivery whose content (the decompressed bytes) was landed before is
skipped, whatever its container: `t.jsonl`, `t.jsonl.gz` and `t.zip` holding
the same lines land once.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson
from tqdm import tqdm

from orchestration.core.ledger import Ledger, folder_lock, part_prefix, remove_abandoned_parts
from orchestration.settings import EXPANSION_FLOOR, Limits, Paths, load

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
    # sha256 of the decompressed content (empty in manifests written before it was recorded).
    content_sha256: str = ""


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


def _download(url: str, directory: Path, progress: bool, limits: Limits) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    remove_abandoned_parts(directory)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=part_prefix())
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=limits.download_timeout) as response,
        ):
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
                    if out.tell() > limits.max_delivery_bytes:
                        raise LandingError(
                            f"{url}: larger than {limits.max_delivery_bytes:,} bytes (MEDALLION_MAX_DELIVERY_BYTES)"
                        )
            if total is not None and out.tell() != total:
                raise LandingError(f"{url}: download ended after {out.tell()} of {total} bytes; try again")
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
            raise LandingError(
                f"{url}: download failed: no data for {limits.download_timeout:g} s (MEDALLION_DOWNLOAD_TIMEOUT); "
                "try again"
            ) from exc
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
        try:
            return archive.open(members[0]), members[0].filename, True
        except (RuntimeError, NotImplementedError) as exc:  # encrypted, or a compression zipfile lacks
            archive.close()
            raise LandingError(f"{display}: cannot read {members[0].filename!r} in the zip ({exc})") from exc
    if kind == "corrupt-archive":
        if not head:
            raise LandingError(f"{display}: corrupt archive: the file is empty")
        raise LandingError(f"{display}: corrupt archive: named like an archive but is not gzip or zip data")
    return path.open("rb"), display, False


@dataclass(frozen=True)
class Copied:
    lines: int
    size: int
    content_sha256: str
    first_line: bytes


def copy_payload(
    src: BinaryIO, dst: BinaryIO, display: str, delivered: int, compressed: bool, limits: Limits, progress: bool
) -> Copied:
    """Copy the payload, counting lines and hashing it; refuse it once it passes a limit."""
    lines = written = 0
    last = b"\n"
    digest = hashlib.sha256()
    head = b""
    ceiling = limits.max_delivery_bytes
    if compressed:
        ceiling = min(ceiling, max(int(delivered * limits.max_expansion), EXPANSION_FLOOR))
    with tqdm(
        total=None if compressed else delivered, unit="B", unit_scale=True, desc=f"land {display}", disable=not progress
    ) as bar:
        while True:
            try:
                chunk = src.read(CHUNK)
            except (OSError, EOFError, zlib.error, zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
                raise LandingError(f"{display}: archive is corrupt or truncated ({exc})") from exc
            if not chunk:
                break
            written += len(chunk)
            if written > ceiling:
                if compressed and ceiling < limits.max_delivery_bytes:
                    raise LandingError(
                        f"{display}: decompresses to more than {limits.max_expansion:g} times its size "
                        f"({delivered:,} bytes): refused as a possible zip bomb (MEDALLION_MAX_EXPANSION)"
                    )
                raise LandingError(
                    f"{display}: larger than {limits.max_delivery_bytes:,} bytes (MEDALLION_MAX_DELIVERY_BYTES)"
                )
            dst.write(chunk)
            digest.update(chunk)
            if len(head) < 64 << 10 and b"\n" not in head:
                head += chunk[: (64 << 10) - len(head)]
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            bar.update(len(chunk))
    if last != b"\n":
        lines += 1
    return Copied(lines, written, digest.hexdigest(), head.split(b"\n", 1)[0])


def _refuse_json_array(display: str, copied: Copied) -> None:
    """One JSON array (pretty-printed, or on a single line) is not JSON lines: say so."""
    first = copied.first_line.lstrip(b"\xef\xbb\xbf \t\r")
    if not first.startswith(b"["):
        return
    try:
        orjson.loads(first)
        whole_line = True
    except orjson.JSONDecodeError:
        whole_line = False
    if copied.lines == 1 or not whole_line:
        raise LandingError(
            f"{display}: line 1: holds one JSON array, not JSON lines (one object per line); "
            f"convert it first, e.g. `jq -c '.[]' {display} > {Path(display).stem}.jsonl`"
        )


class Manifest:
    """Append-only record of landings for one source; see `Ledger` for the locking."""

    def __init__(self, directory: Path) -> None:
        self.ledger = Ledger(directory / "manifest.jsonl")

    @property
    def path(self) -> Path:
        return self.ledger.path

    def entries(self) -> list[Landing]:
        return [Landing(**record) for record in self.ledger.read()]

    def append(self, landing: Landing) -> None:
        self.ledger.append(asdict(landing))


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


def _same_content(entry: Landing, copied: Copied, paths: Paths) -> bool:
    if entry.content_sha256:
        return entry.content_sha256 == copied.content_sha256
    # Landed before content hashes were recorded: hash the landed file, only when its size matches.
    landed = paths.home / entry.landed_path
    return landed.exists() and landed.stat().st_size == copied.size and _sha256(landed) == copied.content_sha256


def land(
    source: str,
    location: str,
    paths: Paths,
    progress: bool = True,
    limits: Limits | None = None,
) -> LandResult:
    """Land one delivery for `source`; see the module docstring."""
    limits = limits or load().limits
    origin = readable(location)
    display = _file_name(origin)
    directory = paths.landing(source)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(directory)
    delivered, downloaded = delivered_file(location, paths, progress, limits)
    tmp: Path | None = None
    try:
        sha256 = _sha256(delivered)
        same_bytes = next((e for e in manifest.entries() if e.sha256 == sha256), None)
        if same_bytes is not None:
            return LandResult(same_bytes, skipped=True)
        size = delivered.stat().st_size
        stream, inner, compressed = _open_payload(delivered, display)
        if not inner.lower().endswith(JSON_SUFFIXES):
            stream.close()
            raise LandingError(f"{display}: holds {inner!r}; expected JSON lines (.json, .jsonl or .ndjson)")
        remove_abandoned_parts(directory)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=part_prefix())
        tmp = Path(tmp_name)
        with stream, os.fdopen(fd, "wb") as out:
            copied = copy_payload(stream, out, display, size, compressed, limits, progress)
            out.flush()
            os.fsync(out.fileno())
        if copied.lines == 0:
            raise LandingError(f"{display}: holds no lines; nothing to land")
        _refuse_json_array(display, copied)
        with folder_lock(directory):
            entries = manifest.entries()
            for entry in entries:
                if entry.sha256 == sha256 or _same_content(entry, copied, paths):
                    return LandResult(entry, skipped=True)
            landed_at = datetime.now(UTC)
            ingestion_id = f"{landed_at:%Y%m%dT%H%M%S%fZ}-{copied.content_sha256[:12]}"
            target = directory / f"{ingestion_id}__{safe_name(readable(Path(inner).name))}"
            landing = Landing(
                ingestion_id=ingestion_id,
                ingestion_seq=max((e.ingestion_seq for e in entries), default=0) + 1,
                source=source,
                source_file=display,
                origin=origin,
                sha256=sha256,
                delivered_bytes=size,
                line_count=copied.lines,
                landed_at=landed_at.isoformat(),
                landed_path=str(target.relative_to(paths.home)),
                content_sha256=copied.content_sha256,
            )
            place_and_record(tmp, target, lambda: manifest.append(landing))
            tmp = None
        return LandResult(landing, skipped=False)
    except OSError as exc:
        raise LandingError(f"{origin}: cannot read: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)


def delivered_file(location: str, paths: Paths, progress: bool, limits: Limits) -> tuple[Path, Path | None]:
    """The file `location` names: a URL downloaded into the home's downloads/ (returned twice: the caller
    removes it when done), or a local file (and None)."""
    if _is_url(location):
        downloaded = _download(location, paths.downloads, progress, limits)
        return downloaded, downloaded
    path = Path(location)
    if not path.is_file():
        raise LandingError(f"{readable(location)}: {'a folder, not a file' if path.is_dir() else 'no such file'}")
    return path, None


def place_and_record(tmp: Path, target: Path, record: Callable[[], None]) -> None:
    """Put a copied delivery (`tmp`, beside `target`) in its place, then `record` it in its ledger (the caller
    holds the ledger's lock); if recording fails, the file goes again: never a landed file no ledger knows."""
    os.replace(tmp, target)
    try:
        record()
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def readable(name: str) -> str:
    """A name as text that can be stored anywhere: bytes of a file name that are not UTF-8 (which
    Python keeps as lone surrogates) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def safe_name(name: str) -> str:
    """The landed file's name: the delivered name with path separators and control characters replaced."""
    cleaned = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name)
    return cleaned[:120] or "delivery"
