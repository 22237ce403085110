{{ config(alias='media_daily') }}

-- Distinct articles per UTC publish date and outlet, from silver's first
-- deliveries. An article without a publish time (with its offset) or an outlet
-- is in silver but counted on no day.

with

articles as (

    select * from {{ ref('int_media__articles') }}
    where publish_date is not null and outlet is not null

),

final as (

    select
        publish_date,
        outlet,
        count(distinct article_id) as articles
    from articles
    group by publish_date, outlet

)

select * from final
