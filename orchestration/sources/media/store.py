"""Where media drops are read: an S3 bucket (AWS, MinIO, any S3 API) or a local folder of the same layout.

`<root>/<dataset>/YYYY/MM/DD/*.json`. Only `*.json` objects directly in a day's folder are data;
`_SUCCESS`, `*.tmp` and anything else are not. On S3, listing and reading go through boto3 (the AWS
SDK): paginated listing, standard retries with backoff on every request, the body streamed in
chunks; an object is read at the ETag it was listed with (`IfMatch`), so a producer overwriting it
meanwhile makes that read fail (the object is reported, and the next run lands its new version)
rather than mix two versions.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from orchestration.settings import Media

DATASETS = ("media", "tiktokcomment")


class StoreError(Exception):
    """The store cannot be listed or read; the message says which and why."""


@dataclass(frozen=True)
class StoredObject:
    uri: str  # s3://bucket/key, or the file's absolute path
    name: str  # the file name within its day's folder
    size: int
    etag: str  # S3's ETag (quotes removed); "" for a local file


def day_prefix(dataset: str, day: date) -> str:
    return f"{dataset}/{day:%Y/%m/%d}/"


def is_data(name: str) -> bool:
    return name.endswith(".json") and not name.startswith(".")


class Store(Protocol):
    root: str

    def list_day(self, dataset: str, day: date) -> tuple[list[StoredObject], int]:
        """The day's data objects in file-name order, and how many other objects its folder holds."""
        ...

    @contextmanager
    def open(self, item: StoredObject) -> Iterator[BinaryIO]: ...

    # Errors worth trying the whole object again for (a connection that broke mid-body).
    transient: tuple[type[BaseException], ...]


class LocalStore:
    transient: tuple[type[BaseException], ...] = ()

    def __init__(self, root: Path):
        self.root = str(root.resolve())
        self.folder = root.resolve()
        if not self.folder.is_dir():
            raise StoreError(f"{root}: no such folder (expected <root>/media/YYYY/MM/DD/*.json)")

    def list_day(self, dataset: str, day: date) -> tuple[list[StoredObject], int]:
        folder = self.folder / day_prefix(dataset, day)
        try:
            if not folder.is_dir():
                return [], 0
            files = [path for path in sorted(folder.iterdir()) if path.is_file()]
            data = [StoredObject(str(p), p.name, p.stat().st_size, "") for p in files if is_data(p.name)]
        except OSError as exc:
            raise StoreError(f"{folder}: cannot list: {exc.strerror or exc}") from exc
        return data, len(files) - len(data)

    @contextmanager
    def open(self, item: StoredObject) -> Iterator[BinaryIO]:
        with open(item.uri, "rb") as handle:
            yield handle


class S3Store:
    def __init__(self, root: str, settings: Media):
        import boto3
        import botocore.exceptions
        from botocore.config import Config

        parsed = urllib.parse.urlparse(root)
        if not parsed.netloc:
            raise StoreError(f"{root}: expected s3://bucket or s3://bucket/prefix")
        self.root = root.rstrip("/")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.endpoint = settings.s3_endpoint or None
        config = Config(
            retries={"max_attempts": settings.s3_attempts, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            # MinIO and most S3-compatible servers want bucket names in the path, not the host.
            s3={"addressing_style": "path" if self.endpoint else "auto"},
        )
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=settings.s3_region, config=config
        )
        self._botocore = botocore.exceptions
        self.transient = (
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ResponseStreamingError,
            botocore.exceptions.IncompleteReadError,
            ConnectionError,
        )

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _explain(self, exc: Exception, what: str) -> StoreError:
        errors = self._botocore
        where = f" at {self.endpoint}" if self.endpoint else ""
        if isinstance(exc, errors.NoCredentialsError):
            return StoreError(f"{what}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        if isinstance(exc, errors.EndpointConnectionError):
            return StoreError(f"{what}: cannot reach the S3 endpoint{where} (MEDALLION_S3_ENDPOINT): {exc}")
        if isinstance(exc, errors.ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket":
                return StoreError(f"{what}: no bucket {self.bucket!r}{where}")
            if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
                return StoreError(f"{what}: the S3 credentials were refused{where} ({code})")
            return StoreError(f"{what}: S3 said {code or exc}")
        return StoreError(f"{what}: {exc}")

    def list_day(self, dataset: str, day: date) -> tuple[list[StoredObject], int]:
        prefix = self._key(day_prefix(dataset, day))
        found = []
        ignored = 0
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(prefix) :]
                    if is_data(name):
                        uri = f"s3://{self.bucket}/{item['Key']}"
                        found.append(StoredObject(uri, name, int(item["Size"]), item.get("ETag", "").strip('"')))
                    else:
                        ignored += 1
        except (self._botocore.BotoCoreError, self._botocore.ClientError) as exc:
            raise self._explain(exc, f"s3://{self.bucket}/{prefix}") from exc
        return sorted(found, key=lambda o: o.name), ignored

    @contextmanager
    def open(self, item: StoredObject) -> Iterator[BinaryIO]:
        key = item.uri[len(f"s3://{self.bucket}/") :]
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if item.etag:
            arguments["IfMatch"] = item.etag
        try:
            response = self.client.get_object(**arguments)
        except (self._botocore.BotoCoreError, self._botocore.ClientError) as exc:
            raise self._explain(exc, item.uri) from exc
        body = response["Body"]
        try:
            yield body
        finally:
            body.close()


def open_store(root: str, settings: Media) -> Store:
    """The store behind `root`: `s3://bucket/prefix`, or a local folder."""
    if root.startswith("s3://"):
        return S3Store(root, settings)
    if "://" in root:
        raise StoreError(f"{root}: expected s3://bucket/prefix or a local folder")
    return LocalStore(Path(root))
