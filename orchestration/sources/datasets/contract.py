"""What a dataset is: its file format, its tables and their typed columns, read from a sample file.

`infer(path)` reads a CSV or JSON file (`.gz` and single-file `.zip` too) with DuckDB and says what
it holds: for a CSV, the dialect DuckDB's sniffer finds (delimiter, quote, escape, header) and the
encoding; for JSON, an array or one record per line, its nested objects flattened into columns
(`address.city` becomes `address_city`), and each array of objects a child table of its own (the
parent's key, the element's ordinal, the element's fields). Each column's type is the narrowest of
BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ and VARCHAR that every value in the file has,
by `VALUE_TESTS`: the same tests `check(...)` runs on a later delivery to name what changed.

The contract is kept in the dataset's dbt source file (`meta.medallion_dataset`), so the one
reviewed file says both what dbt reads and what a delivery must look like. Column names as
delivered are data in that file and nowhere else: bronze columns are positional (`c001`, ...),
models use the snake_case names made here (`[a-z_][a-z0-9_]*` only), and the SQL that reads a
delivery binds names, paths and dialect as parameters.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

# The types a column can have, narrowest first, and how a value (text as delivered) shows it has one.
# Casting a value that passes its type's test gives the same value back (no rounding, no guessing).
# Years 0001-9999 and hours 00-23: DuckDB would also read year 0000 (as 1 BC) and hour 24 (the next day),
# which BigQuery's cast refuses; a column holding them stays text.
_DAY = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{{2}}|[1-9][0-9]{{3}})-[0-9]{{2}}-[0-9]{{2}}"
# At most six digits of a second (microseconds, what every target keeps), zeros after them aside (SQL
# Server's `.1230000`): `.1234567` stays text.
_TIME = "[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{{1,6}}0*)?)?"
# An offset of at most 14 hours (the widest any zone has) and 59 minutes: `+05:75` or `+99` is no offset.
_OFFSET = "(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)"
# No leading zero either; a whole number of more than 15 digits is no DOUBLE (a double would round it).
_WHOLE = "(0|[1-9][0-9]*)"
_NUMBER = f"[+-]?((0|[1-9][0-9]{{{{0,14}}}})|({_WHOLE}[.][0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?|{_WHOLE}[eE][+-]?[0-9]+)"


def _digits(number: str) -> str:
    """SQL: the significant digits of the number text `number` (sign, point, exponent and the zeros around its
    digits left out: `-0.0120e5` has `12`)."""
    return f"trim(replace(regexp_extract({number}, '^[+-]?([0-9.]*)', 1), '.', ''), '0')"


def exact_double(number: str) -> str:
    """SQL: whether the number text `number` is a double's exactly, as the double prints it back. Up to 15
    significant digits always are; more only when the double's shortest text has the same digits
    (`0.30000000000000004` is, `1.0000000000000001` reads as 1.0). That text has at most 17 digits, so a
    number of more never is."""
    digits = _digits(number)
    return f"(length({digits}) <= 15 or {digits} = {_digits(f'cast(try_cast({number} as double) as varchar)')})"


VALUE_TESTS: dict[str, str] = {
    # No leading zero: `007` or a ZIP code stays text (as a number it would lose its zeros). A plain number
    # of at most 18 digits fits a BIGINT: it passes without the cast (the check costs half the time).
    "BIGINT": (
        "case when regexp_full_match({v}, '-?(0|[1-9][0-9]{{0,17}})') then true else "
        "regexp_full_match(trim({v}), '[+-]?(0|[1-9][0-9]{{0,18}})') and try_cast(trim({v}) as bigint) is not null "
        "end"
    ),
    # A finite double, and zero only when the text is a zero: `1e400` would become inf, `1e-400` 0. The
    # double's own digits (`exact_double`): `0.10000000000000000001` or `1.0000000000000001` would become
    # 0.1 or 1.0. (The CASE runs the pattern on zeros only: a third of the check's time otherwise.) A plain
    # decimal with a non-zero first digit, at most 8 digits before the point and 7 after it (15 in all) is
    # all of that: it skips the rest (2.2 s -> 0.9 s on the loan book's 22 double columns).
    "DOUBLE": (
        "case when regexp_full_match({v}, '-?[1-9][0-9]{{0,7}}([.][0-9]{{1,7}})?') then true "
        f"else regexp_full_match(trim({{v}}), '{_NUMBER}') "
        # 16 characters hold at most 15 digits of a number the pattern takes (16 plain digits it does not). A
        # CASE, not an OR: DuckDB computes both sides of an OR for every value.
        f"and case when length({{v}}) <= 16 then true else {exact_double('trim({v})')} end "
        "and case when try_cast(trim({v}) as double) = 0 "
        "then not regexp_matches(trim({v}), '^[^eE]*[1-9]') else isfinite(try_cast(trim({v}) as double)) end end"
    ),
    "BOOLEAN": "lower(trim({v})) in ('true', 'false')",
    "DATE": f"regexp_full_match(trim({{v}}), '{_DAY}') and try_cast(trim({{v}}) as date) is not null",
    "TIMESTAMP": f"regexp_full_match(trim({{v}}), '{_DAY}{_TIME}') and try_cast(trim({{v}}) as timestamp) is not null",
    # The instant, not only the text, within years 0001-9999: `0001-01-01 00:30+05:00` is in year 0 in UTC,
    # which DuckDB stores and BigQuery refuses.
    "TIMESTAMPTZ": (
        f"regexp_full_match(trim({{v}}), '{_DAY}{_TIME}{_OFFSET}') and coalesce(try_cast(trim({{v}}) as timestamptz) "
        "between timestamptz '0001-01-01 00:00:00+00' and timestamptz '9999-12-31 23:59:59.999999+00', false)"
    ),
    "VARCHAR": "true",
}


def has_type(type_: str, value: str) -> str:
    """SQL that is true when the text `value` (an expression of ours) is a value of `type_`."""
    return "(" + VALUE_TESTS[type_].format(v=value) + ")"


def typed(type_: str, value: str) -> str:
    """SQL casting the text `value` to `type_` (exact for any value `has_type` accepts; the empty text is
    missing, `blank_is_missing`)."""
    if type_ == "VARCHAR":
        return value
    value = blank_is_missing(type_, value)
    if type_ == "BOOLEAN":
        return f"(lower(trim({value})) = 'true')"
    return f"cast(trim({value}) as {type_})"


TYPES = tuple(VALUE_TESTS)
# What a JSON value of each kind may become: a JSON string never becomes a number ("1804.10000" is an id,
# not 1804.1), a JSON number never becomes text.
JSON_CANDIDATES = {
    "VARCHAR": ("DATE", "TIMESTAMP", "TIMESTAMPTZ", "VARCHAR"),
    "NUMBER": ("BIGINT", "DOUBLE"),
    "BOOLEAN": ("BOOLEAN",),
    "OTHER": ("VARCHAR",),  # an array of values (kept as its JSON text), or only nulls
}
NUMERIC = ("BIGINT", "DOUBLE")
# Names the models give their lineage columns; a delivered column of the same name is renamed `<name>_value`.
LINEAGE_NAMES = ("delivery_id", "delivery_seq", "record_number", "ordinal", "dataset_row_rank")
MAX_PARTITION_BYTES = 255  # a partition folder's name, `<column>=<value escaped>` (a file name's most)
SAMPLE_ROWS = 1_000_000  # a column's type is read from at most this many rows (all of them for a delivery)
PROFILE_BATCH = 75  # columns profiled in one pass (as `dataset_profiles` in macros/datasets.sql does)
MAX_OBJECT_FIELDS = 100  # a nested JSON object of more fields is a map, kept as JSON text (`map_object`)
MAX_COLUMNS = 1000  # the most columns a JSON record (or an array's element) makes
SHAPE_BATCH = 10_000  # distinct JSON structures merged at a time (`_json_shape`)


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for reading a delivery, held to MEDALLION_DUCKDB_MEMORY like dbt's (beyond it, it
    spills to the system's temporary folder rather than take the machine's memory)."""
    from orchestration.settings import environment

    limit = environment(["MEDALLION_DUCKDB_MEMORY"])["MEDALLION_DUCKDB_MEMORY"] or "1GB"
    spill = Path(tempfile.gettempdir()) / "medallion-duckdb-spill"
    return duckdb.connect(config={"memory_limit": limit, "temp_directory": str(spill)})


class DatasetError(Exception):
    """A dataset file that cannot be read, or a delivery that does not match its dataset."""


class LayoutError(DatasetError):
    """A `--key` or `--partition-by` (`option`) the file cannot have: no such column, a type it cannot be, or
    rows without a key."""

    def __init__(self, option: str, value: str, problem: str) -> None:
        super().__init__(f"{option} {value}: {problem}")
        self.option, self.value = option, value


# What Python's gzip and zip readers raise on a damaged archive (cut short, a bad checksum, not one at all).
DAMAGED = (EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile)


def _damaged(name: str, path: Path, exc: Exception) -> DatasetError:
    with path.open("rb") as handle:
        zipped = isinstance(exc, zipfile.BadZipFile) or handle.read(2) == b"PK"
    return DatasetError(f"{name}: a damaged {'zip' if zipped else 'gzip'} file ({exc}); nothing was read from it")


def _short(exc: Exception) -> str:
    """DuckDB's error, without the whole offending line it may quote."""
    text = str(exc)
    return text if len(text) <= 400 else text[:400] + " ..."


