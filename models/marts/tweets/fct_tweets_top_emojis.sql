{{ config(alias='tweets_top_emojis') }}

-- The 10 most used emoji in top-level tweets (ties: smaller string first).

with

emojis as (

    select * from {{ ref('int_tweets__emojis') }}

),

counted as (

    select
        emoji,
        count(*) as emoji_count
    from emojis
    group by emoji

),

ranked as (

    select
        emoji,
        emoji_count,
        row_number() over (order by emoji_count desc, emoji asc) as rank
    from counted

),

final as (

    select
        rank,
        emoji,
        emoji_count
    from ranked
    where rank <= 10

)

select * from final
