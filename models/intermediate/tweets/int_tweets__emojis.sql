{{
    config(
        unique_key='tweet_id',
        pre_hook="{{ delete_redelivered_children(ref('stg_tweets__tweets'), 'tweet_id') }}",
    )
}}

-- One row per emoji in a top-level tweet's content, segmented exactly as
-- emoji.emoji_list() does: the regex finds maximal walks of the emoji trie and
-- the emoji_walks seed says which emoji each walk yields (see orchestration/emoji_catalog.py).

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

tokens as (

    select
        tweets.tweet_id,
        tweets.tweet_date,
        tweets.ingestion_seq,
        token.walk,
        token.walk_position
    from tweets
    {{ cross_join_unnest(regexp_matches('tweets.content', tweets_emoji_walk_pattern()), 'token', 'walk', 'walk_position') }}

),

emojis as (

    select
        tokens.tweet_id,
        tokens.tweet_date,
        tokens.ingestion_seq,
        walks.emoji,
        row_number() over (
            partition by tokens.tweet_id
            order by tokens.walk_position, walks.ordinal
        ) as emoji_position
    from tokens
    inner join walks on tokens.walk = walks.walk

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
