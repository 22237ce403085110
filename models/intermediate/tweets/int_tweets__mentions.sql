{{
    config(
        unique_key='tweet_id',
        pre_hook="{{ delete_redelivered_children(ref('int_tweets__tweets'), 'tweet_id', 'admitted_seq') }}",
    )
}}

-- One row per user mentioned by a top-level tweet (quoted tweets' mentions are not counted).

with

tweets as (

    select * from {{ ref('int_tweets__tweets') }}
    {% if is_incremental() %}
        where admitted_seq > {{ incremental_watermark('admitted_seq') }}
    {% endif %}

),

mentions as (

    {{ explode(
        'tweets', ['tweet_id', 'tweet_date', 'admitted_seq'],
        'mentioned_usernames', 'mentioned_username', 'mention_position',
    ) }}

),

final as (

    select * from mentions
    where mentioned_username is not null

)

select * from final
