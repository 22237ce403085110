"""Great Expectations gates: the suites in expectations/<layer>/, run inside the warehouse.

Each suite file is one table's expectations in Great Expectations' own JSON
(`name`, `expectations` with `type`, `kwargs` and a `meta.notes` saying what a
failure means). Its `meta` says which Dagster asset it gates (`asset_key`),
which relation it reads, and optionally a `batch_query` that adds the context
a check needs (a join to the parent table, silver's own counts, ...).

Validation runs through GE's SQL execution engine on the warehouse, so only
aggregates travel; results are kept under $MEDALLION_HOME/gx with Data Docs.
Nothing here catches an error to report a pass: if GE or the warehouse
cannot be reached, the gate raises and the build stops.

A suite whose `meta` has `per_delivery` judges deliveries one by one: its
batch has one row per delivery awaiting judgement (`key` names the column),
every expectation is row-level, and GE reports which rows failed. A delivery
that fails any expectation is quarantined with the reasons; every other one
in the batch is admitted (see orchestration/core/deliveries.py). An expectation
that fails without saying which rows cannot be attributed, and stops the build.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.core import deliveries
from orchestration.core.source import IN_SILVER
from orchestration.settings import PROJECT_DIR, Paths, load

SUITES_DIR = PROJECT_DIR / "expectations"
QUALITY_SCHEMA = "quality"
DATASOURCE = "warehouse"
# In a registered suite's meta: the sha256 of the suite file (and view) it was registered from.
STAMP = "medallion_suite_sha256"


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    name: str
    layer: str
    asset_key: tuple[str, ...]
    relation: str
    batch_query: str | None
    description: str
    expectations: list[dict[str, Any]]
    per_delivery: dict[str, str] | None = None

    @classmethod
    def load(cls, path: Path) -> SuiteFile:
        data = json.loads(path.read_text(encoding="utf-8"))
        meta = data["meta"]
        return cls(
            path,
            data["name"],
            meta["layer"],
            tuple(meta["asset_key"]),
            meta["relation"],
            meta.get("batch_query"),
            meta.get("description", ""),
            data["expectations"],
            meta.get("per_delivery"),
        )

    @property
    def check_name(self) -> str:
        return "ge_" + self.name.replace(".", "__")


@dataclass
class Failure:
    expectation: str
    column: str
    observed: str
    notes: str
    # The deliveries the unexpected rows GE named came from (first seen first), when the table keeps its rows'
    # lineage; `observed` shows each example with its delivery and record.
    deliveries: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.expectation}({self.column}): observed {self.observed}. {self.notes}"


@dataclass
class Verdict:
    """A per-delivery suite's decision on one delivery."""

    delivery_id: str
    name: str
    admitted: bool
    reasons: list[str] = field(default_factory=list)
    changed: bool = False  # this run changed its state (newly admitted, or newly quarantined)

    def line(self) -> str:
        if self.admitted:
            return f"{self.delivery_id} ({self.name}): admitted"
        return f"{self.delivery_id} ({self.name}): QUARANTINED: " + " | ".join(self.reasons)


@dataclass
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)
    docs_url: str | None = None
    verdicts: list[Verdict] | None = None

    @property
    def quarantined(self) -> list[Verdict]:
        return [v for v in self.verdicts or [] if not v.admitted]

    @property
    def deliveries(self) -> list[str]:
        """The deliveries whose rows the failed expectations showed as examples, first seen first."""
        return list(dict.fromkeys(d for f in self.failures for d in f.deliveries))

    def summary(self) -> str:
        if self.verdicts is not None:
            admitted = len(self.verdicts) - len(self.quarantined)
            judged = "1 delivery" if len(self.verdicts) == 1 else f"{len(self.verdicts)} deliveries"
            return f"{self.suite}: {judged} judged: {admitted} admitted, {len(self.quarantined)} quarantined"
        passed = self.evaluated - len(self.failures)
        return f"{self.suite}: {passed}/{self.evaluated} expectations passed"


