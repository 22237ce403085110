-- Fails when a delivered line went missing between bronze and silver: for each
-- landing, lines in bronze must equal tweets parsed plus lines rejected, and
-- both must equal the count taken when the file was landed.

with

bronze as (

    select
        ingestion_id,
        count(*) as bronze_lines
    from {{ source('tweets', 'tweets_lines') }}
    group by ingestion_id

),

ingestions as (

    select
        ingestion_id,
        line_count
    from {{ source('tweets', 'tweets_ingestions') }}

),

silver as (

    select
        ingestion_id,
        sum(case when reject_reason is null then 1 else 0 end) as parsed_lines,
        sum(case when reject_reason is not null then 1 else 0 end) as rejected_lines
    from {{ ref('stg_tweets__lines') }}
    group by ingestion_id

)

select
    ingestions.ingestion_id,
    ingestions.line_count,
    bronze.bronze_lines,
    silver.parsed_lines,
    silver.rejected_lines
from ingestions
left join bronze on ingestions.ingestion_id = bronze.ingestion_id
left join silver on ingestions.ingestion_id = silver.ingestion_id
where
    coalesce(bronze.bronze_lines, 0) <> ingestions.line_count
    or coalesce(silver.parsed_lines, 0) + coalesce(silver.rejected_lines, 0) <> ingestions.line_count
