{#- Seeds on Trino and BigQuery are loaded again only when they changed.

    dbt-trino drops a seed's table and inserts every row again on each `dbt build`: for the 6,750-row
    `emoji_walks` that was ~13 s of every Trino build of the tweets (the rows rendered one by one in
    Jinja, then seven INSERTs, each an Iceberg commit; measured in Trino's `system.runtime.queries`).
    dbt-bigquery drops the table and loads the file again with a load job, then sets its options.
    Here a seed whose table already holds this very file is left as it is: the table's comment (on
    BigQuery its description) names the file's checksum and the shape it was loaded with (`seed_marker`),
    and it holds as many rows as the file. Anything else (a changed file, column type, delimiter or dbt
    version, rows deleted behind dbt's back, no table, `dbt build --full-refresh`) loads it as the adapter
    does, then writes the marker. Rows changed in place by hand, as many as before, are not seen:
    `--full-refresh` loads it again. The seed's tests run either way. Only the project's own relation
    names (quoted as literals) and the marker reach the SQL. -#}

{#- What a seed's table holds: the file's sha256 (dbt keeps a path instead for a file over 1 MiB: such
    a seed has no marker and is loaded every time), and a digest of every setting that shapes the table
    (each column's name and type as the adapter will create it, delimiter, quoting, table properties and
    labels, the dbt version). Written as the table's comment; `persist_docs` on seeds would overwrite it
    (every build would then load the seed again, no stale table). -#}
{% macro seed_marker(model, agate_table) -%}
    {%- if model.checksum.name != 'sha256' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set override = model.config.get('column_types', {}) -%}
    {%- set columns = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- do columns.append([name, override.get(name, adapter.convert_type(agate_table, loop.index0))]) -%}
    {%- endfor -%}
    {%- set shape = [columns, model.config.get('delimiter'), model.config.get('quote_columns'),
                     model.config.get('properties'), model.config.get('labels'), dbt_version] -%}
    {{ return('medallion seed ' ~ model.checksum.checksum ~ ' ' ~ local_md5(tojson(shape))) }}
{%- endmacro %}


{% macro seed_is_current(model, relation, agate_table) -%}
    {%- set marker = seed_marker(model, agate_table) -%}
    {%- if relation is none or marker is none or should_full_refresh() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if adapter.dispatch('seed_comment')(relation) != marker -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.dispatch('seed_rows')(relation) == (agate_table.rows | length)) }}
{%- endmacro %}


{#- The marker a seed's table carries; none where this project does not keep seeds (dbt resolves every
    dispatch when it parses, whatever the target). -#}
{% macro default__seed_comment(relation) -%}
    {{ return(none) }}
{%- endmacro %}

{#- Trino keeps a table's comment in its metadata tables. auto_begin: the seed materialization
    commits at its end, and a skipped load opens nothing else. -#}
{% macro trino__seed_comment(relation) -%}
    {%- set response, found = adapter.execute(
        "select comment from system.metadata.table_comments where catalog_name = lower('"
        ~ relation.database | replace("'", "''") ~ "') and schema_name = lower('"
        ~ relation.schema | replace("'", "''") ~ "') and table_name = lower('"
        ~ relation.identifier | replace("'", "''") ~ "')",
        auto_begin=true, fetch=true
    ) -%}
    {{ return(found.rows[0][0] if found.rows | length > 0 else none) }}
{%- endmacro %}

{#- BigQuery: the table's description, from its metadata (`tables.get`). -#}
{% macro bigquery__seed_comment(relation) -%}
    {%- set table = adapter.get_bq_table(relation) -%}
    {{ return(table.description if table is not none else none) }}
{%- endmacro %}

{#- Counted, not read from the table's metadata: the emulator's `numRows` stays as loaded after a DELETE.
    (On BigQuery a count(*) reads no bytes.) -#}
{% macro default__seed_rows(relation) -%}
    {%- set response, counted = adapter.execute("select count(*) from " ~ relation.render(), fetch=true) -%}
    {{ return(counted.rows[0][0]) }}
{%- endmacro %}


{#- Writing the marker: Trino's table comment, BigQuery's table description. -#}
{% macro trino__seed_write_marker(relation, marker) -%}
    {%- do run_query('comment on table ' ~ relation.render() ~ " is '" ~ marker | replace("'", "''") ~ "'") -%}
{%- endmacro %}

{% macro bigquery__seed_write_marker(relation, marker) -%}
    {%- do adapter.update_table_description(relation.database, relation.schema, relation.identifier, marker) -%}
{%- endmacro %}

{% macro default__seed_write_marker(relation, marker) -%}
{%- endmacro %}


{#- The adapter's own reset and load (`reset` and `load`, its macros), skipped for a seed that is current;
    after a load the marker is written. -#}
{% macro reset_csv_table_unless_current(reset, model, full_refresh, old_relation, agate_table) -%}
    {%- if not full_refresh and seed_is_current(model, old_relation, agate_table) -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(reset(model, full_refresh, old_relation, agate_table)) }}
{%- endmacro %}

{% macro load_csv_rows_unless_current(load, model, agate_table) -%}
    {%- if seed_is_current(model, adapter.get_relation(this.database, this.schema, this.identifier), agate_table) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set sql = load(model, agate_table) -%}
    {%- set marker = seed_marker(model, agate_table) -%}
    {%- if marker is not none -%}
        {%- do adapter.dispatch('seed_write_marker')(this, marker) -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}


{% macro trino__reset_csv_table(model, full_refresh, old_relation, agate_table) -%}
    {{ return(reset_csv_table_unless_current(dbt.trino__reset_csv_table, model, full_refresh, old_relation, agate_table)) }}
{%- endmacro %}

{% macro trino__load_csv_rows(model, agate_table) -%}
    {{ return(load_csv_rows_unless_current(dbt.trino__load_csv_rows, model, agate_table)) }}
{%- endmacro %}

{% macro bigquery__reset_csv_table(model, full_refresh, old_relation, agate_table) -%}
    {{ return(reset_csv_table_unless_current(dbt.bigquery__reset_csv_table, model, full_refresh, old_relation, agate_table)) }}
{%- endmacro %}

{% macro bigquery__load_csv_rows(model, agate_table) -%}
    {{ return(load_csv_rows_unless_current(dbt.bigquery__load_csv_rows, model, agate_table)) }}
{%- endmacro %}
