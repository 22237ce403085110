{#- The value columns of a delivered CSV: every column of `relation` except
    the keys and the loader's lineage, read from the warehouse when the model
    runs (the municipality files decide their own columns). -#}
{% macro delivered_value_columns(relation, exclude) -%}
    {%- set skip = exclude | map('lower') | list -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower not in skip -%}
                {%- do names.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}