@dataclass(frozen=True)
class Column:
    name: str  # as delivered: the CSV header, or the JSON pointer within the record (`/meta/year`)
    column: str  # snake_case, as the models name it
    type: str  # one of TYPES
    optional: bool = False  # a delivery may lack it (it was in earlier deliveries, not in the latest sample)
    # JSON only: the sample held values of several kinds here (an object in one record, text in another), so
    # the column keeps each value's JSON text, and a delivery holding only objects there still fits.
    mixed: bool = False
    # JSON only, for a text column: the kind of JSON value the sample held, `text` (strings) or `number`
    # (numbers no BIGINT or DOUBLE holds); a delivery with another kind there is refused (a number where
    # strings were would land as DuckDB writes it, `1.50` as `1.5`). Empty: any (contracts from before).
    kind: str = ""


@dataclass(frozen=True)
class Table:
    table: str  # snake_case: the dataset's name for the parent, `<dataset>__<array>` for a child
    array: str | None  # None for the parent; the JSON pointer of the array of objects for a child
    columns: list[Column]

    @property
    def bronze(self) -> str:
        return f"dataset_{self.table}"


@dataclass(frozen=True)
class Contract:
    dataset: str
    format: str  # csv | json
    # csv: delim, quote, escape, header, encoding; json: format (array | newline_delimited | unstructured)
    options: dict[str, Any]
    tables: list[Table]
    partition_by: str | None = None
    key: str | None = None
    sample_rows: int = 0
    # Per column of each table, what the sample showed: {table: {column: {nulls, distinct, min, max}}}.
    profile: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def parent(self) -> Table:
        return self.tables[0]

    def to_meta(self) -> dict[str, Any]:
        meta = asdict(self)
        meta.pop("profile")
        for table in meta["tables"]:  # `mixed` and `kind` only where they say something (older contracts lack them)
            for column in table["columns"]:
                if not column["mixed"]:
                    del column["mixed"]
                if not column["kind"] or column["type"] != "VARCHAR" or column.get("mixed"):
                    del column["kind"]
        return meta

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Contract:
        tables = [Table(t["table"], t["array"], [Column(**c) for c in t["columns"]]) for t in meta["tables"]]
        return cls(
            meta["dataset"],
            meta["format"],
            dict(meta["options"]),
            tables,
            meta.get("partition_by"),
            meta.get("key"),
            meta.get("sample_rows", 0),
        )


SNAKE_SAFE = re.compile(r"[a-z_][a-z0-9_]*")


def snake(name: str) -> str:
    """`Loan Amount ($)` -> `loan_amount`, `issueDate` -> `issue_date`; never empty, never a leading digit,
    at most 120 characters (BigQuery takes 300 in a column name; the rest leaves room for suffixes)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:120].rstrip("_")
    text = text or "column"
    return f"_{text}" if text[0].isdigit() else text


def dataset_name(name: str) -> str:
    """The name a user gives a dataset, as its tables and folders name it (refused when nothing is left)."""
    cleaned = snake(name)
    if not SNAKE_SAFE.fullmatch(cleaned) or len(cleaned) > 40:
        raise DatasetError(f"dataset name {name!r}: use letters, digits and _ (at most 40), e.g. credit_risk")
    return cleaned


# GoogleSQL's reserved keywords (BigQuery "Lexical structure and syntax", reserved keywords).
_GOOGLESQL_RESERVED = frozenset(
    {
        "all", "and", "any", "array", "as", "asc", "assert_rows_modified", "at", "between", "by", "case", "cast",
        "collate", "contains", "create", "cross", "cube", "current", "default", "define", "desc", "distinct", "else",
        "end", "enum", "escape", "except", "exclude", "exists", "extract", "false", "fetch", "following", "for",
        "from", "full", "group", "grouping", "groups", "hash", "having", "if", "ignore", "in", "inner", "intersect",
        "interval", "into", "is", "join", "lateral", "left", "like", "limit", "lookup", "merge", "natural", "new",
        "no", "not", "null", "nulls", "of", "on", "or", "order", "outer", "over", "partition", "preceding", "proto",
        "qualify", "range", "recursive", "respect", "right", "rollup", "rows", "select", "set", "some", "struct",
        "tablesample", "then", "to", "treat", "true", "unbounded", "union", "unnest", "using", "when", "where",
        "window", "with", "within",
    }
)  # fmt: skip


def _keywords() -> frozenset[str]:
    """Words SQL reserves (DuckDB's reserved and type/function keywords, a few more Trino reserves, and
    GoogleSQL's): a column named so would need quoting in every model, test and suite."""
    con = scratch()
    try:
        rows = con.execute(
            "select keyword_name from duckdb_keywords() where keyword_category in ('reserved', 'type_function')"
        ).fetchall()
    finally:
        con.close()
    # Trino's reserved words DuckDB does not reserve, and the functions BigQuery calls without parentheses
    # (a column of that name would read as the function).
    others = {"user", "current_date", "current_datetime", "current_time", "current_timestamp", "current_user",
              "extract", "exists"}  # fmt: skip
    return frozenset(r[0] for r in rows) | others | _GOOGLESQL_RESERVED


def column_names(names: list[str], reserved: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Delivered names as model columns: snake_case, never a reserved word, a lineage column's name or one of
    `reserved` (those get `_value`: a column `desc` is `desc_value`), and unique after all of it."""
    taken = _keywords() | set(LINEAGE_NAMES) | set(reserved)
    renamed = [f"{n}_value" if n in taken else n for n in (snake(name) for name in names)]
    return _unique(renamed, taken)


def _unique(names: list[str], taken: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """`names` made unique (`id`, `id_2`, ...), never one of `taken` nor a name an earlier one became."""
    used = set(taken)
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name}_{n}"
        used.add(candidate)
        out.append(candidate)
    return out


# ---- reading a file -------------------------------------------------------------------------------------


def _zip_members(archive: zipfile.ZipFile) -> list[str]:
    """The files of a zip, but folders and what macOS's Archive Utility adds beside a file (`__MACOSX/`, its
    resource forks; `.DS_Store`): a zip made there from one CSV holds two files."""
    return [
        m
        for m in archive.namelist()
        if not m.endswith("/") and not m.startswith("__MACOSX/") and Path(m).name != ".DS_Store"
    ]


def file_format(path: Path) -> tuple[str, str]:
    """(csv | json, compression: none | gzip | zip) from the file's name and first bytes."""
    with path.open("rb") as handle:
        head = handle.read(4)
    compression = "gzip" if head.startswith(b"\x1f\x8b") else "zip" if head.startswith(b"PK\x03\x04") else "none"
    name = path.name.lower()
    for suffix in (".gz", ".gzip", ".zip"):
        name = name.removesuffix(suffix)
    if compression == "zip":
        with zipfile.ZipFile(path) as archive:
            members = _zip_members(archive)
        if len(members) != 1:
            raise DatasetError(f"{path}: a .zip must hold exactly one file, not {len(members)}")
        name = members[0].lower()
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "json", compression
    if name.endswith((".csv", ".tsv", ".txt", ".psv")):
        return "csv", compression
    raise DatasetError(f"{path}: not a CSV (.csv, .tsv, .txt) or JSON (.json, .jsonl, .ndjson) file")


@contextmanager
def readable_file(path: Path) -> Iterator[Path]:
    """`path` as a file DuckDB reads: itself (DuckDB reads .gz), or a .zip's one member unpacked beside."""
    if file_format(path)[1] != "zip":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="medallion-zip-") as scratch, zipfile.ZipFile(path) as archive:
        member = _zip_members(archive)[0]
        target = Path(scratch) / ("member" + "".join(Path(member).suffixes[-1:]))
        with archive.open(member) as source, target.open("wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        yield target


def _compression(path: Path) -> str:
    """gzip or none, by the bytes, not the name: a gzip file named `.csv` is still gzip (what DuckDB is told)."""
    return "gzip" if file_format(path)[1] == "gzip" else "none"


def _head(path: Path, size: int = 1 << 20) -> bytes:
    """The first `size` bytes of the file's content (decompressed when it is gzip)."""
    opener = gzip.open if _compression(path) == "gzip" else open
    with opener(path, "rb") as handle:
        return handle.read(size)


def _is_empty(path: Path) -> bool:
    return not _head(path, 64).strip()


def _utf8_scan(path: Path) -> tuple[int | None, bool]:
    """(the first line, 1-based, that is not UTF-8, or None; whether any byte is beyond ASCII) over the whole
    file (decompressed when it is gzip), 16 MiB at a time. DuckDB checks the encoding of the columns a query
    reads only: a line in another encoding past the first megabyte landed and failed every build after."""
    opener = gzip.open if _compression(path) == "gzip" else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, beyond_ascii = 1, False
    with opener(path, "rb") as handle:
        while True:
            chunk = handle.read(1 << 24)
            if chunk and chunk.isascii() and not decoder.getstate()[0]:  # UTF-8 already: no decoding (3x faster)
                lines += chunk.count(b"\n")
                continue
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return lines + exc.object.count(b"\n", 0, exc.start), True
            if not chunk:
                return None, beyond_ascii
            lines += chunk.count(b"\n")
            beyond_ascii = beyond_ascii or not chunk.isascii()


def _first_line(path: Path, pattern: re.Pattern[bytes]) -> int | None:
    """The first line (1-based) of the file's bytes (decompressed when it is gzip) where `pattern` matches,
    read 16 MiB at a time; None when it matches nowhere."""
    opener = gzip.open if _compression(path) == "gzip" else open
    lines = 1
    with opener(path, "rb") as handle:
        while chunk := handle.read(1 << 24):
            if found := pattern.search(chunk):
                return lines + chunk.count(b"\n", 0, found.start())
            lines += chunk.count(b"\n")
    return None


# A byte of 0x80-0x9f, read as Latin-1: Windows-1252's €, curly quotes and dashes, which DuckDB's Latin-1 does
# not read ("File is not latin-1 encoded").
_C1_BYTE = re.compile(rb"[\x80-\x9f]")
# A Western letter (`é` is C3 A9; Latin-1's `Ã` before a symbol, which this would be there, is no word's), `œ`,
# `š` or `ž` (C5), or a curly quote, a dash or `€` (E2 80-82) in UTF-8: in a file that is not UTF-8 throughout,
# read as Latin-1, each would be two letters (`Ã©`). Latin-1's `É` before a no-break space (C9 A0) is UTF-8's
# form of a letter too, but of no Western one: it is left to be Latin-1.
_UTF8_LETTER = re.compile(rb"[\xc3\xc5][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]")


def _byte_order_mark(path: Path) -> bool:
    """Whether the file starts with UTF-16's or UTF-32's byte order mark."""
    return _head(path, 4).startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))