def suite_files() -> list[SuiteFile]:
    return [SuiteFile.load(p) for p in sorted(SUITES_DIR.glob("*/*.json"))]


def parameters(paths: Paths | None = None) -> dict[str, Any]:
    """Runtime values the suites refer to as {"$PARAMETER": name} (settings.Gates)."""
    settings = load()
    paths = paths or settings.paths
    max_reject = settings.gates.max_reject_rate
    first, last = settings.gates.tweets_window
    # Records a forecast pull may hold: about 2,500 municipalities times several dozen hours.
    low, high = settings.gates.forecast_records
    return {
        "forecast_min_records": low,
        "forecast_max_records": high,
        # Silver must hold forecasts once any pull has been admitted (and may be empty before).
        "forecast_min_silver_rows": int(any(d.state in IN_SILVER for d in deliveries.for_source(paths, "forecast"))),
        "max_reject_rate": max_reject,
        "tweets_first_date": first,
        "tweets_last_date": last,
        "media_earliest_date": settings.gates.media_earliest,
    }


def _watermarks(engine: Any, warehouse: Any, batch_query: str) -> dict[str, int]:
    """Where silver stands, so a bronze suite sees only what silver has not taken in yet (0 before silver's
    first build, while the table is missing)."""
    marks = {
        "tweets_silver_watermark": ("stg_tweets__lines", "ingestion_seq"),
        "forecast_silver_watermark": ("stg_forecast__records", "pull_seq"),
        "media_silver_watermark": ("stg_media__articles", "ingestion_seq"),
        "tiktokcomment_silver_watermark": ("stg_media__comments", "ingestion_seq"),
    }
    needed = {name: mark for name, mark in marks.items() if f"{{{name}}}" in batch_query}
    if not needed:
        return {}
    with engine.connect() as connection:
        return {
            name: warehouse.max_or_zero(connection, "silver", table, column) for name, (table, column) in needed.items()
        }


def _observed(result: Any, named: list[dict[str, Any]] = ()) -> str:
    """What a failed expectation saw; examples of unexpected values with the delivery and record of each when
    GE named their rows (`named`: its unexpected index rows, each with the value beside the lineage)."""
    details = result.result or {}
    if "observed_value" in details:
        return repr(details["observed_value"])
    if "unexpected_count" in details:
        percent = details.get("unexpected_percent")
        share = f" ({percent:.2f}%)" if isinstance(percent, int | float) else ""
        if named:
            examples = "; ".join(_example(row) for row in named[:3])
            return f"{details['unexpected_count']} unexpected{share}, e.g. {examples}"
        sample = details.get("partial_unexpected_list") or []
        return f"{details['unexpected_count']} unexpected{share}, e.g. {sample[:3]!r}"
    for info in _exception_infos(result.exception_info):
        if info.get("raised_exception"):
            return f"error: {info.get('exception_message')}"
    return repr(details)[:200]


def _columns(kwargs: dict[str, Any]) -> str:
    """What an expectation looks at, as a failure names it: its column(s), or the table."""
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ", ".join(map(str, kwargs["column_list"]))
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']}, {kwargs.get('column_B')}"
    return "table"


def _example(row: dict[str, Any]) -> str:
    """One unexpected row GE named: its value(s), then where it was delivered (`record`: the file's data row,
    header not counted, or its JSON record, from 1)."""
    values = ", ".join(repr(v) for k, v in row.items() if k not in LINEAGE)
    where = f"delivery {row['delivery_id']}"
    if row.get("record_number") is not None:
        where += f" record {row['record_number']}"
    return f"{values} ({where})"


def _exception_infos(info: Any) -> list[dict[str, Any]]:
    """GE nests exception details per metric; flatten them."""
    if not isinstance(info, dict):
        return []
    if "raised_exception" in info:
        return [info]
    return [nested for value in info.values() for nested in _exception_infos(value)]


_CONTEXTS: dict[Path, Any] = {}


