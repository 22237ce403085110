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


{#- A timestamp without time zone. Iceberg stores microseconds only, so Trino
    needs precision 6 spelled out (its default is 3). -#}
{% macro timestamp_type() -%}
    {{ return(adapter.dispatch('timestamp_type', 'medallion')()) }}
{%- endmacro %}

{% macro default__timestamp_type() -%}
    timestamp
{%- endmacro %}

{% macro trino__timestamp_type() -%}
    timestamp(6)
{%- endmacro %}

{% macro bigquery__timestamp_type() -%}
    datetime
{%- endmacro %}


{#- Now, with time zone, at a precision every target can store. -#}
{% macro now_with_time_zone() -%}
    {{ return(adapter.dispatch('now_with_time_zone', 'medallion')()) }}
{%- endmacro %}

{% macro default__now_with_time_zone() -%}
    {{ dbt.current_timestamp() }}
{%- endmacro %}

{% macro trino__now_with_time_zone() -%}
    current_timestamp(6)
{%- endmacro %}
