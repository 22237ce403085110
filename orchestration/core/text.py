"""Delivered text shown to people: a file name in an error can hold terminal escapes or a newline."""

from __future__ import annotations

import re


def printable(text: str) -> str:
    """`text` with its control characters shown escaped (`\\x1b`), newlines and tabs kept."""
    return "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in text)


def one_line(text: str, limit: int = 500) -> str:
    """The first lines of an error, up to `limit` characters, printable; a leading module path on the
    exception's name is dropped (`orchestration.quality.worker.GateError: x` -> `GateError: x`)."""
    text = re.sub(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.)+([A-Za-z_][A-Za-z0-9_]*: )", r"\1", text.strip())
    text = "\n".join(line for line in text.splitlines()[:3] if line.strip())
    return printable(text if len(text) <= limit else text[:limit] + " ...")
