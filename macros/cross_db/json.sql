{#- JSON access. `path` is a JSONPath below the document root, e.g. 'user.username'. -#}

{% macro json_is_valid(text) -%}
    {{ return(adapter.dispatch('json_is_valid', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__json_is_valid(text) -%}
    json_valid({{ text }})
{%- endmacro %}

{% macro trino__json_is_valid(text) -%}
    (try(json_parse({{ text }})) is not null)
{%- endmacro %}

{% macro bigquery__json_is_valid(text) -%}
    (safe.parse_json({{ text }}) is not null)
{%- endmacro %}


{% macro json_string(text, path) -%}
    {{ return(adapter.dispatch('json_string', 'medallion')(text, path)) }}
{%- endmacro %}

{% macro default__json_string(text, path) -%}
    json_extract_string({{ text }}, '$.{{ path }}')
{%- endmacro %}

{% macro trino__json_string(text, path) -%}
    json_extract_scalar({{ text }}, '$.{{ path }}')
{%- endmacro %}

{% macro bigquery__json_string(text, path) -%}
    json_value({{ text }}, '$.{{ path }}')
{%- endmacro %}


{#- The `field` of every object in the array at `path`, as an array of strings
    (empty when the array is null or missing). -#}
{% macro json_string_array(text, path, field) -%}
    {{ return(adapter.dispatch('json_string_array', 'medallion')(text, path, field)) }}
{%- endmacro %}

{% macro default__json_string_array(text, path, field) -%}
    coalesce(json_extract_string({{ text }}, '$.{{ path }}[*].{{ field }}'), [])
{%- endmacro %}

{% macro trino__json_string_array(text, path, field) -%}
    coalesce(
        transform(
            try_cast(json_extract({{ text }}, '$.{{ path }}') as array(json)),
            item -> json_extract_scalar(item, '$.{{ field }}')
        ),
        array[]
    )
{%- endmacro %}

{% macro bigquery__json_string_array(text, path, field) -%}
    array(
        select json_value(item, '$.{{ field }}')
        from unnest(json_query_array({{ text }}, '$.{{ path }}')) as item
    )
{%- endmacro %}


{#- True when valid JSON text `text` is an object (not an array, string or number). -#}
{% macro json_is_object(text) -%}
    {{ return(adapter.dispatch('json_is_object', 'medallion')(text)) }}
{%- endmacro %}

{% macro default__json_is_object(text) -%}
    (json_type({{ text }}) = 'OBJECT')
{%- endmacro %}

{% macro trino__json_is_object(text) -%}
    regexp_like({{ text }}, '^[ \t\r\n]*\{')
{%- endmacro %}

{% macro bigquery__json_is_object(text) -%}
    (json_type(safe.parse_json({{ text }})) = 'object')
{%- endmacro %}