def _encoding(path: Path) -> str:
    """utf-8 when the whole file decodes as UTF-8, else latin-1 (what DuckDB's reader knows; any bytes are
    Latin-1). A UTF-16 or UTF-32 file (its byte order mark) is refused: DuckDB read one as a single column
    of garbage, or not at all."""
    if _byte_order_mark(path):
        raise DatasetError(f"{path.name}: the file is UTF-16 or UTF-32 (its first bytes say so); save it as UTF-8")
    bad_line = _utf8_scan(path)[0]
    if bad_line is None:
        return "utf-8"
    if (letter := _first_line(path, _UTF8_LETTER)) is not None:
        raise DatasetError(
            f"{path.name}: line {letter} is UTF-8 (a letter beyond ASCII written in it), line {bad_line} is not: "
            "deliver the whole file in one encoding"
        )
    if (line := _first_line(path, _C1_BYTE)) is not None:
        raise DatasetError(
            f"{path.name}: line {line} has a byte of 0x80-0x9f, Windows-1252 text (its €, curly quotes or dashes), "
            "which DuckDB's Latin-1 does not read; save the file as UTF-8"
        )
    return "latin-1"


def _encoding_fault(path: Path, encoding: str) -> str | None:
    """What in the whole file is not the dataset's `encoding`: for utf-8, the first line that is not UTF-8;
    for latin-1, a file that is all UTF-8 beyond ASCII, or has a letter written in UTF-8 (each would be
    read as two, `é` as `Ã©`), or Windows-1252's bytes. None when it fits."""
    if _byte_order_mark(path):
        return f"the file is UTF-16 or UTF-32 (its first bytes say so), the dataset {encoding}"
    bad_line, beyond_ascii = _utf8_scan(path)
    if encoding == "utf-8" and bad_line is not None:
        return f"line {bad_line} is not UTF-8, the dataset is utf-8 (deliver the whole file in one encoding)"
    if encoding == "latin-1" and bad_line is None and beyond_ascii:
        return "the file is utf-8, the dataset latin-1"
    if encoding == "latin-1" and bad_line is not None and (letter := _first_line(path, _UTF8_LETTER)) is not None:
        return (
            f"line {letter} is UTF-8 (a letter beyond ASCII written in it), the dataset latin-1: deliver the whole "
            "file in Latin-1"
        )
    if encoding == "latin-1" and bad_line is not None and (line := _first_line(path, _C1_BYTE)) is not None:
        return (
            f"line {line} has a byte of 0x80-0x9f, Windows-1252 text (its €, curly quotes or dashes), which DuckDB's "
            "Latin-1 does not read; deliver Latin-1 without them, or onboard the dataset again from the file saved "
            "as UTF-8"
        )
    return None


def csv_rows(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any], header: bool) -> Any:
    """Every row of a CSV as delivered text (first line included when `header` is False), in file order: the
    reader is parallel, and DuckDB keeps a single table's order through `row_number() over ()` while
    `preserve_insertion_order` is on (its default; duckdb.org/docs/2.0/sql/dialect/order_preservation).
    An empty field is null. A quoted empty one (`""`) is the empty text, as PostgreSQL's COPY reads it, in a
    dataset onboarded since that was so (`quoted_empty: text` in its options; a typed column takes it as
    missing: `blank_is_missing`); null in one onboarded before, whose models and bronze were made so."""
    return con.sql(
        "select * from read_csv($path, delim = $delim, quote = $quote, escape = $escape, header = $header, "
        "encoding = $encoding, compression = $compression, all_varchar = true, "
        "allow_quoted_nulls = $quoted_nulls, "
        # skip = 0: the header is the first line. Left to the sniffer, a ragged line made it skip the lines
        # before it and read a later row as the header.
        "null_padding = false, strict_mode = true, skip = 0, "
        # No comment lines: left to the sniffer, a `#` made it drop the lines starting with one and cut every
        # value at one (`issue #42 fixed` was `issue `). Every line of a CSV is a record.
        "comment = '', "
        # The raw zone's folders are named like Hive partitions (landed_date=...): not a column of the file.
        "hive_partitioning = false)",
        params={
            "path": str(path),
            "delim": options["delim"],
            "quote": options["quote"],
            "escape": options["escape"],
            "header": header,
            "encoding": options["encoding"],
            "compression": _compression(path),
            "quoted_nulls": options.get("quoted_empty", "null") != "text",
        },
    )


def blank_is_missing(type_: str, value: str) -> str:
    """SQL for a delivered text `value` as a column of `type_` reads it: the empty text (`""` in a CSV) is no
    number, date or boolean, so a typed column takes it as missing; a text column keeps it. (Bronze keeps it
    as delivered; the staging model's cast, `typed`, and the landing's check read it so.)"""
    return value if type_ == "VARCHAR" else f"nullif({value}, '')"


def csv_header(
    con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any], display: str | None = None
) -> list[str]:
    """The first line's fields; a file with a line of another number of fields is refused naming that line
    (`display` names the file as the user knows it)."""
    if _is_empty(path):
        raise DatasetError(f"{path}: the file is empty")
    try:
        first = csv_rows(con, path, options, header=False).limit(1).fetchall()
    except duckdb.Error as exc:
        problem = unreadable_line(path, options) or _dialect_fault(path, exc)
        if problem is None:
            raise
        raise DatasetError(f"{display or path.name}: {problem}") from None
    if not first:
        raise DatasetError(f"{path}: the file is empty")
    return [value if value is not None else "" for value in first[0]]


@contextmanager
def _csv_records(path: Path, options: dict[str, Any], strict: bool) -> Iterator[Any]:
    """Python's csv reader over `path` in the dialect of `options`, taking a field of any length (by default
    it refuses one over 128 KiB; DuckDB reads it). A .gz is read decompressed, as DuckDB reads it."""
    csv.field_size_limit(sys.maxsize)
    quote, escape = options["quote"], options["escape"]
    opener = gzip.open if _compression(path) == "gzip" else open
    with opener(path, "rt", newline="", encoding=options["encoding"], errors="replace") as file:
        yield csv.reader(
            file,
            delimiter=options["delim"],
            quotechar=quote or None,
            doublequote=escape == quote,
            escapechar=None if escape == quote else escape,
            strict=strict,
        )


def _first_fault(path: Path, options: dict[str, Any], quoting: bool) -> tuple[int, str, bool] | None:
    """The first line (1-based, as an editor counts) Python's reader finds wrong in the dialect of `options`:
    (the line, what it has wrong, whether that is its quoting). A record of another number of fields than the
    header is named by the line it starts on. With `quoting`, a quote out of place (a delivery escaping quotes
    as `\\"` where the dataset doubles them, `""`, or the other way round) or a quoted field never closed is
    a fault too; without it, a file this reader cannot read has none it can name (None)."""
    with _csv_records(path, options, strict=quoting) as reader:
        header: list[str] | None = None
        started = 1  # the line the record being read starts on
        try:
            for record in reader:
                if header is None:
                    header = record
                elif record and len(record) != len(header):
                    return started, f"has {len(record)} field(s), the header {len(header)}", False
                started = reader.line_num + 1
        except csv.Error as exc:
            if not quoting:
                return None
            if "unexpected end of data" in str(exc):  # a quote opened and never closed: name where it opened
                return started, "a quoted field never closed (the file ends inside it)", True
            return reader.line_num, f"a quote out of place ({exc})", True
    return None


def _dialect_fault(path: Path, exc: duckdb.Error) -> str | None:
    """For DuckDB's "no dialect found" (its sniffer's report), what the file has wrong when it is its line
    ends (`_mixed_line_ends`); None for any other error, or another cause."""
    return _mixed_line_ends(path) if "dialect" in str(exc) else None


