{{
    config(
        materialized='incremental',
        alias='versions',
        unique_key='version_id',
        post_hook="{{ prune_gold_registry() }}",
    )
}}

-- depends_on: {{ ref('fct_tweets_top_dates__versions') }}
-- depends_on: {{ ref('fct_tweets_top_emojis__versions') }}
-- depends_on: {{ ref('fct_tweets_top_mentions__versions') }}
-- depends_on: {{ ref('fct_forecast_municipality_2h__versions') }}
-- depends_on: {{ ref('fct_forecast_municipality_enriched__versions') }}
-- depends_on: {{ ref('fct_media_daily__versions') }}
-- depends_on: {{ ref('fct_tiktok_comments_daily__versions') }}
-- depends_on: {{ ref('fct_dataset_profiles__versions') }}

-- One row per published gold version. A table's current view shows the newest
-- of its versions listed here, so a version exists for readers only once it is
-- here. A build may publish one source only: row_counts lists the tables this
-- version holds (every `__versions` model that exists and has its rows). The
-- run, its deliveries and its gate results come from platform.pending_publication,
-- written by the publish step (a `dbt build` by hand publishes without them).

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

this_build as (

    select
        '{{ gold_version_id() }}' as version_id,
        '{{ invocation_id }}' as run_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ timestamp_type() }}) as run_started_at

),

publication as (

    select * from {{ ref('stg_platform__pending_publication') }}

),

final as (

    select
        this_build.version_id,
        coalesce(publication.run_id, this_build.run_id) as run_id,
        coalesce(publication.run_started_at, this_build.run_started_at) as run_started_at,
        {{ now_with_time_zone() }} as published_at,
        coalesce(publication.source_files, '[]') as source_files,
        row_counts_json.row_counts,
        coalesce(publication.gate_results, '{}') as gate_results
    from this_build
    cross join row_counts_json
    left join publication on this_build.version_id = publication.version_id

)

select * from final
