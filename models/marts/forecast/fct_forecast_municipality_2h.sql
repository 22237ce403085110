{{ config(alias='forecast_municipality_2h') }}

-- One row per municipality: temperature and precipitation averaged over the
-- hours H-1 and H, where H is the latest admitted pull's fetched-at on the
-- service's clock, truncated to the hour. Municipalities with neither hour are kept,
-- with nulls and hours_used = 0.

with

hourly as (

    select * from {{ ref('int_forecast__hourly') }}

),

reference as (

    select max(reference_hour) as reference_hour
    from {{ ref('int_forecast__pulls') }}
    where admitted_seq is not null

),

municipalities as (

    select
        ides,
        idmun,
        nes,
        nmun
    from (
        select
            ides,
            idmun,
            nes,
            nmun,
            row_number() over (
                partition by ides, idmun
                order by fetched_at desc, forecast_hour desc
            ) as name_rank
        from hourly
    ) as named
    where name_rank = 1

),

window_hours as (

    select
        hourly.ides,
        hourly.idmun,
        count(*) as hours_used,
        avg(hourly.temp) as avg_temp,
        avg(hourly.prec) as avg_prec
    from hourly
    cross join reference
    where
        hourly.forecast_hour = reference.reference_hour
        or hourly.forecast_hour = {{ dbt.dateadd('hour', -1, 'reference.reference_hour') }}
    group by hourly.ides, hourly.idmun

),

final as (

    select
        municipalities.ides,
        municipalities.idmun,
        municipalities.nes,
        municipalities.nmun,
        coalesce(window_hours.hours_used, 0) as hours_used,
        window_hours.avg_temp,
        window_hours.avg_prec,
        reference.reference_hour
    from municipalities
    cross join reference
    left join window_hours
        on
            municipalities.ides = window_hours.ides
            and municipalities.idmun = window_hours.idmun

)

select * from final
