{{
    config(
        unique_key=['ingestion_id', 'line_number'],
    )
}}

-- Every bronze line of every delivery, classified: a tweet's typed fields, or
-- the reason it is not one. Nothing here can fail on what a line holds: a value
-- of the wrong type makes the line a reject with a reason, never an error.

{%- set tweet_fields = {
    'raw_id': 'id',
    'raw_date': 'date',
    'username': 'user.username',
    'content': 'content',
    'raw_user_id': 'user.id',
    'user_displayname': 'user.displayname',
    'user_description': 'user.description',
    'raw_user_verified': 'user.verified',
    'raw_user_followers': 'user.followersCount',
    'raw_user_friends': 'user.friendsCount',
    'raw_user_statuses': 'user.statusesCount',
    'user_location': 'user.location',
} %}

with

objects as (

    {{ json_lines(source('tweets', 'tweets_lines')) }}

),

parsed as (

    select
        *,
        case when is_object then {{ json_string_fields('line', tweet_fields) }} end as field_values
    from objects

),

extracted as (

    select
        ingestion_id,
        ingestion_seq,
        source_file,
        source_sha256,
        line_number,
        loaded_at,
        is_valid_utf8,
        is_too_long,
        is_json,
        is_object,
        line,
        {{ json_string_columns('field_values', tweet_fields) }},
        case when is_object then {{ json_string_array('line', 'mentionedUsers', 'username') }} end
            as mentioned_usernames
    from parsed

),

typed as (

    select
        *,
        {{ to_bigint('raw_id') }} as tweet_id,
        {{ iso_timestamp_to_utc('raw_date') }} as tweeted_at,
        {{ to_bigint('raw_user_id') }} as user_id,
        {{ to_boolean('raw_user_verified') }} as user_verified,
        {{ to_bigint('raw_user_followers') }} as user_followers_count,
        {{ to_bigint('raw_user_friends') }} as user_friends_count,
        {{ to_bigint('raw_user_statuses') }} as user_statuses_count
    from extracted

),

classified as (

    select
        *,
        case
            {{ unreadable_line_reasons() }}
            when raw_id is null then 'missing id'
            when tweet_id is null then 'id is not an integer'
            when raw_date is null then 'missing date'
            when tweeted_at is null then 'date is not an ISO-8601 timestamp'
            when username is null then 'missing user.username'
            when raw_user_id is not null and user_id is null then 'user.id is not an integer'
            when raw_user_verified is not null and user_verified is null then 'user.verified is not a boolean'
            when raw_user_followers is not null and user_followers_count is null
                then 'user.followersCount is not an integer'
            when raw_user_friends is not null and user_friends_count is null
                then 'user.friendsCount is not an integer'
            when raw_user_statuses is not null and user_statuses_count is null
                then 'user.statusesCount is not an integer'
        end as reject_reason
    from typed

),

final as (

    select
        ingestion_id,
        ingestion_seq,
        source_file,
        source_sha256,
        line_number,
        loaded_at,
        reject_reason,
        tweet_id,
        tweeted_at,
        cast(tweeted_at as date) as tweet_date,
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
        case when reject_reason is not null then line end as rejected_line
    from classified

)

select * from final
