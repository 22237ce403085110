{{
    config(
        materialized='incremental',
        alias='versions',
        unique_key='version_id',
        post_hook="{{ prune_gold_versions() }}",
    )
}}

-- depends_on: {{ ref('fct_tweets_top_dates__versions') }}
-- depends_on: {{ ref('fct_tweets_top_emojis__versions') }}
-- depends_on: {{ ref('fct_tweets_top_mentions__versions') }}
-- depends_on: {{ ref('fct_forecast_municipality_2h__versions') }}
-- depends_on: {{ ref('fct_forecast_municipality_enriched__versions') }}

-- One row per published gold version. A table's current view shows the newest
-- of its versions listed here, so a version exists for readers only once it is
-- here. A build may publish one source only: row_counts lists the tables this
-- version holds (every `__versions` model that exists and has its rows).

{%- set published = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values() | sort(attribute='name') %}
        {%- if node.resource_type == 'model' and node.name.endswith('__versions') %}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) %}
            {%- if relation is not none %}
                {%- do published.append((node.alias[:-10], relation)) %}
            {%- endif %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

with

row_counts as (

    {%- for table_name, relation in published %}
        select
            '{{ table_name }}' as table_name,
            count(*) as row_count
        from {{ relation }}
        where version_id = '{{ gold_version_id() }}'
        {% if not loop.last %}union all{% endif %}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as table_name,
            0 as row_count
    {%- endfor %}

),

row_counts_json as (

    select
        {{ dbt.concat([
            "'{'",
            dbt.listagg(
                dbt.concat([
                    "'\"'", "table_name", "'\": '", dbt.safe_cast('row_count', dbt.type_string())
                ]),
                "', '",
                "order by table_name",
            ),
            "'}'",
        ]) }} as row_counts
    from row_counts
    where row_count > 0

),

final as (

    select
        '{{ gold_version_id() }}' as version_id,
        '{{ var("gold_run_id") }}' as run_id,
        cast('{{ var("gold_run_started_at") }}' as {{ timestamp_type() }}) as run_started_at,
        {{ now_with_time_zone() }} as published_at,
        '{{ var("gold_source_files") }}' as source_files,
        row_counts,
        '{{ var("gold_gate_results") }}' as gate_results
    from row_counts_json

)

select * from final
