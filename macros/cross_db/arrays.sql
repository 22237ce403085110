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


{#- A lateral join clause giving one row per element of `array_expr` as
    `alias.value_name` with its 1-based position `alias.position_name`.
    Rows whose array is empty or null disappear. -#}
{% macro cross_join_unnest(array_expr, alias, value_name, position_name) -%}
    {{ return(adapter.dispatch('cross_join_unnest', 'medallion')(array_expr, alias, value_name, position_name)) }}
{%- endmacro %}

{% macro default__cross_join_unnest(array_expr, alias, value_name, position_name) -%}
    cross join unnest({{ array_expr }}) with ordinality as {{ alias }} ({{ value_name }}, {{ position_name }})
{%- endmacro %}

{% macro bigquery__cross_join_unnest(array_expr, alias, value_name, position_name) -%}
    cross join (
        select element as {{ value_name }}, offset + 1 as {{ position_name }}
        from unnest({{ array_expr }}) as element with offset
    ) as {{ alias }}
{%- endmacro %}
