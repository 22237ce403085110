{{
    config(
        unique_key=['ides', 'idmun', 'hloc'],
    )
}}

-- One row per municipality and local forecast hour, from the most recent pull
-- that contained it. On an incremental build the new pulls' rows compete with
-- the rows already here for the same keys, so replaying an older pull later
-- never overrides newer forecasts.

with

new_records as (

    select * from {{ source('forecast', 'forecast_records') }}
    {% if is_incremental() %}
        where pull_seq > {{ incremental_watermark('pull_seq') }}
    {% endif %}

),

typed as (

    select
        try_cast(ides as integer) as ides,
        try_cast(idmun as integer) as idmun,
        hloc,
        {{ parse_local_hour('hloc') }} as forecast_hour,
        nes,
        nmun,
        try_cast(nhor as integer) as nhor,
        -- `temp` is the service's own field name, kept as is.
        try_cast(temp as double) as temp,  -- noqa: RF04
        try_cast(prec as double) as prec,
        try_cast(probprec as double) as probprec,
        try_cast(hr as double) as hr,
        desciel,
        try_cast(velvien as double) as velvien,
        dirvienc,
        try_cast(dirvieng as double) as dirvieng,
        try_cast(raf as double) as raf,
        try_cast(lat as double) as lat,
        try_cast(lon as double) as lon,
        pull_id,
        pull_seq,
        fetched_at,
        record_index
    from new_records

),

candidates as (

    select * from typed
    where ides is not null and idmun is not null and forecast_hour is not null

    {% if is_incremental() %}
        union all

        select current_rows.*
        from {{ this }} as current_rows
        inner join (select distinct ides, idmun, hloc from typed) as touched
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
        temp,
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
        record_index
    from ranked
    where pull_rank = 1

)

select * from final
