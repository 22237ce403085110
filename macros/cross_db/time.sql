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

{#- BigQuery: SAFE_CAST to TIMESTAMP reads the canonical form, with `T` or a space and
    an offset (`+05:30`, `Z`), and gives NULL for what it cannot read (GoogleSQL reference,
    "Conversion rules", string to TIMESTAMP). Like DuckDB's cast, it also reads a date
    alone or a time without offset, as UTC. It takes at most 6 fractional digits, so more
    are cut to 6 first (DuckDB keeps microseconds too). Not PARSE_TIMESTAMP with `%Ez`,
    which the bqemulator raises on even for valid input. -#}
{% macro bigquery__iso_timestamp_to_utc(text) -%}
    datetime(safe_cast(regexp_replace({{ text }}, r'([.][0-9]{6})[0-9]+', r'\1') as timestamp), 'UTC')
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


{#- A local hour written `YYYYMMDDTHH` as a timestamp without time zone; null when it does not parse. -#}
{% macro parse_local_hour(text) -%}
    {{ return(adapter.dispatch('parse_local_hour', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__parse_local_hour(text) -%}
    try_strptime({{ text }}, '%Y%m%dT%H')
{%- endmacro %}

{% macro trino__parse_local_hour(text) -%}
    try(cast(date_parse({{ text }}, '%Y%m%dT%H') as timestamp(6)))
{%- endmacro %}

{% macro bigquery__parse_local_hour(text) -%}
    safe.parse_datetime('%Y%m%dT%H', {{ text }})
{%- endmacro %}


{#- A timestamp with time zone as the wall-clock time in `zone` (timestamp without time zone). -#}
{% macro to_local_time(timestamp_tz, zone) -%}
    {{ return(adapter.dispatch('to_local_time', 'medallion')(timestamp_tz, zone)) }}
{%- endmacro %}

{% macro default__to_local_time(timestamp_tz, zone) -%}
    timezone('{{ zone }}', {{ timestamp_tz }})
{%- endmacro %}

{% macro trino__to_local_time(timestamp_tz, zone) -%}
    cast({{ timestamp_tz }} at time zone '{{ zone }}' as timestamp(6))
{%- endmacro %}

{% macro bigquery__to_local_time(timestamp_tz, zone) -%}
    datetime({{ timestamp_tz }}, '{{ zone }}')
{%- endmacro %}


{#- The forecast service's clock (var `forecast_timezone`, from MEDALLION_FORECAST_TZ),
    checked to be an IANA zone name before it goes into SQL. -#}
{% macro forecast_timezone() -%}
    {%- set zone = var('forecast_timezone') | string -%}
    {%- if not modules.re.fullmatch('[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*', zone) -%}
        {{ exceptions.raise_compiler_error("MEDALLION_FORECAST_TZ must be a time zone name such as America/Mexico_City, not " ~ zone) }}
    {%- endif -%}
    {{ return(zone) }}
{%- endmacro %}


{#- ISO 8601 that says its offset ('2026-11-20T09:30:00+01:00', '...Z') as a
    UTC timestamp; null without an offset (whose instant would be a guess), for
    a year before 1000 or (in UTC) after 9999, an hour past 23, an offset past
    23:59, or when it does not parse. -#}
{% macro iso_offset_timestamp_to_utc(text) -%}
    {%- set pattern = '[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])' -%}
    {{ return(adapter.dispatch('iso_offset_timestamp_to_utc', 'medallion')(text, pattern)) }}
{%- endmacro %}

{% macro default__iso_offset_timestamp_to_utc(text, pattern) -%}
    case
        when regexp_full_match({{ text }}, '{{ pattern }}') and year({{ iso_timestamp_to_utc(text) }}) <= 9999
            then {{ iso_timestamp_to_utc(text) }}
    end
{%- endmacro %}

{#- Trino's from_iso8601_timestamp wants the `T`: a space there is made one. -#}
{% macro trino__iso_offset_timestamp_to_utc(text, pattern) -%}
    {%- set iso = "regexp_replace(" ~ text ~ ", '^([0-9-]{10}) ', '$1T')" -%}
    case
        when regexp_like({{ text }}, '^{{ pattern }}$') and year({{ iso_timestamp_to_utc(iso) }}) <= 9999
            then {{ iso_timestamp_to_utc(iso) }}
    end
{%- endmacro %}

{#- BigQuery's cast reads a space or a `T` (and years up to 9999 only). -#}
{% macro bigquery__iso_offset_timestamp_to_utc(text, pattern) -%}
    {{ iso_timestamp_to_utc("if(regexp_contains(" ~ text ~ ", r'^" ~ pattern ~ "$'), " ~ text ~ ", null)") }}
{%- endmacro %}


{#- Epoch seconds (a count, at most the year 3000) as a UTC timestamp. -#}
{% macro epoch_to_utc(seconds) -%}
    {{ return(adapter.dispatch('epoch_to_utc', 'medallion')(seconds)) }}
{%- endmacro %}

{% macro default__epoch_to_utc(seconds) -%}
    case when {{ seconds }} <= 32503680000 then make_timestamp({{ seconds }} * 1000000) end
{%- endmacro %}

{% macro trino__epoch_to_utc(seconds) -%}
    case when {{ seconds }} <= 32503680000 then cast(from_unixtime({{ seconds }}) as timestamp(6)) end
{%- endmacro %}

{% macro bigquery__epoch_to_utc(seconds) -%}
    datetime(timestamp_seconds(if({{ seconds }} <= 32503680000, {{ seconds }}, null)), 'UTC')
{%- endmacro %}


{#- A timestamp without time zone (a local wall-clock time) truncated to its hour, of the same type.
    On BigQuery dbt's date_trunc casts to TIMESTAMP (dbt-bigquery's `bigquery__date_trunc`), which
    BigQuery will not compare with a DATETIME; DATETIME_TRUNC keeps the type (GoogleSQL reference,
    "Datetime functions"). -#}
{% macro local_hour(timestamp) -%}
    {{ return(adapter.dispatch('local_hour', 'medallion')(timestamp)) }}
{%- endmacro %}

{% macro default__local_hour(timestamp) -%}
    {{ dbt.date_trunc('hour', timestamp) }}
{%- endmacro %}

{% macro bigquery__local_hour(timestamp) -%}
    datetime_trunc({{ timestamp }}, hour)
{%- endmacro %}
