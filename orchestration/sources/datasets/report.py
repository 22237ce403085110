"""The profile report of each dataset table: one HTML page per table under `$MEDALLION_HOME/reports/datasets/`.

A page lists every column with its type, missing share (a bar), distinct values, min, max and mean, as
`gold.dataset_profiles` holds them for the current version, and draws a histogram of each number column
(20 equal bins between its min and max) and the 10 most frequent values of each text column, read from
the table's silver relation. Everything shown is escaped: the data may hold any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from orchestration.core.charts import bar_chart
from orchestration.warehouse.base import fetchall, is_bigquery

SAFE = re.compile(r"[a-z_][a-z0-9_]*")  # the names onboarding gives tables and columns
# Number and text types as each warehouse names them (BigQuery: INT64, FLOAT64, STRING).
NUMBERS = ("bigint", "integer", "double", "float", "decimal", "hugeint", "smallint", "real", "numeric")
NUMBERS += ("int64", "float64")
TEXTS = ("varchar", "string")
BINS = 20


@dataclass(frozen=True)
class Page:
    dataset: str
    table: str
    path: Path
    columns: int
    rows: int


def _name(value: str) -> str:
    if not SAFE.fullmatch(value):
        raise ValueError(f"not a name onboarding writes: {value!r}")
    return value


def _types(con: Any) -> dict[str, str]:
    """The connection's names for a double, a text and an integer: BigQuery calls them FLOAT64, STRING, INT64."""
    if is_bigquery(con):
        return {"double": "float64", "text": "string", "integer": "int64"}
    return {"double": "double", "text": "varchar", "integer": "integer"}


def _histograms(
    con: Any, relation: str, columns: list[tuple[str, float, float]]
) -> dict[str, tuple[list[str], list[int]]]:
    """Each number column's histogram ({column: (bin labels, counts)}), all of a table's in one query: on Trino
    and BigQuery every query is a round trip (a job on BigQuery), and the loan book has 51 number columns."""
    if not columns:
        return {}
    types = _types(con)
    widths = {column: (high - low) / BINS or 1.0 for column, low, high in columns}
    parts, params = [], []
    for column, low, _ in columns:
        parts.append(
            f"select '{column}' as column_name, least(cast(floor((cast({column} as {types['double']}) - ?) / ?) "
            f"as {types['integer']}), {BINS - 1}) as bin, count(*) as n from {relation} "
            f"where {column} is not null group by 2"
        )
        params += [low, widths[column]]
    counts: dict[str, dict[int, int]] = {column: {} for column, _, _ in columns}
    for column, bin_, n in fetchall(con, " union all ".join(parts), params):
        counts[column][bin_] = n
    return {
        column: (
            [f"{low + i * widths[column]:.4g}" for i in range(BINS)],
            [counts[column].get(i, 0) for i in range(BINS)],
        )
        for column, low, _ in columns
    }


def _top_values(con: Any, relation: str, columns: list[str]) -> dict[str, tuple[list[str], list[int]]]:
    """Each text column's 10 most frequent values with their counts, all of a table's in one query."""
    if not columns:
        return {}
    text = _types(con)["text"]
    parts = [
        f"select * from (select '{column}' as column_name, cast({column} as {text}) as value, count(*) as n "
        f"from {relation} where {column} is not null group by 2 order by n desc, value limit 10)"
        for column in columns
    ]
    found: dict[str, list[tuple[str, int]]] = {column: [] for column in columns}
    for column, value, n in fetchall(con, " union all ".join(parts)):
        found[column].append((value, n))
    out = {}
    for column, pairs in found.items():
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        out[column] = ([str(v)[:40] for v, _ in pairs], [n for _, n in pairs])
    return out


def _text(value: object) -> str:
    return "" if value is None else escape(str(value))


def _page(dataset: str, table: str, version: str, profile: list[tuple], charts: dict[str, str]) -> str:
    rows = profile[0][2] if profile else 0
    lines = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(dataset)}.{escape(table)}: profile</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}td.n{text-align:right}"
        ".bar{background:#c0392b;height:10px}.track{background:#eee;width:120px}</style>",
        "</head><body>",
        f"<h1>{escape(dataset)} · {escape(table)}</h1>",
        f"<p>{rows:,} rows, {len(profile)} columns; gold version {escape(version)} "
        f"(<code>gold.dataset_profiles</code>, silver <code>silver.int_datasets__{escape(table)}</code>).</p>",
        '<table id="columns"><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th>'
        "<th>min</th><th>max</th><th>mean</th></tr>",
    ]
    for column, data_type, row_count, nulls, distinct, low, high, mean in profile:
        share = nulls / row_count if row_count else 0
        lines.append(
            f'<tr><td>{escape(column)}</td><td>{escape(data_type)}</td><td class="n" data-missing="{nulls}">'
            f'<div class="track"><div class="bar" style="width:{share * 100:.1f}%"></div></div>'
            f'{share:.1%} ({nulls:,})</td><td class="n">{distinct:,}</td>'
            f"<td>{_text(low)}</td><td>{_text(high)}</td>"
            f'<td class="n">{"" if mean is None else f"{mean:.6g}"}</td></tr>'
        )
    lines.append("</table>")
    for column, chart in charts.items():
        lines.append(f'<h2 id="{escape(column)}">{escape(column)}</h2>{chart}')
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


def write_reports(con: Any, folder: Path) -> list[Page]:
    """Write one page per profiled table of the current `gold.dataset_profiles` (and an index)."""
    version = fetchall(con, "select max(version_id) from gold.dataset_profiles__versions")[0][0] or "none"
    profiles = fetchall(
        con,
        "select dataset, table_name, column_name, data_type, row_count, null_count, distinct_count, min_value, "
        "max_value, mean from gold.dataset_profiles order by dataset, table_name, column_name",
    )
    by_table: dict[tuple[str, str], list[tuple]] = {}
    for dataset, table, *rest in profiles:
        by_table.setdefault((dataset, table), []).append(tuple(rest))
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for (dataset, table), profile in by_table.items():
        relation = f"silver.int_datasets__{_name(table)}"
        present = [p for p in profile if p[3] != p[2]]  # columns not all missing
        numbers = [(_name(c), float(low), float(high)) for c, kind, _, _, _, low, high, _ in present
                   if kind.split("(")[0] in NUMBERS and low is not None]  # fmt: skip
        texts = [_name(c) for c, kind, *_ in present if kind.startswith(TEXTS)]
        histograms, tops = _histograms(con, relation, numbers), _top_values(con, relation, texts)
        charts = {}
        for column, *_ in present:
            if column in histograms:
                charts[column] = bar_chart(f"{column}: histogram", *histograms[column])
            elif column in tops:
                charts[column] = bar_chart(f"{column}: top values", *tops[column], width=560)
        path = folder / f"{_name(dataset)}__{_name(table)}.html"
        path.write_text(_page(dataset, table, version, profile, charts), encoding="utf-8")
        pages.append(Page(dataset, table, path, len(profile), profile[0][2] if profile else 0))
    index = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>Dataset profiles</title>',
             "</head><body><h1>Dataset profiles</h1><ul>"]  # fmt: skip
    index += [
        f'<li><a href="{escape(p.path.name)}">{escape(p.dataset)} · {escape(p.table)}</a>: '
        f"{p.rows:,} rows, {p.columns} columns</li>"
        for p in pages
    ]
    index.append("</ul></body></html>")
    (folder / "index.html").write_text("\n".join(index) + "\n", encoding="utf-8")
    return pages
