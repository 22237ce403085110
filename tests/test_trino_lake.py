"""Trino + Iceberg with the lake on object storage (MEDALLION_LAKE=s3://…, MinIO over the S3 API).

One stack, one home: tweets and media drops land (the drops from the same MinIO), build on Trino,
and give the plain-Python answers; every Iceberg file is in the bucket, none on the local disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import free_port

from tools import media_reference, reference
from tools.generate import Options, generate
from tools.minio_server import BUCKET, Server

pytestmark = pytest.mark.integration


class Stack:
    def __init__(self, home: Path, minio: Server):
        self.home = home
        self.minio = minio
        self.env = {
            **os.environ,
            "MEDALLION_HOME": str(home),
            "MEDALLION_TARGET": "trino",
            "MEDALLION_TRINO_PORT": str(free_port()),
            "MEDALLION_PG_PORT": str(free_port()),
            "MEDALLION_LAKE": f"s3://{BUCKET}/lake",
            "MEDALLION_MAX_REJECT_RATE": "0.05",
            **minio.environment(),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "orchestration.cli", *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=1500)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        return result.stdout

    def s3(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.env["MEDALLION_S3_ENDPOINT"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )

    def trino(self, sql: str) -> list[tuple[Any, ...]]:
        import trino

        con = trino.dbapi.connect(
            host="127.0.0.1", port=int(self.env["MEDALLION_TRINO_PORT"]), user="medallion", catalog="iceberg"
        )
        try:
            cur = con.cursor()
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            con.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    home = Path(tempfile.mkdtemp(prefix="medallion-trino-s3-"))
    home.chmod(0o755)  # PostgreSQL runs as Debian's `postgres` and must reach it
    minio = Server(home / "s3", free_port())
    minio.up()
    stack = Stack(home, minio)
    try:
        stack.ok("trino", "up")
        try:
            yield stack
        finally:
            stack.ok("trino", "down")
    finally:
        minio.down()
        shutil.rmtree(home, ignore_errors=True)  # its catalog file holds the MinIO keys


def test_tweets_and_media_build_on_an_iceberg_lake_in_the_bucket(stack: Stack, tmp_path: Path) -> None:
    tweets = tmp_path / "tweets.jsonl"
    generate(tweets, Options(rows=1500, seed=31, duplicate_share=0.05, offset_share=0.3))
    drops = tmp_path / "drops"
    stack.ok(
        "generate", "media", "--out", str(drops), "--days", "3", "--end", "2026-11-20", "--comments-per-day", "400"
    )
    client = stack.s3()
    for path in sorted(drops.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), BUCKET, f"drops/{path.relative_to(drops)}")

    stack.ok("land", "tweets", str(tweets), "--quiet")
    stack.ok("land", "media", f"s3://{BUCKET}/drops", "--from", "2026-11-18", "--to", "2026-11-20")
    built = stack.ok("build")
    assert "build succeeded" in built and "media: runs on" not in built

    assert json.loads(stack.ok("answers", "--json")) == reference.answers([tweets])
    media = [(str(d), o, n) for d, o, n in stack.trino("select * from gold.media_daily order by 1, 2")]
    assert media == media_reference.media_daily(drops)
    comments = [
        (str(d), a, c, u, n)
        for d, a, c, u, n in stack.trino(
            "select comment_date, aweme_id, comments, commenters, likes from gold.tiktok_comments_daily order by 1, 2"
        )
    ]
    assert comments == media_reference.tiktok_comments_daily(drops)

    # Every table's files are in the bucket, under MEDALLION_LAKE; the local lake holds no Iceberg file.
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="lake/")
        for item in page.get("Contents", [])
    ]
    assert any(k.startswith("lake/bronze/tweets_lines") and k.endswith(".parquet") for k in keys)
    assert any(k.startswith("lake/gold/media_daily__versions") and k.endswith(".metadata.json") for k in keys)
    local = stack.home / "lake" / "iceberg"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))
    assert f"Iceberg lake: s3://{BUCKET}/lake" in stack.ok("trino", "status")


def test_a_homes_lake_is_fixed_by_its_first_trino_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.settings import Paths
    from orchestration.warehouse.trino_stack import Stack, StackError

    monkeypatch.setenv("MEDALLION_LAKE", "s3://medallion/lake")
    monkeypatch.setenv("MEDALLION_S3_ENDPOINT", "http://127.0.0.1:9900")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    with pytest.raises(StackError, match="set AWS_ACCESS_KEY_ID"):
        Stack(Paths(tmp_path))._lake_properties()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "medallion-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    written = Stack(Paths(tmp_path))._lake_properties()
    assert "iceberg.jdbc-catalog.default-warehouse-dir=s3://medallion/lake" in written
    assert "s3.path-style-access=true" in written and "s3.endpoint=http://127.0.0.1:9900" in written
    monkeypatch.delenv("MEDALLION_LAKE")
    with pytest.raises(StackError, match="this home's Iceberg lake is s3://medallion/lake"):
        Stack(Paths(tmp_path))._lake_properties()
