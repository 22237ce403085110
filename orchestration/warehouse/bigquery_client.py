"""The BigQuery client medallion, dbt's profile and the gates' dialect share: project and credentials
from the settings (a service account, application-default credentials, or an emulator's endpoint with
anonymous credentials), with a message saying what to set when they are missing."""

from __future__ import annotations

from typing import Any

from orchestration.settings import load


class BigQueryConfigError(RuntimeError):
    """BigQuery cannot be used as configured; the message says what to set."""


def client(project: str | None = None) -> Any:
    config = load().bigquery
    project = project or config.project
    if not project:
        raise BigQueryConfigError(
            "MEDALLION_TARGET=bigquery needs MEDALLION_BQ_PROJECT (and credentials: GOOGLE_APPLICATION_CREDENTIALS "
            "for a service-account key, or `gcloud auth application-default login`)"
        )
    from google.cloud import bigquery

    endpoint = config.api_endpoint
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
