{#- Typing delivered text the same way on every target. A value that is not
    what it should be becomes null (and staging rejects its line with a
    reason); nothing raises. -#}

{#- A JSON integer, as text, as a bigint: optional minus and digits only (no
    `1.0`, `1e3`, ` 12`, `true` or `123abc`), within the bigint range; else null.
    DuckDB's own cast would round `1.5` to 2, so the pattern decides, not the cast. -#}
{% macro to_bigint(text) -%}
    {{ return(adapter.dispatch('to_bigint', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__to_bigint(text) -%}
    case when regexp_full_match({{ text }}, '-?[0-9]{1,19}') then try_cast({{ text }} as bigint) end
{%- endmacro %}

{% macro trino__to_bigint(text) -%}
    case when regexp_like({{ text }}, '^-?[0-9]{1,19}$') then try_cast({{ text }} as bigint) end
{%- endmacro %}

{% macro bigquery__to_bigint(text) -%}
    case when regexp_contains({{ text }}, r'^-?[0-9]{1,19}$') then safe_cast({{ text }} as int64) end
{%- endmacro %}


{#- The same for an integer column: at most nine digits, so it always fits. -#}
{% macro to_integer(text) -%}
    {{ return(adapter.dispatch('to_integer', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__to_integer(text) -%}
    case when regexp_full_match({{ text }}, '-?[0-9]{1,9}') then cast({{ text }} as integer) end
{%- endmacro %}

{% macro trino__to_integer(text) -%}
    case when regexp_like({{ text }}, '^-?[0-9]{1,9}$') then cast({{ text }} as integer) end
{%- endmacro %}

{% macro bigquery__to_integer(text) -%}
    case when regexp_contains({{ text }}, r'^-?[0-9]{1,9}$') then safe_cast({{ text }} as int64) end
{%- endmacro %}


{#- A 64-bit float. BigQuery names it FLOAT64 and has no DOUBLE (GoogleSQL "Data types",
    numeric types); DuckDB and Trino call it DOUBLE. -#}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type', 'medallion')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    double
{%- endmacro %}

{% macro bigquery__double_type() -%}
    float64
{%- endmacro %}


{#- A JSON boolean, as text (`true` or `false`), as a boolean; else null. -#}
{% macro to_boolean(text) -%}
    case {{ text }} when 'true' then true when 'false' then false end
{%- endmacro %}


{#- A column name from delivered data, quoted for the target: quotes inside it
    are doubled, so a name can never end the identifier early. -#}
{% macro quoted(name) -%}
    {{ return(adapter.dispatch('quoted', 'medallion')(name)) }}
{%- endmacro %}

{% macro default__quoted(name) -%}
    "{{ name | replace('"', '""') }}"
{%- endmacro %}

{% macro bigquery__quoted(name) -%}
    `{{ name | replace('\\', '\\\\') | replace('`', '\\`') }}`
{%- endmacro %}


{#- A count (likes, replies, epoch seconds) delivered as a JSON integer or a
    string of digits: non-negative, at most 15 digits; anything else is null. -#}
{% macro to_count(text) -%}
    {{ return(adapter.dispatch('to_count', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__to_count(text) -%}
    case when regexp_full_match({{ text }}, '[0-9]{1,15}') then cast({{ text }} as bigint) end
{%- endmacro %}

{% macro trino__to_count(text) -%}
    case when regexp_like({{ text }}, '^[0-9]{1,15}$') then cast({{ text }} as bigint) end
{%- endmacro %}

{% macro bigquery__to_count(text) -%}
    safe_cast(if(regexp_contains({{ text }}, r'^[0-9]{1,15}$'), {{ text }}, null) as int64)
{%- endmacro %}
