{{
    config(
        unique_key='tweet_id',
    )
}}

-- One row per tweet id, from the deliveries admitted by their gate (or
-- released from quarantine): the latest delivery wins (later landing, then
-- later line), whatever order deliveries were admitted in. A build takes in
-- the deliveries admitted since the last one (admitted_seq); their tweets
-- compete with the rows already here for the same ids.

with

admitted as (

    {{ admitted_deliveries('tweets') }}

),

lines as (

    select * from {{ ref('stg_tweets__lines') }}

),

new_tweets as (

    select
        lines.tweet_id,
        lines.tweeted_at,
        lines.tweet_date,
        lines.username,
        lines.content,
        lines.mentioned_usernames,
        lines.user_id,
        lines.user_displayname,
        lines.user_description,
        lines.user_verified,
        lines.user_followers_count,
        lines.user_friends_count,
        lines.user_statuses_count,
        lines.user_location,
        lines.ingestion_id,
        lines.ingestion_seq,
        lines.source_file,
        lines.line_number,
        lines.loaded_at,
        admitted.admitted_seq
    from lines
    inner join admitted on lines.ingestion_id = admitted.delivery_id
    where lines.reject_reason is null

),

candidates as (

    select * from new_tweets

    {% if is_incremental() %}
        union all

        select current_rows.*
        from {{ this }} as current_rows
        where current_rows.tweet_id in (select new_tweets.tweet_id from new_tweets)
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by tweet_id
            order by ingestion_seq desc, line_number desc
        ) as delivery_rank
    from candidates

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
        loaded_at,
        admitted_seq
    from ranked
    where delivery_rank = 1

)

select * from final
