{{ config(materialized='view') }}

-- Every landed pull, with its fetched-at also on the service's local clock.

with

pulls as (

    select * from {{ source('forecast', 'forecast_pulls') }}

),

final as (

    select
        pull_id,
        pull_seq,
        fetched_at,
        {{ to_local_time('fetched_at', forecast_timezone()) }} as fetched_at_local,
        url,
        http_status,
        sha256,
        records
    from pulls

)

select * from final