def _mixed_line_ends(path: Path) -> str | None:
    """Lines ending both in CRLF and in LF, named by the first of each (DuckDB's strict reader, which names a
    ragged line, reads no such file, and its sniffer says only that it found no dialect). A line end inside
    a quoted field counts too: asked only once DuckDB could not read the file and nothing else was found."""
    text = _head(path, 1 << 26)
    first: bool | None = None  # whether the first line ends in CRLF
    quoted, line = False, 1
    for mark in re.finditer(rb'"|\r?\n', text):
        if mark.group() == b'"':
            quoted = not quoted  # a doubled quote inside a field turns it twice
            continue
        if quoted:  # a line end inside a quoted field (an Excel cell's): the field's, not the line's
            continue
        crlf = mark.group() == b"\r\n"
        if first is None:
            first = crlf
        elif crlf != first:
            kinds = ("CRLF", "LF") if first else ("LF", "CRLF")
            return f"line 1 ends in {kinds[0]}, line {line} in {kinds[1]}: save the file with one kind of line end"
        line += 1
    return None


def unreadable_line(path: Path, options: dict[str, Any]) -> str | None:
    """What the first line DuckDB could not read in the dialect of `options` has wrong, naming it
    (`_first_fault`), and for a quote how this dataset quotes. None when Python's reader finds nothing either."""
    quote, escape = options["quote"], options["escape"]
    fault = _first_fault(path, options, quoting=bool(quote))
    if fault is None:
        return None
    line, problem, quoting = fault
    if not quoting:
        return f"line {line} {problem}"
    written = quote * 2 if escape == quote else f"{escape}{quote}"
    dialect = f"in this dataset a field is quoted with {quote} and a quote inside one is written {written}"
    return f"line {line}: {problem}; {dialect}"


def _refuse_ragged(path: Path, options: dict[str, Any]) -> None:
    """DuckDB's sniffer reads a file with a line of too few or too many fields as one column (its delimiter
    being none of the header's): the user would see one column named by the whole header. When the header
    holds a usual delimiter the sniffer did not take, the first line whose number of fields differs is named."""
    first = _head(path).decode(options["encoding"], errors="replace").split("\n", 1)[0]
    if options["delim"] in first:
        return
    counts = {d: first.count(d) for d in (",", ";", "\t", "|") if d in first}
    for delim in sorted(counts, key=counts.__getitem__, reverse=True):
        fault = _first_fault(path, {**options, "delim": delim}, quoting=False)
        if fault is None:  # every line has the header's fields with this one: not a ragged file
            return
        line, problem, _ = fault
        raise DatasetError(
            f"{path}: line {line} {problem} (with {delim!r} between fields): every line of a CSV needs as many"
        )


def json_records(con: duckdb.DuckDBPyConnection, path: Path, options: dict[str, Any]) -> Any:
    """Every record of a JSON file as its JSON text, with its 1-based number, in file order."""
    return con.sql(
        "select json as record, row_number() over () as record_number "
        "from read_json_objects($path, format = $format, compression = $compression, hive_partitioning = false)",
        params={
            "path": str(path),
            "format": options["format"],
            "compression": _compression(path),
        },
    )


def long_json_number(con: duckdb.DuckDBPyConnection, records: str) -> tuple[int, int, str] | None:
    """A JSON number with a fraction or exponent that is no double's (the CSV's DOUBLE test: held exactly,
    finite, zero only when written as zero), in the records of `records` (`record`, `record_number`):
    DuckDB's JSON reader makes it a double before any test sees its text (`0.10000000000000000001` is read
    as 0.1, `1e-400` as 0). Returns (records with one, the first, its number), or None. Whole numbers are
    read as written, however long."""
    found = con.execute(
        # Only a record with 16 digits and points in a row (16 significant digits or more) or an exponent of
        # three digits can hold one; its tokens are its strings (skipped, escapes and all) and its numbers.
        "with tokens as (select record_number, unnest(regexp_extract_all(record, "
        """'"(?:[^"\\\\]|\\\\.)*"|-?[0-9][0-9.eE+-]*')) as token """
        f"from {records} where regexp_matches(record, '[0-9][0-9.]{{15}}|[eE][+-]?[0-9]{{3}}')) "
        "select count(distinct record_number), min(record_number), arg_min(token, record_number) from tokens "
        f"where regexp_matches(token, '^-?[0-9].*[.eE]') and not ({has_type('DOUBLE', 'token')})"
    ).fetchall()[0]
    return None if not found[0] else found


def _long_number_problem(records: int, first: int, number: str) -> str:
    return (
        f"{records:,} record(s) hold a number DuckDB's JSON reader would change, rounded to a double or beyond "
        f"its range (the first: record {first:,}, {number[:60]}); deliver such numbers as JSON strings to keep "
        "every digit"
    )


# ---- inferring a contract ---------------------------------------------------------------------------------


def _column_types(
    con: duckdb.DuckDBPyConnection, relation: str, candidates: list[tuple[str, ...]], blanks: bool = False
) -> list[str]:
    """For columns v1.. of `relation` (text), the narrowest of each column's candidate types that every
    non-null value has (VARCHAR when none is: text is every value's type, the last resort). With `blanks`
    (a CSV), an empty text is missing to a typed candidate (`blank_is_missing`)."""
    tried = [(i, t) for i, types in enumerate(candidates, start=1) for t in types if t != "VARCHAR"]
    if not tried:
        return ["VARCHAR"] * len(candidates)

    def value(i: int) -> str:
        return f"nullif(v{i}, '')" if blanks else f"v{i}"

    checks = ", ".join(
        f"count(*) filter (where {value(i)} is not null and not {has_type(t, value(i))})" for i, t in tried
    )
    present = ", ".join(f"count({value(i)})" for i in range(1, len(candidates) + 1))
    row = con.execute(f"select {present}, {checks} from {relation}").fetchall()[0]
    counts, misses_row = row[: len(candidates)], row[len(candidates) :]
    fits: dict[int, list[str]] = {}
    for (i, t), misses in zip(tried, misses_row, strict=True):
        if misses == 0 and counts[i - 1]:  # a column with no value in the sample is text: nothing says more
            fits.setdefault(i, []).append(t)
    return [next(iter(fits.get(i, [])), "VARCHAR") for i in range(1, len(candidates) + 1)]


def _profile(con: duckdb.DuckDBPyConnection, relation: str, columns: list[Column]) -> dict[str, dict[str, Any]]:
    """Rows, nulls, distinct values, min and max of each column of `relation` (columns v1.. as text), and the
    values of a text column with at most 12 of them: what a drafted suite expects."""
    if not columns:
        return {}
    values: list[Any] = []
    # A pass per PROFILE_BATCH columns: each exact distinct count holds a hash table of its own for the whole
    # pass (200 of them over 2,000 rows ran out of DuckDB's 1 GB limit).
    for first in range(1, len(columns) + 1, PROFILE_BATCH):
        parts = []
        for i, col in enumerate(columns[first - 1 : first - 1 + PROFILE_BATCH], start=first):
            value = typed(col.type, f"v{i}")
            parts.append(
                f"count(*) - count({value}), count(distinct {value}), min({value})::varchar, max({value})::varchar"
            )
        row = con.execute(f"select count(*), {', '.join(parts)} from {relation}").fetchall()[0]
        total = row[0]
        values += row[1:]
    out: dict[str, dict[str, Any]] = {}
    for i, col in enumerate(columns, start=1):
        nulls, distinct, low, high = values[(i - 1) * 4 : i * 4]
        out[col.column] = {"rows": total, "nulls": nulls, "distinct": distinct, "min": low, "max": high}
        if col.type == "VARCHAR" and 0 < distinct <= 12 and total >= 50:
            out[col.column]["values"] = [
                r[0]
                for r in con.sql(f"select distinct v{i} from {relation} where v{i} is not null order by 1").fetchall()
            ]
    return out


def _sniff_csv(con: duckdb.DuckDBPyConnection, path: Path, encoding: str) -> dict[str, Any]:
    try:
        sniffed = con.execute(
            "select Delimiter, Quote, Escape, HasHeader from sniff_csv($1, encoding = $2, compression = $3, "
            "comment = '')",
            [str(path), encoding, _compression(path)],
        ).fetchall()[0]
    except duckdb.Error as exc:
        raise DatasetError(f"{path}: not readable as CSV: {_dialect_fault(path, exc) or _short(exc)}") from None
    delim, quote, escape, has_header = sniffed
    quote = "" if quote in ("(empty)", "\0") else quote
    escape = "" if escape in ("(empty)", "\0") else escape
    if not has_header:
        # A line of more fields than the header made the sniffer see no header in a small file.
        _refuse_ragged(path, {"delim": "\0", "quote": '"', "escape": '"', "encoding": encoding})
        raise DatasetError(f"{path}: the first line is not a header (name the columns in a first line)")
    return {"delim": delim, "quote": quote or '"', "escape": escape or quote or '"', "header": True}


