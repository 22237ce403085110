{{ config(alias='media_daily') }}

-- Articles per publish date and outlet as of the latest good build
-- (gold.media_daily__versions holds the older ones).

{{ gold_current_rows(ref('fct_media_daily__versions'), ['publish_date', 'outlet', 'articles']) }}
