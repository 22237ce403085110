{#- Every non-overlapping match of an RE2-compatible `pattern`, left to right. -#}
{% macro regexp_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'medallion')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(text, pattern) -%}
    regexp_extract_all({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro bigquery__regexp_matches(text, pattern) -%}
    regexp_extract_all({{ text }}, r'{{ pattern }}')
{%- endmacro %}


{#- A select over `relation` giving, for each of its rows, one row per element
    of `array_expr` (an expression over the relation's columns): the `columns`
    carried over, the element as `value_name` and its 1-based position as
    `position_name`. Rows whose array is empty or null give no rows. Costs time
    and memory in proportion to the elements, however long one array is. -#}
{% macro explode(relation, columns, array_expr, value_name, position_name) -%}
    {{ return(adapter.dispatch('explode', 'medallion')(relation, columns, array_expr, value_name, position_name)) }}
{%- endmacro %}

{#- DuckDB: unnest in the select list. A lateral `cross join unnest(...)` costs
    time and memory quadratic in the array's length there (a 224 KB tweet of
    emoji took 12 s and 3.8 GB, a 2 MB one over 9 minutes and 20 GB). -#}
{% macro default__explode(relation, columns, array_expr, value_name, position_name) -%}
    select
        {% for column in columns %}{{ column }},
        {% endfor -%}
        unnest(exploded_array) as {{ value_name }},
        unnest(generate_series(1, len(exploded_array))) as {{ position_name }}
    from (
        select
            {% for column in columns %}{{ column }},
            {% endfor -%}
            {{ array_expr }} as exploded_array
        from {{ relation }}
    ) as with_array
{%- endmacro %}

{% macro trino__explode(relation, columns, array_expr, value_name, position_name) -%}
    select
        {% for column in columns %}with_array.{{ column }},
        {% endfor -%}
        exploded.{{ value_name }},
        exploded.{{ position_name }}
    from (
        select
            {% for column in columns %}{{ column }},
            {% endfor -%}
            {{ array_expr }} as exploded_array
        from {{ relation }}
    ) as with_array
    cross join unnest(with_array.exploded_array) with ordinality as exploded ({{ value_name }}, {{ position_name }})
{%- endmacro %}

{% macro bigquery__explode(relation, columns, array_expr, value_name, position_name) -%}
    select
        {% for column in columns %}with_array.{{ column }},
        {% endfor -%}
        element as {{ value_name }},
        element_offset + 1 as {{ position_name }}
    from (
        select
            {% for column in columns %}{{ column }},
            {% endfor -%}
            {{ array_expr }} as exploded_array
        from {{ relation }}
    ) as with_array
    cross join unnest(with_array.exploded_array) as element with offset as element_offset
{%- endmacro %}
