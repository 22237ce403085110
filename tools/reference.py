"""The three answers computed the plain way, in Python, straight from raw files.

This is the yardstick the warehouse is checked against (tests) and timed
against (benchmark). It applies the documented semantics directly: later file
wins, then later line; dates are UTC; emoji come from `emoji.emoji_list`; a
line is a tweet when its `id` is an integer (a JSON number or a string of
digits, within 64 bits), its `date` an ISO-8601 timestamp and its
`user.username` a string, and when `user.id` and the counts, if present, are
integers too and `user.verified` a boolean; a line longer than the line limit
(MEDALLION_MAX_LINE_BYTES) is not a tweet.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import emoji

from orchestration.settings import Limits

INT64 = range(-(2**63), 2**63)
DIGITS = re.compile(r"-?[0-9]{1,19}")
COUNTS = ("followersCount", "friendsCount", "statusesCount")


def as_int(value: Any) -> int | None:
    """A JSON integer or a string of digits within 64 bits; None for anything else (`true`, `1.5`, `"1.2k"`)."""
    if isinstance(value, str) and DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in INT64:
        return None
    return value


def is_tweet(tweet: Any) -> bool:
    user = tweet.get("user") if isinstance(tweet, dict) else None
    if not isinstance(user, dict) or not isinstance(user.get("username"), str):
        return False
    if as_int(tweet.get("id")) is None:
        return False
    if any(user.get(key) is not None and as_int(user[key]) is None for key in ("id", *COUNTS)):
        return False
    return user.get("verified") in (None, True, False, "true", "false")


def latest_tweets(files: list[Path], max_line_bytes: int = Limits.max_line_bytes) -> dict[int, dict[str, Any]]:
    tweets: dict[int, dict[str, Any]] = {}
    for path in files:
        with path.open("rb") as handle:
            for raw in handle:
                if len(raw.removesuffix(b"\n").removesuffix(b"\r")) > max_line_bytes:
                    continue
                try:
                    tweet = json.loads(raw)
                    if not is_tweet(tweet):
                        continue
                    tweet_id = as_int(tweet["id"])
                    when = datetime.fromisoformat(tweet["date"])
                except (ValueError, KeyError, TypeError):
                    continue
                tweet["_date"] = when.astimezone(UTC).date().isoformat()
                tweets[tweet_id] = tweet
    return tweets


def answers(files: list[Path], max_line_bytes: int = Limits.max_line_bytes) -> dict[str, list[dict[str, Any]]]:
    tweets = latest_tweets(files, max_line_bytes).values()
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
