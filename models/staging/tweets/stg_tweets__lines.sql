{{
    config(
        unique_key=['ingestion_id', 'line_number'],
    )
}}

-- Every bronze line, classified: parsed fields for a tweet, a reason for a reject.

with

bronze_lines as (

    select * from {{ source('tweets', 'tweets_lines') }}
    {% if is_incremental() %}
        where ingestion_seq > {{ incremental_watermark('ingestion_seq') }}
    {% endif %}

),

checked as (

    select
        *,
        is_valid_utf8 and {{ json_is_valid('line') }} as is_json
    from bronze_lines

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
        is_json,
        line,
        case when is_json then {{ json_string('line', 'id') }} end as raw_id,
        case when is_json then {{ json_string('line', 'date') }} end as raw_date,
        case when is_json then {{ json_string('line', 'user.username') }} end as username,
        case when is_json then {{ json_string('line', 'content') }} end as content,
        case when is_json then {{ json_string_array('line', 'mentionedUsers', 'username') }} end
            as mentioned_usernames,
        case when is_json then {{ json_string('line', 'user.id') }} end as raw_user_id,
        case when is_json then {{ json_string('line', 'user.displayname') }} end as user_displayname,
        case when is_json then {{ json_string('line', 'user.description') }} end as user_description,
        case when is_json then {{ json_string('line', 'user.verified') }} end as raw_user_verified,
        case when is_json then {{ json_string('line', 'user.followersCount') }} end as raw_user_followers,
        case when is_json then {{ json_string('line', 'user.friendsCount') }} end as raw_user_friends,
        case when is_json then {{ json_string('line', 'user.statusesCount') }} end as raw_user_statuses,
        case when is_json then {{ json_string('line', 'user.location') }} end as user_location
    from checked

),

typed as (

    select
        *,
        {{ dbt.safe_cast('raw_id', dbt.type_bigint()) }} as tweet_id,
        {{ iso_timestamp_to_utc('raw_date') }} as tweeted_at,
        {{ dbt.safe_cast('raw_user_id', dbt.type_bigint()) }} as user_id,
        {{ dbt.safe_cast('raw_user_verified', dbt.type_boolean()) }} as user_verified,
        {{ dbt.safe_cast('raw_user_followers', dbt.type_bigint()) }} as user_followers_count,
        {{ dbt.safe_cast('raw_user_friends', dbt.type_bigint()) }} as user_friends_count,
        {{ dbt.safe_cast('raw_user_statuses', dbt.type_bigint()) }} as user_statuses_count
    from extracted

),

classified as (

    select
        *,
        case
            when not is_valid_utf8 then 'line is not valid UTF-8'
            when not is_json then 'line is not valid JSON'
            when raw_id is null then 'missing id'
            when tweet_id is null then 'id is not an integer'
            when raw_date is null then 'missing date'
            when tweeted_at is null then 'date is not an ISO-8601 timestamp'
            when username is null then 'missing user.username'
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