def _json_shape(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: dict[str, Any],
    every: bool = False,
    keep: frozenset[str] = frozenset(),
) -> Any:
    """The structure of the records (of the first SAMPLE_ROWS, or of `every` one), as DuckDB's
    json_group_structure gives it (fields in the order they first come), its maps (`map_object`) cut to their
    first fields but for the objects at the pointers of `keep` (a contract's objects, whose fields it lists).

    json_group_structure is json_structure(json_group_array(...)): one JSON array of every record, in memory
    (50,000 records of the papers example took over 1 GB). Here DuckDB gives each distinct structure once, as
    its text, in the order they first come (a file whose records nearly all differ, a map keyed by ids in
    each, is held as texts DuckDB spills to disk, not as one value), and they are merged here, SHAPE_BATCH
    read at a time, by json_structure's own rules (`_merge`). One difference: an array whose elements are all
    `{}` in one record, and objects with fields in another, is JSON text, not a table."""
    import json

    con.register("shape_records", json_records(con, path, options))
    shape: Any = "NULL"
    seen = False
    try:
        # With each structure, whether its record holds an empty object: only then can a JSON in a field be
        # `{}` (else it is a field named twice with values of two kinds, which stays JSON text).
        structures = con.execute(
            "select structure, empty from (select json_structure(record) as structure, "
            "regexp_matches(record, '[{]\\s*[}]') as empty, min(record_number) as first "
            "from (select record, record_number from shape_records limit $n) group by structure, empty) "
            "order by first",
            {"n": 2**62 if every else SAMPLE_ROWS},
        )
        while batch := structures.fetchmany(SHAPE_BATCH):
            seen = True
            for structure, empty in batch:
                shape = _merge(shape, _record_structure(json.loads(structure), empty=empty))
            shape = _pruned(shape, keep)
            if isinstance(shape, dict) and len(shape) > MAX_COLUMNS:
                raise DatasetError(
                    f"{path.name}: the records have over {MAX_COLUMNS:,} fields in all, more than a table takes: "
                    "when their names are ids or dates, deliver them inside an object (a map, kept as one column "
                    "of JSON text) or as an array of objects (a table of its own)"
                )
    except duckdb.Error as exc:
        if "maximum recursion depth" not in str(exc):
            raise
        raise DatasetError(
            f"{path.name}: a record nests arrays or objects over 128 levels deep, more than DuckDB's JSON functions "
            "read"
        ) from None
    if not seen:
        raise DatasetError(f"{path}: no records")
    if shape is _EMPTY:
        raise DatasetError(f"{path}: no record has a field")
    shape = _printed(shape)
    if not isinstance(shape, dict):
        found = con.execute(
            "select record_number, json_type(record) from shape_records where json_type(record) != 'OBJECT' "
            "order by record_number limit 1"
        ).fetchall()
        if not found:
            raise DatasetError(f"{path}: each record must be a JSON object")
        first, kind = found[0]
        kind = {"VARCHAR": "string", "UBIGINT": "number", "BIGINT": "number", "DOUBLE": "number"}.get(
            kind, kind.lower()
        )
        raise DatasetError(f"{path}: record {first:,} is a JSON {kind}; each record must be a JSON object")
    return shape


class _Empty:
    """`{}`, which json_structure names JSON, as it names two values of kinds that do not merge; merged with
    an object it is that object (and with nothing else, JSON)."""


_EMPTY = _Empty()
_WHOLE = frozenset({"UBIGINT", "BIGINT", "HUGEINT"})


def _record_structure(structure: Any, empty: bool, field: bool = True) -> Any:
    """One record's json_structure (parsed), a JSON in an object's field read as `{}` when the record holds an
    empty object (`empty`): within one record a field has one value, so only an empty object, or the field
    named twice with values of two kinds (which stays JSON), is JSON there. In an array, elements of two kinds
    are JSON too (and an array of only `{}` is read so)."""
    if isinstance(structure, dict):
        return {key: _record_structure(inner, empty) for key, inner in structure.items()}
    if isinstance(structure, list):
        return [_record_structure(structure[0], empty, field=False)]
    return _EMPTY if structure == "JSON" and field and empty else structure


def _merge(a: Any, b: Any) -> Any:
    """Two structures merged as json_structure merges them (`a` is changed): null gives way to anything, an
    object's fields are merged (new ones after, in the order they come), an array's elements are; UBIGINT
    and BIGINT make HUGEINT, a whole number and a DOUBLE make DOUBLE; any other two kinds make JSON."""
    if isinstance(a, str) and a == "NULL":
        return b
    if isinstance(b, str) and b == "NULL":
        return a
    if a is _EMPTY or b is _EMPTY:
        other = b if a is _EMPTY else a
        return other if isinstance(other, dict) or other is _EMPTY else "JSON"
    if isinstance(a, dict) and isinstance(b, dict):
        for key, inner in b.items():
            a[key] = _merge(a[key], inner) if key in a else inner
        return a
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0], b[0])]
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return a
        if a in _WHOLE and b in _WHOLE:
            return "HUGEINT"
        if {a, b} <= _WHOLE | {"DOUBLE"}:
            return "DOUBLE"
    return "JSON"


def _printed(structure: Any) -> Any:
    """`structure` as json_structure prints it (`{}` is JSON)."""
    if structure is _EMPTY:
        return "JSON"
    if isinstance(structure, dict):
        return {key: _printed(inner) for key, inner in structure.items()}
    if isinstance(structure, list):
        return [_printed(structure[0])]
    return structure


def _pruned(structure: Any, keep: frozenset[str], at: str = "", fields: bool = True) -> Any:
    """`structure` with each map (`map_object`) cut to its first MAX_OBJECT_FIELDS + 1 fields: still a map,
    and a map keyed by ids no longer grows with every record merged. A record's (or an array element's) own
    fields (`fields`) are never cut, nor an object at a pointer of `keep` (one the contract lists the fields
    of). Pointers are within the record, or within an array's element."""
    if isinstance(structure, dict):
        items = list(structure.items())
        if not fields and at not in keep and map_object(structure):
            items = items[: MAX_OBJECT_FIELDS + 1]
        return {key: _pruned(inner, keep, at + _pointer([key]), fields=False) for key, inner in items}
    if isinstance(structure, list):
        return [_pruned(structure[0], keep, "", fields=True)]
    return structure


def _slashes(pointer: str) -> list[int]:
    """Where each `/` of a JSON pointer is: cut there, the pointer of an object it is inside."""
    return [i for i, char in enumerate(pointer) if char == "/"]


