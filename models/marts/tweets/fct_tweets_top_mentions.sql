{{ config(alias='tweets_top_mentions') }}

-- The 10 users most often mentioned by top-level tweets (ties: smaller username first).

with

mentions as (

    select * from {{ ref('int_tweets__mentions') }}

),

counted as (

    select
        mentioned_username as username,
        count(*) as mention_count
    from mentions
    group by mentioned_username

),

ranked as (

    select
        username,
        mention_count,
        row_number() over (order by mention_count desc, username asc) as rank
    from counted

),

final as (

    select
        rank,
        username,
        mention_count
    from ranked
    where rank <= 10

)

select * from final
