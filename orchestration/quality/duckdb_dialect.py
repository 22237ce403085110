"""A DuckDB SQLAlchemy dialect whose results survive their connection.

Great Expectations 1.x runs a query inside `with engine.connect()` and reads
the rows after that block has closed the connection (GE issues #10738,
#11579). With `duckdb_engine` the DuckDB cursor dies with the connection, so
every metric comes back empty and every expectation errors. This dialect
fetches a result's rows right after execution, as SQLAlchemy's own
fully-buffered strategy does, so reading them later is safe. GE's queries
return aggregates (a handful of rows), never whole tables. It also never
pools connections, so the warehouse's file lock is released as soon as a
validation is done and dbt, in another process, can write again.

URL: ``duckdb+buffered:////path/to/warehouse.duckdb``.
"""

from __future__ import annotations

from typing import Any

from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy


class BufferedExecutionContext(DuckDBDialect.execution_ctx_cls):  # type: ignore[name-defined,misc]
    def post_exec(self) -> None:
        super().post_exec()
        if self.cursor.description is not None:
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(
                self.cursor, self.cursor.description, self.cursor.fetchall()
            )


class BufferedDuckDBDialect(DuckDBDialect):
    execution_ctx_cls = BufferedExecutionContext

    @classmethod
    def get_pool_class(cls, url: Any) -> type[pool.Pool]:
        # No pooling: a connection closes when released, so the file lock is
        # gone the moment validation ends and dbt (another process) can write.
        return pool.NullPool


registry.register("duckdb.buffered", __name__, "BufferedDuckDBDialect")