def _pointer(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _leaves(
    shape: dict[str, Any], prefix: list[str], tables: bool = True, keep: frozenset[str] = frozenset()
) -> tuple[list[list[str]], list[list[str]]]:
    """(scalar paths, array-of-object paths) of an object's structure; nested objects are flattened, but for
    a map (`map_object`) not at a pointer of `keep` (an object a contract lists the fields of), a scalar (its
    JSON text). With `tables` False (inside an array's element), an array of objects is a scalar too: its
    JSON text."""
    scalars, arrays = [], []
    for key, value in shape.items():
        path = [*prefix, key]
        if map_object(value) and _pointer(path) not in keep:
            scalars.append(path)  # a map keyed by ids or dates: one column, its JSON text
        elif isinstance(value, dict):
            inner_scalars, inner_arrays = _leaves(value, path, tables, keep)
            scalars += inner_scalars
            arrays += inner_arrays
        elif tables and isinstance(value, list) and value and isinstance(value[0], dict):
            arrays.append(path)
        else:  # a scalar, or an array of scalars (kept as its JSON text)
            scalars.append(path)
    return scalars, arrays


def _json_kind(shape: dict[str, Any], path: list[str]) -> str:
    """What json_group_structure says the value at `path` is: VARCHAR, NUMBER, BOOLEAN or OTHER."""
    value: Any = shape
    for part in path:
        value = value[part]
    if value == "VARCHAR":
        return "VARCHAR"
    if value in ("UBIGINT", "BIGINT", "DOUBLE", "HUGEINT", "UHUGEINT"):
        return "NUMBER"
    if value == "BOOLEAN":
        return "BOOLEAN"
    return "OTHER"


def map_object(value: Any) -> bool:
    """Whether a structure is an object of over MAX_OBJECT_FIELDS fields across the records: a map keyed by
    ids or dates (`{"votes": {"u123": 1, ...}}`), not a record's fields. It is one column of its JSON text
    (`Column.mixed`: a delivery with few of its keys, expanded into fields, still fits), not a column per
    key: a column per id made onboarding run for minutes and the table grow with every delivery."""
    return isinstance(value, dict) and len(value) > MAX_OBJECT_FIELDS


def _map_columns(shape: dict[str, Any], paths: list[list[str]], columns: list[Column]) -> set[str]:
    """The columns of a table that are maps (`map_object`)."""
    return {c.column for p, c in zip(paths, columns, strict=True) if map_object(_value_at(shape, p))}


def _table_columns(paths: list[list[str]], reserved: set[str], shape: dict[str, Any]) -> list[Column]:
    names = column_names(["_".join(p) for p in paths], reserved)
    return [
        Column(
            _pointer(p),
            n,
            "VARCHAR",
            mixed=_value_at(shape, p) in ("JSON", ["JSON"]) or map_object(_value_at(shape, p)),
            kind={"VARCHAR": "text", "NUMBER": "number"}.get(_json_kind(shape, p), ""),
        )
        for p, n in zip(paths, names, strict=True)
    ]


def infer(
    path: Path, dataset: str, partition_by: str | None = None, key: str | None = None, quoted_empty: str = "text"
) -> Contract:
    """The contract a dataset would have if `path` were its first delivery (a CSV's `""` read as
    `quoted_empty` says: `text`, or `null` for a dataset onboarded before that was the way; see `csv_rows`)."""
    try:
        return _infer(path, dataset, partition_by, key, quoted_empty)
    except DAMAGED as exc:
        raise _damaged(path.name, path, exc) from None


def _infer(path: Path, dataset: str, partition_by: str | None, key: str | None, quoted_empty: str) -> Contract:
    name = dataset_name(dataset)
    kind, _ = file_format(path)
    with readable_file(path) as readable:
        if _is_empty(readable):
            raise DatasetError(f"{path}: the file is empty")
    maps: dict[str, set[str]] = {}  # per JSON table, its columns that are maps
    con = scratch()
    try:
        with readable_file(path) as readable:
            if kind == "csv":
                encoding = _encoding(readable)
                options = {**_sniff_csv(con, readable, encoding), "encoding": encoding, "quoted_empty": quoted_empty}
                _refuse_ragged(readable, options)
                header = csv_header(con, readable, options)
                if len(set(header)) != len(header) or any(h == "" for h in header):
                    raise DatasetError(f"{path}: the header has empty or repeated column names: {header}")
                columns = [Column(h, n, "VARCHAR") for h, n in zip(header, column_names(header), strict=True)]
                rows = csv_rows(con, readable, options, header=True)
                con.register(
                    "sample",
                    rows.limit(SAMPLE_ROWS).project(", ".join(f"#{i} as v{i}" for i in range(1, len(columns) + 1))),
                )
                tables = [Table(name, None, columns)]
                samples = {name: "sample"}
                candidates = {name: [TYPES] * len(columns)}
            else:
                options = {"format": "auto"}
                options["format"] = _json_layout(con, readable)
                shape = _json_shape(con, readable, options)
                scalars, arrays = _leaves(shape, [])
                reserved = {*LINEAGE_NAMES, *([f"parent_{snake(key)}"] if key else [])}
                tables = [Table(name, None, _table_columns(scalars, reserved, shape))]
                maps[name] = _map_columns(shape, scalars, tables[0].columns)
                candidates = {name: [JSON_CANDIDATES[_json_kind(shape, p)] for p in scalars]}
                samples = {}
                records = json_records(con, readable, options).limit(SAMPLE_ROWS)
                con.register("records", records)
                if long := long_json_number(con, "records"):
                    raise DatasetError(f"{path.name}: {_long_number_problem(*long)}")
                _register_json_sample(con, "sample_0", "records", tables[0].columns)
                samples[name] = "sample_0"
                # `b.c` and `b_c` would both be `<name>__b_c`: each array gets a table name of its own.
                child_names = _unique([f"{name}__{snake('_'.join(array))}" for array in arrays], {name})
                for i, (array, child_name) in enumerate(zip(arrays, child_names, strict=True), start=1):
                    element = _shape_at(shape, array)
                    child_scalars, _ = _leaves(element, [], tables=False)
                    child = Table(child_name, _pointer(array), _table_columns(child_scalars, reserved, element))
                    tables.append(child)
                    maps[child.table] = _map_columns(element, child_scalars, child.columns)
                    candidates[child.table] = [JSON_CANDIDATES[_json_kind(element, p)] for p in child_scalars]
                    con.register(f"elements_{i}", elements(con, "records", child.array))
                    _register_json_sample(con, f"sample_{i}", f"elements_{i}", child.columns, source_column="element")
                    samples[child.table] = f"sample_{i}"
                for table in tables:
                    if len(table.columns) > MAX_COLUMNS:
                        raise DatasetError(
                            f"{path.name}: the {'records' if table.array is None else table.array + ' elements'} "
                            f"have {len(table.columns):,} fields in all, more than the {MAX_COLUMNS:,} columns a "
                            "table takes: when their names are ids or dates, deliver them inside an object (a map, "
                            "kept as one column of JSON text) or as an array of objects (a table of its own)"
                        )
            typed_tables, profile = [], {}
            for table in tables:
                types = _column_types(con, samples[table.table], candidates[table.table], blanks=kind == "csv")
                cols = [replace(c, type=t) for c, t in zip(table.columns, types, strict=True)]
                profile[table.table] = _profile(con, samples[table.table], cols)
                for column in maps.get(table.table, set()):
                    profile[table.table][column]["map"] = True
                if kind == "json":  # a field some records of the sample lack (or hold null) may be in none
                    cols = [replace(c, optional=bool(profile[table.table][c.column]["nulls"])) for c in cols]
                typed_tables.append(Table(table.table, table.array, cols))
            sample_rows = con.execute(f"select count(*) from {samples[name]}").fetchall()[0][0]
            # A CSV's `""` key is no key either: a typed key's profile counts it as missing already, a text
            # key keeps it as the empty text.
            keyed = [
                i
                for i, c in enumerate(typed_tables[0].columns, 1)
                if c.column == key and c.type == "VARCHAR" and kind == "csv"
            ]
            blank_keys = sum(
                con.execute(f"select count(*) from {samples[name]} where v{i} = ''").fetchall()[0][0] for i in keyed
            )
    except duckdb.Error as exc:
        raise DatasetError(f"{path}: could not be read: {_short(exc)}") from None
    finally:
        con.close()
    parent_columns = {c.column for c in typed_tables[0].columns}
    for option, value in (("--partition-by", partition_by), ("--key", key)):
        if value is not None and value not in parent_columns:
            raise LayoutError(
                option, value, f"no such column in {path.name}; its columns are {', '.join(sorted(parent_columns))}"
            )
    check_layout(typed_tables[0], partition_by, key)
    if key is not None and (missing := profile[name][key]["nulls"] + blank_keys):
        raise LayoutError("--key", key, f"{missing} rows of {path.name} have no {key}")
    return Contract(name, kind, options, typed_tables, partition_by, key, sample_rows, profile)


def check_layout(parent: Table, partition_by: str | None, key: str | None) -> None:
    """Refuse a partition column or key of a type it cannot be (also after onboarding again widened a type)."""
    types = {c.column: c.type for c in parent.columns}
    if partition_by is not None and types[partition_by] not in ("DATE", "BIGINT", "VARCHAR"):
        raise LayoutError(
            "--partition-by",
            partition_by,
            f"a {types[partition_by]} column; partition by a DATE, BIGINT or text column (a folder name reads back "
            "as one of those)",
        )
    if key is not None and types[key] == "DOUBLE":
        raise LayoutError(
            "--key",
            key,
            "a DOUBLE column; a key is a whole number, a date, a timestamp or text (equal doubles are not always "
            "the same number, and BigQuery cannot partition rows by one)",
        )


def _json_layout(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """array (one JSON array of records), newline_delimited (a record per line) or unstructured (records one
    after another, each over lines as a pretty-printed one is; DuckDB reported a whole line-per-record file
    as malformed at its second line)."""
    import json

    head = _head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "array"
    if head.startswith(b"{"):
        first, newline, _ = head.partition(b"\n")
        try:
            whole = newline and isinstance(json.loads(first), dict)
        except ValueError:
            whole = False
        return "newline_delimited" if whole else "unstructured"
    raise DatasetError(f"{path}: JSON must be an array of records, or records one after another")


def _value_at(shape: dict[str, Any], path: list[str]) -> Any:
    """What json_group_structure says of the value at `path` (a type name, an object, an array)."""
    value: Any = shape
    for part in path:
        value = value[part]
    return value


def _only_null(value: Any) -> bool:
    """A field that held only null, or only empty arrays (or arrays of nulls), in every record."""
    return value == "NULL" or (isinstance(value, list) and all(v == "NULL" for v in value))


def _delivered_as(column: Column, found: dict[str, Any]) -> bool:
    """Whether a contract column the delivery has no leaf for is there all the same: inside an object that was
    null in every record (its fields are null), or, for a column of mixed kinds (`Column.mixed`, kept as JSON
    text), as an object."""
    return any(column.name.startswith(f + "/") and _only_null(v) for f, v in found.items()) or (
        column.mixed and any(f.startswith(column.name + "/") for f in found)
    )


def _known(pointer: str, value: Any, columns: list[Column], arrays: list[str]) -> bool:
    """Whether a delivered leaf is one the contract knows: a column, a field inside a column of mixed kinds
    (its JSON text), or a null (or empty array) where the contract has an object's fields or an array of
    objects (`arrays`: a table of its own)."""
    names = [c.name for c in columns]
    return (
        pointer in names
        or any(c.mixed and pointer.startswith(c.name + "/") for c in columns)
        or (_only_null(value) and (pointer in arrays or any(n.startswith(pointer + "/") for n in names)))
    )


def _shape_at(shape: dict[str, Any], path: list[str]) -> dict[str, Any]:
    value: Any = shape
    for part in path:
        value = value[part]
    return value[0]


def elements(con: duckdb.DuckDBPyConnection, records: str, array: str, key: str | None = None) -> Any:
    """The elements of the array at JSON pointer `array` of each record: (record_number, parent_key, ordinal,
    element), `parent_key` being the record's value at the JSON pointer `key` (null without one). A null
    element holds no field: it is no row (the ordinals of the others keep their places)."""
    return con.sql(
        f"select record_number, json_extract_string(record, $key) as parent_key, ordinality as ordinal, element "
        f"from {records}, "
        "unnest(coalesce(try_cast(json_extract(record, $array) as json[]), [])) with ordinality as e(element) "
        "where element is not null",
        params={"array": array, "key": key or "/\u0000no key"},
    )


def key_pointer(contract: Contract) -> str | None:
    """The JSON pointer of the parent's `--key` column (None without a key)."""
    return next((c.name for c in contract.parent.columns if c.column == contract.key), None)


def _register_json_sample(
    con: duckdb.DuckDBPyConnection, name: str, relation: str, columns: list[Column], source_column: str = "record"
) -> None:
    values = con.sql(
        f"select json_extract_string({source_column}, $paths::varchar[]) as vs from {relation}",
        params={"paths": [c.name for c in columns]},
    )
    con.register(f"{name}_values", values)
    projection = ", ".join(f"vs[{i}] as v{i}" for i in range(1, len(columns) + 1)) or "1 as v0"
    con.register(name, con.sql(f"select {projection} from {name}_values"))


# ---- a later delivery against the contract ---------------------------------------------------------------


@dataclass
class Drift:
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)  # "name: TYPE expected, 3 values are not (e.g. 'x')"
    # What onboarding again cannot answer: values of the right type a target cannot hold, rows without the
    # key, a file of another format.
    unfit: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the delivery holds that a user should know; no refusal

    def __bool__(self) -> bool:
        return bool(self.added or self.missing or self.retyped or self.unfit)

    @property
    def changed_shape(self) -> bool:
        """Whether the dataset's shape changed (onboarding the file again would take it)."""
        return bool(self.added or self.missing or self.retyped)

    def lines(self) -> list[str]:
        out = []
        if self.added:
            out.append(f"added: {', '.join(_shown(name) for name in self.added)}")
        if self.missing:
            out.append(f"missing: {', '.join(_shown(name) for name in self.missing)}")
        out += [f"retyped: {r}" for r in self.retyped]
        out += self.unfit
        return out


def _shown(name: str) -> str:
    """A column's name in a message: quoted when a space at an end, a comma or a control character would
    hide what it is (`name ` added and `name` missing read the same)."""
    if not name:
        return "(a column with no name)"
    if name != name.strip() or "," in name or not name.isprintable():
        return repr(name)
    return name


def bronze_name(index: int) -> str:
    """The bronze column of a table's `index`-th column (1-based): `c001`."""
    return f"c{index:03d}"


def delivered(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, as_typed: bool = False) -> dict[str, Any]:
    """Each table of a delivery (a readable file) as a relation of text columns `c001`.. in the contract's
    order, with `record_number` (the CSV row or JSON record, 1-based) and, for a child table, `ordinal`.
    A column the delivery lacks is null. Values are as delivered; `as_typed` makes a CSV's empty text null in
    a typed column, as the models read it (`blank_is_missing`). Names and paths are bound, never written into
    the SQL."""
    if contract.format == "csv":
        header = csv_header(con, path, contract.options)
        position = {name: i for i, name in enumerate(header, start=1)}
        rows = csv_rows(con, path, contract.options, header=True)
        con.register("delivered_rows", rows)
        numbered = con.sql("select row_number() over () as record_number, * from delivered_rows")
        con.register("delivered_numbered", numbered)
        # `#n` is the n-th column of delivered_numbered: record_number, then the file's columns.
        projection = "".join(
            (
                f", {blank_is_missing(c.type if as_typed else 'VARCHAR', f'#{position[c.name] + 1}')}"
                if c.name in position
                else ", null::varchar"
            )
            + f" as {bronze_name(i)}"
            for i, c in enumerate(contract.parent.columns, start=1)
        )
        return {contract.parent.table: con.sql(f"select record_number{projection} from delivered_numbered")}
    records = json_records(con, path, contract.options)
    con.register("delivered_records", records)
    out = {}
    for table in contract.tables:
        if table.array is None:
            source, column, keys = "delivered_records", "record", "record_number"
        else:
            con.register(
                f"delivered_{table.table}", elements(con, "delivered_records", table.array, key_pointer(contract))
            )
            source, column, keys = f"delivered_{table.table}", "element", "record_number, parent_key, ordinal"
        values = con.sql(
            f"select {keys}, json_extract_string({column}, $paths::varchar[]) as vs from {source}",
            params={"paths": [c.name for c in table.columns]},
        )
        con.register(f"delivered_{table.table}_values", values)
        projection = "".join(f", vs[{i}] as {bronze_name(i)}" for i in range(1, len(table.columns) + 1))
        out[table.table] = con.sql(f"select {keys}{projection} from delivered_{table.table}_values")
    return out


def check(contract: Contract, path: Path, display: str | None = None) -> tuple[Drift, int]:
    """How a delivery differs from its dataset's contract (columns added or missing, columns whose values are
    no longer all of the contract's type), and its rows. `path` is the delivery as landed (.gz and .zip are
    read); `display` names it in messages."""
    try:
        return _check(contract, path, display or path.name)
    except DAMAGED as exc:
        raise _damaged(display or path.name, path, exc) from None


def _check(contract: Contract, path: Path, display: str) -> tuple[Drift, int]:
    drift = Drift()
    con = scratch()
    try:
        with readable_file(path) as readable:
            kind = file_format(path)[0]
            if kind != contract.format:
                drift.unfit.append(
                    f"the file is {kind}, the dataset is {contract.format} (a {kind} file needs a dataset of its own)"
                )
                return drift, 0
            if kind == "csv":
                if fault := _encoding_fault(readable, contract.options["encoding"]):
                    drift.retyped.append(fault)
                    return drift, 0
                header = csv_header(con, readable, contract.options, display)
                expected = [c.name for c in contract.parent.columns]
                repeated = sorted({h for h in header if header.count(h) > 1})
                if repeated:
                    drift.retyped.append(f"the header names {', '.join(map(repr, repeated))} more than once")
                    return drift, 0
                drift.added += [h for h in header if h not in expected]
                required = [c.name for c in contract.parent.columns if not c.optional]
                drift.missing += [e for e in required if e not in header]
            else:
                # The objects the contract lists the fields of: never a map, however many fields they have.
                keep = frozenset(
                    c.name[:cut] for t in contract.tables for c in t.columns for cut in _slashes(c.name) if cut
                )
                shape = _json_shape(con, readable, contract.options, every=True, keep=keep)
                scalars, arrays = _leaves(shape, [], keep=keep)
                have = {_pointer(p): _value_at(shape, p) for p in scalars}
                have_arrays = {_pointer(a): a for a in arrays}
                known_arrays = {t.array for t in contract.tables}
                # A table's array delivered as an object or a value: its kind changed (said once, not as its
                # fields added to the parent and missing from the table).
                reshaped = {
                    t.array: [f for f in have if f == t.array or f.startswith(t.array + "/")]
                    for t in contract.tables
                    if t.array is not None and t.array not in have_arrays and not _only_null(have.get(t.array))
                }
                reshaped = {array: leaves for array, leaves in reshaped.items() if leaves}
                for table in contract.tables:
                    if table.array is None:
                        found = {f: v for f, v in have.items() if not any(f in ls for ls in reshaped.values())}
                    elif table.array in reshaped:
                        delivered_as = have.get(table.array)
                        what = (
                            "an object"
                            if reshaped[table.array] != [table.array]
                            else "an array of other values, or of empty objects"
                            if isinstance(delivered_as, list)
                            else "a value"
                        )
                        drift.retyped.append(
                            f"{table.array}: an array of objects expected (the table {table.table}), the file has "
                            f"{what} there"
                        )
                        continue
                    elif table.array in have_arrays:
                        element = _shape_at(shape, have_arrays[table.array])
                        found = {
                            _pointer(p): _value_at(element, p) for p in _leaves(element, [], tables=False, keep=keep)[0]
                        }
                    elif _only_null(have.get(table.array)):  # no record has an element: nothing to compare
                        continue
                    else:
                        found = {}
                    # The parent's arrays of objects are tables of their own (an array inside an element is text).
                    inside = [a for a in known_arrays if a] if table.array is None else []
                    prefix = "" if table.array is None else table.array
                    # A column of JSON text (`mixed`) takes an array of objects too (the sample had other kinds).
                    as_text = set(have_arrays) if table.array is None else set()
                    drift.missing += [
                        prefix + c.name
                        for c in table.columns
                        if c.name not in found
                        and not c.optional
                        and not _delivered_as(c, found)
                        and not (c.mixed and c.name in as_text)
                    ]
                    drift.added += sorted(
                        prefix + name for name in found if not _known(name, found[name], table.columns, inside)
                    )
                mixed = {c.name for c in contract.parent.columns if c.mixed}
                texts = {c.name for c in contract.parent.columns if not c.mixed}  # an array of values among them
                drift.added += sorted(a for a in have_arrays if a not in known_arrays | mixed | texts)
                for array in sorted(a for a in have_arrays if a in texts):
                    if array in drift.missing:  # not when the column is optional
                        drift.missing.remove(array)
                    drift.retyped.append(
                        f"{array}: values expected (an array of them kept as its JSON text), the file has an array "
                        "of objects there"
                    )
                con.register("checked_records", json_records(con, readable, contract.options))
                if long := long_json_number(con, "checked_records"):
                    drift.unfit.append(_long_number_problem(*long))
                if reshaped or drift.retyped:
                    return drift, 0
            if drift.added or drift.missing:
                return drift, 0
            relations = delivered(con, contract, readable, as_typed=True)
            rows = 0
            for table in contract.tables:
                columns = [(bronze_name(i), c) for i, c in enumerate(table.columns, start=1) if c.type != "VARCHAR"]
                con.register("checked", relations[table.table])
                # One pass per table: each column's wrong-typed values counted, the key's nulls. (A second pass
                # finds an example of each wrong type only when there is one: asking for it in the first costs
                # every delivery a third of the check.)
                key = next((i for i, c in enumerate(table.columns, 1) if c.column == contract.key), None)
                keyed = table.array is None and key is not None
                nulls = "0, 0"
                if keyed:  # a CSV's `""` key is no key either (a text key keeps it as the empty text)
                    key_value = f"nullif({bronze_name(key)}, '')" if contract.format == "csv" else bronze_name(key)
                    # The key as the models compare it (`" 1"` and `1` are one BIGINT): a key delivered twice.
                    kind = table.columns[key - 1].type
                    same = key_value if kind == "VARCHAR" else f"try_cast(trim({key_value}) as {kind})"
                    nulls = f"count(*) filter (where {key_value} is null), count({same}) - count(distinct {same})"
                parts = "".join(
                    f", count(*) filter (where {b} is not null and not {has_type(c.type, b)})" for b, c in columns
                )
                # A partition value names a folder, `<column>=<value>` (a file name holds at most 255 bytes): a
                # longer one would fail every later build of the processed zone. DuckDB escapes each byte of
                # the value but letters, digits and `-._~` as `%XX`: three bytes (`a b` is `a%20b`, `é` six).
                part = next((i for i, c in enumerate(table.columns, 1) if c.column == contract.partition_by), None)
                partitioned = table.array is None and part is not None
                if partitioned:
                    value, most = bronze_name(part), MAX_PARTITION_BYTES - len(f"{contract.partition_by}=")
                    escaped = f"strlen({value}) + 2 * strlen(regexp_replace({value}, '[A-Za-z0-9._~-]', '', 'g'))"
                    # Escaped, a value is at most three times as long: only a longer one is measured.
                    long_values = (
                        f"where case when strlen({value}) * 3 <= {most} then false else {escaped} > {most} end"
                    )
                    parts += f", count(*) filter ({long_values}), min({value}) filter ({long_values})"
                row = con.execute(f"select count(*), {nulls}{parts} from checked").fetchall()[0]
                if partitioned and row[-2]:
                    drift.unfit.append(
                        f"{table.columns[part - 1].name}: {row[-2]:,} value(s) too long to name a partition folder "
                        f"(over {most} bytes, each byte but letters, digits and -._~ written as three; e.g. "
                        f"{row[-1][:40]!r}...)"
                    )
                if table.array is None:
                    rows = row[0]
                    if row[1]:  # which row, asked only now: `record_number` costs the check a window over the file
                        first = con.execute(
                            f"select min(record_number) from checked where {key_value} is null"
                        ).fetchall()[0][0]
                        where = "row" if contract.format == "csv" else "record"
                        drift.unfit.append(
                            f"{table.columns[key - 1].name}: the key, missing in {row[1]:,} {where}(s) "
                            f"(the first: {where} {first:,})"
                        )
                    if row[2]:  # not refused (a file may carry a key's updates in order), said
                        example = con.execute(
                            # The smallest, so that a file always gets the same example (groups come in any
                            # order).
                            f"select min({key_value}) from checked where {same} is not null group by {same} "
                            "having count(*) > 1 order by 1 limit 1"
                        ).fetchall()
                        shown = f" (e.g. {example[0][0]!r})" if example else ""
                        drift.notes.append(
                            f"{table.columns[key - 1].name}: {row[2]:,} row(s) repeat a key an earlier row of this "
                            f"file has{shown}; the last row of each key is the one kept"
                        )
                wrong = [(b, col, row[3 + i]) for i, (b, col) in enumerate(columns) if row[3 + i]]
                if wrong:
                    examples = con.execute(
                        "select "
                        + ", ".join(
                            f"min({b}) filter (where {b} is not null and not {has_type(c.type, b)})"
                            for b, c, _ in wrong
                        )
                        + " from checked"
                    ).fetchall()[0]
                    where = "" if table.array is None else f"{table.array} "
                    for (_, col, bad), example in zip(wrong, examples, strict=True):
                        drift.retyped.append(
                            f"{where}{col.name}: {col.type} expected, {bad:,} value(s) are not (e.g. {example!r})"
                        )
            if contract.format == "json":
                drift.retyped += _json_kinds(con, contract)
    except duckdb.Error as exc:
        problem = None
        if contract.format == "csv":
            with readable_file(path) as readable:
                problem = unreadable_line(readable, contract.options) or _dialect_fault(readable, exc)
        if problem is not None:
            raise DatasetError(f"{display}: {problem}") from None
        raise DatasetError(f"{display}: could not be read as this dataset's {contract.format}: {_short(exc)}") from None
    finally:
        con.close()
    return drift, rows


# The JSON kinds (DuckDB's json_type) a typed column's values may have: what onboarding infers each type
# from (JSON_CANDIDATES), and null. A JSON string "1804.10000" is text, even where its text reads as a number.
_JSON_KINDS = {
    "BIGINT": ("BIGINT", "UBIGINT"),
    "DOUBLE": ("BIGINT", "UBIGINT", "DOUBLE"),
    "BOOLEAN": ("BOOLEAN",),
    "DATE": ("VARCHAR",),
    "TIMESTAMP": ("VARCHAR",),
    "TIMESTAMPTZ": ("VARCHAR",),
}


def _json_kinds_of(column: Column) -> tuple[str, ...]:
    """The JSON kinds (json_type) a column's values may have, null aside."""
    if column.type == "VARCHAR":
        return ("VARCHAR",) if column.kind == "text" else ("UBIGINT", "BIGINT", "DOUBLE")
    return _JSON_KINDS[column.type]


def _json_kinds(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    """Each typed column of a JSON delivery, and each text column whose contract says which kind it holds,
    holding values of another JSON kind, counted, with one shown. One pass reads the kinds only (the values
    of a text column of 3,000-character strings, read alongside, took over 128 MB); the examples are read
    only for a column that has such values. Reads the relations `delivered` registered; paths are bound."""
    found = []
    for table in contract.tables:
        source, column = (
            ("delivered_records", "record") if table.array is None else (f"delivered_{table.table}", "element")
        )
        checked = [
            c for c in table.columns if c.type in _JSON_KINDS or (c.type == "VARCHAR" and c.kind and not c.mixed)
        ]
        if not checked:
            continue
        con.register(
            "kinds",
            con.sql(
                f"select json_type({column}, $paths::varchar[]) as k, {column} as value from {source}",
                params={"paths": [c.name for c in checked]},
            ),
        )
        other = [
            f"k[{j}] not in ({', '.join(repr(kind) for kind in (*_json_kinds_of(c), 'NULL'))})"
            for j, c in enumerate(checked, start=1)
        ]
        counts = con.execute(
            f"select {', '.join(f'count(*) filter (where {o})' for o in other)} from kinds"
        ).fetchall()[0]
        for j, (col, bad) in enumerate(zip(checked, counts, strict=True), start=1):
            if not bad:
                continue
            example = con.execute(
                f"select min(json_extract(value, $path)::varchar) from kinds where {other[j - 1]}", {"path": col.name}
            ).fetchall()[0][0]
            where = "" if table.array is None else f"{table.array} "
            expected = col.type if col.type != "VARCHAR" else f"JSON {'strings' if col.kind == 'text' else 'numbers'}"
            found.append(f"{where}{col.name}: {expected} expected, {bad:,} value(s) are JSON of another kind "
                         f"(e.g. {example})")  # fmt: skip
    return found


def _wider(old: str, new: str) -> str:
    """The type both an earlier and a later sample's values have."""
    if old == new:
        return old
    return "DOUBLE" if {old, new} == {"BIGINT", "DOUBLE"} else "VARCHAR"


def evolve(previous: Contract, found: Contract) -> Contract:
    """`found` (a dataset onboarded again) made to read what bronze already holds: every earlier column keeps
    its place (bronze columns are numbered by it) and becomes optional when the new sample lacks it; a new
    column comes after them; a column whose values changed type takes a type both have (BIGINT and DOUBLE:
    DOUBLE; otherwise text); an earlier table the sample lacks stays, every column optional."""
    new_tables = {t.table: t for t in found.tables}
    tables = []
    for old in previous.tables:
        fresh = new_tables.pop(old.table, None)
        fresh_columns = {c.name: c for c in (fresh.columns if fresh else [])}
        columns = []
        for col in old.columns:
            now = fresh_columns.pop(col.name, None)
            if now is None:
                columns.append(replace(col, optional=True))
            else:
                # Text one time, numbers another: either. A contract from before says nothing: the new sample.
                kind = now.kind if not col.kind or col.kind == now.kind else ""
                columns.append(
                    Column(col.name, col.column, _wider(col.type, now.type), mixed=col.mixed or now.mixed, kind=kind)
                )
        taken = {c.column for c in columns}
        added = list(fresh_columns.values())
        names = _unique([c.column for c in added], taken | set(LINEAGE_NAMES))
        columns += [Column(c.name, n, c.type, mixed=c.mixed, kind=c.kind) for c, n in zip(added, names, strict=True)]
        tables.append(Table(old.table, old.array, columns))
    tables += list(new_tables.values())
    options = dict(found.options)
    if found.format == "csv":  # bronze and the models read `""` one way for the dataset's whole life
        options["quoted_empty"] = previous.options.get("quoted_empty", "null")
    return Contract(
        found.dataset, found.format, options, tables, found.partition_by, found.key, found.sample_rows,
        found.profile,
    )  # fmt: skip
