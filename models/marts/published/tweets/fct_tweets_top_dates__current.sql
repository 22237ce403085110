{{ config(alias='tweets_top_dates') }}

-- Question 1 as of the latest good build (see gold.tweets_top_dates__versions for older ones).

{{ gold_current_rows(ref('fct_tweets_top_dates__versions'),
    ['rank', 'tweet_date', 'tweet_count', 'top_username', 'top_username_tweet_count']) }}
