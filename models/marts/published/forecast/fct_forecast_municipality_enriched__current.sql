{{ config(alias='forecast_municipality_enriched') }}

-- gold.forecast_municipality_enriched as of the latest good build (older ones: gold.forecast_municipality_enriched__versions).

{{ gold_current_rows(ref('fct_forecast_municipality_enriched__versions')) }}
