"""The BigQuery SQLAlchemy dialect (sqlalchemy-bigquery) on the client medallion builds.

Great Expectations makes its own engines from a datasource's connection string,
and a string cannot carry what the BigQuery target needs: credentials found the
way `warehouse.bigquery.client()` finds them (service account, application
default, or an emulator's endpoint with anonymous credentials). This dialect is
sqlalchemy-bigquery's own, with one change: its connections use that client.
The URL, ``bigquery+medallion://<project>/quality``, names the project and the
dataset the dialect's table lookups default to (a gate's batch is the view
`quality.<suite>`; Great Expectations names the schema in its queries, which
get no default dataset); no key, token or path ever goes into it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy_bigquery import BigQueryDialect

from orchestration.warehouse.bigquery_client import client


class MedallionBigQueryDialect(BigQueryDialect):
    def create_connect_args(self, url: Any) -> tuple[list, dict]:
        super().create_connect_args(url.update_query_dict({"user_supplied_client": "true"}))
        bq = client(self.project_id)
        self.billing_project_id = self.billing_project_id or bq.project
        return [], {"client": bq, "prefer_bqstorage_client": False}  # a gate reads aggregates, a few rows


def url_for(project: str, dataset: str) -> str:
    return f"bigquery+medallion://{project}/{dataset}"


registry.register("bigquery.medallion", __name__, "MedallionBigQueryDialect")
