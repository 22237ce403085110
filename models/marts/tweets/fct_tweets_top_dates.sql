{{ config(alias='tweets_top_dates') }}

-- The 10 dates with most tweets (ties: earlier date), each with its most active
-- user (ties: smallest username in binary order).

with

tweets as (

    select * from {{ ref('int_tweets__tweets') }}

),

per_date as (

    select
        tweet_date,
        count(*) as tweet_count
    from tweets
    group by tweet_date

),

per_user_date as (

    select
        tweet_date,
        username,
        count(*) as user_tweet_count
    from tweets
    group by tweet_date, username

),

top_user as (

    select
        tweet_date,
        username,
        user_tweet_count,
        row_number() over (
            partition by tweet_date
            order by user_tweet_count desc, username asc
        ) as user_rank
    from per_user_date

),

ranked as (

    select
        per_date.tweet_date,
        per_date.tweet_count,
        top_user.username as top_username,
        top_user.user_tweet_count as top_username_tweet_count,
        row_number() over (
            order by per_date.tweet_count desc, per_date.tweet_date asc
        ) as rank
    from per_date
    inner join top_user
        on per_date.tweet_date = top_user.tweet_date and top_user.user_rank = 1

),

final as (

    select
        rank,
        tweet_date,
        tweet_count,
        top_username,
        top_username_tweet_count
    from ranked
    where rank <= 10

)

select * from final
