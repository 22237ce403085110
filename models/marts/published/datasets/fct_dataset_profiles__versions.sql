{{
    config(
        materialized='incremental',
        alias='dataset_profiles__versions',
        unique_key='version_id',
        pre_hook="{{ drop_unregistered_versions() }}",
        post_hook="{{ prune_gold_versions() }}",
    )
}}

-- Every published version of gold.dataset_profiles, newest last.

{{ gold_version_rows(ref('fct_dataset_profiles')) }}
