{{ config(materialized='view') }}

-- Every line of every landed municipality file, keys typed, value columns as
-- delivered. The files decide their own columns: the view lists the ones
-- bronze has when it is built (every build), so a file with a new column
-- widens it.

{%- set values = delivered_value_columns(
    source('forecast', 'municipios_rows'),
    ['delivery_id', 'delivery_seq', 'data_date', 'line_number', 'cve_ent', 'cve_mun'],
) %}

with

rows_delivered as (

    select * from {{ source('forecast', 'municipios_rows') }}

),

final as (

    select
        {{ to_integer('trim(cve_ent)') }} as cve_ent,
        {{ to_integer('trim(cve_mun)') }} as cve_mun,
        data_date,
        {%- for name in values %}
            {{ quoted(name) }},
        {%- endfor %}
        delivery_id,
        delivery_seq,
        line_number
    from rows_delivered

)

select * from final
