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
    (safe.parse_json({{ text }}, wide_number_mode => 'round') is not null)
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


{#- Several string fields of one JSON document, read in one pass where the
    warehouse can (DuckDB parses a document once for a list of paths, where a
    call per field parses it again for each: 2.5x the time and twice the memory
    on the tweets). `fields` maps column names to paths, in order:

        parsed as (select *, {{ json_string_fields('line', fields) }} as field_values from objects),
        extracted as (select ..., {{ json_string_columns('field_values', fields) }} from parsed)

    Each column is what `json_string(text, path)` gives: null when the path is
    absent (or the document is null). Elsewhere `parsed` is the document itself
    and each column reads its path from it. -#}
{% macro json_string_fields(text, fields) -%}
    {{ return(adapter.dispatch('json_string_fields', 'medallion')(text, fields)) }}
{%- endmacro %}

{% macro default__json_string_fields(text, fields) -%}
    {{ text }}
{%- endmacro %}

{% macro duckdb__json_string_fields(text, fields) -%}
    json_extract_string({{ text }}, [
        {%- for path in fields.values() %}'$.{{ path }}'{{ ', ' if not loop.last }}{% endfor -%}
    ])
{%- endmacro %}


{% macro json_string_columns(parsed, fields) -%}
    {%- for name, path in fields.items() %}
        {{ json_string_field(parsed, path, loop.index) }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- One field of `json_string_fields`: the `position`th path (from 1), `path`. -#}
{% macro json_string_field(parsed, path, position) -%}
    {{ return(adapter.dispatch('json_string_field', 'medallion')(parsed, path, position)) }}
{%- endmacro %}

{% macro default__json_string_field(parsed, path, position) -%}
    {{ json_string(parsed, path) }}
{%- endmacro %}

{% macro duckdb__json_string_field(parsed, path, position) -%}
    {{ parsed }}[{{ position }}]
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

{#- BigQuery: an ARRAY subquery over JSON_QUERY_ARRAY, in the array's order. A
    stored array cannot hold NULL (GoogleSQL reference, "Array type": "BigQuery raises
    an error if a query result has ARRAYs which contain NULL elements"), so an object
    without `field` gives no element here, where DuckDB and Trino keep a null (which
    silver drops when it explodes the array; positions after it differ by one).
    The guards are on the input, not around the call: JSON_QUERY_ARRAY gives NULL for
    a value that is not an array (reference, JSON functions), but the bqemulator
    evaluates the subquery for every row whatever a surrounding CASE says, and raises
    on text that is not JSON or on a JSON null where BigQuery gives NULL. -#}
{% macro bigquery__json_string_array(text, path, field) -%}
    {{ bigquery_json_array_strings(text, path, '$.' ~ field) }}
{%- endmacro %}

{#- BigQuery: `text` when it is valid JSON text, else NULL: what every JSON function below is given.
    `round`: a number too wide for FLOAT64 to hold exactly is still valid JSON (as on DuckDB and Trino),
    where PARSE_JSON's default `exact` would make the line "not JSON" (GoogleSQL "JSON functions"). -#}
{% macro bigquery_json_text(text) -%}
    if(safe.parse_json({{ text }}, wide_number_mode => 'round') is not null, {{ text }}, null)
{%- endmacro %}

{#- BigQuery: the strings at `item_path` of the elements of the array at `path`, in order, without
    NULLs; NULL when `path` holds no array (an ARRAY subquery gives an empty array, never NULL). -#}
{% macro bigquery_json_array_strings(text, path, item_path) -%}
    {%- set array_text = "if(starts_with(ltrim(coalesce(json_query(" ~ bigquery_json_text(text) ~ ", '$." ~ path ~ "'), '')), '['), " ~ text ~ ", null)" -%}
    array(
        select json_value(item, '{{ item_path }}')
        from unnest(json_query_array({{ array_text }}, '$.{{ path }}')) as item with offset as item_offset
        where json_value(item, '{{ item_path }}') is not null
        order by item_offset
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
    (json_type(safe.parse_json({{ text }}, wide_number_mode => 'round')) = 'object')
{%- endmacro %}


{#- True when the value at `path` is a JSON string (not a number, boolean,
    object, array or null); false when it is anything else or absent. -#}
{% macro json_is_string(text, path) -%}
    {{ return(adapter.dispatch('json_is_string', 'medallion')(text, path)) }}
{%- endmacro %}

{% macro default__json_is_string(text, path) -%}
    coalesce(json_type({{ text }}, '$.{{ path }}') = 'VARCHAR', false)
{%- endmacro %}

{% macro trino__json_is_string(text, path) -%}
    coalesce(json_format(json_extract({{ text }}, '$.{{ path }}')) like '"%', false)
{%- endmacro %}

{#- BigQuery: JSON_QUERY on JSON text gives the value's JSON text, a string's in quotes. -#}
{% macro bigquery__json_is_string(text, path) -%}
    coalesce(starts_with(json_query({{ bigquery_json_text(text) }}, '$.{{ path }}'), '"'), false)
{%- endmacro %}


{#- True when `path` is absent or holds JSON null. -#}
{% macro json_is_absent(text, path) -%}
    {{ return(adapter.dispatch('json_is_absent', 'medallion')(text, path)) }}
{%- endmacro %}

{% macro default__json_is_absent(text, path) -%}
    (coalesce(json_type({{ text }}, '$.{{ path }}'), 'NULL') = 'NULL')
{%- endmacro %}

{% macro trino__json_is_absent(text, path) -%}
    (coalesce(json_format(json_extract({{ text }}, '$.{{ path }}')), 'null') = 'null')
{%- endmacro %}

{% macro bigquery__json_is_absent(text, path) -%}
    (coalesce(json_query({{ bigquery_json_text(text) }}, '$.{{ path }}'), 'null') = 'null')
{%- endmacro %}


{#- The array of strings at `path` (null when it is not an array). -#}
{% macro json_string_list(text, path) -%}
    {{ return(adapter.dispatch('json_string_list', 'medallion')(text, path)) }}
{%- endmacro %}

{% macro default__json_string_list(text, path) -%}
    case when json_type({{ text }}, '$.{{ path }}') = 'ARRAY' then json_extract_string({{ text }}, '$.{{ path }}[*]') end
{%- endmacro %}

{% macro trino__json_string_list(text, path) -%}
    try_cast(json_extract({{ text }}, '$.{{ path }}') as array(varchar))
{%- endmacro %}

{#- BigQuery: every scalar of the array as text; a stored array cannot hold NULL, so JSON nulls and
    nested values are left out (DuckDB keeps them as NULL or JSON text, Trino gives NULL for the whole
    array). -#}
{% macro bigquery__json_string_list(text, path) -%}
    case
        when starts_with(ltrim(coalesce(json_query({{ bigquery_json_text(text) }}, '$.{{ path }}'), '')), '[')
            then {{ bigquery_json_array_strings(text, path, '$') }}
    end
{%- endmacro %}
