"""The three answers computed the plain way, in Python, straight from raw files.

This is the yardstick the warehouse is checked against (tests) and timed
against (benchmark). It applies the documented semantics directly: later file
wins, then later line; dates are UTC; emoji come from `emoji.emoji_list`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import emoji


def latest_tweets(files: list[Path]) -> dict[int, dict[str, Any]]:
    tweets: dict[int, dict[str, Any]] = {}
    for path in files:
        with path.open("rb") as handle:
            for raw in handle:
                try:
                    tweet = json.loads(raw)
                    tweet_id = int(tweet["id"])
                    when = datetime.fromisoformat(tweet["date"])
                    if not isinstance(tweet["user"]["username"], str):
                        continue
                except (ValueError, KeyError, TypeError):
                    continue
                tweet["_date"] = when.astimezone(UTC).date().isoformat()
                tweets[tweet_id] = tweet
    return tweets


def answers(files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    tweets = latest_tweets(files).values()
    per_date: Counter[str] = Counter()
    per_user: dict[str, Counter[str]] = defaultdict(Counter)
    emojis: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for tweet in tweets:
        per_date[tweet["_date"]] += 1
        per_user[tweet["_date"]][tweet["user"]["username"]] += 1
        emojis.update(m["emoji"] for m in emoji.emoji_list(tweet["content"] or ""))
        mentions.update(m["username"] for m in tweet.get("mentionedUsers") or [] if m.get("username"))
    q1 = []
    for day, count in sorted(per_date.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        user, user_count = min(per_user[day].items(), key=lambda kv: (-kv[1], kv[0]))
        q1.append({"date": day, "tweet_count": count, "top_username": user, "top_username_tweet_count": user_count})
    q2 = [{"emoji": e, "count": c} for e, c in sorted(emojis.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    q3 = [{"username": u, "mention_count": c} for u, c in sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    return {"q1": q1, "q2": q2, "q3": q3}
