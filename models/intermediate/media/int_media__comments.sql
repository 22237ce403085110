{{
    config(
        unique_key='comment_id',
    )
}}

-- One row per comment id (`cid`), from the tiktokcomment deliveries admitted by
-- their gate (or released): the first delivery wins (earliest delivery day, then
-- file name, then line), whatever order the days were landed in; later copies
-- (a re-delivery with a new like count, say) are duplicates and change nothing.

with

admitted as (

    {{ admitted_deliveries('tiktokcomment') }}

),

lines as (

    select * from {{ ref('stg_media__comments') }}

),

new_comments as (

    select
        lines.comment_id,
        lines.aweme_id,
        lines.comment_text,
        lines.create_time,
        lines.created_at,
        lines.comment_date,
        lines.digg_count,
        lines.reply_comment_total,
        lines.user_uid,
        lines.user_unique_id,
        lines.user_nickname,
        lines.delivery_day,
        lines.source_file,
        lines.source_file_name,
        lines.created_at_etl,
        lines.ingestion_id,
        lines.ingestion_seq,
        lines.line_number,
        lines.loaded_at,
        admitted.admitted_seq
    from lines
    inner join admitted on lines.ingestion_id = admitted.delivery_id
    where lines.reject_reason is null

),

candidates as (

    select * from new_comments

    {% if is_incremental() %}
        union all

        select current_rows.*
        from {{ this }} as current_rows
        where current_rows.comment_id in (select new_comments.comment_id from new_comments)
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by comment_id
            order by delivery_day asc, source_file asc, ingestion_seq asc, line_number asc
        ) as delivery_rank
    from candidates

),

final as (

    select
        comment_id,
        aweme_id,
        comment_text,
        create_time,
        created_at,
        comment_date,
        digg_count,
        reply_comment_total,
        user_uid,
        user_unique_id,
        user_nickname,
        delivery_day,
        source_file,
        source_file_name,
        created_at_etl,
        ingestion_id,
        ingestion_seq,
        line_number,
        loaded_at,
        admitted_seq
    from ranked
    where delivery_rank = 1

)

select * from final
