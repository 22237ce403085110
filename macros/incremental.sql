{#- The highest `column` value already in this incremental model, or `floor`
    on a first build. New rows are those above it. -#}
{% macro incremental_watermark(column, floor=-1) -%}
    (select coalesce(max({{ column }}), {{ floor }}) from {{ this }})
{%- endmacro %}


{#- Pre-hook for exploded children of a deduplicated parent: delete the rows of
    every parent re-delivered since the last build, so a tweet whose new version
    has no emoji (or no mentions) does not keep the old ones. -#}
{% macro delete_redelivered_children(parent, key, watermark_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key }} in (
            select {{ key }} from {{ parent }}
            where {{ watermark_column }} > {{ incremental_watermark(watermark_column) }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
