{#- Snapshot validity times on Trino: Iceberg keeps microseconds and Trino's
    `current_timestamp` has milliseconds, so a snapshot would mix timestamp(3)
    and timestamp(6) columns (dbt-trino #126). Found through the `dispatch`
    search order in dbt_project.yml. -#}
{% macro trino__snapshot_get_time() -%}
    current_timestamp(6)
{%- endmacro %}
