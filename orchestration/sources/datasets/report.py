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


def _histogram(con: Any, relation: str, column: str, low: float, high: float) -> tuple[list[str], list[int]]:
    width = (high - low) / BINS or 1.0
    types = _types(con)
    rows = fetchall(
        con,
        f"select least(cast(floor((cast({column} as {types['double']}) - ?) / ?) as {types['integer']}), {BINS - 1}) "
        f"as bin, count(*) from {relation} where {column} is not null group by 1 order by 1",
        [low, width],
    )
    counts = dict(rows)
    labels = [f"{low + i * width:.4g}" for i in range(BINS)]
    return labels, [counts.get(i, 0) for i in range(BINS)]


def _top_values(con: Any, relation: str, column: str) -> tuple[list[str], list[int]]:
    rows = fetchall(
        con,
        f"select cast({column} as {_types(con)['text']}) as value, count(*) as n from {relation} "
        f"where {column} is not null group by 1 order by n desc, value limit 10",
    )
    return [str(r[0])[:40] for r in rows], [r[1] for r in rows]


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
        charts = {}
        for column, data_type, row_count, nulls, _, low, high, _ in profile:
            if nulls == row_count:
                continue
            name = _name(column)
            if data_type.split("(")[0] in NUMBERS and low is not None:
                labels, counts = _histogram(con, relation, name, float(low), float(high))
                charts[column] = bar_chart(f"{column}: histogram", labels, counts)
            elif data_type.startswith(TEXTS):
                labels, counts = _top_values(con, relation, name)
                charts[column] = bar_chart(f"{column}: top values", labels, counts, width=560)
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
