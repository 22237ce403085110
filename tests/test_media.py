"""The media source: daily drops of articles and TikTok comments, from MinIO over the S3 API or a folder.

Gold is checked against tools/media_reference.py, the rules written in plain Python."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import duckdb
import pytest
from conftest import free_port, medallion, succeeded, warehouse_rows

from tools import media_reference as reference
from tools.minio_server import BUCKET, Server


@pytest.fixture(scope="module")
def minio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("minio"), free_port())
    server.up()
    try:
        yield server
    finally:
        server.down()


def generate(out: Path, end: str, days: int, **sizes: str) -> None:
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in sizes.items()]
    succeeded(medallion(out.parent, "generate", "media", "--out", str(out), "--days", str(days), "--end", end, *flags))


def upload(server: Server, folder: Path, prefix: str) -> None:
    env = server.environment()
    client = boto3.client(
        "s3",
        endpoint_url=env["MEDALLION_S3_ENDPOINT"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(folder)}")


def gold(home: Path) -> tuple[list[tuple], list[tuple]]:
    con = duckdb.connect(str(home / "serving" / "published.duckdb"), read_only=True)
    try:
        media = con.execute("select publish_date, outlet, articles from gold.media_daily order by all").fetchall()
        comments = con.execute(
            "select comment_date, aweme_id, comments, commenters, likes from gold.tiktok_comments_daily order by all"
        ).fetchall()
    finally:
        con.close()
    return [(str(d), o, n) for d, o, n in media], [(str(d), a, c, u, n) for d, a, c, u, n in comments]


def assert_gold_follows_the_rules(home: Path, root: Path) -> None:
    media, comments = gold(home)
    assert media == reference.media_daily(root)
    assert comments == reference.tiktok_comments_daily(root)
    assert media and comments


def test_drops_land_from_minio_and_a_late_day_still_wins_its_ids(tmp_path: Path, minio: Server) -> None:
    home, drops = tmp_path / "home", tmp_path / "drops"
    generate(drops, "2026-11-20", 4, comments_per_day="800")
    # An object whose name carries a quote, a template and SQL: data like any other, its name kept verbatim.
    hostile = drops / "media" / "2026" / "11" / "20" / "it's {{ 7*7 }}; drop table gold.versions;--.json"
    article = {"outlet": "El País", "published_at": "2026-11-20T09:30:00+01:00", "title": "Ídem 😀\u2028fin"}
    odd = [
        {**article, "id": "7300000000000000001"},
        {**article, "id": "7300000000000000002"},
        {**article, "id": "7300000000000000003", "published_at": "2026-11-20T24:00:00Z"},  # no hour 24: no day
        {**article, "id": "7300000000000000004", "published_at": "2026-11-20T10:00:00"},  # no offset: no day
        {**article, "id": "7300000000000000005", "outlet": {"name": "El País"}},  # an outlet that is no string
    ]
    hostile.write_bytes("\r\n".join(json.dumps(a, ensure_ascii=False) for a in odd).encode())
    late = tmp_path / "late"
    for dataset in ("media", "tiktokcomment"):  # the 19th is delivered late
        shutil.move(drops / dataset / "2026" / "11" / "19", late / dataset / "2026" / "11" / "19")
    upload(minio, drops, "newsroom/drops")
    env = minio.environment()
    root = f"s3://{BUCKET}/newsroom/drops"

    landed = medallion(home, "land", "media", root, "--from", "2026-11-17", "--to", "2026-11-20", **env)
    assert landed.returncode == 1, landed.stderr  # a day without files is reported...
    assert "media/2026/11/19/: no files" in landed.stderr
    assert "tiktokcomment/2026/11/19/: no files" in landed.stderr
    assert "landed 13 object(s)" in landed.stdout  # ...and every other object landed
    succeeded(medallion(home, "build", "--source", "media", **env))
    assert_gold_follows_the_rules(home, drops)

    names = warehouse_rows(home, "select distinct source_file_name from silver.int_media__articles")
    assert all(n.startswith(f"{root}/media/2026/11/") for (n,) in names)
    assert (f"{root}/media/2026/11/20/{hostile.name}",) in names
    twins = ["7300000000000000001", "7300000000000000002"]  # 19 digits, one apart: never one float
    assert warehouse_rows(
        home, "select count(*) from silver.int_media__articles where article_id in (?, ?)", twins
    ) == [(2,)]
    assert warehouse_rows(home, "select count(*) from silver.int_media__comments where created_at_etl is null") == [
        (0,)
    ]
    assert warehouse_rows(home, "select count(*) from bronze.media_lines where etag is null or object_uri is null") == [
        (0,)
    ]

    again = succeeded(medallion(home, "land", "media", root, "--day", "2026-11-20", **env))
    assert "landed 0 object(s)" in again and "5 already landed" in again
    assert "up to date" in succeeded(medallion(home, "build", "--source", "media", **env))

    # The 19th arrives after the 20th was built: its items win over their copies in the 20th's files.
    upload(minio, late, "newsroom/drops")
    succeeded(medallion(home, "land", "media", root, "--day", "2026-11-19", **env))
    succeeded(medallion(home, "build", "--source", "media", **env))
    shutil.copytree(late, drops, dirs_exist_ok=True)
    assert_gold_follows_the_rules(home, drops)
    for dataset in ("media", "tiktokcomment"):
        _, _, duplicates = reference.winners(drops, dataset)
        counted = warehouse_rows(
            home, "select sum(duplicates) from silver.int_media__deliveries where dataset = ?", [dataset]
        )
        assert counted == [(duplicates,)] and duplicates > 0


def test_a_month_backfilled_after_the_daily_run(tmp_path: Path) -> None:
    home, drops = tmp_path / "home", tmp_path / "drops"
    generate(drops, "2026-10-31", 31, comments_per_day="300")
    succeeded(medallion(home, "land", "media", str(drops), "--day", "2026-10-31"))
    succeeded(medallion(home, "build"))
    month = succeeded(medallion(home, "land", "media", str(drops), "--month", "2026-10"))
    assert "31 day(s): landed 120 object(s)" in month and "4 already landed" in month
    built = succeeded(medallion(home, "build"))
    assert "media_bronze" in built
    assert_gold_follows_the_rules(home, drops)
    versions = json.loads(succeeded(medallion(home, "versions", "--json")))
    assert len(versions) == 2 and "media_daily" in versions[0]["row_counts"]
    articles = sum(n for _, _, n in reference.media_daily(drops))
    comments = sum(row[2] for row in reference.tiktok_comments_daily(drops))
    summary = succeeded(medallion(home, "media"))
    assert f"articles: {articles:,} over " in summary and f"comments: {comments:,} on " in summary


def _comment(cid: str, uid: str | None, nickname: str, likes: object, day: str) -> dict:
    user = {"unique_id": "ana_23", "nickname": nickname}
    if uid:
        user["uid"] = uid
    created = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()) + 3600
    return {
        "cid": cid,
        "aweme_id": "7400000000000000001",
        "text": "olé",
        "create_time": created,
        "digg_count": likes,
        "user": user,
    }


def test_comment_rules_rejects_and_the_authors_history(tmp_path: Path) -> None:
    home, drops = tmp_path / "home", tmp_path / "drops"
    first = drops / "tiktokcomment" / "2026" / "11" / "01"
    first.mkdir(parents=True)
    (drops / "media" / "2026" / "11" / "01").mkdir(parents=True)
    lines = [
        _comment("7000000000000000001", "u1", "Ana", 3, "2026-11-01"),
        _comment("7000000000000000002", None, "anon", 2, "2026-11-01"),  # a comment, not a commenter
        _comment("7000000000000000003", "u1", "Ana", None, "2026-11-01"),  # null likes add nothing
        {**_comment("x", "u2", "Bo", 1, "2026-11-01"), "cid": 7000000000000000004},  # a numeric id: a reject
        {**_comment("7000000000000000005", "u2", "Bo", 1, "2026-11-01"), "aweme_id": 7400000000000000001},
        "[1, 2]",
        '{"cid": "7000000000000000006", "text": "trunc',
    ]
    text = "\r\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    (first / "part-0000.json").write_text(text, encoding="utf-8")  # CRLF, no final newline
    (first / "_SUCCESS").write_text("")
    (first / "part-0001.json.tmp").write_text('{"cid": "half')
    landed = medallion(home, "land", "media", str(drops), "--day", "2026-11-01")
    assert landed.returncode == 1 and "media/2026/11/01/: no files" in landed.stderr
    assert "tiktokcomment/2026/11/01/: 1 file(s): landed 1 (7 lines)" in landed.stdout
    lenient = {"MEDALLION_MAX_REJECT_RATE": "0.9"}
    succeeded(medallion(home, "build", **lenient))
    reasons = warehouse_rows(
        home, "select reject_reason, count(*) from silver.stg_media__comments group by 1 order by 1 nulls first"
    )
    assert reasons == [
        (None, 3),
        ("aweme_id is not a string", 1),
        ("cid is not a string", 1),
        ("line is not a JSON object", 1),
        ("line is not valid JSON", 1),
    ]
    _, comments = gold(home)
    assert comments == [("2026-11-01", "7400000000000000001", 3, 1, 5)]

    second = drops / "tiktokcomment" / "2026" / "11" / "02"
    second.mkdir(parents=True)
    changed = _comment("7000000000000000007", "u1", "Ana 🌻", 1, "2026-11-02")
    (second / "part-0000.json").write_text(json.dumps(changed, ensure_ascii=False) + "\n", encoding="utf-8")
    medallion(home, "land", "media", str(drops), "--day", "2026-11-02")
    succeeded(medallion(home, "build", **lenient))
    history = warehouse_rows(
        home,
        "select nickname, dbt_valid_to is null from silver.snap_media__comment_authors"
        " where user_uid = 'u1' order by dbt_valid_from",
    )
    assert history == [("Ana", False), ("Ana 🌻", True)]


def test_a_day_folder_lands_its_data_reports_the_rest_and_retries_a_broken_read(tmp_path: Path) -> None:
    from orchestration.settings import load
    from orchestration.sources.media.landing import drops, land_days
    from orchestration.sources.media.store import LocalStore

    day = tmp_path / "root" / "media" / "2026" / "11" / "03"
    day.mkdir(parents=True)
    (day / "a.json").write_text('{"id": "1", "outlet": "ABC"}\n', encoding="utf-8")
    (day / "b.json").write_bytes(b"")  # producers write empty parts: reported, not a failure
    (day / "_SUCCESS").write_bytes(b"")
    (day / "c.json.tmp").write_text('{"id": "hal', encoding="utf-8")

    class Flaky(LocalStore):
        """Breaks off the first read of every object mid-body, as a dropped connection would."""

        transient = (ConnectionResetError,)

        def __init__(self, root: Path):
            super().__init__(root)
            self.broken: set[str] = set()

        @contextmanager
        def open(self, item):  # type: ignore[override]
            if item.uri in self.broken:
                with super().open(item) as handle:
                    yield handle
                return
            self.broken.add(item.uri)
            yield io.BufferedReader(Dropped())

    class Dropped(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            raise ConnectionResetError("connection reset by peer")

    settings = load()
    paths = type(settings.paths)(tmp_path / "home")
    [report] = land_days(
        Flaky(tmp_path / "root"), [date(2026, 11, 3)], paths, settings.limits, settings.media, ("media",)
    )
    assert (report.files, report.ignored, len(report.landed), len(report.empty), report.errors) == (2, 2, 1, 1, [])
    assert "1 empty (nothing to land)" in report.line() and "2 not data" in report.line()
    assert [d.file_name for d in drops(paths, "media")] == ["a.json"]
    assert not list((paths.landing("media")).glob(".part-*"))  # the broken read left nothing behind


def test_daily_partitions_and_the_schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import DagsterInstance, materialize

    from orchestration.core.resources import SettingsResource
    from orchestration.definitions import defs
    from orchestration.settings import load
    from orchestration.sources.media.assets import media_drops
    from orchestration.sources.media.landing import drops as landed

    schedule = defs.resolve_schedule_def("media_daily_schedule")
    assert schedule.cron_schedule == "0 1 * * *" and schedule.job_name == "media_daily"
    job = defs.resolve_job_def("media_daily")
    assert job.partitions_def.get_partition_keys()[0] == "2026-10-01"

    folder = tmp_path / "drops"
    generate(folder, "2026-11-05", 1, comments_per_day="50")
    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDALLION_MEDIA_ROOT", str(folder))
    resources = {"settings": SettingsResource()}
    instance = DagsterInstance.ephemeral()
    good = materialize([media_drops], partition_key="2026-11-05", instance=instance, resources=resources)
    assert good.success
    assert len(landed(load().paths, "media")) == 2
    missing = materialize(
        [media_drops], partition_key="2026-11-06", instance=instance, resources=resources, raise_on_error=False
    )
    assert not missing.success
    failure = next(e for e in missing.all_events if e.is_step_failure)
    assert "no files" in str(failure.step_failure_data.error)
