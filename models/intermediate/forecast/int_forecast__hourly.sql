{{
    config(
        unique_key=['ides', 'idmun', 'hloc'],
    )
}}

-- One row per municipality and local forecast hour, from the most recent pull
-- that contained it, among the pulls admitted by their gate (or released from
-- quarantine). A build takes in the pulls admitted since the last one; their
-- rows compete with the rows already here for the same keys, so replaying an
-- older pull later never overrides newer forecasts.

with

admitted as (

    {{ admitted_deliveries('forecast') }}

),

records as (

    select * from {{ ref('stg_forecast__records') }}

),

new_records as (

    select
        records.ides,
        records.idmun,
        records.hloc,
        records.forecast_hour,
        records.nes,
        records.nmun,
        records.nhor,
        records.temp,  -- noqa: RF04
        records.prec,
        records.probprec,
        records.hr,
        records.desciel,
        records.velvien,
        records.dirvienc,
        records.dirvieng,
        records.raf,
        records.lat,
        records.lon,
        records.pull_id,
        records.pull_seq,
        records.fetched_at,
        records.record_index,
        admitted.admitted_seq
    from records
    inner join admitted on records.pull_id = admitted.delivery_id
    where records.reject_reason is null

),

{% if is_incremental() %}
    touched as (

        -- The keys the new pulls bring: their rows already here compete with them.
        select distinct
            ides,
            idmun,
            hloc
        from new_records

    ),
{% endif %}

candidates as (

    select * from new_records

    {% if is_incremental() %}
        union all

        select current_rows.*
        from {{ this }} as current_rows
        inner join touched
            on
                current_rows.ides = touched.ides
                and current_rows.idmun = touched.idmun
                and current_rows.hloc = touched.hloc
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by ides, idmun, hloc
            order by fetched_at desc, pull_seq desc, record_index desc
        ) as pull_rank
    from candidates

),

final as (

    select
        ides,
        idmun,
        hloc,
        forecast_hour,
        nes,
        nmun,
        nhor,
        temp,  -- noqa: RF04
        prec,
        probprec,
        hr,
        desciel,
        velvien,
        dirvienc,
        dirvieng,
        raf,
        lat,
        lon,
        pull_id,
        pull_seq,
        fetched_at,
        record_index,
        admitted_seq
    from ranked
    where pull_rank = 1

)

select * from final
