{{ config(materialized='view') }}

-- Each commenter's profile (`user.uid`) as their most recently delivered
-- comment shows it: the snapshot snap_media__comment_authors keeps the history.

with

comments as (

    select * from {{ ref('int_media__comments') }}
    where user_uid is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_uid
            order by delivery_day desc, source_file desc, ingestion_seq desc, line_number desc
        ) as recency_rank
    from comments

),

final as (

    select
        user_uid,
        user_unique_id as unique_id,
        user_nickname as nickname,
        delivery_day as seen_on_delivery_day,
        ingestion_id as seen_in_ingestion_id,
        source_file_name,
        created_at_etl
    from ranked
    where recency_rank = 1

)

select * from final