def _context(paths: Paths) -> Any:
    """The home's Great Expectations context, made once per process (every gate of a build shares it)."""
    if paths.home not in _CONTEXTS:
        import great_expectations as gx

        context = gx.get_context(mode="file", project_root_dir=str(paths.home))
        bars = context.variables.progress_bars  # a config object, or a dict once read back from disk
        if bars is None or (bars.get("globally", True) if isinstance(bars, dict) else bars.globally):
            # The build prints one summary line per suite; GE's per-metric bars would bury it.
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            context.variables.save()
        _CONTEXTS[paths.home] = context
    return _CONTEXTS[paths.home]


def prepare(paths: Paths) -> None:
    """Import Great Expectations and open the home's context: what a first gate would otherwise wait for."""
    _context(paths)


def render_docs(paths: Paths, run_id: str, suite: str | None = None) -> str | None:
    """Render the Data Docs pages of run `run_id`'s validations (or of its `suite` only) and the index;
    returns the site's address. Only this run's pages: rebuilding the whole site re-renders every stored
    result and grows with history."""
    context = _context(paths)
    name = f"{run_id}:{suite or ''}"
    stored = [
        k
        for k in context.validation_results_store.list_keys()
        if (k.run_id.run_name == name if suite else k.run_id.run_name.startswith(name))
    ]
    if stored:  # GE takes an empty list for "every result ever stored"
        context.build_data_docs(resource_identifiers=stored)
    sites = context.get_docs_sites_urls()
    return sites[0]["site_url"] if sites else None


