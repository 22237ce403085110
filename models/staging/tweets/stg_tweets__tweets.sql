{{
    config(
        unique_key='tweet_id',
    )
}}

-- One row per tweet id: the latest delivery wins (later landing, then later line).

with

lines as (

    select * from {{ ref('stg_tweets__lines') }}
    {% if is_incremental() %}
        where ingestion_seq > {{ incremental_watermark('ingestion_seq') }}
    {% endif %}

),

new_deliveries as (

    select * from lines
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by tweet_id
            order by ingestion_seq desc, line_number desc
        ) as delivery_rank
    from new_deliveries

),

final as (

    select
        tweet_id,
        tweeted_at,
        tweet_date,
        username,
        content,
        mentioned_usernames,
        user_id,
        user_displayname,
        user_description,
        user_verified,
        user_followers_count,
        user_friends_count,
        user_statuses_count,
        user_location,
        ingestion_id,
        ingestion_seq,
        source_file,
        line_number,
        loaded_at
    from ranked
    where delivery_rank = 1

)

select * from final
