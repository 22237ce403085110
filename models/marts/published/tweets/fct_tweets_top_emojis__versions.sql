{{
    config(
        materialized='incremental',
        alias='tweets_top_emojis__versions',
        unique_key='version_id',
        pre_hook="{{ drop_unregistered_versions() }}",
        post_hook="{{ prune_gold_versions() }}",
    )
}}

-- Every published version of gold.tweets_top_emojis, newest last.

{{ gold_version_rows(ref('fct_tweets_top_emojis')) }}
