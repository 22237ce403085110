{{ config(alias='forecast_municipality_2h') }}

-- gold.forecast_municipality_2h as of the latest good build (older ones: gold.forecast_municipality_2h__versions).

{{ gold_current_rows(ref('fct_forecast_municipality_2h__versions')) }}
