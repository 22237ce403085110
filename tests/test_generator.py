"""The generator writes lines shaped like the real dump: schema parity, skew, determinism."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import emoji
import pytest

from tools.generate import Options, generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("gen") / "t.jsonl", Options(rows=3000, seed=7), progress=False)


def shape(value: Any) -> Any:
    """Key order and value kinds of a JSON value, ignoring the values themselves."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def test_top_level_and_user_fields_match_the_real_sample(real_sample: Path, generated: Path) -> None:
    real = [json.loads(line) for line in real_sample.open()]
    fake = [json.loads(line) for line in generated.open()]
    assert {tuple(t) for t in fake} == {tuple(t) for t in real}, "same keys in the same order"
    assert {tuple(t["user"]) for t in fake} == {tuple(t["user"]) for t in real}
    real_user_kinds = {k: {shape(t["user"][k]) for t in real} for k in real[0]["user"]}
    for key, kinds in real_user_kinds.items():
        fake_kinds = {shape(t["user"][key]) for t in fake}
        assert fake_kinds <= kinds | {"NoneType"}, f"user.{key}: {fake_kinds} vs real {kinds}"


def test_null_patterns_match_the_real_sample(real_sample: Path, generated: Path) -> None:
    for path in (real_sample, generated):
        tweets = [json.loads(line) for line in path.open()]
        nullable = ("media", "quotedTweet", "mentionedUsers")
        for key in nullable:
            kinds = {type(t[key]).__name__ for t in tweets}
            assert kinds == {"NoneType", "list" if key != "quotedTweet" else "dict"}, (path.name, key, kinds)
        assert all(t["retweetedTweet"] is None for t in tweets)


def test_mentioned_users_carry_only_identity_fields(real_sample: Path, generated: Path) -> None:
    for path in (real_sample, generated):
        for tweet in map(json.loads, path.open()):
            for mention in tweet["mentionedUsers"] or []:
                assert list(mention) == list(tweet["user"]), "same keys as a full user"
                present = {k for k, v in mention.items() if v is not None}
                assert present == {"username", "displayname", "id", "url"}, (path.name, present)


def test_quoted_tweets_are_whole_tweets_with_their_own_users_and_emoji(generated: Path) -> None:
    quoted = [t["quotedTweet"] for t in map(json.loads, generated.open()) if t["quotedTweet"]]
    assert len(quoted) > 500
    assert all(list(q) == list(quoted[0]) and isinstance(q["user"], dict) for q in quoted)
    assert any(q["mentionedUsers"] for q in quoted)
    assert any(emoji.emoji_list(q["content"]) for q in quoted)


def test_media_objects_match_the_real_kinds(real_sample: Path, generated: Path) -> None:
    def media_shapes(path: Path) -> set[tuple[str, ...]]:
        return {tuple(m) for t in map(json.loads, path.open()) for m in t["media"] or []}

    assert media_shapes(generated) == media_shapes(real_sample)


def test_escapes_and_raw_utf8_are_mixed(generated: Path) -> None:
    lines = generated.read_bytes().splitlines()
    escaped = sum(1 for line in lines if re.search(rb"\\ud83[cde]", line))
    raw = sum(1 for line in lines if re.search(rb"[\xf0-\xf4]", line))
    assert escaped > 500 and raw > 200, (escaped, raw)


def test_lines_are_about_the_real_size(generated: Path) -> None:
    lines = generated.read_bytes().splitlines()
    average = sum(map(len, lines)) / len(lines)
    assert 2800 <= average <= 3800, average


def test_dates_stay_in_the_protest_window(generated: Path) -> None:
    days = {datetime.fromisoformat(t["date"]).astimezone(UTC).date() for t in map(json.loads, generated.open())}
    assert min(days) >= date(2021, 2, 4) and max(days) <= date(2021, 2, 24)
    assert len(days) == 21


def test_skewed_users_mentions_and_emoji(generated: Path) -> None:
    tweets = [json.loads(line) for line in generated.open()]
    authors = Counter(t["user"]["username"] for t in tweets)
    mentions = Counter(m["username"] for t in tweets for m in t["mentionedUsers"] or [])
    emojis = Counter(e["emoji"] for t in tweets for e in emoji.emoji_list(t["content"]))
    for counter in (authors, mentions, emojis):
        top, median = counter.most_common(1)[0][1], sorted(counter.values())[len(counter) // 2]
        assert top >= 10 * median, counter.most_common(3)


def test_emoji_include_every_hard_kind(generated: Path) -> None:
    found = {e["emoji"] for t in map(json.loads, generated.open()) for e in emoji.emoji_list(t["content"])}
    assert {"❤", "❤️"} <= found
    assert any("\u200d" in e for e in found), "ZWJ sequence"
    assert any("\u20e3" in e for e in found), "keycap"
    assert any(len(e) == 2 and all(0x1F1E6 <= ord(c) <= 0x1F1FF for c in e) for e in found), "flag"
    assert any(any(0x1F3FB <= ord(c) <= 0x1F3FF for c in e) for e in found), "skin tone"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a.jsonl", Options(rows=200, seed=3), progress=False).read_bytes()
    b = generate(tmp_path / "b.jsonl", Options(rows=200, seed=3), progress=False).read_bytes()
    c = generate(tmp_path / "c.jsonl", Options(rows=200, seed=4), progress=False).read_bytes()
    assert a == b
    assert a != c


def test_dirty_options_make_dirty_data(tmp_path: Path) -> None:
    path = generate(
        tmp_path / "d.jsonl",
        Options(rows=2000, seed=5, duplicate_share=0.1, malformed_share=0.05, offset_share=0.3),
        progress=False,
    )
    parsed, bad = [], 0
    for raw in path.read_bytes().splitlines():
        try:
            parsed.append(json.loads(raw))
        except ValueError:
            bad += 1
    ids = Counter(t.get("id") for t in parsed)
    assert 40 <= bad <= 160
    assert sum(n - 1 for n in ids.values() if n > 1) >= 100, "re-delivered ids"
    assert sum(1 for t in parsed if "date" in t and not str(t["date"]).endswith("+00:00")) >= 400
