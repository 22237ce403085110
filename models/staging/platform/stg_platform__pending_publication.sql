{{ config(materialized='ephemeral') }}

-- What the publish step recorded for the version it is about to publish: its
-- run, the deliveries it holds and its gate results (one row). Python writes
-- `platform.pending_publication` just before dbt publishes, so this model is
-- ephemeral: it is read when `gold.versions` is built. A `dbt build` by hand
-- before any publish finds no table there, and this model has no rows.

{%- set pending = source('platform', 'pending_publication') %}
{%- set publication = load_relation(pending) if execute else none %}

with

publication as (

    {%- if publication is not none %}
        select * from {{ pending }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as version_id,
            cast(null as {{ dbt.type_string() }}) as run_id,
            cast(null as {{ timestamp_type() }}) as run_started_at,
            cast(null as {{ dbt.type_string() }}) as source_files,
            cast(null as {{ dbt.type_string() }}) as gate_results
        -- No rows (BigQuery takes no WHERE without a FROM).
        limit 0  -- noqa: AM09
    {%- endif %}

),

final as (

    select
        version_id,
        run_id,
        cast(run_started_at as {{ timestamp_type() }}) as run_started_at,
        source_files,
        gate_results
    from publication

)

select * from final
