{{ config(alias='tweets_top_mentions') }}

-- Question 3 as of the latest good build (see gold.tweets_top_mentions__versions for older ones).

{{ gold_current_rows(ref('fct_tweets_top_mentions__versions'), ['rank', 'username', 'mention_count']) }}
