{{
    config(
        materialized='incremental',
        alias='tiktok_comments_daily__versions',
        unique_key='version_id',
        pre_hook="{{ drop_unregistered_versions() }}",
        post_hook="{{ prune_gold_versions() }}",
    )
}}

-- Every published version of gold.tiktok_comments_daily, newest last.

{{ gold_version_rows(ref('fct_tiktok_comments_daily')) }}
