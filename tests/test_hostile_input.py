"""Hostile input, as a new user with bad files and two terminals would bring it.

Nothing delivered runs: file names, pull URLs and CSV headers full of template
and SQL syntax are kept verbatim, in a MEDALLION_HOME whose path holds a quote
and braces. A wrong-typed value is a reject with its reason. A bad delivery is
quarantined on its own while everything else publishes, and an operator can
release or drop it. One huge line costs its length. Concurrent `land`s lose
nothing, and reads during a build always answer. After every build, each
delivery's lines landed = lines parsed + lines rejected.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Receiver, medallion, succeeded, warehouse_rows

from orchestration.core.landing import Manifest
from orchestration.settings import PROJECT_DIR, Paths
from tools import forecast_generate as forecast
from tools import reference
from tools.generate import Options, generate

pytestmark = pytest.mark.integration

# Loose enough for the small forecast pulls made here; the tweets gates keep their defaults.
ENV = {"MEDALLION_FORECAST_RECORDS": "100,100000"}
TEMPLATE_NAMES = ["a{{ 7*7 }}.jsonl", '{{ run_query("create schema pwned") }}.jsonl', "it's; drop table x.jsonl"]


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return medallion(home, *args, **{**ENV, **env})


def sample_tweet(real_sample: Path) -> dict[str, Any]:
    return json.loads(real_sample.read_text(encoding="utf-8").splitlines()[0])


def write_lines(path: Path, items: list[Any]) -> Path:
    path.write_text("".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items), encoding="utf-8")
    return path


def tweets(template: dict[str, Any], first_id: int, count: int, **changes: Any) -> list[dict[str, Any]]:
    return [dict(template, id=first_id + i, **changes) for i in range(count)]


def assert_every_line_accounted(home: Path, tampered: str | None = None) -> None:
    """For each tweets delivery: lines landed = lines parsed + lines rejected (in silver's staging);
    for a landed file cut short after landing (`tampered`), the lines it still holds."""
    landed = {
        e.ingestion_id: 5 if e.source_file == tampered else e.line_count
        for e in Manifest(Paths(home).landing("tweets")).entries()
    }
    counted = dict(
        warehouse_rows(
            home,
            "select ingestion_id, count(*) filter (where reject_reason is null)"
            " + count(*) filter (where reject_reason is not null) from silver.stg_tweets__lines group by 1",
        )
    )
    assert counted == landed


def template_of(world: dict[str, Any]) -> dict[str, Any]:
    return json.loads(world["named"][0].read_text(encoding="utf-8").splitlines()[0])


def deliveries(home: Path) -> dict[str, dict[str, Any]]:
    return {d["name"].rsplit("/", 1)[-1]: d for d in json.loads(succeeded(run(home, "deliveries", "--json")))}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, real_sample: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    home = root / "it's {{ 7*7 }} $HOME home"
    files = root / "files"
    files.mkdir()
    template = sample_tweet(real_sample)
    good = generate(files / "good.jsonl", Options(rows=2000, seed=91), progress=False)
    named = [
        write_lines(files / name, tweets(template, 700_000_000_000_000_000 + 100 * i, 30))
        for i, name in enumerate(TEMPLATE_NAMES)
    ]
    typed_lines: list[Any] = tweets(template, 710_000_000_000_000_000, 1000)
    user = template["user"]
    typed_lines[0] = dict(template, id="123abc")
    typed_lines[1] = dict(template, id=True)
    typed_lines[2] = '{"id": 18446744073709551616, "date": "2021-02-12T10:00:00+00:00"}'
    typed_lines[3] = dict(template, id=710_000_000_000_000_900, user=dict(user, followersCount="1.2k"))
    typed_lines[4] = dict(template, id=710_000_000_000_000_901, user=dict(user, id="not-a-number"))
    typed_lines[5] = dict(template, id=710_000_000_000_000_902, user=dict(user, verified="yes"))
    typed_lines[6] = dict(template, id=1.5)
    typed = write_lines(files / "typed.jsonl", typed_lines)
    csv_content = files / "export.jsonl"
    csv_content.write_text("id,date,username\n" + "".join(f"{i},2021-02-12,user{i}\n" for i in range(200)))
    future = write_lines(
        files / "future.jsonl",
        [
            *tweets(template, 720_000_000_000_000_000, 40),
            dict(template, id=720_000_000_000_000_999, date="2099-01-01T00:00:00+00:00"),
        ],
    )
    array = files / "array.json"
    array.write_text(json.dumps(tweets(template, 730_000_000_000_000_000, 3)), encoding="utf-8")
    huge = write_lines(
        files / "huge.jsonl",
        [
            dict(template, id=740_000_000_000_000_000, content="🙏 @someone " * 150_000),
            *tweets(template, 740_000_000_000_000_001, 300),
        ],
    )
    places = forecast.municipalities(40, seed=3)
    now = datetime.now(UTC).replace(minute=5, second=0, microsecond=0)
    pull = files / "pull{{ 7*7 }}.json.gz"
    pull.write_bytes(forecast.payload(forecast.records(places, now - timedelta(hours=1), 6, 1)))
    hot_records = forecast.records(places, now, 6, 2)
    hot_records[7]["temp"] = "500"
    hot = files / "hot.json.gz"
    hot.write_bytes(forecast.payload(hot_records))
    folders = files / "data_municipios"
    day = forecast.write_municipios(folders, places, now - timedelta(days=1), 4)
    header, *rows = day.read_text(encoding="utf-8").splitlines()
    day.write_text("\n".join([header + ',"Pob 2020\'s, {{ 7*7 }}"', *(r + ",x" for r in rows)]) + "\n")
    quoted = forecast.write_municipios(files / "quoted", places, now - timedelta(days=2), 5)
    header, *rows = quoted.read_text(encoding="utf-8").splitlines()
    quoted.write_text("\n".join([header + ',"Pob ""2020"""', *(r + ",x" for r in rows)]) + "\n")
    (folders / "20261399").mkdir()
    (folders / "20261399" / "data.csv").write_text(header + "\n")
    return {
        "root": root,
        "home": home,
        "good": good,
        "named": named,
        "typed": typed,
        "csv": csv_content,
        "future": future,
        "array": array,
        "huge": huge,
        "pull": pull,
        "pull_at": now - timedelta(hours=1),
        "hot": hot,
        "hot_at": now,
        "folders": folders,
        "quoted": quoted.parent,
        "state": {},
    }


def test_bad_input_is_refused_at_landing_with_its_file_and_problem(world: dict[str, Any]) -> None:
    home = world["home"]
    array = run(home, "land", "tweets", str(world["array"]))
    assert array.returncode == 1
    assert "array.json: line 1: holds one JSON array, not JSON lines" in array.stderr
    assert "nothing of it was landed" in array.stderr
    folders = run(home, "land", "municipios", str(world["folders"]))
    assert folders.returncode == 1
    assert "20261399 is not a calendar date (expected YYYYMMDD)" in folders.stderr
    assert "that folder was not landed" in folders.stderr
    assert "landed 40 rows" in folders.stdout, "the good folder beside the bad one lands, and says so"
    quoted = run(home, "land", "municipios", str(world["quoted"]))
    assert quoted.returncode == 1
    assert 'data.csv: line 1: column 8 name \'Pob "2020"\' holds ", which a warehouse column name cannot hold' in (
        quoted.stderr
    )
    assert "Traceback" not in folders.stderr + array.stderr + quoted.stderr


def test_one_build_admits_the_good_and_quarantines_the_bad(world: dict[str, Any]) -> None:
    home = world["home"]
    receiver = Receiver()
    try:
        for path in [world["good"], *world["named"], world["typed"], world["csv"], world["future"], world["huge"]]:
            succeeded(run(home, "land", "tweets", str(path), "--quiet"))
        # A landed file that changes after landing (a disk fault, a hand edit) is caught, not built.
        tampered = write_lines(world["root"] / "files" / "tampered.jsonl", tweets(template_of(world), 750 * 10**15, 10))
        succeeded(run(home, "land", "tweets", str(tampered), "--quiet"))
        landed = next(e for e in Manifest(Paths(home).landing("tweets")).entries() if e.source_file == "tampered.jsonl")
        copy = Paths(home).home / landed.landed_path
        copy.write_bytes(b"".join(copy.read_bytes().splitlines(keepends=True)[:5]))
        succeeded(run(home, "land", "forecast", str(world["pull"]), "--fetched-at", world["pull_at"].isoformat()))
        succeeded(run(home, "land", "forecast", str(world["hot"]), "--fetched-at", world["hot_at"].isoformat()))
        build = succeeded(run(home, "build", MEDALLION_WEBHOOK_URL=receiver.url))
    finally:
        receiver.close()
    assert "4 deliveries quarantined" in build
    assert (
        "(tampered.jsonl): expect_column_pair_values_to_be_equal(lines_loaded, lines_landed): lines_loaded = 5,"
        in build
    )
    assert "(export.jsonl): expect_column_values_to_be_between(reject_share): reject_share = 1." in build
    assert "(future.jsonl): expect_column_values_to_be_between(last_tweet_date): last_tweet_date = 2099-01-01" in build
    assert "hot.json.gz): expect_column_values_to_be_between(max_temp): max_temp = 500" in build
    assert [b["status"] for b in receiver.bodies] == ["quarantine"]
    states = {name: d["state"] for name, d in deliveries(home).items()}
    assert states == {
        "good.jsonl": "admitted",
        **{name: "admitted" for name in TEMPLATE_NAMES},
        "typed.jsonl": "admitted",
        "export.jsonl": "quarantined",
        "future.jsonl": "quarantined",
        "huge.jsonl": "admitted",
        "tampered.jsonl": "quarantined",
        "pull{{ 7*7 }}.json.gz": "admitted",
        "hot.json.gz": "quarantined",
        "data.csv": "admitted",
    }
    admitted = [world["good"], *world["named"], world["typed"], world["huge"]]
    assert json.loads(succeeded(run(home, "answers", "--json"))) == reference.answers(admitted)
    assert_every_line_accounted(home, tampered="tampered.jsonl")
    world["state"]["answers"] = json.loads(succeeded(run(home, "answers", "--json")))


def test_names_are_kept_verbatim_and_never_run(world: dict[str, Any]) -> None:
    home = world["home"]
    version = json.loads(succeeded(run(home, "versions", "--json")))[0]
    files = [f["file"] for f in version["source_files"]]
    assert set(TEMPLATE_NAMES) <= set(files)
    assert any(f.endswith("pull{{ 7*7 }}.json.gz") for f in files)
    assert "export.jsonl" not in files and "future.jsonl" not in files, "a version holds admitted deliveries only"
    schemas = {r[0] for r in warehouse_rows(home, "select schema_name from information_schema.schemata")}
    assert "pwned" not in schemas
    columns = {r[0] for r in warehouse_rows(home, "describe gold.forecast_municipality_enriched")}
    assert "Pob 2020's, {{ 7*7 }}" in columns
    assert "warmest:" in succeeded(run(home, "forecast"))


def test_a_wrong_typed_value_is_a_reject_with_its_reason(world: dict[str, Any]) -> None:
    rejects = warehouse_rows(
        world["home"],
        "select line_number, reject_reason from silver.int_tweets__rejects where source_file = 'typed.jsonl'",
    )
    assert sorted(rejects) == [
        (1, "id is not an integer"),
        (2, "id is not an integer"),
        (3, "id is not an integer"),
        (4, "user.followersCount is not an integer"),
        (5, "user.id is not an integer"),
        (6, "user.verified is not a boolean"),
        (7, "id is not an integer"),
    ]


def test_a_line_over_the_limit_is_rejected_and_kept_whole_in_landing(world: dict[str, Any]) -> None:
    home = world["home"]
    line = world["huge"].read_bytes().splitlines()[0]
    assert warehouse_rows(
        home,
        "select line_status, line_bytes, length(line) from bronze.tweets_lines where source_file = 'huge.jsonl'"
        " and line_number = 1",
    ) == [("line_too_long", len(line), 1000)]
    assert warehouse_rows(
        home, "select reject_reason from silver.int_tweets__rejects where source_file = 'huge.jsonl'"
    ) == [("line too long",)]
    landed = next(e for e in Manifest(Paths(home).landing("tweets")).entries() if e.source_file == "huge.jsonl")
    assert (Paths(home).home / landed.landed_path).read_bytes().splitlines()[0] == line


def test_a_huge_line_under_a_raised_limit_is_built_in_full(world: dict[str, Any]) -> None:
    home = world["root"] / "raised-limit"
    limit = {"MEDALLION_MAX_LINE_BYTES": str(4 << 20)}
    succeeded(run(home, "land", "tweets", str(world["good"]), str(world["huge"]), "--quiet", **limit))
    succeeded(run(home, "build", **limit))
    assert warehouse_rows(
        home,
        "select count(*), max(emoji_position) from silver.int_tweets__emojis where tweet_id = ?",
        [740_000_000_000_000_000],
    ) == [(150_000, 150_000)]
    assert json.loads(succeeded(run(home, "answers", "--json"))) == reference.answers(
        [world["good"], world["huge"]], 4 << 20
    )


def test_release_and_drop_act_on_one_delivery_while_readers_always_get_an_answer(world: dict[str, Any]) -> None:
    home = world["home"]
    found = deliveries(home)
    released = succeeded(run(home, "quarantine", "release", found["future.jsonl"]["delivery_id"][:24]))
    assert "released" in released
    assert "dropped" in succeeded(
        run(home, "quarantine", "drop", found["export.jsonl"]["delivery_id"], "--note", "a CSV")
    )
    again = run(home, "quarantine", "release", found["export.jsonl"]["delivery_id"])
    assert again.returncode == 2 and "is dropped, not quarantined" in again.stderr

    # A build killed after writing a version's rows but before registering it leaves rows no reader may see.
    orphan = "20990101T000000Z"
    profiles = home / "dbt"
    dbt = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--select",
            "fct_tweets_top_dates__versions",
            "--vars",
            json.dumps({"gold_version_id": orphan}),
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(profiles),
            "--target",
            "duckdb",
        ],
        env={**os.environ, "MEDALLION_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert dbt.returncode == 0, dbt.stdout[-3000:]
    shown = warehouse_rows(
        home, "select cast(tweet_date as varchar), tweet_count from gold.tweets_top_dates order by rank"
    )
    assert [(r["date"], r["tweet_count"]) for r in world["state"]["answers"]["q1"]] == shown

    before = world["state"]["answers"]
    after = reference.answers([world["good"], *world["named"], world["typed"], world["huge"], world["future"]])
    build = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "build"],
        env={**os.environ, **ENV, "MEDALLION_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reads = []
    while build.poll() is None:
        for command in (["answers", "--json"], ["versions", "--json"]):
            result = run(home, *command)
            reads.append((command[0], result.returncode, result.stdout, result.stderr))
    output = build.stdout.read() if build.stdout else ""
    assert build.returncode == 0, output[-3000:]
    assert len(reads) >= 4
    for command, code, stdout, stderr in reads:
        assert code == 0 and "Traceback" not in stderr, (command, stderr[-2000:])
        if command == "answers":
            assert json.loads(stdout) in (before, after)
    assert json.loads(succeeded(run(home, "answers", "--json"))) == after
    assert warehouse_rows(
        home, "select count(*) from gold.tweets_top_dates__versions where version_id = ?", [orphan]
    ) == [(0,)]
    states = {name: d["state"] for name, d in deliveries(home).items()}
    assert states["future.jsonl"] == "released" and states["export.jsonl"] == "dropped"
    assert states["tampered.jsonl"] == "quarantined"
    assert_every_line_accounted(home, tampered="tampered.jsonl")


def test_concurrent_lands_lose_nothing(tmp_path: Path, real_sample: Path) -> None:
    home = tmp_path / "home"
    files = [generate(tmp_path / f"part{n}.jsonl", Options(rows=1500, seed=50 + n), progress=False) for n in range(4)]
    places = forecast.municipalities(30, seed=8)
    start = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    pulls = []
    for n in range(3):
        path = tmp_path / f"pull{n}.json.gz"
        path.write_bytes(forecast.payload(forecast.records(places, start + timedelta(hours=n), 4, n)))
        pulls.append((path, start + timedelta(hours=n)))
    folders = []
    for n in range(2):
        folders.append(forecast.write_municipios(tmp_path / f"set{n}", places, start - timedelta(days=n), n).parent)
    env = {**os.environ, **ENV, "MEDALLION_HOME": str(home)}
    cli = [sys.executable, "-m", "orchestration.cli"]
    commands = [
        *([*cli, "land", "tweets", str(f), "--quiet"] for f in files),
        *([*cli, "land", "forecast", str(p), "--fetched-at", t.isoformat()] for p, t in pulls),
        *([*cli, "land", "municipios", str(f)] for f in folders),
    ]
    started = [
        subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands
    ]
    for process in started:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-2000:]

    # Two processes empty the same inbox at once (the sensor's run and a `medallion build`, say).
    inbox = Paths(home).inbox("tweets")
    inbox.mkdir(parents=True)
    dropped = [generate(inbox / f"drop{n}.jsonl", Options(rows=200, seed=70 + n), progress=False) for n in range(6)]
    expected_drops = {p.name: p.read_bytes() for p in dropped}
    script = (
        "from orchestration.core.inbox import land_inbox; from orchestration.settings import paths; "
        "import sys; r = land_inbox(paths(), 'tweets'); print(len(r.landed), len(r.rejected))"
    )
    racers = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outcomes = [r.communicate(timeout=600)[0].split() for r in racers]
    assert sum(int(o[0]) for o in outcomes) == 6 and all(o[1] == "0" for o in outcomes)
    assert {p.name: p.read_bytes() for p in (inbox / "landed").iterdir()} == expected_drops

    entries = Manifest(Paths(home).landing("tweets")).entries()
    assert sorted(e.ingestion_seq for e in entries) == list(range(1, 11))
    from orchestration.sources.forecast.landing import deliveries as municipios_files
    from orchestration.sources.forecast.landing import pulls as landed_pulls

    assert sorted(p.pull_seq for p in landed_pulls(Paths(home))) == [1, 2, 3]
    assert sorted(d.delivery_seq for d in municipios_files(Paths(home))) == [1, 2]
    # Two builds at once: the second waits for the first instead of tripping over it.
    builds = [
        subprocess.Popen([*cli, "build"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [b.communicate(timeout=900)[0] for b in builds]
    assert [b.returncode for b in builds] == [0, 0], [o[-2000:] for o in outputs]
    assert sum("another build is running" in o for o in outputs) == 1
    assert_every_line_accounted(home)
    assert json.loads(succeeded(run(home, "answers", "--json"))) == reference.answers(
        [*files, *(inbox / "landed" / p.name for p in dropped)]
    )


def test_archives_are_judged_by_their_content(tmp_path: Path) -> None:
    home = tmp_path / "home"
    lines = b"".join(b'{"id": %d, "date": "2021-02-12T10:00:00+00:00"}\n' % i for i in range(100))
    (tmp_path / "t.jsonl.gz").write_bytes(gzip.compress(lines))
    with zipfile.ZipFile(tmp_path / "t.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("t.jsonl", lines)
    assert "landed 100 lines" in succeeded(run(home, "land", "tweets", str(tmp_path / "t.jsonl.gz")))
    again = succeeded(run(home, "land", "tweets", str(tmp_path / "t.zip")))
    assert "already landed" in again and "(same content)" in again

    (tmp_path / "empty.jsonl.gz").write_bytes(b"")
    empty = run(home, "land", "tweets", str(tmp_path / "empty.jsonl.gz"))
    assert empty.returncode == 1 and "empty.jsonl.gz: corrupt archive: the file is empty" in empty.stderr

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.jsonl", b'{"id": 1}\n' * 4_000_000)
    refused = run(home, "land", "tweets", str(bomb))
    assert refused.returncode == 1
    assert "bomb.zip: decompresses to more than 100 times its size" in refused.stderr
    assert "MEDALLION_MAX_EXPANSION" in refused.stderr
    assert len(Manifest(Paths(home).landing("tweets")).entries()) == 1
    assert not list(Paths(home).landing("tweets").glob(".part-*")), "nothing of a refused delivery is left behind"

    bad_setting = run(home, "land", "tweets", str(bomb), MEDALLION_MAX_EXPANSION="lots")
    assert bad_setting.returncode == 2 and "MEDALLION_MAX_EXPANSION='lots': expected a number" in bad_setting.stderr


def test_a_download_that_stalls_gives_up_after_the_timeout(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        result = run(
            tmp_path / "home",
            "land",
            "tweets",
            f"http://127.0.0.1:{listener.getsockname()[1]}/slow.jsonl",
            "--quiet",
            MEDALLION_DOWNLOAD_TIMEOUT="1",
        )
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert result.returncode == 1
    assert "slow.jsonl: download failed: no data for 1 s (MEDALLION_DOWNLOAD_TIMEOUT)" in result.stderr
