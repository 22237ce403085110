{{ config(materialized='view') }}

-- Each author's profile as their most recently delivered tweet shows it.

with

tweets as (

    select * from {{ ref('int_tweets__tweets') }}
    where user_id is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id
            order by ingestion_seq desc, line_number desc
        ) as recency_rank
    from tweets

),

final as (

    select
        user_id,
        username,
        user_displayname as displayname,
        user_description as description,
        user_verified as verified,
        user_followers_count as followers_count,
        user_friends_count as friends_count,
        user_statuses_count as statuses_count,
        user_location as location,
        ingestion_id as seen_in_ingestion_id,
        loaded_at as seen_loaded_at
    from ranked
    where recency_rank = 1

)

select * from final
