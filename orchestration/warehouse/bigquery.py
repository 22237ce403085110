"""Bronze loader for BigQuery: landed files -> GCS -> a load job -> `bronze.<source>_lines`.

The same Parquet parts as the other targets are written locally, uploaded to
`gs://$MEDALLION_BQ_BUCKET/medallion/bronze/<source>_lines/ingestion_seq=N/`
and appended to the table by one BigQuery load job per landing. Without a
bucket (an emulator, say), the parts go up with the load job itself.

Configuration, all from the environment:
  MEDALLION_BQ_PROJECT          project id (required)
  MEDALLION_BQ_BUCKET           GCS bucket for staged Parquet (recommended)
  MEDALLION_BQ_LOCATION         dataset location (default US)
  GOOGLE_APPLICATION_CREDENTIALS  a service-account key file, or application-default login
  MEDALLION_BQ_API_ENDPOINT     another API endpoint (an emulator), with anonymous credentials
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.core.landing import Manifest
from orchestration.settings import Limits, Paths


class BigQueryConfigError(RuntimeError):
    """BigQuery cannot be used as configured; the message says what to set."""


def client(project: str | None = None) -> Any:
    project = project or os.environ.get("MEDALLION_BQ_PROJECT")
    if not project:
        raise BigQueryConfigError(
            "MEDALLION_TARGET=bigquery needs MEDALLION_BQ_PROJECT (and credentials: GOOGLE_APPLICATION_CREDENTIALS "
            "for a service-account key, or `gcloud auth application-default login`)"
        )
    from google.cloud import bigquery

    endpoint = os.environ.get("MEDALLION_BQ_API_ENDPOINT")
    if endpoint:
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=project, credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
        )
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError as exc:
        raise BigQueryConfigError(
            f"no Google credentials for BigQuery ({exc}); set GOOGLE_APPLICATION_CREDENTIALS to a service-account "
            "key file or run `gcloud auth application-default login`"
        ) from exc
    return bigquery.Client(project=project, credentials=credentials)


LINES_SCHEMA = (
    ("ingestion_id", "STRING"),
    ("ingestion_seq", "INT64"),
    ("source_file", "STRING"),
    ("source_sha256", "STRING"),
    ("line_number", "INT64"),
    ("line", "STRING"),
    ("is_valid_utf8", "BOOL"),
    ("raw_base64", "STRING"),
    ("line_status", "STRING"),
    ("line_bytes", "INT64"),
    ("landed_at", "TIMESTAMP"),
    ("loaded_at", "TIMESTAMP"),
)
INGESTIONS_SCHEMA = (
    ("ingestion_id", "STRING"),
    ("ingestion_seq", "INT64"),
    ("source_file", "STRING"),
    ("origin", "STRING"),
    ("source_sha256", "STRING"),
    ("delivered_bytes", "INT64"),
    ("line_count", "INT64"),
    ("landed_at", "TIMESTAMP"),
    ("loaded_at", "TIMESTAMP"),
)


def _schema(columns: tuple[tuple[str, str], ...]) -> list[Any]:
    from google.cloud import bigquery

    return [bigquery.SchemaField(name, kind) for name, kind in columns]


def _upload(bucket_name: str, folder: Path, prefix: str) -> str:
    from google.cloud import storage

    bucket = storage.Client(project=os.environ.get("MEDALLION_BQ_PROJECT")).bucket(bucket_name)
    for part in sorted(folder.glob("*.parquet")):
        bucket.blob(f"{prefix}/{part.name}").upload_from_filename(str(part))
    return f"gs://{bucket_name}/{prefix}/*.parquet"


def load_landed(source: str, paths: Paths, progress: bool, limits: Limits) -> Any:
    from google.cloud import bigquery

    from orchestration.core.lines import LoadSummary, _write_parquet

    bq = client()
    bronze = f"{bq.project}.bronze"
    dataset = bigquery.Dataset(bronze)
    dataset.location = os.environ.get("MEDALLION_BQ_LOCATION", "US")
    bq.create_dataset(dataset, exists_ok=True)
    lines_table = bq.create_table(
        bigquery.Table(f"{bronze}.{source}_lines", schema=_schema(LINES_SCHEMA)), exists_ok=True
    )
    ingestions_table = bq.create_table(
        bigquery.Table(f"{bronze}.{source}_ingestions", schema=_schema(INGESTIONS_SCHEMA)), exists_ok=True
    )
    loaded = {row[0] for row in bq.query(f"select ingestion_id from `{ingestions_table}`").result()}
    todo = [e for e in Manifest(paths.landing(source)).entries() if e.ingestion_id not in loaded]
    bucket = os.environ.get("MEDALLION_BQ_BUCKET")
    total_lines = total_invalid = 0
    for entry in todo:
        loaded_at = datetime.now(UTC)
        stage = paths.home / "bigquery" / "stage" / f"{source}_lines" / f"ingestion_seq={entry.ingestion_seq:06d}"
        source_path = paths.home / entry.landed_path
        lines, invalid = _write_parquet(entry, source_path, stage, loaded_at, progress, limits)
        # A landing half-loaded by an interrupted run is loaded again from scratch.
        bq.query(f"delete from `{lines_table}` where ingestion_seq = {entry.ingestion_seq}").result()
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET, write_disposition=bigquery.WriteDisposition.WRITE_APPEND
        )
        if bucket:
            uri = _upload(bucket, stage, f"medallion/bronze/{source}_lines/ingestion_seq={entry.ingestion_seq:06d}")
            bq.load_table_from_uri(uri, lines_table, job_config=config).result()
        else:
            for part in sorted(stage.glob("*.parquet")):
                with part.open("rb") as handle:
                    bq.load_table_from_file(handle, lines_table, job_config=config).result()
        shutil.rmtree(stage)
        parameters = [
            bigquery.ScalarQueryParameter("ingestion_id", "STRING", entry.ingestion_id),
            bigquery.ScalarQueryParameter("ingestion_seq", "INT64", entry.ingestion_seq),
            bigquery.ScalarQueryParameter("source_file", "STRING", entry.source_file),
            bigquery.ScalarQueryParameter("origin", "STRING", entry.origin),
            bigquery.ScalarQueryParameter("source_sha256", "STRING", entry.sha256),
            bigquery.ScalarQueryParameter("delivered_bytes", "INT64", entry.delivered_bytes),
            bigquery.ScalarQueryParameter("line_count", "INT64", entry.line_count),
            bigquery.ScalarQueryParameter("landed_at", "TIMESTAMP", datetime.fromisoformat(str(entry.landed_at))),
            bigquery.ScalarQueryParameter("loaded_at", "TIMESTAMP", loaded_at),
        ]
        bq.query(
            f"insert into `{ingestions_table}` values (@ingestion_id, @ingestion_seq, @source_file, @origin,"
            " @source_sha256, @delivered_bytes, @line_count, @landed_at, @loaded_at)",
            job_config=bigquery.QueryJobConfig(query_parameters=parameters),
        ).result()
        total_lines += lines
        total_invalid += invalid
    return LoadSummary(ingestions=len(todo), lines=total_lines, invalid_utf8=total_invalid)
