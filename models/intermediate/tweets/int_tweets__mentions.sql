{{
    config(
        unique_key='tweet_id',
        pre_hook="{{ delete_redelivered_children(ref('stg_tweets__tweets'), 'tweet_id') }}",
    )
}}

-- One row per user mentioned by a top-level tweet (quoted tweets' mentions are not counted).

with

tweets as (

    select * from {{ ref('stg_tweets__tweets') }}
    {% if is_incremental() %}
        where ingestion_seq > {{ incremental_watermark('ingestion_seq') }}
    {% endif %}

),

mentions as (

    select
        tweets.tweet_id,
        tweets.tweet_date,
        tweets.ingestion_seq,
        mentioned.username as mentioned_username,
        mentioned.mention_position
    from tweets
    {{ cross_join_unnest('tweets.mentioned_usernames', 'mentioned', 'username', 'mention_position') }}

),

final as (

    select * from mentions
    where mentioned_username is not null

)

select * from final
