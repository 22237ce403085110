{{
    config(
        unique_key=['ingestion_id', 'line_number'],
    )
}}

-- Every bronze line of every media/ object, classified: an article's typed
-- fields, or the reason it is not one. A value of the wrong type never raises:
-- the line becomes a reject with a reason (an id that is not a string), or the
-- field becomes null (a published_at without an offset).

with

objects as (

    {{ json_lines(source('media', 'media_lines')) }}

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
        case when is_object then {{ json_is_absent('line', 'id') }} end as id_is_absent,
        case when is_object then {{ json_is_string('line', 'id') }} end as id_is_string,
        case when is_object then {{ json_string('line', 'id') }} end as raw_id,
        case when is_object then {{ json_string('line', 'url') }} end as url,
        case when is_object then {{ json_string('line', 'title') }} end as title,
        -- The outlet is a grouping key in gold: only a string counts.
        case
            when is_object
                then case when {{ json_is_string('line', 'outlet') }} then {{ json_string('line', 'outlet') }} end
        end as outlet,
        case when is_object then {{ json_string('line', 'section') }} end as section,
        case when is_object then {{ json_string('line', 'language') }} end as language_code,
        case when is_object then {{ json_string('line', 'published_at') }} end as raw_published_at,
        case when is_object then {{ json_string_list('line', 'authors') }} end as authors,
        case when is_object then {{ json_string_list('line', 'tags') }} end as tags
    from objects

),

classified as (

    select
        *,
        {{ iso_offset_timestamp_to_utc('raw_published_at') }} as published_at,
        case
            {{ unreadable_line_reasons() }}
            when id_is_absent then 'missing id'
            when not id_is_string then 'id is not a string'
            when raw_id = '' then 'id is empty'
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
        case when reject_reason is null then raw_id end as article_id,
        url,
        title,
        outlet,
        section,
        language_code,
        published_at,
        cast(published_at as date) as publish_date,
        raw_published_at,
        authors,
        tags,
        case when reject_reason is not null then line end as rejected_line
    from classified

)

select * from final
