{{ config(alias='tiktok_comments_daily') }}

-- Per UTC date of `create_time` and video: comments (distinct cid), commenters
-- (distinct user.uid; a comment without one is no commenter) and likes (sum of
-- digg_count; a null adds nothing). A comment without a create time or a video
-- is in silver but counted on no day.

with

comments as (

    select * from {{ ref('int_media__comments') }}
    where comment_date is not null and aweme_id is not null

),

final as (

    select
        comment_date,
        aweme_id,
        count(distinct comment_id) as comments,  -- noqa: RF04
        count(distinct user_uid) as commenters,
        coalesce(sum(digg_count), 0) as likes
    from comments
    group by comment_date, aweme_id

)

select * from final
