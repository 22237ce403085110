"""Any CSV or JSON dataset: onboarded from a file the repo has never seen, landed, built, profiled.

Onboarding writes into the project, so these tests work on a copy of it (the CLI run from the copy
builds the copy's models). Figures are checked against DuckDB reading the delivered files directly.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import succeeded, warehouse_rows

REPO = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", ".medallion", "target", "logs", ".pytest_cache", ".ruff_cache", "__pycache__", "dbt_packages"}

# A header SQL or Jinja would run if it were ever spliced into a model.
HOSTILE = "{{ run_query('drop schema gold cascade') }}; drop table x --"


def run(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI of the project copy, on `home`."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=project,
        env={**os.environ, "MEDALLION_HOME": str(home), "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_copy(tmp_path_factory.mktemp("project") / "medallion")


def project_copy(copy: Path) -> Path:
    """A copy of the project without the example datasets, for onboarding into."""
    shutil.copytree(REPO, copy, ignore=lambda folder, names: [n for n in names if n in SKIP])
    # Only the datasets these tests onboard: the examples are left out of the copy.
    for path in (copy / "datasets").glob("*.yml"):
        path.unlink()
    shutil.rmtree(copy / "models" / "staging" / "datasets", ignore_errors=True)
    (copy / "models" / "staging" / "datasets").mkdir()
    shutil.rmtree(copy / "models" / "intermediate" / "datasets", ignore_errors=True)
    (copy / "models" / "intermediate" / "datasets").mkdir()
    for suite in (copy / "expectations" / "silver").glob("int_datasets__*.json"):
        suite.unlink()
    (copy / "models" / "marts" / "datasets" / "fct_dataset_profiles.sql").unlink()  # onboarding writes it
    return copy


LOANS_HEADER = ["Loan ID", "Amount ($)", "grade", "order", "Branch Code", "issued", "rate", "note", HOSTILE]


def write_loans(path: Path, rows: list[list[str]], header: list[str] = LOANS_HEADER) -> None:
    """A semicolon-separated, Latin-1 CSV with quoted fields (a delimiter and a line break inside)."""

    def field(value: str) -> str:
        return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ';"\n') else value

    lines = [";".join(field(v) for v in row) for row in [header, *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


LOANS = [
    ["1", "1000", "A", "2", "007", "2021-01-01", "5.5", "café; first", "x"],
    ["2", "", "B", "1", "012", "2021-01-01", "6", 'says "hi"\nthen leaves', ""],
    ["3", "2500", "A", "", "007", "2021-02-01", "", "", "y"],
    ["4", "400", "C", "3", "100", "2021-03-01", "7.25", "ünïcode <b>bold</b>", "x"],
    ["3", "2600", "B", "4", "007", "2021-02-01", "5", "re-sent: the later row wins", "z"],
]


def papers() -> list[dict]:
    return [
        {"id": "p-1", "year": 2020, "venue": {"name": "ACL", "open": True}, "refs": [{"to": "p-9", "n": 1}]},
        {"id": "p-2", "year": 2021, "venue": {"name": "EMNLP", "open": False}, "refs": []},
        {"id": "p-3", "year": 2021, "venue": {"name": None, "open": True},
         "refs": [{"to": "p-1", "n": 2}, {"to": "p-2", "n": 5}, {"to": "p-7"}]},
    ]  # fmt: skip


# Timestamps in every form the landing accepts: with an offset (`Z`, `+05:30`, `+0100`, `-03:00`, `+00`, no
# seconds, microseconds, zeros past them) and without (a `T` or a space, no seconds, a fraction). Each target
# reads them its own way; digits past the sixth are cut, never rounded (DuckDB's way): the landing takes only
# zeros there (a timestamp with another digit past microseconds stays text), so cutting loses nothing. Loan 3's
# first row (the third) is replaced by its re-delivery (the fifth) in the processed zone: staging still has it.
STAMPS = [
    ("2021-01-01T10:00:00Z", "2021-01-01 10:00:00"),
    ("2021-01-01 11:30:00+05:30", "2021-01-01T11:30"),
    ("2021-02-01T00:00:00.9999990+0100", "2021-02-01 00:00:00.9999990"),
    ("2021-03-01T12:00:00.123456-03:00", "2021-03-01T12:00:00.123456"),
    ("2021-02-01T08:00+00", "2021-02-01 08:00:00.5"),
]
# The third row's stamps as every target must read them: cut to microseconds, the offset applied.
THIRD_SIGNED = datetime(2021, 1, 31, 23, 0, 0, 999999, tzinfo=UTC)
THIRD_OPENED = datetime(2021, 2, 1, 0, 0, 0, 999999)


def write_deliveries(folder: Path) -> tuple[Path, Path]:
    """The loans CSV with a signed (with zone) and an opened (without) timestamp, and the papers as
    gzipped JSON lines: the files a server target's dataset test onboards, lands and builds."""
    loans, papers_file = folder / "loans.csv", folder / "papers.jsonl.gz"
    write_loans(
        loans, [[*row, *extra] for row, extra in zip(LOANS, STAMPS, strict=True)], [*LOANS_HEADER, "signed", "opened"]
    )
    with gzip.open(papers_file, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(p) + "\n" for p in papers())
    return loans, papers_file


def comparable(rows: list[tuple]) -> list[tuple]:
    """Rows as any target gives them, sorted: floats to 9 digits, a timestamp with zone as UTC wall time."""

    def plain(v: object) -> object:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, datetime) and v.utcoffset() is not None:
            return v.astimezone(UTC).replace(tzinfo=None)
        return v

    return sorted((tuple(plain(v) for v in row) for row in rows), key=repr)


def assert_silver_as_duckdbs(on_target: Callable[[str], list[tuple]], on_duckdb: Callable[[str], list[tuple]]) -> None:
    """The processed tables and the loans' staging hold the same rows on a server target as on DuckDB (selected
    by name: DuckDB reads a Hive partition column back last), and the third loan row's stamps are cut, not
    rounded, with the offset applied."""
    for relation in (
        "int_datasets__loans",
        "int_datasets__papers",
        "int_datasets__papers__refs",
        "stg_datasets__loans",
    ):
        columns = [row[0] for row in on_duckdb(f"describe silver.{relation}")]
        sql = f"select {', '.join(columns)} from silver.{relation}"
        assert comparable(on_target(sql)) == comparable(on_duckdb(sql)), relation
    ((signed, opened),) = on_target("select signed, opened from silver.stg_datasets__loans where record_number = 3")
    assert (signed, opened) == (THIRD_SIGNED, THIRD_OPENED)


PROFILES_SQL = (
    "select table_name, column_name, row_count, null_count, distinct_count, mean, min_value, max_value, data_type "
    "from gold.dataset_profiles where dataset in ('loans', 'papers')"
)


def comparable_profiles(rows: list[tuple]) -> dict[tuple[str, str], tuple]:
    """`PROFILES_SQL`'s rows by (table, column): the counts and means, and min and max as numbers for a number
    column (each target writes a double's text its own way: `2.5`, `2.5E0`); a timestamp's text forms differ
    by target (its values are compared in the tables themselves)."""
    numbers = ("double", "bigint", "int64", "float64")
    out = {}
    for table, column, n, nulls, distinct, mean, low, high, kind in rows:
        bounds = (float(low), float(high)) if kind.startswith(numbers) and low is not None else (low, high)
        if kind.startswith(("timestamp", "datetime")):
            bounds = ("timestamp",)
        out[(table, column)] = (n, nulls, distinct, None if mean is None else round(mean, 9), *bounds)
    return out


def profile_of(home: Path, dataset: str, table: str) -> dict[str, tuple]:
    rows = warehouse_rows(
        home,
        "select column_name, row_count, null_count, distinct_count, min_value, max_value, mean "
        "from gold.dataset_profiles where dataset = ? and table_name = ?",
        [dataset, table],
    )
    return {r[0]: r[1:] for r in rows}


def direct(relation: str, column: str, numeric: bool) -> tuple:
    """The same figures computed straight from the delivered data with DuckDB."""
    mean = f"avg({column})" if numeric else "null"
    return duckdb.sql(
        f"select count(*), count(*) - count({column}), count(distinct {column}), min({column})::varchar, "
        f"max({column})::varchar, {mean} from {relation}"
    ).fetchall()[0]


