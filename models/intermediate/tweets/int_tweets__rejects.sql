{{ config(materialized='view') }}

-- Lines that are not tweets, with the reason and where they came from, from
-- every delivery (a quarantined one's too).

with

lines as (

    select * from {{ ref('stg_tweets__lines') }}

),

final as (

    select
        ingestion_id,
        source_file,
        source_sha256,
        line_number,
        loaded_at,
        reject_reason,
        rejected_line as line
    from lines
    where reject_reason is not null

)

select * from final
