{{
    config(
        unique_key='article_id',
    )
}}

-- One row per article id, from the media deliveries admitted by their gate (or
-- released from quarantine): the first delivery wins (earliest delivery day,
-- then file name, then line), whatever order the days were landed in. A build
-- takes in the deliveries admitted since the last one; their articles compete
-- with the rows already here for the same ids, so a month backfilled after the
-- daily runs still wins over its later copies.

with

admitted as (

    {{ admitted_deliveries('media') }}

),

lines as (

    select * from {{ ref('stg_media__articles') }}

),

new_articles as (

    select
        lines.article_id,
        lines.url,
        lines.title,
        lines.outlet,
        lines.section,
        lines.language_code,
        lines.published_at,
        lines.publish_date,
        lines.authors,
        lines.tags,
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

    select * from new_articles

    {% if is_incremental() %}
        union all

        select current_rows.*
        from {{ this }} as current_rows
        where current_rows.article_id in (select new_articles.article_id from new_articles)
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by article_id
            order by delivery_day asc, source_file asc, ingestion_seq asc, line_number asc
        ) as delivery_rank
    from candidates

),

final as (

    select
        article_id,
        url,
        title,
        outlet,
        section,
        language_code,
        published_at,
        publish_date,
        authors,
        tags,
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
