{{ config(materialized='ephemeral') }}

-- Every delivery of every source and its state, as the platform last copied it
-- into `platform.deliveries`. Python rewrites that table between dbt steps (a
-- gate's decisions, a release from quarantine), so this model is ephemeral: each
-- model that reads it reads the table as it is when that model runs.

with

deliveries as (

    select * from {{ source('platform', 'deliveries') }}

),

final as (

    select
        source_name,
        delivery_id,
        delivery_seq,
        delivery_name,
        landed_at,
        items,
        sha256,
        state,
        admitted_seq,
        reasons,
        decided_at
    from deliveries

)

select * from final
