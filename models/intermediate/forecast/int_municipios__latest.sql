{{ config(materialized='table') }}

-- The newest dated municipality folder (its latest delivery if the date came twice).

{%- set values = delivered_value_columns(
    ref('stg_forecast__municipios_rows'),
    ['cve_ent', 'cve_mun', 'data_date', 'delivery_id', 'delivery_seq', 'line_number'],
) %}

with

rows_delivered as (

    select * from {{ ref('stg_forecast__municipios_rows') }}

),

newest as (

    select max(data_date) as data_date from rows_delivered

),

newest_delivery as (

    select max(rows_delivered.delivery_seq) as delivery_seq
    from rows_delivered
    inner join newest on rows_delivered.data_date = newest.data_date

),

final as (

    select
        rows_delivered.cve_ent,
        rows_delivered.cve_mun,
        rows_delivered.data_date,
        {%- for name in values %}
            rows_delivered.{{ quoted(name) }},
        {%- endfor %}
        rows_delivered.delivery_seq,
        rows_delivered.line_number
    from rows_delivered
    inner join newest_delivery on rows_delivered.delivery_seq = newest_delivery.delivery_seq

)

select * from final
