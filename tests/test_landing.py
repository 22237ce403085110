"""Landing: every delivery kind, URLs, corrupt input, re-landing."""

from __future__ import annotations

import gzip
import http.server
import threading
import zipfile
from pathlib import Path

import pytest

from orchestration.core.landing import LandingError, Manifest, iter_locations, land
from orchestration.settings import Paths

LINES = b'{"id": 1, "date": "2021-02-12T10:00:00+00:00"}\n{"id": 2, "date": "2021-02-13T10:00:00+00:00"}\n'


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "home")


def landed_files(paths: Paths) -> list[Path]:
    folder = paths.landing("tweets")
    return sorted(p for p in folder.iterdir() if p.name != "manifest.jsonl") if folder.exists() else []


@pytest.mark.parametrize("name", ["tweets.jsonl", "tweets.json", "tweets.ndjson"])
def test_plain_json_lines_land_verbatim(tmp_path: Path, paths: Paths, name: str) -> None:
    source = tmp_path / name
    source.write_bytes(LINES)
    result = land("tweets", str(source), paths, progress=False)
    assert not result.skipped
    assert result.landing.line_count == 2
    assert result.landing.source_file == name
    assert (paths.home / result.landing.landed_path).read_bytes() == LINES


def test_last_line_without_newline_is_counted(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.jsonl"
    source.write_bytes(LINES.rstrip(b"\n"))
    assert land("tweets", str(source), paths, progress=False).landing.line_count == 2


def test_gzip_is_decompressed_and_hashed_as_delivered(tmp_path: Path, paths: Paths) -> None:
    import hashlib

    source = tmp_path / "t.jsonl.gz"
    source.write_bytes(gzip.compress(LINES))
    landing = land("tweets", str(source), paths, progress=False).landing
    assert (paths.home / landing.landed_path).read_bytes() == LINES
    assert landing.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert landing.source_file == "t.jsonl.gz"


def test_zip_with_one_file_lands_that_file(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/farmers.json", LINES)
    landing = land("tweets", str(source), paths, progress=False).landing
    assert (paths.home / landing.landed_path).read_bytes() == LINES
    assert landing.landed_path.endswith("farmers.json")


def test_zip_with_two_files_is_refused(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("a.jsonl", LINES)
        archive.writestr("b.jsonl", LINES)
    with pytest.raises(LandingError, match=r"t\.zip: a zip delivery must hold exactly one file, found 2"):
        land("tweets", str(source), paths, progress=False)
    assert landed_files(paths) == []


def test_truncated_gzip_fails_and_lands_nothing(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.jsonl.gz"
    source.write_bytes(gzip.compress(LINES * 1000)[:-20])
    with pytest.raises(LandingError, match=r"t\.jsonl\.gz: archive is corrupt or truncated"):
        land("tweets", str(source), paths, progress=False)
    assert landed_files(paths) == []
    assert Manifest(paths.landing("tweets")).entries() == []


def test_corrupt_zip_member_fails_and_lands_nothing(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("t.jsonl", LINES * 1000)
    data = bytearray(source.read_bytes())
    data[60:80] = b"\x00" * 20
    source.write_bytes(bytes(data))
    with pytest.raises(LandingError, match=r"t\.zip"):
        land("tweets", str(source), paths, progress=False)
    assert landed_files(paths) == []


def test_file_named_gz_that_is_not_gzip_is_refused(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.jsonl.gz"
    source.write_bytes(LINES)
    with pytest.raises(LandingError, match="named like an archive but is not gzip or zip data"):
        land("tweets", str(source), paths, progress=False)


def test_archive_holding_something_else_is_refused(tmp_path: Path, paths: Paths) -> None:
    source = tmp_path / "t.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("report.pdf", b"%PDF")
    with pytest.raises(LandingError, match="expected JSON lines"):
        land("tweets", str(source), paths, progress=False)


def test_missing_file_says_so(paths: Paths) -> None:
    with pytest.raises(LandingError, match=r"/nope\.jsonl: no such file"):
        land("tweets", "/nope.jsonl", paths, progress=False)


def test_same_delivery_twice_is_a_noop(tmp_path: Path, paths: Paths) -> None:
    first = tmp_path / "a.jsonl"
    first.write_bytes(LINES)
    copy = tmp_path / "renamed.jsonl"
    copy.write_bytes(LINES)
    original = land("tweets", str(first), paths, progress=False)
    again = land("tweets", str(first), paths, progress=False)
    renamed = land("tweets", str(copy), paths, progress=False)
    assert again.skipped and renamed.skipped
    assert again.landing.ingestion_id == original.landing.ingestion_id
    assert len(Manifest(paths.landing("tweets")).entries()) == 1
    assert len(landed_files(paths)) == 1


def test_landings_are_ordered(tmp_path: Path, paths: Paths) -> None:
    seqs = []
    for i in range(3):
        source = tmp_path / f"{i}.jsonl"
        source.write_bytes(LINES + f'{{"id": {i + 10}}}\n'.encode())
        seqs.append(land("tweets", str(source), paths, progress=False).landing.ingestion_seq)
    assert seqs == [1, 2, 3]


def test_url_delivery(http_dir: tuple[str, Path], paths: Paths) -> None:
    base, folder = http_dir
    (folder / "t.jsonl.gz").write_bytes(gzip.compress(LINES))
    landing = land("tweets", f"{base}/t.jsonl.gz", paths, progress=False).landing
    assert landing.origin == f"{base}/t.jsonl.gz"
    assert (paths.home / landing.landed_path).read_bytes() == LINES
    assert not any(paths.downloads.iterdir()), "the downloaded copy is removed once landed"


def test_url_not_found_fails_clearly(http_dir: tuple[str, Path], paths: Paths) -> None:
    base, _ = http_dir
    with pytest.raises(LandingError, match=r"missing\.jsonl: download failed: HTTP Error 404"):
        land("tweets", f"{base}/missing.jsonl", paths, progress=False)
    assert landed_files(paths) == []


def test_url_cut_short_fails_and_lands_nothing(paths: Paths) -> None:
    class ShortBody(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(LINES) * 10))
            self.end_headers()
            self.wfile.write(LINES)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ShortBody)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(LandingError, match=r"t\.jsonl"):
            land("tweets", f"http://127.0.0.1:{server.server_address[1]}/t.jsonl", paths, progress=False)
    finally:
        server.shutdown()
        server.server_close()
    assert landed_files(paths) == []


def test_directory_expands_to_its_files(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_bytes(LINES)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(LINES))
    assert [Path(p).name for p in iter_locations([str(tmp_path)])] == ["a.jsonl.gz", "b.jsonl"]


def test_registries_keep_every_value_whatever_comes_first(paths: Paths) -> None:
    """The tables Python writes into DuckDB (`platform.deliveries`, the bronze registries) keep each value with
    its column's type, however many rows lead with nothing: a reason that only the 5,001st delivery has, an
    id past 2**32, a time with its zone."""
    from datetime import UTC, datetime

    from orchestration.warehouse.duckdb import DuckDBWarehouse

    paths.home.mkdir(parents=True, exist_ok=True)
    columns = {"id": "bigint", "reasons": "varchar", "seen_at": "timestamp with time zone", "ok": "boolean"}
    at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    rows = [{"id": n, "reasons": None, "seen_at": None, "ok": None} for n in range(5000)]
    rows.append({"id": 2**40, "reasons": "late; 'quoted'", "seen_at": at.isoformat(), "ok": True})
    warehouse = DuckDBWarehouse(paths)
    warehouse.replace_tables({"platform.registry_check": (columns, rows)})
    later = {"id": 7, "reasons": "", "seen_at": at, "ok": False}  # a datetime this time, not its text
    warehouse.append_rows({"platform.registry_check": (columns, [later])})
    con = warehouse.connect()
    try:
        got = con.execute(
            "select id, reasons, seen_at, ok from platform.registry_check where reasons is not null order by id"
        ).fetchall()
        total = con.execute("select count(*) from platform.registry_check").fetchone()[0]
    finally:
        con.close()
    assert total == 5002
    expected = [(7, "", at, False), (2**40, "late; 'quoted'", at, True)]
    assert [(r[0], r[1], r[2].astimezone(UTC), r[3]) for r in got] == expected
