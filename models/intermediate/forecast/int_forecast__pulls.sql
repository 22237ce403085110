{{ config(materialized='view') }}

-- Every landed pull with its reference hour on the service's local clock and,
-- once its gate admitted it (or it was released from quarantine), its
-- admission order. A view: a pull's admission can change after silver was built.

with

pulls as (

    select * from {{ ref('stg_forecast__pulls') }}

),

deliveries as (

    select
        delivery_id,
        admitted_seq
    from {{ ref('stg_platform__deliveries') }}
    where source_name = 'forecast'

),

final as (

    select
        pulls.pull_id,
        pulls.pull_seq,
        pulls.fetched_at,
        pulls.fetched_at_local,
        {{ local_hour('pulls.fetched_at_local') }} as reference_hour,
        pulls.url,
        pulls.http_status,
        pulls.sha256,
        pulls.records,
        deliveries.admitted_seq
    from pulls
    left join deliveries on pulls.pull_id = deliveries.delivery_id

)

select * from final
