"""Medallion: a dbt-centred lakehouse orchestrated by Dagster."""
