{{
    config(
        unique_key='tweet_id',
        pre_hook="{{ delete_redelivered_children(ref('stg_tweets__tweets'), 'tweet_id') }}",
    )
}}

-- One row per emoji in a top-level tweet's content, segmented exactly as
-- emoji.emoji_list() does (see orchestration/emoji_catalog.py):
--   1. a cheap regex cuts the content into runs that can hold emoji;
--   2. each distinct run is cut into maximal walks of the emoji trie, once;
--   3. the emoji_walks seed says which emoji each walk yields.

with

tweets as (

    select * from {{ ref('stg_tweets__tweets') }}
    {% if is_incremental() %}
        where ingestion_seq > {{ incremental_watermark('ingestion_seq') }}
    {% endif %}

),

walks as (

    select * from {{ ref('emoji_walks') }}

),

runs as (

    select
        tweets.tweet_id,
        tweets.tweet_date,
        tweets.ingestion_seq,
        run.run_text,
        run.run_position
    from tweets
    {{ cross_join_unnest(
        regexp_matches('tweets.content', tweets_emoji_run_pattern()),
        'run', 'run_text', 'run_position',
    ) }}

),

distinct_runs as (

    select distinct run_text from runs

),

run_walks as (

    select
        distinct_runs.run_text,
        token.walk,
        token.walk_position
    from distinct_runs
    {{ cross_join_unnest(
        regexp_matches('distinct_runs.run_text', tweets_emoji_walk_pattern()),
        'token', 'walk', 'walk_position',
    ) }}

),

emojis as (

    select
        runs.tweet_id,
        runs.tweet_date,
        runs.ingestion_seq,
        walks.emoji,
        row_number() over (
            partition by runs.tweet_id
            order by runs.run_position, run_walks.walk_position, walks.ordinal
        ) as emoji_position
    from runs
    inner join run_walks on runs.run_text = run_walks.run_text
    inner join walks on run_walks.walk = walks.walk

),

final as (

    select
        tweet_id,
        emoji_position,
        emoji,
        tweet_date,
        ingestion_seq
    from emojis

)

select * from final
