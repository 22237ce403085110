"""Rows per layer of each source after a good build, from the relations dbt's manifest names.

Bronze: the source's dbt sources (`models/staging/<source>/_*__sources.yml`). Silver: its staging and
intermediate models that hold rows (tables, incremental models, and the files of external and
processed_parquet ones; a view would be computed again only to be counted). Gold: its published `current`
views. One `count(*)` per relation, all in one query; a relation that is not there yet (a source never
built) is left out.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LAYERS = ("bronze", "silver", "gold")
HOLDS_ROWS = ("table", "incremental", "external", "processed_parquet")
# A relation as dbt renders it: two or three quoted (or backticked) identifiers. Names come from the dbt
# project, never from a delivery; anything else is not counted.
RELATION = re.compile(r'^(?:[`"]?[A-Za-z0-9_\-]+[`"]?\.){1,2}[`"]?[A-Za-z0-9_]+[`"]?$')


def relations(manifest: dict[str, Any], sources: list[str]) -> list[tuple[str, str, str]]:
    """(source, layer, relation) for each relation of `sources` that holds rows."""
    found = []
    for node in manifest.get("sources", {}).values():
        parts = Path(node["original_file_path"]).parts
        if len(parts) >= 3 and parts[:2] == ("models", "staging") and parts[2] in sources:
            found.append((parts[2], "bronze", node["relation_name"]))
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or not node.get("relation_name"):
            continue
        parts = Path(node["original_file_path"]).parts
        silver = len(parts) >= 4 and parts[1] in ("staging", "intermediate") and parts[2] in sources
        gold = len(parts) >= 5 and parts[1:3] == ("marts", "published") and parts[3] in sources
        if silver and node["config"].get("materialized") in HOLDS_ROWS:
            found.append((parts[2], "silver", node["relation_name"]))
        elif gold and node["name"].endswith("__current"):
            found.append((parts[3], "gold", node["relation_name"]))
    return sorted(r for r in found if RELATION.match(r[2]))


def shown(relation: str) -> str:
    """`"warehouse"."silver"."x"` as people write it: `silver.x`."""
    parts = [part.strip('`"') for part in relation.split(".")]
    return ".".join(parts[-2:])


def count(warehouse: Any, manifest_path: Path, sources: list[str]) -> list[dict[str, Any]]:
    """Rows of each relation of `sources`: [{source, layer, relation, rows}]."""
    if not manifest_path.exists():
        return []
    chosen = relations(json.loads(manifest_path.read_text(encoding="utf-8")), sources)

    def union(items: list[tuple[int, tuple[str, str, str]]]) -> str:
        return " union all ".join(f"select {i} as i, count(*) as n from {rel}" for i, (_, _, rel) in items)

    numbered = list(enumerate(chosen))
    counts: dict[int, int] = {}
    try:
        counts = dict(warehouse.query(union(numbered))) if numbered else {}
    except Exception:  # some relation is missing (a source never built): count the others one by one
        for item in numbered:
            try:
                counts.update(dict(warehouse.query(union([item]))))
            except Exception as exc:
                log.debug("not counted: %s (%s)", item[1][2], exc)
    return [
        {"source": s, "layer": layer, "relation": shown(rel), "rows": int(counts[i])}
        for i, (s, layer, rel) in numbered
        if i in counts
    ]
