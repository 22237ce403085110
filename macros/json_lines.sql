{#- The bronze lines of `relation` (a `<source>_lines` table: one delivered line
    per row) that this incremental model has not classified yet, each with what
    decides whether it can be read at all: `is_too_long`, `is_json` and
    `is_object`. JSON functions raise on malformed text, so `is_object` is only
    evaluated (inside a CASE) on a line that is valid JSON. -#}
{% macro json_lines(relation) -%}
    select
        checked.*,
        case when checked.is_json then {{ json_is_object('checked.line') }} else false end as is_object
    from (
        select
            bronze.*,
            coalesce(bronze.line_status = 'line_too_long', false) as is_too_long,
            bronze.is_valid_utf8
            and not coalesce(bronze.line_status = 'line_too_long', false)
            and {{ json_is_valid('bronze.line') }} as is_json
        from {{ relation }} as bronze
        {%- if is_incremental() %}
            where bronze.ingestion_seq > {{ incremental_watermark('ingestion_seq') }}
        {%- endif %}
    ) as checked
{%- endmacro %}


{#- The first reasons a line is rejected, the same for every source of JSON
    lines (the CASE's first branches; a model adds its own after them). -#}
{% macro unreadable_line_reasons() -%}
    when not is_valid_utf8 then 'line is not valid UTF-8'
            when is_too_long then 'line too long'
            when not is_json then 'line is not valid JSON'
            when not is_object then 'line is not a JSON object'
{%- endmacro %}
