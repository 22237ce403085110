{#- An ISO-8601 timestamp with offset ('2021-02-12T23:05:00+05:30') as a UTC
    timestamp without time zone; null when it does not parse. -#}
{% macro iso_timestamp_to_utc(text) -%}
    {{ return(adapter.dispatch('iso_timestamp_to_utc', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__iso_timestamp_to_utc(text) -%}
    timezone('UTC', try_cast({{ text }} as timestamp with time zone))
{%- endmacro %}

{% macro trino__iso_timestamp_to_utc(text) -%}
    cast(try(from_iso8601_timestamp({{ text }})) at time zone 'UTC' as timestamp(6))
{%- endmacro %}

{% macro bigquery__iso_timestamp_to_utc(text) -%}
    datetime(safe.parse_timestamp('%Y-%m-%dT%H:%M:%E*S%Ez', {{ text }}), 'UTC')
{%- endmacro %}
