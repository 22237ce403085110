"""SQL text for the few names no parameter can carry.

Values always travel as bound parameters or through tables. Identifiers (a
table or column name in DDL) and a view's body (which takes no parameters)
cannot; these two functions quote them completely, so a name holding a quote
can never end it early.
"""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier, for names no parameter can carry (tables, columns in DDL)."""
    if "\x00" in name:
        raise ValueError(f"{name!r}: an identifier cannot hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted SQL string literal, only where the grammar takes no parameter (a view's
    body, say): the operator's own paths. Delivered names and contents are always bound instead."""
    if "\x00" in value:
        raise ValueError(f"{value!r}: a SQL string cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"
