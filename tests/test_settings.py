"""Settings are read in one place, typed, checked, and documented in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import medallion

from orchestration.settings import PROJECT_DIR, SETTINGS, SettingsError, load, settings_table

NAME = re.compile(r"\bMEDALLION_[A-Z0-9_]+\b")


def test_the_readme_lists_every_setting_as_the_code_defines_it() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    between = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", readme, re.S)
    assert between, "README.md has no settings table between <!-- settings:start --> and <!-- settings:end -->"
    assert between.group(1).strip() == settings_table(), "README settings table is stale: paste settings_table()"


def test_every_setting_the_project_reads_is_in_the_table() -> None:
    known = {s.name for s in SETTINGS}
    files = [
        *PROJECT_DIR.joinpath("orchestration").rglob("*.py"),
        *PROJECT_DIR.joinpath("macros").rglob("*.sql"),
        *PROJECT_DIR.joinpath("models").rglob("*.yml"),
        PROJECT_DIR / "profiles.example.yml",
        PROJECT_DIR / "dbt_project.yml",
        PROJECT_DIR / "Makefile",
    ]
    used = {(name, f.relative_to(PROJECT_DIR).as_posix()) for f in files for name in NAME.findall(f.read_text())}
    assert sorted(u for u in used if u[0] not in known) == []


def test_only_the_settings_module_reads_the_environment() -> None:
    # Writing for child processes (`os.environ["DAGSTER_HOME"] = ...`, `{**os.environ, ...}`) is not reading.
    reads = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[[^]]+\](?!\s*=)")
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}:{n}"
        for path in PROJECT_DIR.joinpath("orchestration").rglob("*.py")
        if path.name != "settings.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if reads.search(line)
    ]
    assert offenders == []


def test_defaults_are_typed_and_overrides_win(tmp_path: Path) -> None:
    settings = load({}, overrides={"MEDALLION_HOME": str(tmp_path)})
    assert settings.paths.home == tmp_path.resolve()
    assert settings.target == "duckdb"
    assert settings.limits.max_line_bytes == 1 << 20
    assert settings.gates.max_reject_rate == 0.01
    assert settings.gates.forecast_records == (1000, 1_000_000)
    assert settings.trino.port == 8085 and settings.gold_retention == 30
    assert settings.webhook_url is None
    assert load({"MEDALLION_TRINO_PORT": "9999", "MEDALLION_WEBHOOK_URL": "http://h/x"}).trino.port == 9999


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MEDALLION_TRINO_PORT", "eighty", "MEDALLION_TRINO_PORT='eighty': expected a whole number"),
        ("MEDALLION_MAX_REJECT_RATE", "2", "MEDALLION_MAX_REJECT_RATE='2': must be between 0 and 1"),
        ("MEDALLION_TWEETS_WINDOW", "2021-12-31,2021-01-01", "the first value is above the second"),
        ("MEDALLION_GOLD_RETENTION", "0", "MEDALLION_GOLD_RETENTION='0': expected a whole number of versions"),
        ("MEDALLION_FORECAST_ATTEMPTS", "-1", "MEDALLION_FORECAST_ATTEMPTS='-1': must be greater than 0"),
        ("MEDALLION_TARGET", "oracle", "MEDALLION_TARGET='oracle': expected one of duckdb, trino, bigquery"),
    ],
)
def test_a_bad_value_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        load({name: value})


def test_the_cli_refuses_a_bad_setting_before_doing_anything(tmp_path: Path) -> None:
    result = medallion(tmp_path / "home", "deliveries", MEDALLION_TRINO_PORT="eighty")
    assert result.returncode == 2
    assert "error: MEDALLION_TRINO_PORT='eighty': expected a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_reader_that_goes_away_ends_the_output_not_in_a_traceback(tmp_path: Path) -> None:
    """`medallion deliveries | head -1`: the reader closes the pipe before the listing is written, and the
    command stops with SIGPIPE's status, as a Unix tool does, not with a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "deliveries"],
            env={**os.environ, "MEDALLION_HOME": str(tmp_path / "home")},
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
