{#- The processed zone of a dataset table on DuckDB: zstd Parquet files at `location` (a folder of Hive
    partitions when `options.partition_by` is given, else one file) and a view over them.

    The query is written once, straight to a file beside `location` (`<location>.writing`), which then takes
    the old zone's place (`medallion_replace_path`, a function the project's dbt-duckdb plugin gives the
    connection, `orchestration/warehouse/dbt_duckdb_home.py`). dbt-duckdb's `external` first builds the
    whole result as a table in the warehouse file and copies that out: on the 887,000-row loan book, 2 s of
    the step. A query that fails leaves the old zone in place, as `external` does.

    The partition column is written into the files too, and the view reads it from them, not from the folder
    names: read back from a folder name, DuckDB guessed its type (a text column of `2021-1-2` came back as
    the DATE 2021-01-02, a text store number as a BIGINT) and folder names are escaped (`a%20b`).

    A query with no rows still gives the view its columns: one row of nulls is written and the view reads
    none. `location` is a path in the home (`dataset_location`), never delivered text. The files are
    swapped outside DuckDB's transaction: if the view's statement failed after it on a first run, there is
    no view until the next build (on a later run the view, unchanged, reads the new files). -#}
{% materialization processed_parquet, adapter='duckdb' %}
    {%- set location = render(config.require('location')) -%}
    {%- set options = config.get('options', {}) -%}
    {%- set partition_by = options.get('partition_by') -%}
    {%- set staged = location ~ '.writing' -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set write_options -%}
        format parquet, compression {{ options.get('codec', 'zstd') }}
        {%- if partition_by %}, partition_by ({{ adapter.quote(partition_by) }}), write_partition_columns true, overwrite true{% endif %}
    {%- endset -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% call statement('write', fetch_result=True) -%}
        copy (
            {{ compiled_code }}
        ) to {{ processed_path_literal(staged) }} ({{ write_options }})
    {%- endcall %}
    {%- set written = load_result('write')['table'].rows[0][0] -%}
    {%- if written == 0 -%}
        {% call statement('write_columns') -%}
            copy (
                select written.* from (select 1) as one left join (
                    {{ compiled_code }}
                ) as written on true
            ) to {{ processed_path_literal(staged) }} ({{ write_options }})
        {%- endcall %}
    {%- endif -%}
    {% call statement('replace', fetch_result=True) -%}
        select medallion_replace_path({{ processed_path_literal(staged) }}, {{ processed_path_literal(location) }})
    {%- endcall %}

    {%- if existing_relation is not none and existing_relation.type != 'view' -%}
        {{ adapter.drop_relation(existing_relation) }}
    {%- endif -%}
    {% call statement('main') -%}
        create or replace view {{ target_relation }} as
        select * from read_parquet(
            {{ processed_path_literal(location ~ ('/*/*.parquet' if partition_by else '')) }},
            hive_partitioning = false
        )
        {%- if written == 0 %}
        where false
        {%- endif %}
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- A path of the home as a SQL string literal (a quote in the home's name doubled). -#}
{% macro processed_path_literal(path) -%}
    '{{ path | replace("'", "''") }}'
{%- endmacro %}
