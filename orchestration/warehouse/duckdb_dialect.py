"""A DuckDB SQLAlchemy dialect whose results survive their connection.

Great Expectations 1.x runs a query inside `with engine.connect()` and reads
the rows after that block has closed the connection (GE issues #10738,
#11579). With `duckdb_engine` the DuckDB cursor dies with the connection, so
every metric comes back empty and every expectation errors. This dialect
fetches a result's rows right after execution, as SQLAlchemy's own
fully-buffered strategy does, so reading them later is safe. GE's queries
return aggregates (a handful of rows), never whole tables, as long as the
batch is a table or view (a query asset's columns GE reads by running the
whole query: see quality/gates.py). An engine keeps one connection until
`close_connections()`, which each gate calls when its suite is done.

The warehouse's path never goes into the URL: Great Expectations substitutes
`$NAME` and `${NAME}` in connection strings (a MEDALLION_HOME holding `$HOME`
would open another file) and a URL cannot hold every character a path can.
`url_for(path)` registers the path under a token and returns
``duckdb+buffered:///<token>``; the dialect opens the registered path.
"""

from __future__ import annotations

import hashlib
import weakref
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


_PATHS: dict[str, str] = {}
_POOLS: weakref.WeakSet[pool.Pool] = weakref.WeakSet()


class OneConnectionPool(pool.StaticPool):
    """Every query of an engine on one connection (a new DuckDB connection per query cost a gate half its
    time), closed by `close_connections`: Great Expectations makes more engines than the one a datasource
    hands out, and none of them may keep the file open when dbt, in the same process, opens it with its own
    settings (DuckDB refuses a second configuration of an open file)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _POOLS.add(self)


def close_connections() -> None:
    """Close every connection an engine of this dialect holds in this process (an engine used again
    opens a new one)."""
    for held in list(_POOLS):
        held.dispose()


def url_for(path: str) -> str:
    """A URL for the DuckDB file at `path` that holds no part of the path itself."""
    token = "warehouse-" + hashlib.sha256(path.encode()).hexdigest()[:16]
    _PATHS[token] = path
    return f"duckdb+buffered:///{token}"


class BufferedDuckDBDialect(DuckDBDialect):
    execution_ctx_cls = BufferedExecutionContext

    def create_connect_args(self, url: Any) -> tuple[tuple, dict]:
        args, opts = super().create_connect_args(url)
        if opts.get("database") not in _PATHS:
            raise ValueError(f"{url}: not a warehouse registered with url_for()")
        opts["database"] = _PATHS[opts["database"]]
        return args, opts

    def on_connect(self) -> Any:
        """Names without a schema are looked up in `quality` too: a gate's batch is the view
        `quality.<suite>`, and GE reads its columns naming the table without its schema."""
        parent = super().on_connect()

        def connect(dbapi_connection: Any) -> None:
            if parent is not None:
                parent(dbapi_connection)
            dbapi_connection.execute("create schema if not exists quality")
            dbapi_connection.execute("set search_path = 'quality,main'")

        return connect

    @classmethod
    def get_pool_class(cls, url: Any) -> type[pool.Pool]:
        return OneConnectionPool

    def get_pk_constraint(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> dict:
        """The primary key of a table (none for a view), from DuckDB's own catalog. GE asks for it with every
        table's column types; duckdb_engine answers through PostgreSQL's catalog views, which DuckDB emulates
        slowly (a quarter of a small gate's time)."""
        found = connection.exec_driver_sql(
            "select constraint_column_names from duckdb_constraints()"
            " where constraint_type = 'PRIMARY KEY' and table_name = ? and schema_name = coalesce(?, current_schema())",
            (table_name, schema),
        ).fetchone()
        return {"constrained_columns": list(found[0]) if found else [], "name": None}


registry.register("duckdb.buffered", __name__, "BufferedDuckDBDialect")
