{{
    config(
        unique_key='tweet_id',
        pre_hook="{{ delete_redelivered_children(ref('int_tweets__tweets'), 'tweet_id', 'admitted_seq') }}",
    )
}}

-- One row per emoji in a top-level tweet's content, segmented exactly as
-- emoji.emoji_list() does (see orchestration/emoji_catalog.py):
--   1. a cheap regex cuts the content into runs that can hold emoji;
--   2. each distinct run is cut into maximal walks of the emoji trie, once;
--   3. the emoji_walks seed says which emoji each walk yields.

with

tweets as (

    select * from {{ ref('int_tweets__tweets') }}
    {% if is_incremental() %}
        where admitted_seq > {{ incremental_watermark('admitted_seq') }}
    {% endif %}

),

walks as (

    select * from {{ ref('emoji_walks') }}

),

runs as (

    {{ explode(
        'tweets', ['tweet_id', 'tweet_date', 'admitted_seq'],
        regexp_matches('content', tweets_emoji_run_pattern()), 'run_text', 'run_position',
    ) }}

),

distinct_runs as (

    select distinct run_text from runs

),

run_walks as (

    {{ explode(
        'distinct_runs', ['run_text'],
        regexp_matches('run_text', tweets_emoji_walk_pattern()), 'walk', 'walk_position',
    ) }}

),

emojis as (

    select
        runs.tweet_id,
        runs.tweet_date,
        runs.admitted_seq,
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
        admitted_seq
    from emojis

)

select * from final
