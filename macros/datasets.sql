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


{#- A delivered timestamp (text the landing checked: `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]`, and an offset
    `Z`/`+HH[:MM]` when `with_zone`) as a timestamp. DuckDB casts either form; Trino casts only the space
    form, and reads an offset only through from_iso8601_timestamp_nanos, which wants the `T`.
    `value` is a column name the generated model passes, never delivered text. -#}
{% macro dataset_timestamp(value, with_zone) -%}
    {{ return(adapter.dispatch('dataset_timestamp')(value, with_zone)) }}
{%- endmacro %}

{% macro default__dataset_timestamp(value, with_zone) -%}
    cast(trim({{ value }}) as {{ 'timestamptz' if with_zone else 'timestamp' }})
{%- endmacro %}

{% macro trino__dataset_timestamp(value, with_zone) -%}
    {#- Digits past the sixth are cut first: Trino rounds when it lowers a precision, DuckDB cuts. -#}
    {%- set microseconds = "regexp_replace(trim(" ~ value ~ "), '([.][0-9]{6})[0-9]+', '$1')" -%}
    {%- if with_zone -%}
        {#- ISO 8601 as Trino reads it: a `T`, and an offset of hours and minutes (`+05` -> `+05:00`). -#}
        cast(from_iso8601_timestamp_nanos(regexp_replace(regexp_replace(replace({{ microseconds }}, ' ', 'T'),
            '([+-][0-9]{2})([0-9]{2})$', '$1:$2'), '([+-][0-9]{2})$', '$1:00')) as timestamp(6) with time zone)
    {%- else -%}
        cast(replace({{ microseconds }}, 'T', ' ') as timestamp(6))
    {%- endif -%}
{%- endmacro %}

{#- BigQuery: a time zone makes a TIMESTAMP, none a DATETIME (DuckDB's timestamptz and timestamp). Its CAST
    reads the canonical form (GoogleSQL "Conversion rules", string to TIMESTAMP / DATETIME): `T` or a space,
    seconds always, at most six fractional digits, an offset `Z`, `+HH` or `+HH:MM`. So seconds are added
    where the delivery has none, digits past six are cut (DuckDB keeps microseconds too) and `+HHMM` gains
    its colon. Plain CAST, not SAFE_CAST: the landing checked every value, so a value that does not read
    is an error to see, not a NULL. -#}
{% macro bigquery__dataset_timestamp(value, with_zone) -%}
    {%- set canonical -%}
        regexp_replace(regexp_replace(trim({{ value }}),
            r'^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2})([^:]|$)', r'\1:00\2'),
            r'([.][0-9]{6})[0-9]+', r'\1')
    {%- endset -%}
    {%- if with_zone -%}
        cast(regexp_replace({{ canonical }}, r'([+-][0-9]{2})([0-9]{2})$', r'\1:\2') as timestamp)
    {%- else -%}
        cast({{ canonical }} as datetime)
    {%- endif -%}
{%- endmacro %}


{#- The processed zone's table properties on Trino: an Iceberg table in Parquet (Trino writes it with
    zstd), partitioned by `partition_by` (a column name onboarding wrote, or none). Nothing elsewhere:
    DuckDB writes the zone as external Parquet files. -#}
{% macro dataset_table_properties(partition_by) -%}
    {%- if target.type != 'trino' -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set properties = {'format': "'PARQUET'"} -%}
    {%- if partition_by -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', partition_by) -%}
            {{ exceptions.raise_compiler_error("partition columns are snake_case, not " ~ partition_by) }}
        {%- endif -%}
        {%- do properties.update({'partitioning': "ARRAY['" ~ partition_by ~ "']"}) -%}
    {%- endif -%}
    {{ return(properties) }}
{%- endmacro %}


{#- The profile of tables: one row per column (but the lineage columns) with its rows, missing and distinct
    values, min and max as text, and the mean of a number. `tables` is a list of (dataset, table, relation);
    each relation is read in one pass per `batch` columns (one aggregate over them, unnested to a row per
    column). Each exact distinct count holds a hash table of its own for the whole pass: DuckDB ran out of a
    1 GB limit at 200 of them over 2,000 rows, so a wide table is read in several passes (a columnar table
    reads only the pass's columns each time). -#}
{% macro dataset_profiles(tables, batch=75) -%}
    {%- set selects = [] -%}
    {%- if execute -%}
        {#- A dataset nothing was landed for has no table yet: it has no profile either. -#}
        {%- for dataset, table, relation in tables if adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none -%}
            {%- for columns in dataset_profile_columns(relation) | batch(batch) -%}
                {%- do selects.append(adapter.dispatch('dataset_profile_of')(dataset, table, relation, columns)) -%}
            {%- endfor -%}
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
        {#- No row, only the columns' types. A FROM, because BigQuery takes no WHERE without one. -#}
        select * from (
            select
                cast(null as {{ dbt.type_string() }}) as dataset,
                cast(null as {{ dbt.type_string() }}) as table_name,
                cast(null as {{ dbt.type_string() }}) as column_name,
                cast(null as {{ dbt.type_string() }}) as data_type,
                cast(null as {{ dbt.type_bigint() }}) as row_count,
                cast(null as {{ dbt.type_bigint() }}) as null_count,
                cast(null as {{ dbt.type_bigint() }}) as distinct_count,
                cast(null as {{ dbt.type_string() }}) as min_value,
                cast(null as {{ dbt.type_string() }}) as max_value,
                cast(null as {{ double_type() }}) as mean
        ) as no_profile
        where false

    )

    select * from profiles
{%- endmacro %}


{#- The profiled columns of `relation`: (name, data type, whether it is a number), the lineage left out
    (which delivery, which line: no figure of the data). -#}
{% macro dataset_profile_columns(relation) -%}
    {#- DuckDB's and Trino's number types, then BigQuery's (which reports each column in its own names:
        `int64`, `float64`, `string`, `boolean`, `datetime`, `timestamp`; the profile keeps them). -#}
    {%- set numeric = ['bigint', 'integer', 'double', 'float', 'decimal', 'hugeint', 'smallint', 'real', 'numeric',
                       'int64', 'float64', 'bignumeric'] -%}
    {%- set found = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name not in ['delivery_id', 'delivery_seq', 'record_number'] -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', column.name) -%}
            {{ exceptions.raise_compiler_error("profiled columns are snake_case, not " ~ column.name) }}
        {%- endif -%}
        {%- set data_type = column.dtype | lower | replace("'", "") -%}
        {%- do found.append((column.name, data_type, data_type.split('(')[0] in numeric)) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- DuckDB: a list of structs, one per column, unnested. -#}
{% macro default__dataset_profile_of(dataset, table, relation, columns) -%}
    {%- set entries = [] -%}
    {%- for name, data_type, is_number in columns -%}
        {%- do entries.append(
            "{'column_name': '" ~ name ~ "', 'data_type': '" ~ data_type ~ "', "
            ~ "'null_count': count(*) - count(" ~ name ~ "), "
            ~ "'distinct_count': count(distinct " ~ name ~ "), "
            ~ "'min_value': cast(min(" ~ name ~ ") as varchar), "
            ~ "'max_value': cast(max(" ~ name ~ ") as varchar), "
            ~ "'mean': " ~ ("avg(" ~ name ~ ")" if is_number else "cast(null as double)") ~ "}"
        ) -%}
    {%- endfor -%}
    {{ return(
        "select '" ~ dataset ~ "' as dataset, '" ~ table ~ "' as table_name, row_count, "
        ~ "column_profile.* from (select count(*) as row_count, unnest([" ~ entries | join(', ')
        ~ "]) as column_profile from " ~ relation ~ ")"
    ) }}
{%- endmacro %}

{#- Trino: an array of rows, one per column, unnested beside the row count. -#}
{% macro trino__dataset_profile_of(dataset, table, relation, columns) -%}
    {%- set entries = [] -%}
    {%- for name, data_type, is_number in columns -%}
        {%- do entries.append(
            "cast(row('" ~ name ~ "', '" ~ data_type ~ "', count(*) - count(" ~ name ~ "), "
            ~ "count(distinct " ~ name ~ "), cast(min(" ~ name ~ ") as varchar), cast(max(" ~ name ~ ") as varchar), "
            ~ ("cast(avg(" ~ name ~ ") as double)" if is_number else "cast(null as double)")
            ~ ") as row(column_name varchar, data_type varchar, null_count bigint, distinct_count bigint, "
            ~ "min_value varchar, max_value varchar, mean double))"
        ) -%}
    {%- endfor -%}
    {{ return(
        "select '" ~ dataset ~ "' as dataset, '" ~ table ~ "' as table_name, one.row_count, p.column_name, "
        ~ "p.data_type, p.null_count, p.distinct_count, p.min_value, p.max_value, p.mean from (select count(*) "
        ~ "as row_count, array[" ~ entries | join(', ') ~ "] as profile from " ~ relation ~ ") as one "
        ~ "cross join unnest(one.profile) as p (column_name, data_type, null_count, distinct_count, min_value, "
        ~ "max_value, mean)"
    ) }}
{%- endmacro %}

{#- BigQuery: an array of structs, one per column, unnested beside the row count (GoogleSQL "Work with
    arrays", UNNEST of an array of STRUCT). CAST to STRING writes a FLOAT64 its own way (`6`, not `6.0`). -#}
{% macro bigquery__dataset_profile_of(dataset, table, relation, columns) -%}
    {%- set entries = [] -%}
    {%- for name, data_type, is_number in columns -%}
        {%- do entries.append(
            "struct('" ~ name ~ "' as column_name, '" ~ data_type ~ "' as data_type, "
            ~ "count(*) - count(" ~ name ~ ") as null_count, count(distinct " ~ name ~ ") as distinct_count, "
            ~ "cast(min(" ~ name ~ ") as string) as min_value, cast(max(" ~ name ~ ") as string) as max_value, "
            ~ ("cast(avg(" ~ name ~ ") as float64)" if is_number else "cast(null as float64)") ~ " as mean)"
        ) -%}
    {%- endfor -%}
    {{ return(
        "select '" ~ dataset ~ "' as dataset, '" ~ table ~ "' as table_name, one.row_count, p.column_name, "
        ~ "p.data_type, p.null_count, p.distinct_count, p.min_value, p.max_value, p.mean from (select count(*) "
        ~ "as row_count, [" ~ entries | join(', ') ~ "] as profile from " ~ relation ~ ") as one "
        ~ "cross join unnest(one.profile) as p"
    ) }}
{%- endmacro %}
