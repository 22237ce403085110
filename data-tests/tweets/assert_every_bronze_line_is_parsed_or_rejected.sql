{{ config(meta={'dagster': {'ref': {'name': 'stg_tweets__lines'}}}) }}

-- A check on silver's staging table in Dagster (the relation it tests the parse of).
-- Fails when a delivered line went missing (or was doubled) between bronze and
-- silver: for each landing, the lines in bronze must equal the tweets parsed
-- plus the lines rejected. (Whether bronze holds every line counted when the
-- file was landed is judged per delivery by its gate, which quarantines a
-- delivery that does not, instead of stopping every build.)

with

bronze as (

    select
        ingestion_id,
        count(*) as bronze_lines
    from {{ source('tweets', 'tweets_lines') }}
    group by ingestion_id

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
    bronze.ingestion_id,
    bronze.bronze_lines,
    silver.parsed_lines,
    silver.rejected_lines
from bronze
left join silver on bronze.ingestion_id = silver.ingestion_id
where coalesce(silver.parsed_lines, 0) + coalesce(silver.rejected_lines, 0) <> bronze.bronze_lines