@pytest.fixture(scope="module")
def built(project: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The loans CSV and the papers JSON lines (.gz) onboarded, landed and built in one home."""
    files = tmp_path_factory.mktemp("delivered")
    home = tmp_path_factory.mktemp("home")
    loans = files / "loans.csv"
    write_loans(loans, LOANS)
    with gzip.open(files / "papers.jsonl.gz", "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(p) + "\n" for p in papers())
    outputs = {
        "loans": succeeded(
            run(
                project, home, "onboard", "dataset", "loans", str(loans), "--partition-by", "issued", "--key", "loan_id"
            )
        ),
        "papers": succeeded(
            run(project, home, "onboard", "dataset", "papers", str(files / "papers.jsonl.gz"), "--key", "id")
        ),
    }
    # Onboarded, never landed: the build leaves it out rather than fail on its empty tables.
    (files / "unused.csv").write_text("a,b\n1,x\n", encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "unused", str(files / "unused.csv")))
    outputs["land"] = succeeded(run(project, home, "land", "dataset", "loans", str(loans)))
    outputs["land"] += succeeded(run(project, home, "land", "dataset", "papers", str(files / "papers.jsonl.gz")))
    outputs["build"] = succeeded(run(project, home, "build", "--source", "datasets"))
    return home, files, outputs


def test_onboarding_writes_reviewable_typed_models(project: Path, built: tuple[Path, Path, dict[str, str]]) -> None:
    contract = (project / "datasets" / "loans.yml").read_text(encoding="utf-8")
    model = (project / "models" / "staging" / "datasets" / "loans" / "stg_datasets__loans.sql").read_text()
    docs = (project / "models" / "intermediate" / "datasets" / "loans" / "_loans__models.yml").read_text()
    assert "delim: ;" in contract and "encoding: latin-1" in contract
    # Snake-case names; a reserved word renamed; a code with leading zeros kept as text; types inferred.
    assert "cast(trim(nullif(c001, '')) as BIGINT) as loan_id" in model
    assert "c004 as order" not in model and "as order_value" in model
    assert "c005 as branch_code" in model
    assert "cast(trim(nullif(c006, '')) as DATE) as issued" in model
    assert "cast(trim(nullif(c007, '')) as {{ double_type() }}) as rate" in model
    processed = (project / "models" / "intermediate" / "datasets" / "loans" / "int_datasets__loans.sql").read_text()
    assert "partition_by': 'issued'" in processed and "'codec': 'zstd'" in processed
    # The delivered names are data in the contract; no model, test or description carries the hostile one.
    assert HOSTILE in contract.replace("''", "'")
    for path in (project / "models").rglob("*"):
        if path.is_file():
            assert "run_query('drop" not in path.read_text(encoding="utf-8"), path
    assert "data_type: bigint" in docs and "- unique" in docs
    suite = json.loads((project / "expectations" / "silver" / "int_datasets__loans.json").read_text())
    kinds = {(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]}
    assert ("expect_column_values_to_not_be_null", "loan_id") in kinds
    assert ("expect_column_values_to_be_between", "amount") in kinds
    child = (project / "models" / "staging" / "datasets" / "papers" / "stg_datasets__papers__refs.sql").read_text()
    assert "parent_key as parent_id" in child and "ordinal" in child
    kept = (project / "models" / "intermediate" / "datasets" / "papers" / "int_datasets__papers__refs.sql").read_text()
    assert "inner join {{ ref('int_datasets__papers') }} as parent" in kept


def test_processed_zone_and_silver_hold_every_delivered_row(built: tuple[Path, Path, dict[str, str]]) -> None:
    home, files, outputs = built
    assert "gate silver.int_datasets__loans" in outputs["build"], outputs["build"]
    # Four distinct loan ids: the second row of loan 3 (later in the file) is the one kept.
    loans = warehouse_rows(
        home, "select loan_id, amount, order_value, branch_code, note from silver.int_datasets__loans"
    )
    assert sorted(r[0] for r in loans) == [1, 2, 3, 4]
    by_id = {r[0]: r for r in loans}
    assert by_id[3][1] == 2600 and by_id[3][4] == "re-sent: the later row wins"
    assert by_id[2][1] is None and by_id[2][4] == 'says "hi"\nthen leaves' and by_id[1][4] == "café; first"
    assert by_id[1][3] == "007" and by_id[1][2] == 2
    processed = home / "lake" / "processed" / "loans" / "loans"
    assert sorted(p.name for p in processed.iterdir()) == [
        "issued=2021-01-01",
        "issued=2021-02-01",
        "issued=2021-03-01",
    ]
    parts = list(processed.rglob("*.parquet"))
    assert (
        duckdb.sql(f"select sum(num_rows) from parquet_file_metadata({[str(p) for p in parts]})").fetchall()[0][0] == 4
    )
    codecs = duckdb.sql(f"select distinct compression from parquet_metadata({[str(p) for p in parts]})").fetchall()
    assert codecs == [("ZSTD",)]
    # The monitoring counts the processed zone as silver rows (the relation holds its files' rows).
    counted = warehouse_rows(
        home, "select rows from ops.layer_rows where layer = 'silver' and relation = 'silver.int_datasets__loans'"
    )
    assert counted == [(4,)], counted
    # The JSON: one row per record, one per array element with its parent's key and position.
    assert warehouse_rows(home, "select count(*) from silver.int_datasets__papers")[0][0] == 3
    refs = warehouse_rows(
        home, "select parent_id, ordinal, to_value, n from silver.int_datasets__papers__refs order by all"
    )
    assert refs == [("p-1", 1, "p-9", 1), ("p-3", 1, "p-1", 2), ("p-3", 2, "p-2", 5), ("p-3", 3, "p-7", None)]
    venues = warehouse_rows(home, "select id, venue_name, venue_open from silver.int_datasets__papers order by id")
    assert venues == [("p-1", "ACL", True), ("p-2", "EMNLP", False), ("p-3", None, True)]
    # The raw zone keeps the delivery as it came.
    raw = list((home / "lake" / "raw" / "papers").rglob("*__papers.jsonl.gz"))
    assert len(raw) == 1 and raw[0].read_bytes() == (files / "papers.jsonl.gz").read_bytes()
    assert raw[0].parent.name.startswith("landed_date=")


def test_profiles_equal_the_figures_computed_directly(built: tuple[Path, Path, dict[str, str]]) -> None:
    home, files, _ = built
    csv = str(files / "loans.csv")
    # The delivered file, read straight, with the later row of loan 3 kept (what silver keeps).
    duckdb.sql(
        f"""create or replace table delivered_loans as
        select * from (
            select *, row_number() over (partition by "Loan ID" order by line desc) as latest
            from (select *, row_number() over () as line
                  from read_csv('{csv}', delim = ';', header = true, encoding = 'latin-1', all_varchar = true))
        ) where latest = 1"""
    )
    profile = profile_of(home, "loans", "loans")
    for column, expression, numeric in [
        ("loan_id", 'cast("Loan ID" as bigint)', True),
        ("amount", 'cast("Amount ($)" as bigint)', True),
        ("rate", "cast(rate as double)", True),
        ("grade", "grade", False),
        ("branch_code", '"Branch Code"', False),
        ("issued", "cast(issued as date)", False),
    ]:
        expected = direct(f"(select {expression} as v from delivered_loans)", "v", numeric)
        got = profile[column]
        assert got[:5] == expected[:5], column
        assert (got[5] is None) == (expected[5] is None) and (got[5] is None or abs(got[5] - expected[5]) < 1e-9)
    refs = profile_of(home, "papers", "papers__refs")
    assert refs["n"][:5] == (4, 1, 3, "1", "5") and abs(refs["n"][5] - 8 / 3) < 1e-9
    assert "delivery_id" not in profile and "record_number" not in profile  # lineage is not profiled
    datasets = warehouse_rows(home, "select distinct dataset from gold.dataset_profiles order by 1")
    assert datasets == [("loans",), ("papers",)]  # `unused` was onboarded, never landed
    versions = warehouse_rows(home, "select count(distinct version_id) from gold.dataset_profiles__versions")
    assert versions[0][0] == 1


def test_each_table_has_a_profile_report(built: tuple[Path, Path, dict[str, str]], browser) -> None:
    home, _, outputs = built
    assert "gold/dataset_reports" in outputs["build"]
    folder = home / "reports" / "datasets"
    assert sorted(p.name for p in folder.glob("*.html")) == [
        "index.html", "loans__loans.html", "papers__papers.html", "papers__papers__refs.html"
    ]  # fmt: skip
    page = (folder / "loans__loans.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page  # delivered text is escaped
    browser.get(f"file://{folder / 'loans__loans.html'}")
    cells = browser.find_elements("css selector", "#columns tr td:first-child")
    assert "amount" in [c.text for c in cells] and len(cells) == 9
    missing = browser.find_element("xpath", "//tr[td[1]='amount']/td[3]").get_attribute("data-missing")
    assert missing == "1"  # loan 2 has no amount
    assert browser.find_elements("css selector", "h2#amount + svg rect[fill='#2f6f9f']")  # its histogram


def test_a_file_whose_columns_changed_is_refused_with_the_difference_named(
    project: Path, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    home, _, _ = built
    manifest = home / "landing" / "datasets" / "loans" / "manifest.jsonl"
    before = manifest.read_text()
    raw_before = sorted((home / "lake" / "raw" / "loans").rglob("*"))
    changed = tmp_path / "loans-changed.csv"
    header = [h for h in LOANS_HEADER if h != "note"] + ["fee"]
    rows = [[v for h, v in zip(LOANS_HEADER, row, strict=True) if h != "note"] + ["1"] for row in LOANS]
    write_loans(changed, rows, header)
    result = run(project, home, "land", "dataset", "loans", str(changed))
    assert result.returncode == 1
    assert "loans-changed.csv: does not match dataset loans" in result.stderr
    assert "added: fee" in result.stderr and "missing: note" in result.stderr, result.stderr
    retyped = run(project, home, "land", "dataset", "loans", str(write_retyped(tmp_path)))
    assert retyped.returncode == 1
    assert "retyped: Amount ($): BIGINT expected, 1 value(s) are not (e.g. '1.000,50')" in retyped.stderr
    assert manifest.read_text() == before
    assert sorted((home / "lake" / "raw" / "loans").rglob("*")) == raw_before


def test_a_delivery_failing_the_gate_is_set_aside_and_the_build_goes_on(
    project: Path, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """A delivery whose values have the contract's types lands, but its rows fail the silver gate (an amount far
    above any the suite allows): the build stops before gold, names the delivery and record of the failing
    value, and says how to set that delivery aside. Dropped, it stays in
    the raw zone and bronze, and the next build leaves it out: loan 1's earlier row is back in silver."""
    home = tmp_path / "home"
    first = tmp_path / "loans.csv"
    write_loans(first, LOANS)
    succeeded(run(project, home, "land", "dataset", "loans", str(first)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    bad = tmp_path / "loans-bad.csv"
    write_loans(bad, [["1", "999999999", "A", "2", "007", "2021-01-01", "5.5", "too much", "x"]])
    landed = succeeded(run(project, home, "land", "dataset", "loans", str(bad)))
    delivery_id = re.search(r" as (\S+) ", landed).group(1)
    failed = run(project, home, "build", "--source", "datasets")
    assert failed.returncode == 1, failed.stdout
    assert "gold was not published" in failed.stdout
    # The failure names the delivery and record its example came from, and the command that sets it aside.
    assert f"1 unexpected (33.33%), e.g. 999999999 (delivery {delivery_id} record 1)" in failed.stdout, failed.stdout
    assert f"come from delivery {delivery_id} (loans-bad.csv): `medallion quarantine drop {delivery_id}`" in (
        failed.stdout
    )
    # Gold is the last good build's: the amount's maximum is not the bad delivery's.
    assert float(profile_of(home, "loans", "loans")["amount"][4]) == 2600
    dropped = succeeded(run(project, home, "quarantine", "drop", delivery_id[:20], "--note", "amount typo"))
    assert f"{delivery_id} (loans-bad.csv) dropped" in dropped
    resent = succeeded(run(project, home, "land", "dataset", "loans", str(bad)))  # the same bytes again
    assert f"already landed as {delivery_id} (same bytes); it is dropped: `medallion quarantine release" in resent
    listed = json.loads(succeeded(run(project, home, "deliveries", "--source", "dataset", "--json")))
    assert [(d["source"], d["state"]) for d in listed] == [("dataset:loans", "admitted"), ("dataset:loans", "dropped")]
    again = run(project, home, "quarantine", "drop", delivery_id)
    assert again.returncode == 2 and "is dropped, not quarantined" in again.stderr
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = dict(warehouse_rows(home, "select loan_id, amount from silver.int_datasets__loans"))
    assert rows == {1: 1000, 2: None, 3: 2600, 4: 400}
    # Kept as delivered: in the raw zone and in bronze, never in silver.
    assert list((home / "lake" / "raw" / "loans").rglob("*__loans-bad.csv"))
    assert warehouse_rows(home, "select count(*) from bronze.dataset_loans where delivery_id = ?", [delivery_id]) == [
        (1,)
    ]
    # The only delivery silver still takes cannot be dropped (its tables would be empty and their gate fail).
    first_id = listed[0]["delivery_id"]
    alone = run(project, home, "quarantine", "drop", first_id)
    assert alone.returncode == 2 and "it is the only delivery of dataset:loans silver takes" in alone.stderr
    # A drop is taken back with `release`.
    back = succeeded(run(project, home, "quarantine", "release", delivery_id))
    assert f"{delivery_id} (loans-bad.csv) released" in back
    listed = json.loads(succeeded(run(project, home, "deliveries", "--source", "dataset", "--json")))
    assert [d["state"] for d in listed] == ["admitted", "released"]
    # A processed model that does not read the decisions (edited, or generated before drops) refuses a drop
    # rather than say it is done and keep the rows.
    model = project / "models" / "intermediate" / "datasets" / "loans" / "int_datasets__loans.sql"
    generated = model.read_text(encoding="utf-8")
    try:
        model.write_text(generated.replace("admitted_deliveries(", "admitted_rows("), encoding="utf-8")
        blocked = run(project, home, "quarantine", "drop", delivery_id)
        assert blocked.returncode == 2 and "does not take its deliveries from" in blocked.stderr, blocked
    finally:
        model.write_text(generated, encoding="utf-8")


def test_a_failing_only_delivery_is_named_with_what_to_land_first(
    project: Path, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """When the delivery a failed gate names is the only one silver takes, dropping it would leave the table
    empty (a drop refuses that): the build says to land a corrected file first."""
    home = tmp_path / "home"
    bad = tmp_path / "loans-bad.csv"
    write_loans(bad, [["1", "999999999", "A", "2", "007", "2021-01-01", "5.5", "too much", "x"]])
    delivery_id = re.search(r" as (\S+) ", succeeded(run(project, home, "land", "dataset", "loans", str(bad)))).group(1)
    failed = run(project, home, "build", "--source", "datasets")
    assert failed.returncode == 1, failed.stdout
    assert (
        f"come from delivery {delivery_id} (loans-bad.csv): land a corrected file first; then "
        f"`medallion quarantine drop {delivery_id}` sets it aside" in failed.stdout
    ), failed.stdout


def test_a_failing_processed_query_leaves_the_zone_as_it_was(
    project: Path, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """The processed zone is written beside its place and swapped in only once the query succeeded: a query
    that fails halfway leaves the previous files, and silver reads them."""
    home = tmp_path / "home"
    loans = tmp_path / "loans.csv"
    write_loans(loans, LOANS)
    succeeded(run(project, home, "land", "dataset", "loans", str(loans)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    zone = home / "lake" / "processed" / "loans"
    before = {p.relative_to(zone): p.read_bytes() for p in zone.rglob("*.parquet")}
    model = project / "models" / "intermediate" / "datasets" / "loans" / "int_datasets__loans.sql"
    generated = model.read_text(encoding="utf-8")
    kept = "where ranked.dataset_row_rank = 1"
    raising = f"{kept} and (delivered.loan_id < 3 or error('x'))"  # loan 3 raises, midway
    assert kept in generated
    try:
        model.write_text(generated.replace(kept, raising), encoding="utf-8")
        failed = run(project, home, "build", "--source", "datasets", "--force")
    finally:
        model.write_text(generated, encoding="utf-8")
    assert failed.returncode == 1 and "int_datasets__loans" in failed.stdout, failed.stdout
    assert {p.relative_to(zone): p.read_bytes() for p in zone.rglob("*.parquet")} == before
    assert not list(zone.rglob("*.writing"))
    assert warehouse_rows(home, "select count(*) from silver.int_datasets__loans") == [(4,)]


def write_retyped(folder: Path) -> Path:
    path = folder / "loans-retyped.csv"
    rows = [list(row) for row in LOANS]
    rows[0][1] = "1.000,50"
    write_loans(path, rows)
    return path


def test_onboarding_again_keeps_an_edited_file_unless_forced(
    project: Path, built: tuple[Path, Path, dict[str, str]]
) -> None:
    home, files, _ = built
    docs = project / "models" / "staging" / "datasets" / "loans" / "_loans__models.yml"
    docs.write_text(docs.read_text() + "# Reviewed; generated by onboarding.\n", encoding="utf-8")
    again = run(project, home, "onboard", "dataset", "loans", str(files / "loans.csv"), "--partition-by", "issued",
                "--key", "loan_id")  # fmt: skip
    assert again.returncode == 1
    assert "kept      models/staging/datasets/loans/_loans__models.yml (edited since onboarding" in again.stdout
    assert "unchanged models/staging/datasets/loans/stg_datasets__loans.sql" in again.stdout
    assert "Reviewed; generated by" in docs.read_text()
    forced = succeeded(
        run(
            project,
            home,
            "onboard",
            "dataset",
            "loans",
            str(files / "loans.csv"),
            "--partition-by",
            "issued",
            "--key",
            "loan_id",
            "--force",
        )
    )
    assert "rewritten models/staging/datasets/loans/_loans__models.yml" in forced
    assert "Reviewed; generated by" not in docs.read_text()


def test_a_dataset_onboarded_again_with_a_new_column_keeps_what_bronze_holds(
    project: Path, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """A column inserted mid-file: earlier columns keep their places (bronze numbers them), the new one comes
    last, and a column the new file lacks becomes optional; both deliveries read right after the build."""
    home, _, _ = built
    header = ["Loan ID", "fee", "Amount ($)", "grade", "order", "Branch Code", "issued", "rate", HOSTILE]
    v2 = tmp_path / "loans-v2.csv"
    write_loans(v2, [["5", "1.5", "900", "D", "7", "055", "2021-04-01", "8", "w"]], header)
    again = run(project, home, "onboard", "dataset", "loans", str(v2), "--partition-by", "issued", "--key", "loan_id",
                "--force")  # fmt: skip
    assert again.returncode == 0, again.stderr
    contract = (project / "datasets" / "loans.yml").read_text(encoding="utf-8")
    names = re.findall(r"^    - name: (.*)$", contract, re.MULTILINE)
    assert names[:3] == ["Loan ID", "Amount ($)", "grade"] and names[-1] == "fee", names
    assert "optional: true" in contract  # `note` is not in the new file
    succeeded(run(project, home, "land", "dataset", "loans", str(v2)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = dict(
        (r[0], r[1:])
        for r in warehouse_rows(home, "select loan_id, amount, branch_code, note, fee from silver.int_datasets__loans")
    )
    assert rows[1] == (1000, "007", "café; first", None) and rows[5] == (900, "055", None, 1.5)


def test_bad_onboarding_input_is_named(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    sample = tmp_path / "sample.csv"
    sample.write_text("a,b\n1,2\n", encoding="utf-8")
    missing = run(project, home, "onboard", "dataset", "sample", str(sample), "--key", "c")
    assert missing.returncode == 2 and "--key c: no such column in sample.csv; its columns are a, b" in missing.stderr
    other = tmp_path / "notes.md"
    other.write_text("# not data\n", encoding="utf-8")
    wrong = run(project, home, "onboard", "dataset", "notes", str(other))
    assert wrong.returncode == 2 and "not a CSV" in wrong.stderr
    unknown = run(project, home, "land", "dataset", "nothing_here", str(sample))
    assert unknown.returncode == 2 and "no dataset 'nothing_here' is onboarded" in unknown.stderr
    folder = run(project, home, "onboard", "dataset", "folder", str(tmp_path))
    assert folder.returncode == 2 and f"{tmp_path}: a folder, not a file" in folder.stderr
    # A unique column as the partition: onboarding warns of a folder per row.
    ids = tmp_path / "ids.csv"
    ids.write_text("id,n\n" + "".join(f"{i},{i % 7}\n" for i in range(1500)), encoding="utf-8")
    warned = run(project, home, "onboard", "dataset", "ids", str(ids), "--partition-by", "id")
    assert warned.returncode == 0 and "warning: --partition-by id: 1,500 values in 1,500 rows" in warned.stderr
    # A header's trailing delimiter, at landing: a column with no name, said so.
    succeeded(run(project, home, "onboard", "dataset", "sample", str(sample)))
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("a,b,\n1,2,\n", encoding="utf-8")
    refused = run(project, home, "land", "dataset", "sample", str(trailing))
    assert refused.returncode == 1 and "added: (a column with no name)" in refused.stderr, refused.stderr


def test_onboarding_types_and_names_only_what_every_target_reads(tmp_path: Path) -> None:
    """A name GoogleSQL reserves is renamed like DuckDB's; hour 24 and year 0 (DuckDB reads both, BigQuery
    refuses them), also where an offset moves the instant out of years 1-9999, leave a column text; a DOUBLE
    key is refused, naming the column."""
    from orchestration.sources.datasets.contract import DatasetError, infer

    sample = tmp_path / "odd.csv"
    sample.write_text(
        "Range,Rows,At,current_datetime,score,stamp,day,zoned,huge,tiny,early,late\n"
        "1,2,3,4,0.5,2021-01-01T24:00:00,0000-01-01,2021-01-01T10:00:00+05:75,1e400,1e-400,"
        "0001-01-01 00:30:00+05:00,2021-01-01 10:00:00Z\n"
        "2,3,4,5,1.5,2021-01-01 10:00:00,2021-01-01,2021-01-01T10:00:00+99,2.5,0.5,"
        "2021-01-01 10:00:00Z,9999-12-31 23:00:00-05:00\n",
        encoding="utf-8",
    )
    columns = {c.column: c.type for c in infer(sample, "odd").tables[0].columns}
    assert columns == {
        "range_value": "BIGINT", "rows_value": "BIGINT", "at_value": "BIGINT", "current_datetime_value": "BIGINT",
        "score": "DOUBLE", "stamp": "VARCHAR", "day": "VARCHAR", "zoned": "VARCHAR", "huge": "VARCHAR",
        "tiny": "VARCHAR", "early": "VARCHAR", "late": "VARCHAR",
    }  # fmt: skip
    with pytest.raises(DatasetError, match="--key score: a DOUBLE column"):
        infer(sample, "odd", key="score")
    # `b.c` and `b_c`, two arrays of objects: two child tables, each with a name of its own.
    nested = tmp_path / "nested.jsonl"
    nested.write_text('{"id": 1, "b": {"c": [{"x": 1}]}, "b_c": [{"y": 2}]}\n', encoding="utf-8")
    tables = [t.table for t in infer(nested, "nested").tables]
    assert len(tables) == len(set(tables)) == 3 and "nested__b_c" in tables


def test_a_processed_zone_is_swapped_whole_and_only_in_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`medallion_replace_path`, which the processed_parquet materialization calls once its COPY succeeded:
    the new folder replaces the old one whole (an old file does not linger), a failed move puts the old zone
    back, and nothing outside a table's place in the home's processed zone is moved."""
    from orchestration.warehouse import dbt_duckdb_home

    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path))
    zone = tmp_path / "lake" / "processed" / "loans" / "loans"
    (zone / "issued=2021-01-01").mkdir(parents=True)
    (zone / "issued=2021-01-01" / "data_0.parquet").write_text("old")
    staged = Path(f"{zone}.writing")
    (staged / "issued=2021-02-01").mkdir(parents=True)
    (staged / "issued=2021-02-01" / "data_0.parquet").write_text("new")
    assert dbt_duckdb_home.replace_path(str(staged), str(zone))
    assert sorted(str(p.relative_to(zone)) for p in zone.rglob("*.parquet")) == ["issued=2021-02-01/data_0.parquet"]
    assert not staged.exists() and not Path(f"{zone}.replaced").exists()
    # A move that fails leaves the old zone where it was.
    (staged / "x").mkdir(parents=True)
    real_rename = Path.rename

    def failing(self: Path, target: Path) -> Path:
        if self == staged:
            raise OSError("disk gone")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError):
        dbt_duckdb_home.replace_path(str(staged), str(zone))
    monkeypatch.setattr(Path, "rename", real_rename)
    assert (zone / "issued=2021-02-01" / "data_0.parquet").read_text() == "new"
    # Only a table's zone, with the staged copy beside it.
    for location in (tmp_path / "lake" / "processed" / "loans", tmp_path / "lake" / "raw" / "loans"):
        location.mkdir(parents=True, exist_ok=True)
        Path(f"{location}.writing").mkdir(exist_ok=True)
        with pytest.raises(ValueError, match="not a processed zone"):
            dbt_duckdb_home.replace_path(f"{location}.writing", str(location))
        assert location.exists()


def test_which_texts_read_as_numbers() -> None:
    """The texts a BIGINT or DOUBLE column accepts (at onboarding and at every landing): no leading zero, no
    `inf`/`nan`, a whole number of at most 15 digits for a double and a double's own digits (up to 15, or 16-17
    that the double prints back: a double would round others), nothing that overflows or underflows. Checked
    value by value, so the fast path for plain numbers cannot drift."""
    from orchestration.sources.datasets.contract import has_type

    values = ["1", "-1", "+1", "007", "0", "-0", "0.0", "1.5", "-12.25", "1e5", "1e400", "1e-400", "0e0",
              "123456789012345", "1234567890123456", "1234567890123456.5", " 12 ", "inf", "nan", "1_000", ".5",
              "5.", "9223372036854775807", "9223372036854775808", "123456789012345678", "-", "", "١٢", "0.000",
              "1.0e-5", "12\n", "0.10000000000000000001", "1.2345678901234567891", "0.30000000000000004",
              "-1.2345678901234567", "1.50000000000000000000", "12345678901234567e3",
              "123456789012345678e3", "1.0000000000000001", "0.10000000000000001", "0.12345678901234567",
              "9007199254740993.0", "9007199254740992.0", "1234567.12345678"]  # fmt: skip
    accepted = {
        kind: [v for v in values if duckdb.execute("select " + has_type(kind, "$1"), [v]).fetchone()[0]]
        for kind in ("BIGINT", "DOUBLE")
    }
    assert accepted["BIGINT"] == [
        "1", "-1", "+1", "0", "-0", "123456789012345", "1234567890123456", " 12 ", "9223372036854775807",
        "123456789012345678",
    ]  # fmt: skip
    assert accepted["DOUBLE"] == [
        "1", "-1", "+1", "0", "-0", "0.0", "1.5", "-12.25", "1e5", "0e0", "123456789012345", "1234567890123456.5",
        " 12 ", ".5", "5.", "0.000", "1.0e-5", "0.30000000000000004", "-1.2345678901234567", "1.50000000000000000000",
        "12345678901234567e3", "9007199254740992.0", "1234567.12345678",
    ]  # fmt: skip


def test_a_delivery_escaping_quotes_another_way_is_refused_naming_its_line(tmp_path: Path) -> None:
    """A dataset whose sample doubles a quote inside a field (`""`) and a delivery escaping it with a backslash
    (`\\"`): the landing names the line and how the dataset writes a quote, not DuckDB's sniffer report."""
    from orchestration.sources.datasets.contract import DatasetError, check, infer

    sample, delivery = tmp_path / "notes.csv", tmp_path / "notes-2.csv"
    sample.write_text('id,name,note\n1,"a ""quoted"" word",x\n2,plain,y\n', encoding="utf-8")
    delivery.write_text('id,name,note\n3,plain,x\n4,"a \\"quoted\\" word",y\n', encoding="utf-8")
    contract = infer(sample, "notes")
    assert (contract.options["quote"], contract.options["escape"]) == ('"', '"')
    with pytest.raises(DatasetError) as refused:
        check(contract, delivery)
    assert str(refused.value) == (
        "notes-2.csv: line 3: a quote out of place (',' expected after '\"'); in this dataset a field is quoted "
        'with " and a quote inside one is written ""'
    )
    # A quote never closed is named where it opened; a field longer than Python's csv takes by default (128 KiB)
    # is read on to the line at fault.
    delivery.write_text(f'id,name,note\n3,{"x" * 200_000},x\n4,"open,y\n5,c,z\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"notes-2\.csv: line 3: a quoted field never closed"):
        check(contract, delivery)


def test_a_json_file_is_shaped_from_a_record_of_each_structure_not_held_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON file's shape is merged from the first record of each structure, not from one JSON array of every
    record held in memory (DuckDB's json_group_structure needed over 512 MB for these 60 MB): it onboards and
    lands under a 128 MB limit, with its fields in the order they first come."""
    from orchestration.sources.datasets.contract import check, infer

    monkeypatch.setenv("MEDALLION_DUCKDB_MEMORY", "128MB")
    big = tmp_path / "big.json"
    text = "x" * 3000
    with big.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for n in range(20_000):
            record = {"id": n, "text": text, "tags": [{"t": "a"}]} if n % 2 else {"id": n, "note": None, "text": text}
            out.write(("," if n else "") + json.dumps(record) + "\n")
        out.write("]\n")
    contract = infer(big, "big")
    assert [c.column for c in contract.parent.columns] == ["id", "note", "text"]
    assert [t.table for t in contract.tables] == ["big", "big__tags"]
    drift, rows = check(contract, big)
    assert not drift and rows == 20_000


def test_a_json_number_a_double_would_round_is_refused_naming_its_record(tmp_path: Path) -> None:
    """DuckDB's JSON reader makes a number with a fraction a double before any test sees its text: one no double
    holds exactly (more than 17 significant digits, or 16-17 the double prints otherwise) would land rounded,
    `1e-400` as 0. Onboarding and landing refuse it, naming the first record; the same digits in a string, a
    whole number however long (read as written) and `1.5e300` pass."""
    from orchestration.sources.datasets.contract import DatasetError, check, infer

    sample, delivery = tmp_path / "amounts.jsonl", tmp_path / "amounts-2.jsonl"
    sample.write_text(
        '{"id": 1, "amount": 0.5, "note": "q\\"0.10000000000000000001", "big": 123456789012345678901234}\n'
        '{"id": 2, "amount": 1.25, "note": "a", "big": 1}\n',
        encoding="utf-8",
    )
    contract = infer(sample, "amounts")
    assert {c.column: c.type for c in contract.parent.columns}["amount"] == "DOUBLE"
    assert not check(contract, sample)[0]
    delivery.write_text(
        '{"id": 3, "amount": 0.30000000000000004, "note": "b", "big": 2}\n'
        '{"id": 4, "amount": 0.10000000000000000001, "note": "c", "big": 3}\n'
        '{"id": 5, "amount": 1.0000000000000001, "note": "d", "big": 4}\n'
        '{"id": 6, "amount": 1e-400, "note": "e", "big": 5}\n'
        '{"id": 7, "amount": 1.5e300, "note": "f", "big": 6}\n',
        encoding="utf-8",
    )
    drift = check(contract, delivery)[0]
    assert drift.lines() == [
        "3 record(s) hold a number DuckDB's JSON reader would change, rounded to a double or beyond its range "
        "(the first: record 2, 0.10000000000000000001); deliver such numbers as JSON strings to keep every digit"
    ]
    with pytest.raises(DatasetError, match=r"amounts-2\.jsonl: 3 record.* record 2, 0\.10000000000000000001"):
        infer(delivery, "amounts")


def test_onboarding_again_refuses_a_key_its_widened_type_cannot_be(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first, second, extreme = tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "extreme.csv"
    first.write_text("n,v\n1,a\n2,b\n", encoding="utf-8")
    second.write_text("n,v\n1.5,c\n", encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "widen", str(first), "--key", "n"))
    widened = run(project, home, "onboard", "dataset", "widen", str(second), "--key", "n")
    assert widened.returncode == 2 and "--key n: a DOUBLE column" in widened.stderr, widened.stderr
    # The largest double drafts a range that is still JSON (no Infinity), and no traceback.
    extreme.write_text("x\n1.7976931348623157e308\n-1.7976931348623157e308\n", encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "extreme", str(extreme)))
    suite = json.loads((project / "expectations" / "silver" / "int_datasets__extreme.json").read_text())
    (bounds,) = [e["kwargs"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_between"]
    assert bounds["min_value"] == -bounds["max_value"] == -1.7976931348623157e308


def test_a_ragged_line_is_refused_naming_its_line(project: Path, tmp_path: Path) -> None:
    """A record with more or fewer fields than the header: refused at landing naming the line (a quoted line
    break counted as the editor counts it), nothing landed. The reader's sniffer used to skip the lines
    before it and take a later row for the header."""
    good, ragged = tmp_path / "good.csv", tmp_path / "ragged.csv"
    good.write_text("id,s,n\n1,a,2\n2,b,3\n", encoding="utf-8")
    ragged.write_text('id,s,n\n1,a,2\n2,"b\nc",3\n3,c\n4,d,5\n', encoding="utf-8")
    home, landed = refused_landing(project, tmp_path, "ragged", good, ragged)
    assert landed.returncode != 0 and "ragged.csv: line 5 has 2 field(s), the header 3" in landed.stderr, landed
    assert not (home / "lake" / "raw" / "ragged").exists() or not any((home / "lake" / "raw" / "ragged").rglob("*.csv"))
    # Onboarded from a ragged file, DuckDB's sniffer read one column named by the whole header: refused instead.
    onboarded = run(project, home, "onboard", "dataset", "ragged_sample", str(ragged))
    assert onboarded.returncode != 0, onboarded.stdout
    assert "ragged.csv: line 5 has 2 field(s), the header 3 (with ',' between fields)" in onboarded.stderr, onboarded
    assert not (project / "datasets" / "ragged_sample.yml").exists()
    # Gzipped, the same: the line is found in the decompressed text.
    packed = tmp_path / "ragged.csv.gz"
    packed.write_bytes(gzip.compress(ragged.read_bytes()))
    landed = run(project, home, "land", "dataset", "ragged", str(packed))
    assert landed.returncode != 0 and "ragged.csv.gz: line 5 has 2 field(s), the header 3" in landed.stderr, landed


def refused_landing(project: Path, tmp_path: Path, name: str, sample: Path, delivery: Path, *onboard: str):
    """`sample` onboarded as dataset `name` in a home of its own, then `delivery` landed: the landing's result."""
    home = tmp_path / "home"
    succeeded(run(project, home, "onboard", "dataset", name, str(sample), *onboard))
    return home, run(project, home, "land", "dataset", name, str(delivery))


def test_a_json_field_the_sample_did_not_always_have_may_be_absent(project: Path, tmp_path: Path) -> None:
    """A field some sampled records lack is optional: a delivery where no record has it lands (its column
    null). A field every sampled record had is still required: a delivery without it is refused, named."""
    sample, sparse, lacking = tmp_path / "sample.jsonl", tmp_path / "sparse.jsonl", tmp_path / "lacking.jsonl"
    sample.write_text('{"id": "a", "x": 1, "note": "hi"}\n{"id": "b", "x": 2}\n', encoding="utf-8")
    sparse.write_text('{"id": "c", "x": 3}\n', encoding="utf-8")
    lacking.write_text('{"id": "d", "note": "no x"}\n', encoding="utf-8")
    home, refused = refused_landing(project, tmp_path, "sparse", sample, lacking, "--key", "id")
    succeeded(run(project, home, "land", "dataset", "sparse", str(sparse)))
    assert refused.returncode == 1 and "missing: /x" in refused.stderr, refused.stderr


def test_a_partition_value_too_long_for_a_folder_name_is_refused(project: Path, tmp_path: Path) -> None:
    """A partition value names a folder, `region=<value>`, escaped as DuckDB writes it: one whose name would be
    over 255 bytes would fail every later build of the processed zone on DuckDB, so the landing refuses it,
    naming the column. 100 CJK characters are 300 bytes, 900 escaped; `a b ` 45 times is 180 bytes, 360
    escaped (it landed before, counted as 180)."""
    good, long = tmp_path / "regions.csv", tmp_path / "regions-long.csv"
    good.write_text("id,region\n1,north\n2,south\n", encoding="utf-8")
    long.write_text(f"id,region\n3,{'北' * 100}\n4,east\n5,{'a b ' * 45}\n", encoding="utf-8")
    home, refused = refused_landing(project, tmp_path, "regions", good, long, "--partition-by", "region")
    assert refused.returncode == 1, refused
    assert "region: 2 value(s) too long to name a partition folder (over 248 bytes" in refused.stderr, refused.stderr
    succeeded(run(project, home, "land", "dataset", "regions", str(good)))


def test_a_json_string_where_the_contract_has_a_number_is_refused(project: Path, tmp_path: Path) -> None:
    """A JSON string "1804.10000" reads as a number but is text (an id, say): as a DOUBLE it would become
    1804.1. Onboarding never makes a string a number; landing refuses one where the contract has a number."""
    sample, stringly = tmp_path / "scores.jsonl", tmp_path / "scores-strings.jsonl"
    sample.write_text('{"id": "a", "score": 1.5, "n": 2}\n{"id": "b", "score": 2, "n": null}\n', encoding="utf-8")
    stringly.write_text('{"id": "c", "score": "1804.10000", "n": 3}\n', encoding="utf-8")
    home, refused = refused_landing(project, tmp_path, "scores", sample, stringly)
    assert refused.returncode == 1, refused
    assert '/score: DOUBLE expected, 1 value(s) are JSON of another kind (e.g. "1804.10000")' in refused.stderr
    succeeded(run(project, home, "land", "dataset", "scores", str(sample)))  # numbers and a null land


def test_a_quoted_empty_field_is_empty_text_and_an_empty_one_is_missing(project: Path, tmp_path: Path) -> None:
    """A CSV written with every field quoted (as many exports are): `""` in a text column is the empty text,
    kept through silver and counted as a value by the profile, while an unquoted empty field is null; in a
    number, date or boolean column either is missing. A `""` key is no key: refused at landing."""
    from orchestration.sources.datasets.contract import DatasetError, infer

    sample, no_key = tmp_path / "quoted.csv", tmp_path / "quoted-no-key.csv"
    sample.write_text(
        'id,note,n,day\n"1","","5","2021-01-01"\n"2",,"",""\n"3","x",,"2021-01-03"\n"4","y","7","2021-01-04"\n',
        encoding="utf-8",
    )
    no_key.write_text('code,n\n"",1\n"b",2\n', encoding="utf-8")
    home = tmp_path / "home"
    succeeded(run(project, home, "onboard", "dataset", "quoted", str(sample), "--key", "id"))
    succeeded(run(project, home, "land", "dataset", "quoted", str(sample)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = warehouse_rows(home, "select id, note, n, day from silver.int_datasets__quoted order by id")
    assert rows == [
        (1, "", 5, date(2021, 1, 1)), (2, None, None, None), (3, "x", None, date(2021, 1, 3)),
        (4, "y", 7, date(2021, 1, 4)),
    ]  # fmt: skip
    profile = profile_of(home, "quoted", "quoted")
    assert profile["note"][:5] == (4, 1, 3, "", "y") and profile["n"][:5] == (4, 2, 2, "5", "7")
    # Bronze keeps the values as delivered, whatever the column's type.
    assert warehouse_rows(home, "select c002, c003 from bronze.dataset_quoted where record_number = 2") == [(None, "")]
    refused = run(project, home, "onboard", "dataset", "keyless", str(no_key), "--key", "code")
    assert refused.returncode == 2 and "--key code: 1 rows of quoted-no-key.csv have no code" in refused.stderr
    numbered = tmp_path / "numbered.csv"  # a number key: `""` counted once, as the missing number it is
    numbered.write_text('id,n\n1,5\n"",6\n3,7\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"--key id: 1 rows of numbered\.csv have no id"):
        infer(numbered, "numbered", key="id")
    keyed = tmp_path / "keyed.csv"
    keyed.write_text('code,n\n"a",1\n"b",2\n', encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "keyless", str(keyed), "--key", "code"))
    landed = run(project, home, "land", "dataset", "keyless", str(no_key))
    assert landed.returncode == 1 and "code: the key, missing in 1 row(s) (the first: row 1)" in landed.stderr
    assert "--force" not in landed.stderr  # onboarding again cannot help a row without its key


def test_a_dataset_onboarded_before_quoted_empty_fields_were_text_keeps_reading_them_as_null(tmp_path: Path) -> None:
    """A CSV contract from before `quoted_empty` (its bronze and models read `""` as null) keeps doing so when
    the dataset is onboarded again: one dataset never holds both readings."""
    from dataclasses import replace

    from orchestration.sources.datasets.contract import delivered, evolve, infer, scratch

    sample = tmp_path / "old.csv"
    sample.write_text('id,note\n1,""\n2,x\n', encoding="utf-8")
    fresh = infer(sample, "old")
    assert fresh.options["quoted_empty"] == "text"
    before = replace(fresh, options={k: v for k, v in fresh.options.items() if k != "quoted_empty"})
    again = evolve(before, infer(sample, "old"))
    assert again.options["quoted_empty"] == "null"
    con = scratch()
    try:
        assert delivered(con, again, sample)["old"].fetchall() == [(1, "1", None), (2, "2", "x")]
        assert delivered(con, fresh, sample)["old"].fetchall() == [(1, "1", ""), (2, "2", "x")]
    finally:
        con.close()


def test_onboarding_again_keeps_the_key_and_layout_and_refuses_to_change_what_bronze_relies_on(
    tmp_path: Path,
) -> None:
    """Onboarding a changed file again (what a refused landing suggests) keeps the dataset's key and partition
    column unless given anew: dropping them silently would give back every re-sent row. A key whose type would
    widen (`' 1'` and `1` one BIGINT, two texts), and a new key for a dataset whose child tables bronze holds by
    the old one, are refused."""
    from orchestration.sources.datasets.contract import DatasetError
    from orchestration.sources.datasets.onboard import onboard

    project = tmp_path / "project"
    first, wider, lettered = tmp_path / "w1.csv", tmp_path / "w3.csv", tmp_path / "w4.csv"
    first.write_text("id,day,amt\n1,2024-01-01,10\n2,2024-01-02,20\n", encoding="utf-8")
    wider.write_text("id,day,amt,fee\n1,2024-01-01,10,1\n", encoding="utf-8")
    lettered.write_text("id,day,amt\nA1,2024-01-01,10\n", encoding="utf-8")
    onboard("w", first, partition_by="day", key="id", project=project)
    again, _ = onboard("w", wider, force=True, project=project)
    assert (again.key, again.partition_by) == ("id", "day")
    assert "fee" in [c.column for c in again.parent.columns]
    with pytest.raises(DatasetError, match="the dataset's key was BIGINT, the new file makes it VARCHAR"):
        onboard("w", lettered, force=True, project=project)
    nested = tmp_path / "k.json"
    nested.write_text(
        '[{"id": 1, "venue": {"id": 10}, "items": [{"k": 1}]}, {"id": 2, "venue": {"id": 11}, "items": []}]',
        encoding="utf-8",
    )
    onboard("kk", nested, key="venue_id", project=project)
    with pytest.raises(DatasetError, match=r"dataset kk is keyed by venue_id.*cannot change"):
        onboard("kk", nested, key="id", force=True, project=project)


def test_a_damaged_archive_is_refused_naming_it(tmp_path: Path) -> None:
    """A gzip cut short, a zip that is not one, a member whose checksum fails: a clear refusal naming the file,
    at onboarding and at landing, not a traceback."""
    import zipfile

    from orchestration.sources.datasets.contract import DatasetError, check, infer

    plain = tmp_path / "n.csv"
    plain.write_text("id,n\n" + "".join(f"{i},{i * 7}\n" for i in range(3000)), encoding="utf-8")
    contract = infer(plain, "n")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(plain.read_bytes())[:3000])
    not_zip = tmp_path / "half.zip"
    with zipfile.ZipFile(tmp_path / "whole.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain, "n.csv")
    not_zip.write_bytes((tmp_path / "whole.zip").read_bytes()[:2000])
    bad_crc = tmp_path / "crc.zip"
    whole = bytearray((tmp_path / "whole.zip").read_bytes())
    whole[100] ^= 0xFF  # one byte of the compressed member flipped
    bad_crc.write_bytes(bytes(whole))
    for damaged, kind in ((cut, "gzip"), (not_zip, "zip"), (bad_crc, "zip")):
        with pytest.raises(DatasetError, match=rf"{damaged.name}: a damaged {kind} file"):
            infer(damaged, "n")
        with pytest.raises(DatasetError, match=rf"{damaged.name}: a damaged {kind} file"):
            check(contract, damaged)


def test_a_json_delivery_is_judged_by_its_fields_not_by_what_its_records_happen_to_hold(
    project: Path, tmp_path: Path
) -> None:
    """A one-record delivery holds less variety than the sample: a field the contract keeps as JSON text
    (objects in some records, text in others) may hold only objects, an array of objects may be empty in every
    record, an object may be null in every record. Each lands and builds; a new field or a changed kind is
    still refused."""
    sample = tmp_path / "mixed.json"
    sample.write_text(
        json.dumps(
            [
                {"id": 1, "v": {"a": 1}, "venue": {"name": "x"}, "items": [{"k": "a"}]},
                {"id": 2, "v": "txt", "venue": {"name": "y"}, "items": []},
                {"id": 6, "v": "txt", "venue": None, "items": []},
            ]
        ),
        encoding="utf-8",
    )
    only_objects, only_empty, new_field = (tmp_path / f"{n}.json" for n in ("objects", "empty", "new-field"))
    only_objects.write_text(  # a null element is no row; the next keeps its place (ordinal 2)
        json.dumps([{"id": 3, "v": {"a": 2}, "venue": {"name": "z"}, "items": [None, {"k": "b"}]}]), encoding="utf-8"
    )
    only_empty.write_text(json.dumps([{"id": 4, "v": "t", "venue": None, "items": []}]), encoding="utf-8")
    new_field.write_text(json.dumps([{"id": 5, "v": "t", "venue": None, "items": [], "z": 1}]), encoding="utf-8")
    home, refused = refused_landing(project, tmp_path, "mixed", sample, new_field, "--key", "id")
    assert refused.returncode == 1 and "added: /z" in refused.stderr, refused.stderr
    for delivery in (sample, only_objects, only_empty):
        succeeded(run(project, home, "land", "dataset", "mixed", str(delivery)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = warehouse_rows(home, "select id, v, venue_name from silver.int_datasets__mixed order by id")
    assert rows == [(1, '{"a":1}', "x"), (2, "txt", "y"), (3, '{"a":2}', "z"), (4, "t", None), (6, "txt", None)]
    items = warehouse_rows(home, "select parent_id, ordinal, k from silver.int_datasets__mixed__items order by all")
    assert items == [(1, 1, "a"), (3, 2, "b")]
    # Only a field the sample held in several kinds takes an object: a text field that became one is refused.
    from orchestration.sources.datasets.contract import check, infer

    named, renamed = tmp_path / "named.json", tmp_path / "renamed.json"
    named.write_text(json.dumps([{"id": 1, "name": "a"}]), encoding="utf-8")
    renamed.write_text(json.dumps([{"id": 2, "name": {"first": "b"}}]), encoding="utf-8")
    assert check(infer(named, "named"), renamed)[0].lines() == ["added: /name/first", "missing: /name"]


def test_rows_of_deliveries_from_before_a_key_was_chosen_are_not_lost(project: Path, tmp_path: Path) -> None:
    """A dataset onboarded again with a key its earlier deliveries lack: their rows have no key, and the build
    says so (the key's not-null test) rather than leave them out of the processed zone without a word. A key
    kept from the contract that the new file lacks is named as the dataset's."""
    home = tmp_path / "home"
    first, keyed, keyless = tmp_path / "a.csv", tmp_path / "e.csv", tmp_path / "b.csv"
    first.write_text("id,region,amt\n1,eu,3\n2,us,4\n", encoding="utf-8")
    keyed.write_text("id,region,amt,code\n5,eu,3,A\n6,us,4,B\n", encoding="utf-8")
    keyless.write_text("region,amt,code\neu,3,C\n", encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "shop", str(first), "--key", "id", "--partition-by", "region"))
    succeeded(run(project, home, "land", "dataset", "shop", str(first)))
    refused = run(project, home, "onboard", "dataset", "shop", str(keyless), "--force")
    assert refused.returncode == 2 and "(--key id is the dataset's, kept from datasets/shop.yml" in refused.stderr
    succeeded(run(project, home, "onboard", "dataset", "shop", str(keyed), "--key", "code", "--force"))
    succeeded(run(project, home, "land", "dataset", "shop", str(keyed)))
    failed = run(project, home, "build", "--source", "datasets")
    assert failed.returncode == 1 and "not_null_int_datasets__shop_code" in failed.stdout, failed.stdout


def test_onboarding_again_can_drop_the_key_and_the_partition_column(project: Path, tmp_path: Path) -> None:
    """`--no-key` and `--no-partition` drop what the contract kept: every delivered row is then kept (no
    latest-per-key) and the processed zone is one folder. A key kept from the contract that the new file
    lacks is named as the dataset's, with how to drop it; a dataset with child tables keeps its key."""
    home = tmp_path / "home"
    first, second, keyless = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    first.write_text("id,region,amt\n1,eu,3\n2,us,4\n", encoding="utf-8")
    second.write_text("id,region,amt\n1,eu,5\n", encoding="utf-8")
    keyless.write_text("region,amt\neu,7\n", encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "till", str(first), "--key", "id", "--partition-by", "region"))
    for delivery in (first, second):
        succeeded(run(project, home, "land", "dataset", "till", str(delivery)))
    refused = run(project, home, "onboard", "dataset", "till", str(keyless), "--force")
    assert refused.returncode == 2, refused.stderr
    assert "(--key id is the dataset's, kept from datasets/till.yml: give another, or --no-key)" in refused.stderr
    succeeded(run(project, home, "onboard", "dataset", "till", str(keyless), "--no-key", "--no-partition", "--force"))
    meta = yaml.safe_load((project / "datasets" / "till.yml").read_text(encoding="utf-8"))["contract"]
    assert meta.get("key") is None and meta.get("partition_by") is None, meta
    succeeded(run(project, home, "land", "dataset", "till", str(keyless)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = warehouse_rows(home, "select id, region, amt from silver.int_datasets__till order by all")
    assert rows == [(1, "eu", 3), (1, "eu", 5), (2, "us", 4), (None, "eu", 7)]
    zone = home / "lake" / "processed" / "till" / "till"
    assert list(zone.glob("*.parquet")) and not list(zone.glob("region=*")), sorted(zone.iterdir())
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps([{"id": 1, "items": [{"k": "a"}]}]), encoding="utf-8")
    succeeded(run(project, home, "onboard", "dataset", "nest", str(nested), "--key", "id"))
    kept = run(project, home, "onboard", "dataset", "nest", str(nested), "--no-key", "--force")
    assert kept.returncode == 2 and "--no-key: dataset nest is keyed by id" in kept.stderr, kept.stderr
    nested.write_text(json.dumps([{"code": 1, "items": [{"k": "a"}]}]), encoding="utf-8")
    lacking = run(project, home, "onboard", "dataset", "nest", str(nested), "--force")
    assert lacking.returncode == 2, lacking.stderr
    assert "so it cannot change: deliver files that have id, or onboard this one as a new dataset" in lacking.stderr
    both = run(project, home, "onboard", "dataset", "nest", str(nested), "--key", "id", "--no-key")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr, both.stderr


def test_a_key_repeated_within_a_delivery_is_said_at_landing(project: Path, tmp_path: Path) -> None:
    """A file may carry a key's rows in order (an update after the first): it lands, the last row of each key is
    the one silver keeps, and `land` says so, counting keys as the models compare them (` 5` and `5` are one)."""
    sample, repeated = tmp_path / "keys.csv", tmp_path / "keys-repeated.csv"
    sample.write_text("id,n\n1,1\n2,2\n", encoding="utf-8")
    repeated.write_text("id,n\n5,3\n 5,9\n6,1\n6,2\n7,3\n", encoding="utf-8")
    home = tmp_path / "home"
    succeeded(run(project, home, "onboard", "dataset", "keys", str(sample), "--key", "id"))
    landed = succeeded(run(project, home, "land", "dataset", "keys", str(repeated)))
    assert "note: id: 2 row(s) repeat a key an earlier row of this file has (e.g. ' 5')" in landed, landed
    assert "note:" not in succeeded(run(project, home, "land", "dataset", "keys", str(sample)))
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = warehouse_rows(home, "select id, n from silver.int_datasets__keys order by id")
    assert rows == [(1, 1), (2, 2), (5, 9), (6, 2), (7, 3)]


def test_a_wide_table_and_a_map_keyed_by_ids_onboard_land_and_build(project: Path, tmp_path: Path) -> None:
    """A CSV of 220 columns is onboarded and profiled (each exact distinct count holds memory of its own for a
    whole pass: 200 of them in one ran out of DuckDB's 1 GB limit, at onboarding and in the build). A JSON
    object whose keys are ids is one column of each record's JSON text, not a column per id, and a later
    delivery with other keys (or an object inside) still fits it."""
    home = tmp_path / "home"
    wide, votes, later = tmp_path / "wide.csv", tmp_path / "votes.jsonl", tmp_path / "later.jsonl"
    with wide.open("w", encoding="utf-8") as out:
        out.write("id," + ",".join(f"m{j}" for j in range(220)) + "\n")
        out.writelines(f"{i}," + ",".join(str(i * (j + 1)) for j in range(220)) + "\n" for i in range(2000))
    records = [{"id": i, "votes": {f"user{i}": i % 5, f"user{i + 1}": 1}} for i in range(150)]
    votes.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    more = [{"id": 1000, "votes": {"ann": 2}}, {"id": 1001, "votes": {"bob": {"up": 1}}}]
    later.write_text("".join(json.dumps(r) + "\n" for r in more), encoding="utf-8")

    out = succeeded(run(project, home, "onboard", "dataset", "wide", str(wide), "--key", "id"))
    assert "wide (221 columns)" in out
    out = succeeded(run(project, home, "onboard", "dataset", "votes", str(votes), "--key", "id"))
    assert "votes (2 columns)" in out and "votes.votes (/votes) is an object of over 100 fields" in out, out
    for name, path in [("wide", wide), ("votes", votes), ("votes", later)]:
        succeeded(run(project, home, "land", "dataset", name, str(path)))
    succeeded(run(project, home, "build", "--source", "datasets"))

    profile = profile_of(home, "wide", "wide")
    assert len(profile) == 221
    assert profile["m0"][:5] == (2000, 0, 2000, "0", "1999")
    assert profile["m219"][:5] == (2000, 0, 2000, "0", str(1999 * 220))
    kept = warehouse_rows(home, "select id, votes from silver.int_datasets__votes order by id")
    assert {i: json.loads(v) for i, v in kept} == {r["id"]: r["votes"] for r in records + more}


def test_a_json_shape_merged_in_batches_is_duckdbs_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shape merged from each distinct structure, a few read at a time, is what DuckDB's
    json_group_structure gives for the whole file, field order included: over random records of every kind
    json_structure names (HUGEINT from a BIGINT after a UBIGINT, JSON from text after a number), nested
    objects, empty objects (`{}` merged with an object is that object) and arrays (an array of only empty
    objects, the one known difference, is left out)."""
    import random

    from orchestration.sources.datasets import contract

    rng = random.Random(7)

    def value(depth: int, in_array: bool = False) -> object:
        kinds = ["null", "bool", "small", "negative", "double", "text", "huge"] + (
            ["object", "array", "objects"] * (depth < 3)
        )
        kind = rng.choice(kinds)
        if kind == "object":  # `{}` too, but not as an array's element
            return {rng.choice("abcde"): value(depth + 1) for _ in range(rng.randrange(int(in_array), 4))}
        if kind == "array":
            return [value(depth + 1, in_array=True) for _ in range(rng.randrange(0, 3))]
        if kind == "objects":
            return [{rng.choice("pq"): value(depth + 1)} for _ in range(rng.randrange(0, 3))]
        return {"null": None, "bool": True, "small": 7, "negative": -3, "double": 0.25, "text": "s"}.get(kind, 2**64)

    path = tmp_path / "records.jsonl"
    reference = duckdb.connect()
    for _ in range(60):
        records = [{rng.choice("abcdefg"): value(1) for _ in range(rng.randrange(0, 5))} for _ in range(20)]
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        whole = reference.execute(
            "select json_group_structure(json) from read_json_objects($1)", [str(path)]
        ).fetchall()[0][0]
        for batch in (1, 3):
            monkeypatch.setattr(contract, "SHAPE_BATCH", batch)
            con = contract.scratch()
            try:
                shape = contract._json_shape(con, path, {"format": "newline_delimited"})
            finally:
                con.close()
            assert json.dumps(shape) == json.dumps(json.loads(whole)), (batch, records)


def test_every_line_of_a_csv_is_a_record_and_every_value_kept_whole(tmp_path: Path) -> None:
    """A `#` is no comment (DuckDB's sniffer took it for one: a line starting with it was dropped and every
    value cut at it); a timestamp with digits past a microsecond stays text (a TIMESTAMP would drop them)."""
    from orchestration.sources.datasets.contract import DatasetError, check, infer

    sample, later, hashed = tmp_path / "notes.csv", tmp_path / "notes-2.csv", tmp_path / "hashed.csv"
    sample.write_text("id,note,at\n1,issue #42 fixed,2021-01-01 10:00:00.123456\n2,x,2021-01-02 10:00:00\n")
    contract = infer(sample, "notes")
    assert [c.type for c in contract.parent.columns] == ["BIGINT", "VARCHAR", "TIMESTAMP"]
    assert (
        contract.profile["notes"]["note"]["max"] == "x"
        and contract.profile["notes"]["note"]["min"] == "issue #42 fixed"
    )
    later.write_text("id,note,at\n#3,y,2021-01-03 10:00:00\n4,z # not a comment,2021-01-04 10:00:00\n")
    drift, rows = check(contract, later)
    assert rows == 2 and drift.lines() == ["retyped: id: BIGINT expected, 1 value(s) are not (e.g. '#3')"], (
        drift.lines()
    )
    hashed.write_text("id,n,note\n1,1,a\n#2,2\n3,3,b\n")
    with pytest.raises(DatasetError, match=r"line 3 has 2 field\(s\), the header 3"):
        infer(hashed, "hashed")
    precise, padded = tmp_path / "precise.csv", tmp_path / "padded.csv"
    precise.write_text("id,at\n1,2021-01-01 10:00:00.1234567\n")
    assert [c.type for c in infer(precise, "precise").parent.columns] == ["BIGINT", "VARCHAR"]
    padded.write_text("id,at\n1,2021-01-01 10:00:00.1230000\n")  # SQL Server's datetime2(7): zeros lose nothing
    assert [c.type for c in infer(padded, "padded").parent.columns] == ["BIGINT", "TIMESTAMP"]


def test_the_whole_file_is_in_the_datasets_encoding(tmp_path: Path) -> None:
    """The encoding is judged over the whole file, not its first megabyte: a Latin-1 line past it in a UTF-8
    dataset is refused naming its line (it landed, and every build failed reading it), a UTF-8 file for a
    Latin-1 dataset is refused (`é` would be `Ã©`), and a UTF-16 file is refused at onboarding."""
    from orchestration.sources.datasets.contract import DatasetError, check, infer

    ascii_rows = "".join(f"{i},name {i}\n" for i in range(1, 80_001)).encode()
    utf8, mixed, latin = tmp_path / "people.csv", tmp_path / "people-2.csv", tmp_path / "latin.csv"
    utf8.write_bytes(b"id,name\n1,Zo\xc3\xab\n")
    mixed.write_bytes(b"id,name\n" + ascii_rows + b"80001,caf\xe9\n")
    contract = infer(utf8, "people")
    assert contract.options["encoding"] == "utf-8"
    drift = check(contract, mixed)[0]
    assert drift.lines() == [
        "retyped: line 80002 is not UTF-8, the dataset is utf-8 (deliver the whole file in one encoding)"
    ]
    latin.write_bytes(b"id,name\n1,caf\xe9\n")
    assert infer(mixed, "mixed").options["encoding"] == "latin-1"  # its first megabyte is ASCII
    later_utf8 = tmp_path / "latin-2.csv"
    later_utf8.write_bytes(b"id,name\n" + ascii_rows + b"80001,caf\xc3\xa9\n")
    drift = check(infer(latin, "latin"), later_utf8)[0]
    assert drift.lines() == ["retyped: the file is utf-8, the dataset latin-1"]
    wide = tmp_path / "wide.csv"
    wide.write_bytes("id,name\n1,café\n".encode("utf-16"))
    with pytest.raises(DatasetError, match="the file is UTF-16 or UTF-32"):
        infer(wide, "wide")
    # UTF-8 and Latin-1 in one file: read as Latin-1, the UTF-8 `é` would be `Ã©`.
    both = tmp_path / "both.csv"
    both.write_bytes(b"id,name\n1,caf\xc3\xa9\n2,caf\xe9\n")
    with pytest.raises(
        DatasetError, match=r"line 2 is UTF-8 .*, line 3 is not: deliver the whole file in one encoding"
    ):
        infer(both, "both")
    assert check(infer(latin, "latin"), both)[0].lines()[0].startswith("retyped: line 2 is UTF-8")
    assert check(infer(latin, "latin"), wide)[0].lines() == [
        "retyped: the file is UTF-16 or UTF-32 (its first bytes say so), the dataset latin-1"
    ]
    # Windows-1252's € and curly quotes (0x80-0x9f) are no Latin-1 to DuckDB, which read no such file.
    windows = tmp_path / "windows.csv"
    windows.write_bytes(b"id,name\n1,caf\xe9\n2,\x93quoted\x94 \x80\n")
    with pytest.raises(
        DatasetError, match=r"line 3 has a byte of 0x80-0x9f, Windows-1252 text .* save the file as UTF-8"
    ):
        infer(windows, "windows")
    assert check(infer(latin, "latin"), windows)[0].lines()[0].startswith("retyped: line 3 has a byte of 0x80-0x9f")


def test_a_file_with_mixed_line_ends_and_json_records_over_lines(tmp_path: Path) -> None:
    """Lines ending both in CRLF and in LF are named (DuckDB's sniffer said only that it found no dialect);
    JSON records pretty-printed one after another are read (DuckDB called such a file malformed at its
    second line); a record nested over 128 levels is named as such, not as DuckDB's internal error."""
    from orchestration.sources.datasets.contract import DatasetError, check, infer

    mixed, pretty, deep = tmp_path / "mixed.csv", tmp_path / "pretty.json", tmp_path / "deep.jsonl"
    mixed.write_bytes(b"id,t\r\n1,a\r\n2,b\n3,c\r\n")
    with pytest.raises(
        DatasetError, match="line 1 ends in CRLF, line 3 in LF: save the file with one kind of line end"
    ):
        infer(mixed, "mixed")
    excel = tmp_path / "excel.csv"  # CRLF lines, an LF inside a quoted cell: one kind of line end
    excel.write_bytes(b'id,note\r\n1,"two\nlines"\r\n2,x\r\n')
    drift, rows = check(infer(excel, "excel"), excel)
    assert not drift and rows == 2
    pretty.write_text(
        json.dumps({"id": 1, "tags": [{"t": "a"}]}, indent=2) + "\n" + json.dumps({"id": 2}, indent=2) + "\n"
    )
    contract = infer(pretty, "pretty")
    assert contract.options["format"] == "unstructured" and [t.table for t in contract.tables] == [
        "pretty",
        "pretty__tags",
    ]
    drift, rows = check(contract, pretty)
    assert not drift and rows == 2
    deep.write_text('{"id": 1, "n": ' + "[" * 200 + "]" * 200 + "}\n")
    with pytest.raises(DatasetError, match="a record nests arrays or objects over 128 levels deep"):
        infer(deep, "deep")


def test_a_text_partition_column_reads_back_as_delivered_and_a_dropped_delivery_is_not_read(
    project: Path, tmp_path: Path
) -> None:
    """The processed zone's partition column is read from its files, not guessed from folder names: a text
    `2021-1-2` stays that text (it came back as the DATE 2021-01-02). A delivery set aside before bronze read
    it is never read: one bronze cannot read no longer fails every build once dropped."""
    home = tmp_path / "home"
    first, second = tmp_path / "regions.csv", tmp_path / "regions-2.csv"
    first.write_text("id,region,amount\n1,2021-1-2,10\n2,2021-01-03,20\n3,2021-1-2,30\n", encoding="utf-8")
    second.write_text("id,region,amount\n4,7,40\n", encoding="utf-8")
    succeeded(
        run(project, home, "onboard", "dataset", "regions", str(first), "--key", "id", "--partition-by", "region")
    )
    succeeded(run(project, home, "land", "dataset", "regions", str(first)))
    landed = succeeded(run(project, home, "land", "dataset", "regions", str(second)))
    delivery, raw = re.search(r"as (\S+) \((lake/raw/\S+)\)", landed).groups()
    (home / raw).write_bytes(b"id,region,amount\n4,caf\xe9,40\n")  # unreadable as the dataset's UTF-8
    succeeded(run(project, home, "quarantine", "drop", delivery))
    succeeded(run(project, home, "build", "--source", "datasets"))
    rows = warehouse_rows(home, "select id, region, typeof(region) from silver.int_datasets__regions order by id")
    assert rows == [(1, "2021-1-2", "VARCHAR"), (2, "2021-01-03", "VARCHAR"), (3, "2021-1-2", "VARCHAR")]


def test_a_json_number_where_the_sample_had_strings_is_refused(tmp_path: Path) -> None:
    """A text column keeps the kind of JSON value its sample held: a number where strings were would land as
    DuckDB writes it (`1.50` as `1.5`, `1E2` as `100.0`), so it is refused, named; a text column of numbers
    too long for a BIGINT takes numbers and refuses strings. The kind is in the contract (`kind:`)."""
    from orchestration.sources.datasets.contract import Contract, check, infer

    sample, later = tmp_path / "codes.jsonl", tmp_path / "codes-2.jsonl"
    sample.write_text(
        '{"id": 1, "code": "a1", "big": 123456789012345678901234}\n{"id": 2, "code": "b2", "big": 1}\n',
        encoding="utf-8",
    )
    contract = Contract.from_meta(infer(sample, "codes").to_meta())  # as written to datasets/codes.yml
    assert {c.column: (c.type, c.kind) for c in contract.parent.columns} == {
        "id": ("BIGINT", ""),
        "code": ("VARCHAR", "text"),
        "big": ("VARCHAR", "number"),
    }
    assert not check(contract, sample)[0]
    later.write_text(
        '{"id": 3, "code": 1.50, "big": 2}\n{"id": 4, "code": 1E2, "big": "3"}\n{"id": 5, "code": "c3", "big": 4}\n',
        encoding="utf-8",
    )
    assert check(contract, later)[0].lines() == [
        "retyped: /code: JSON strings expected, 2 value(s) are JSON of another kind (e.g. 1.5)",
        'retyped: /big: JSON numbers expected, 1 value(s) are JSON of another kind (e.g. "3")',
    ]


def test_what_a_file_has_wrong_is_named_plainly(tmp_path: Path) -> None:
    """A small CSV with a line of more fields than its header is named by that line (the sniffer saw no header
    in it); a JSON record that is not an object is named by its number and kind; a zip made by macOS's
    Archive Utility (the file and its `__MACOSX/` resource fork) is read as the one file it holds."""
    import zipfile

    from orchestration.sources.datasets.contract import DatasetError, check, infer

    tiny, records, zipped = tmp_path / "tiny.csv", tmp_path / "records.jsonl", tmp_path / "loans.csv.zip"
    tiny.write_text("a,b,c\n1,2,3\n4,5,6,7\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"line 3 has 4 field\(s\), the header 3"):
        infer(tiny, "tiny")
    records.write_text('{"id": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="record 2 is a JSON array; each record must be a JSON object"):
        infer(records, "records")
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("loans.csv", "id,amount\n1,10\n2,20\n")
        archive.writestr("__MACOSX/._loans.csv", b"\x00\x05\x16\x07resource fork")
    contract = infer(zipped, "zipped")
    assert [c.column for c in contract.parent.columns] == ["id", "amount"] and contract.sample_rows == 2
    # A table's array delivered as one object: its kind changed (it was `/arr/q` added and `/arr/q` missing).
    tables, reshaped = tmp_path / "tables.jsonl", tmp_path / "tables-2.jsonl"
    tables.write_text('{"id": 1, "arr": [{"q": 1}, {"q": 2}]}\n', encoding="utf-8")
    reshaped.write_text('{"id": 2, "arr": {"q": 3}}\n', encoding="utf-8")
    assert check(infer(tables, "tables"), reshaped)[0].lines() == [
        "retyped: /arr: an array of objects expected (the table tables__arr), the file has an object there"
    ]


def test_an_empty_object_and_an_object_the_contract_lists_the_fields_of(tmp_path: Path) -> None:
    """`{}` where other records have an object's fields is that object with none (the first batched merge
    read it as text and a number: a JSON column, and a record `{}` crashed onboarding); a nested object of
    over 100 fields that the contract lists field by field (onboarded again with more of them) is checked
    field by field at landing, not taken for a map."""
    from orchestration.sources.datasets.contract import Contract, check, evolve, infer

    empty, wide_a, wide_b = tmp_path / "empty.jsonl", tmp_path / "wide-a.jsonl", tmp_path / "wide-b.jsonl"
    empty.write_text('{"id": 1, "a": {"b": 1}}\n{"id": 2, "a": {}}\n{}\n', encoding="utf-8")
    contract = infer(empty, "empty")
    assert [c.name for c in contract.parent.columns] == ["/id", "/a/b"]
    assert not check(contract, empty)[0]
    wide_a.write_text(json.dumps({"id": 1, "d": {f"f{i}": i for i in range(60)}}) + "\n", encoding="utf-8")
    wide_b.write_text(json.dumps({"id": 2, "d": {f"g{i}": i for i in range(60)}}) + "\n", encoding="utf-8")
    both = Contract.from_meta(evolve(infer(wide_a, "wide"), infer(wide_b, "wide")).to_meta())
    assert len(both.parent.columns) == 121
    whole = tmp_path / "wide-c.jsonl"
    whole.write_text(
        json.dumps({"id": 3, "d": {**{f"f{i}": i for i in range(60)}, **{f"g{i}": i for i in range(60)}}}) + "\n",
        encoding="utf-8",
    )
    drift, rows = check(both, whole)
    assert not drift and rows == 1, drift.lines()


def test_a_field_named_twice_or_an_array_whose_kind_changed_is_not_read_as_something_else(tmp_path: Path) -> None:
    """A field named twice in one record with values of two kinds is JSON text, as DuckDB says (it was read as
    `{}` merged with the other record's object: `/a/x`, null in that record, its values gone); an array of
    values kept as JSON text takes an array of objects when it held several kinds, and is named as changed
    when it held one; a Latin-1 `É` before a no-break space is Latin-1, not UTF-8."""
    from orchestration.sources.datasets.contract import check, infer

    twice, mixed, objects, numbers = (tmp_path / f"{n}.jsonl" for n in ("twice", "mixed", "objects", "numbers"))
    twice.write_text('{"id": 1, "a": {"x": 1}}\n{"id": 2, "a": "s", "a": {"x": 2}}\n', encoding="utf-8")
    assert [(c.name, c.mixed) for c in infer(twice, "twice").parent.columns] == [("/id", False), ("/a", True)]
    mixed.write_text('{"id": 1, "arr": [1, "x"]}\n', encoding="utf-8")
    objects.write_text('{"id": 2, "arr": [{"p": 1}]}\n', encoding="utf-8")
    numbers.write_text('{"id": 3, "arr": [1, 2]}\n', encoding="utf-8")
    drift, rows = check(infer(mixed, "mixed"), objects)
    assert not drift and rows == 1
    assert check(infer(numbers, "numbers"), objects)[0].lines() == [
        "retyped: /arr: values expected (an array of them kept as its JSON text), the file has an array of objects "
        "there"
    ]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"id,name\n1,caf\xe9\n2,CAF\xc9\xa0!\n")
    assert infer(latin, "latin").options["encoding"] == "latin-1"
