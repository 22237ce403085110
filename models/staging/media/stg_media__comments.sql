{{
    config(
        unique_key=['ingestion_id', 'line_number'],
    )
}}

-- Every bronze line of every tiktokcomment/ object, classified: a comment's
-- typed fields, or the reason it is not one. Ids are strings (19 digits do not
-- survive a float): an id, video id or user id sent as anything else makes the
-- line a reject. Counts and times that are not whole numbers become null.

with

objects as (

    {{ json_lines(source('media', 'tiktokcomment_lines')) }}

),

extracted as (

    select
        ingestion_id,
        ingestion_seq,
        source_file,
        object_uri,
        delivery_day,
        batch_at,
        line_number,
        loaded_at,
        line,
        is_valid_utf8,
        is_too_long,
        is_json,
        is_object,
        case when is_object then {{ json_is_absent('line', 'cid') }} end as cid_is_absent,
        case when is_object then {{ json_is_string('line', 'cid') }} end as cid_is_string,
        case when is_object then {{ json_string('line', 'cid') }} end as raw_cid,
        case when is_object then {{ json_is_absent('line', 'aweme_id') }} end as aweme_is_absent,
        case when is_object then {{ json_is_string('line', 'aweme_id') }} end as aweme_is_string,
        case when is_object then {{ json_string('line', 'aweme_id') }} end as aweme_id,
        case when is_object then {{ json_is_absent('line', 'user.uid') }} end as uid_is_absent,
        case when is_object then {{ json_is_string('line', 'user.uid') }} end as uid_is_string,
        case when is_object then {{ json_string('line', 'user.uid') }} end as raw_user_uid,
        case when is_object then {{ json_string('line', 'user.unique_id') }} end as user_unique_id,
        case when is_object then {{ json_string('line', 'user.nickname') }} end as user_nickname,
        case when is_object then {{ json_string('line', 'text') }} end as comment_text,
        case when is_object then {{ json_string('line', 'create_time') }} end as raw_create_time,
        case when is_object then {{ json_string('line', 'digg_count') }} end as raw_digg_count,
        case when is_object then {{ json_string('line', 'reply_comment_total') }} end as raw_reply_total
    from objects

),

typed as (

    select
        *,
        {{ to_count('raw_create_time') }} as create_time,
        {{ to_count('raw_digg_count') }} as digg_count,
        {{ to_count('raw_reply_total') }} as reply_comment_total,
        case
            {{ unreadable_line_reasons() }}
            when cid_is_absent then 'missing cid'
            when not cid_is_string then 'cid is not a string'
            when raw_cid = '' then 'cid is empty'
            when not aweme_is_absent and not aweme_is_string then 'aweme_id is not a string'
            when not uid_is_absent and not uid_is_string then 'user.uid is not a string'
        end as reject_reason
    from extracted

),

final as (

    select
        ingestion_id,
        ingestion_seq,
        delivery_day,
        source_file,
        object_uri as source_file_name,
        batch_at as created_at_etl,
        line_number,
        loaded_at,
        reject_reason,
        case when reject_reason is null then raw_cid end as comment_id,
        aweme_id,
        comment_text,
        create_time,
        {{ epoch_to_utc('create_time') }} as created_at,
        cast({{ epoch_to_utc('create_time') }} as date) as comment_date,
        digg_count,
        reply_comment_total,
        nullif(raw_user_uid, '') as user_uid,
        user_unique_id,
        user_nickname,
        case when reject_reason is not null then line end as rejected_line
    from typed

)

select * from final