def docs_index(paths: Paths) -> str:
    return (paths.home / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").as_uri()


def _datasource(context: Any, url: str) -> Any:
    """The warehouse's GE datasource, registered again only when the warehouse's address changed (registering
    it again drops every table asset on it)."""
    existing = context.data_sources.all().get(DATASOURCE)
    if existing is not None and existing.connection_string == url:
        return existing
    return context.data_sources.add_or_update_sql(name=DATASOURCE, connection_string=url)


def _validation_definition(context: Any, datasource: Any, suite_file: SuiteFile, view: str) -> Any:
    """The GE validation definition of `suite_file`: its table asset (the view `quality.<view>`), its expectation
    suite and the definition tying them, as the home's GE context holds them. GE writes its configuration files
    on every registration, about a fifth of a small gate's time: what is registered already, from the same suite
    file, is used as it is; a changed suite file, or a missing part, registers the suite's parts again."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    stamp = hashlib.sha256(suite_file.path.read_bytes() + view.encode()).hexdigest()
    asset = next((a for a in datasource.assets if a.name == suite_file.name), None)
    if (
        asset is not None
        and (asset.table_name, asset.schema_name) == (view, QUALITY_SCHEMA)
        and any(b.name == "all" for b in asset.batch_definitions)
    ):
        registered = _registered(context, suite_file.name, stamp)
        if registered is not None:
            return registered
    if asset is not None:
        datasource.delete_asset(suite_file.name)
    asset = datasource.add_table_asset(name=suite_file.name, table_name=view, schema_name=QUALITY_SCHEMA)
    batch_definition = asset.add_batch_definition_whole_table("all")
    suite = gx.ExpectationSuite(name=suite_file.name, meta={"description": suite_file.description, STAMP: stamp})
    for item in suite_file.expectations:
        suite.add_expectation_configuration(
            ExpectationConfiguration(type=item["type"], kwargs=item["kwargs"], meta=item.get("meta", {}))
        )
    suite = context.suites.add_or_update(suite)
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_file.name, data=batch_definition, suite=suite)
    )


def _registered(context: Any, name: str, stamp: str) -> Any:
    """The validation definition `name` if its suite is registered from the suite file stamped `stamp`, else None."""
    from great_expectations.exceptions import DataContextError

    try:
        if context.suites.get(name).meta.get(STAMP) != stamp:
            return None
        return context.validation_definitions.get(name)
    except DataContextError:  # not registered (yet)
        return None


def run_suite(suite_file: SuiteFile, paths: Paths, run_id: str, docs: bool = True) -> SuiteResult:
    """Validate one suite against the warehouse; raises if it cannot run at all. `docs=False` leaves the
    Data Docs page to `render_docs`, once for the run (what `medallion build` does)."""
    from great_expectations.core.run_identifier import RunIdentifier

    from orchestration.warehouse import current

    warehouse = current(paths)
    context = _context(paths)
    datasource = _datasource(context, warehouse.sqlalchemy_url())
    try:
        watermarks = _watermarks(datasource.get_engine(), warehouse, suite_file.batch_query or "")
        query = (
            suite_file.batch_query.format(**watermarks)
            if suite_file.batch_query
            else f"select * from {suite_file.relation}"
        )
        # The batch is a view, `quality.<suite>`, that an analyst can also query to see what the gate saw. Not
        # a query asset: GE reads a query asset's columns by running the whole query and (through the buffered
        # dialect, on DuckDB) fetching every row, 2 s for a silver table; a table's columns it reads from a
        # `limit 1`. And on Trino GE 1.x cannot list a query asset's columns at all (its fallback looks a table
        # name up in the query text).
        view = suite_file.name.replace(".", "__")
        with datasource.get_engine().begin() as connection:
            warehouse.gate_view(connection, QUALITY_SCHEMA, view, query)
        definition = _validation_definition(context, datasource, suite_file, view)
        # A passing suite is judged from GE's bundled aggregate queries alone (a handful per table); SUMMARY
        # adds one query per expectation for its unexpected examples (2/3 of a 105-expectation gate's time on
        # 887k rows), so a suite that fails is run again with it, to name what failed.
        result_format: Any = "BOOLEAN_ONLY"
        batch_keys: list[str] = []
        if suite_file.per_delivery:
            key = suite_file.per_delivery["key"]
            result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": [key]}
            batch_keys = _batch_keys(datasource.get_engine(), warehouse.gate_sql(query), key)
        validation_run = RunIdentifier(run_name=f"{run_id}:{suite_file.name}", run_time=datetime.now(UTC))
        outcome = definition.run(
            expectation_parameters=parameters(paths), run_id=validation_run, result_format=result_format
        )
        if not outcome.success and result_format == "BOOLEAN_ONLY":
            # A table that keeps its rows' lineage names the delivery and record of each example, and the
            # deliveries of the first EXAMPLE_ROWS failing rows (not only the three shown).
            summary: Any = "SUMMARY"
            if lineage := _lineage_columns(datasource.get_engine(), f"{QUALITY_SCHEMA}.{view}"):
                summary = {
                    "result_format": "SUMMARY",
                    "unexpected_index_column_names": lineage,
                    "partial_unexpected_count": EXAMPLE_ROWS,
                }
            outcome = definition.run(
                expectation_parameters=parameters(paths), run_id=validation_run, result_format=summary
            )
    finally:  # close every connection the suite's engines hold
        warehouse.release()

    failures = []
    for result in outcome.results:
        if result.success:
            continue
        config = result.expectation_config
        # Rows GE names by their lineage (a table that keeps it; a per-delivery suite is judged in `_judge`).
        named = [] if suite_file.per_delivery else (result.result or {}).get("partial_unexpected_index_list") or []
        named = [row for row in named if isinstance(row, dict) and row.get("delivery_id") is not None]
        failures.append(
            Failure(
                expectation=config.type,
                column=_columns(config.kwargs),
                observed=_observed(result, named),
                notes=(config.meta or {}).get("notes", ""),
                deliveries=list(dict.fromkeys(str(row["delivery_id"]) for row in named)),
            )
        )
    if docs:
        render_docs(paths, run_id, suite_file.name)
    result = SuiteResult(
        suite=suite_file.name,
        success=bool(outcome.success),
        evaluated=len(outcome.results),
        failures=failures,
        docs_url=docs_index(paths),
    )
    if suite_file.per_delivery:
        result = _judge(suite_file, paths, run_id, outcome, result, batch_keys)
    _record(paths, run_id, result)
    return result


# Lineage columns a silver table may keep (the datasets' processed tables do): a failed example names them.
LINEAGE = ("delivery_id", "record_number")
EXAMPLE_ROWS = 200  # failing rows whose deliveries a failed expectation names


def _lineage_columns(engine: Any, relation: str) -> list[str]:
    """Which of LINEAGE `relation` has (none when it has no `delivery_id`, or its columns cannot be read: the
    names are a help to whoever reads a failure, not part of its verdict)."""
    import sqlalchemy as sa

    try:
        with engine.connect() as connection:
            columns = set(connection.execute(sa.text(f"select * from {relation} limit 0")).keys())
    except sa.exc.SQLAlchemyError:
        return []
    return [c for c in LINEAGE if c in columns] if "delivery_id" in columns else []


def _batch_keys(engine: Any, query: str, key: str) -> list[str]:
    """The deliveries a per-delivery batch holds (each judged, admitted unless it fails)."""
    import sqlalchemy as sa

    with engine.connect() as connection:
        return [str(row[0]) for row in connection.execute(sa.text(f"select {key} from ({query}) as batch"))]


def _judge(
    suite_file: SuiteFile, paths: Paths, run_id: str, outcome: Any, result: SuiteResult, keys: list[str]
) -> SuiteResult:
    """Turn a per-delivery suite's outcome into verdicts, and record them."""
    key = suite_file.per_delivery["key"]  # type: ignore[index]
    reasons: dict[str, list[str]] = {}
    for item, failure in zip((r for r in outcome.results if not r.success), result.failures, strict=True):
        rows = (item.result or {}).get("unexpected_index_list")
        if not rows:
            raise RuntimeError(
                f"{suite_file.path}: {failure.expectation}({failure.column}) failed without naming the deliveries "
                f"that failed it ({failure.observed}); a per-delivery suite may hold only row-level expectations"
            )
        for row in rows:
            observed = {k: v for k, v in row.items() if k != key}
            shown = ", ".join(f"{k} = {_plain(v)}" for k, v in observed.items())
            reasons.setdefault(str(row[key]), []).append(
                f"{failure.expectation}({failure.column}): {shown}. {failure.notes}"
            )
    source = suite_file.per_delivery["source"]  # type: ignore[index]
    changed = {d.delivery_id for d in deliveries.judge(paths, source, reasons, keys, run_id)}
    deliveries.sync(paths)
    # As the ledger has them now: a delivery an operator released meanwhile is not shown as quarantined.
    known = {d.delivery_id: d for d in deliveries.for_source(paths, source)}
    verdicts = [
        Verdict(k, known[k].name, known[k].state in IN_SILVER, known[k].reasons, k in changed)
        for k in keys
        if k in known
    ]
    return SuiteResult(
        suite=result.suite,
        success=True,  # every delivery that goes on passed; the ones that did not are set aside
        evaluated=result.evaluated,
        failures=[],
        docs_url=result.docs_url,
        verdicts=verdicts,
    )


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _record(paths: Paths, run_id: str, result: SuiteResult) -> None:
    folder = paths.home / "validations" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{result.suite}.json").write_text(
        json.dumps(
            {
                "suite": result.suite,
                "success": result.success,
                "evaluated": result.evaluated,
                "failures": [f.__dict__ for f in result.failures],
                "docs_url": result.docs_url,
                "verdicts": [v.__dict__ for v in result.verdicts] if result.verdicts is not None else None,
            },
            indent=2,
        )
    )


def recorded(paths: Paths, run_id: str) -> list[dict[str, Any]]:
    """Every suite result recorded by run `run_id`, by suite name."""
    folder = paths.home / "validations" / run_id
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


def recorded_results(paths: Paths, run_id: str) -> dict[str, bool]:
    return {data["suite"]: data["success"] for data in recorded(paths, run_id)}
