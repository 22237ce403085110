{#- Seeds on Trino are loaded again only when they changed.

    dbt-trino drops a seed's table and inserts every row again on each `dbt build`: for the 6,750-row
    `emoji_walks` that was ~13 s of every Trino build of the tweets (the rows rendered one by one in
    Jinja, then seven INSERTs, each an Iceberg commit; measured in Trino's `system.runtime.queries`).
    Here a seed whose table already holds this very file is left as it is: the table's comment names the
    file's checksum and the shape it was loaded with (`seed_marker`), and it holds as many rows as the file.
    Anything else (a changed file, column type, delimiter or dbt version, rows deleted behind dbt's back,
    no table, `dbt build --full-refresh`) loads it as dbt-trino does, then writes the comment. Rows
    changed in place by hand, as many as before, are not seen: `--full-refresh` loads it again. The
    seed's tests run either way. Only the project's own relation names (quoted as literals) and the
    marker reach the SQL. -#}

{#- What a seed's table holds: the file's sha256 (dbt keeps a path instead for a file over 1 MiB: such
    a seed has no marker and is loaded every time), and a digest of every setting that shapes the table
    (each column's name and type as dbt-trino will create it, delimiter, quoting, table properties, the
    dbt version). Written as the table's comment; `persist_docs` on seeds would overwrite it (every build
    would then load the seed again, no stale table). -#}
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
                     model.config.get('properties'), dbt_version] -%}
    {{ return('medallion seed ' ~ model.checksum.checksum ~ ' ' ~ local_md5(tojson(shape))) }}
{%- endmacro %}


{% macro seed_is_current(model, relation, agate_table) -%}
    {%- set marker = seed_marker(model, agate_table) -%}
    {%- if relation is none or marker is none or should_full_refresh() -%}
        {{ return(false) }}
    {%- endif -%}
    {#- auto_begin: the seed materialization commits at its end, and a skipped load opens nothing else. -#}
    {%- set response, found = adapter.execute(
        "select comment from system.metadata.table_comments where catalog_name = lower('"
        ~ relation.database | replace("'", "''") ~ "') and schema_name = lower('"
        ~ relation.schema | replace("'", "''") ~ "') and table_name = lower('"
        ~ relation.identifier | replace("'", "''") ~ "')",
        auto_begin=true, fetch=true
    ) -%}
    {%- if found.rows | length == 0 or found.rows[0][0] != marker -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set response, counted = adapter.execute("select count(*) from " ~ relation.render(), fetch=true) -%}
    {{ return(counted.rows[0][0] == (agate_table.rows | length)) }}
{%- endmacro %}


{% macro trino__reset_csv_table(model, full_refresh, old_relation, agate_table) -%}
    {%- if not full_refresh and seed_is_current(model, old_relation, agate_table) -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(dbt.trino__reset_csv_table(model, full_refresh, old_relation, agate_table)) }}
{%- endmacro %}


{% macro trino__load_csv_rows(model, agate_table) -%}
    {%- if seed_is_current(model, adapter.get_relation(this.database, this.schema, this.identifier), agate_table) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set sql = dbt.trino__load_csv_rows(model, agate_table) -%}
    {%- set marker = seed_marker(model, agate_table) -%}
    {%- if marker is not none -%}
        {%- do run_query('comment on table ' ~ this.render() ~ " is '" ~ marker | replace("'", "''") ~ "'") -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}
