{#- Where a dataset table's processed zone lives: `$MEDALLION_HOME/lake/processed/<dataset>/<table>/`
    (the dbt-duckdb plugin sets external_root to the home's `lake/processed`). A partitioned table is a
    folder of Hive partitions; an unpartitioned one is `data.parquet` in its folder. Both names are
    snake_case names `medallion onboard` made, never delivered text. -#}
{% macro dataset_location(dataset, table, partitioned) -%}
    {%- if target.type != 'duckdb' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for name in [dataset, table] -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name) -%}
            {{ exceptions.raise_compiler_error("dataset and table names are snake_case, not " ~ name) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set folder = adapter.external_root() ~ '/' ~ dataset ~ '/' ~ table -%}
    {{- return(folder if partitioned else folder ~ '/data.parquet') -}}
{%- endmacro %}


{#- The profile of tables: one row per column (but the lineage columns) with its rows, missing and distinct values, min and
    max as text, and the mean of a number. `tables` is a list of (dataset, table, relation); each
    relation is read in one pass (one aggregate over all its columns, unnested to a row per column). -#}
{% macro dataset_profiles(tables) -%}
    {{ return(adapter.dispatch('dataset_profiles')(tables)) }}
{%- endmacro %}

{% macro default__dataset_profiles(tables) -%}
    {%- set numeric = ['bigint', 'integer', 'double', 'float', 'decimal', 'hugeint', 'smallint', 'real', 'numeric'] -%}
    {%- set selects = [] -%}
    {%- if execute -%}
        {#- A dataset nothing was landed for has no table yet: it has no profile either. -#}
        {%- for dataset, table, relation in tables if adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none -%}
            {%- set columns = adapter.get_columns_in_relation(relation) -%}
            {%- set entries = [] -%}
            {#- The lineage of a row (which delivery, which line) is no figure of the data. -#}
            {%- for column in columns if column.name not in ['delivery_id', 'delivery_seq', 'record_number'] -%}
                {%- set name = column.name -%}
                {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name) -%}
                    {{ exceptions.raise_compiler_error("profiled columns are snake_case, not " ~ name) }}
                {%- endif -%}
                {%- set data_type = column.dtype | lower -%}
                {%- set is_number = data_type.split('(')[0] in numeric -%}
                {%- do entries.append(
                    "{'column_name': '" ~ name ~ "', 'data_type': '" ~ data_type | replace("'", "") ~ "', "
                    ~ "'null_count': count(*) - count(" ~ name ~ "), "
                    ~ "'distinct_count': count(distinct " ~ name ~ "), "
                    ~ "'min_value': cast(min(" ~ name ~ ") as varchar), "
                    ~ "'max_value': cast(max(" ~ name ~ ") as varchar), "
                    ~ "'mean': " ~ ("avg(" ~ name ~ ")" if is_number else "cast(null as double)") ~ "}"
                ) -%}
            {%- endfor -%}
            {%- do selects.append(
                "select '" ~ dataset ~ "' as dataset, '" ~ table ~ "' as table_name, row_count, "
                ~ "column_profile.* from (select count(*) as row_count, unnest([" ~ entries | join(', ')
                ~ "]) as column_profile from " ~ relation ~ ")"
            ) -%}
        {%- endfor -%}
    {%- endif %}
    with

    profiles as (

        {% for part in selects %}
        select
            dataset,
            table_name,
            column_name,
            data_type,
            row_count,
            null_count,
            distinct_count,
            min_value,
            max_value,
            mean
        from ({{ part }}) as one_table
        union all
        {% endfor %}
        select
            cast(null as varchar) as dataset,
            cast(null as varchar) as table_name,
            cast(null as varchar) as column_name,
            cast(null as varchar) as data_type,
            cast(null as bigint) as row_count,
            cast(null as bigint) as null_count,
            cast(null as bigint) as distinct_count,
            cast(null as varchar) as min_value,
            cast(null as varchar) as max_value,
            cast(null as double) as mean
        where false

    )

    select * from profiles
{%- endmacro %}
