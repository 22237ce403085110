{{
    config(
        materialized='incremental',
        alias='versions',
        unique_key='version_id',
        post_hook="{{ prune_gold_versions() }}",
    )
}}

-- One row per published gold version. The gold.<table> views show the newest
-- version listed here, so a version exists for readers only once it is here.

with

row_counts as (

    select
        (
            select count(*) from {{ ref('fct_tweets_top_dates__versions') }}
            where version_id = '{{ gold_version_id() }}'
        ) as tweets_top_dates_rows,
        (
            select count(*) from {{ ref('fct_tweets_top_emojis__versions') }}
            where version_id = '{{ gold_version_id() }}'
        ) as tweets_top_emojis_rows,
        (
            select count(*) from {{ ref('fct_tweets_top_mentions__versions') }}
            where version_id = '{{ gold_version_id() }}'
        ) as tweets_top_mentions_rows

),

final as (

    select
        '{{ gold_version_id() }}' as version_id,
        '{{ var("gold_run_id") }}' as run_id,
        cast('{{ var("gold_run_started_at") }}' as {{ timestamp_type() }}) as run_started_at,
        {{ now_with_time_zone() }} as published_at,
        '{{ var("gold_source_files") }}' as source_files,
        {{ dbt.concat([
            "'{\"tweets_top_dates\": '",
            dbt.safe_cast('tweets_top_dates_rows', dbt.type_string()),
            "', \"tweets_top_emojis\": '",
            dbt.safe_cast('tweets_top_emojis_rows', dbt.type_string()),
            "', \"tweets_top_mentions\": '",
            dbt.safe_cast('tweets_top_mentions_rows', dbt.type_string()),
            "'}'",
        ]) }} as row_counts,
        '{{ var("gold_gate_results") }}' as gate_results
    from row_counts

)

select * from final
