{{ config(materialized='view') }}

-- Each media and tiktokcomment delivery (one landed object) in numbers: its
-- lines, rejects, the ids it was first to deliver, and its duplicates (valid
-- lines whose id an earlier delivery, or an earlier line, delivered first).

with

articles as (

    select
        'media' as dataset,
        ingestion_id,
        delivery_day,
        source_file_name,
        created_at_etl,
        line_number,
        reject_reason,
        article_id as item_id
    from {{ ref('stg_media__articles') }}

),

comments as (

    select
        'tiktokcomment' as dataset,
        ingestion_id,
        delivery_day,
        source_file_name,
        created_at_etl,
        line_number,
        reject_reason,
        comment_id as item_id
    from {{ ref('stg_media__comments') }}

),

lines as (

    select * from articles
    union all
    select * from comments

),

winners as (

    select
        'media' as dataset,
        ingestion_id,
        line_number
    from {{ ref('int_media__articles') }}
    union all
    select
        'tiktokcomment' as dataset,
        ingestion_id,
        line_number
    from {{ ref('int_media__comments') }}

),

deliveries as (

    select * from {{ ref('stg_platform__deliveries') }}

),

counted as (

    select
        lines.dataset,
        lines.ingestion_id,
        min(lines.delivery_day) as delivery_day,
        min(lines.source_file_name) as source_file_name,
        min(lines.created_at_etl) as created_at_etl,
        count(*) as lines_delivered,
        count(lines.reject_reason) as rejected_lines,
        count(winners.line_number) as first_deliveries
    from lines
    left join winners
        on
            lines.dataset = winners.dataset
            and lines.ingestion_id = winners.ingestion_id
            and lines.line_number = winners.line_number
    group by lines.dataset, lines.ingestion_id

),

final as (

    select
        counted.dataset,
        counted.ingestion_id as delivery_id,
        counted.delivery_day,
        counted.source_file_name,
        counted.created_at_etl,
        deliveries.state,
        counted.lines_delivered,
        counted.rejected_lines,
        counted.first_deliveries,
        case
            when deliveries.admitted_seq is null then null
            else counted.lines_delivered - counted.rejected_lines - counted.first_deliveries
        end as duplicates
    from counted
    left join deliveries
        on counted.dataset = deliveries.source_name and counted.ingestion_id = deliveries.delivery_id

)

select * from final
