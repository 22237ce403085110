{{ config(alias='forecast_municipality_enriched') }}

-- The 2-hour averages joined (left) with the newest dated municipality folder:
-- its date as data_date and its value columns, as delivered.

{%- set values = delivered_value_columns(
    ref('int_municipios__latest'),
    ['cve_ent', 'cve_mun', 'data_date', 'delivery_seq', 'line_number'],
) %}

with

averages as (

    select * from {{ ref('fct_forecast_municipality_2h') }}

),

municipios as (

    select * from {{ ref('int_municipios__latest') }}

),

final as (

    select
        averages.ides,
        averages.idmun,
        averages.nes,
        averages.nmun,
        averages.hours_used,
        averages.avg_temp,
        averages.avg_prec,
        averages.reference_hour,
        {%- for name in values %}
            municipios.{{ quoted(name) }},
        {%- endfor %}
        municipios.data_date
    from averages
    left join municipios
        on
            averages.ides = municipios.cve_ent
            and averages.idmun = municipios.cve_mun

)

select * from final
