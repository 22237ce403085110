{{ config(alias='tweets_top_emojis') }}

-- Question 2 as of the latest good build (see gold.tweets_top_emojis__versions for older ones).

{{ gold_current_rows(ref('fct_tweets_top_emojis__versions'), ['rank', 'emoji', 'emoji_count']) }}
