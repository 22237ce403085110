{#- Layers own their schemas: a model configured with schema `silver` lands in
    `silver`, not `<target schema>_silver`, so every target reads the same names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
