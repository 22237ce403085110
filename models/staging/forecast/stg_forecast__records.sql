{{
    config(
        unique_key=['pull_id', 'record_index'],
    )
}}

-- Every record of every landed pull, typed, with the reason when it cannot be
-- used (its keys or hour are missing or not what they should be). A value of
-- the wrong type becomes null; nothing here fails on what a record holds.

with

bronze_records as (

    select * from {{ source('forecast', 'forecast_records') }}
    {% if is_incremental() %}
        where pull_seq > {{ incremental_watermark('pull_seq') }}
    {% endif %}

),

typed as (

    select
        pull_id,
        pull_seq,
        fetched_at,
        record_index,
        {{ to_integer('ides') }} as ides,
        {{ to_integer('idmun') }} as idmun,
        hloc,
        {{ parse_local_hour('hloc') }} as forecast_hour,
        nes,
        nmun,
        {{ to_integer('nhor') }} as nhor,
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
        ides as raw_ides,
        idmun as raw_idmun
    from bronze_records

),

final as (

    select
        pull_id,
        pull_seq,
        fetched_at,
        record_index,
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
        case
            when raw_ides is null then 'missing ides'
            when ides is null then 'ides is not an integer'
            when raw_idmun is null then 'missing idmun'
            when idmun is null then 'idmun is not an integer'
            when hloc is null then 'missing hloc'
            when forecast_hour is null then 'hloc is not a YYYYMMDDTHH hour'
        end as reject_reason
    from typed

)

select * from final
