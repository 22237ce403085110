{{ config(alias='tiktok_comments_daily') }}

-- Comments, commenters and likes per date and video as of the latest good build
-- (gold.tiktok_comments_daily__versions holds the older ones).

{{ gold_current_rows(ref('fct_tiktok_comments_daily__versions'),
    ['comment_date', 'aweme_id', 'comments', 'commenters', 'likes']) }}
