{{
    config(
        materialized='incremental',
        alias='forecast_municipality_2h__versions',
        unique_key='version_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_unregistered_versions() }}",
        post_hook="{{ prune_gold_versions() }}",
    )
}}

-- Every published version of gold.forecast_municipality_2h, newest last.

{{ gold_version_rows(ref('fct_forecast_municipality_2h')) }}
