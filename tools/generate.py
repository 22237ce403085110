"""Synthetic snscrape tweets, shaped like ../shared/data/tweets_real_sample.jsonl.

Every field, its order, nesting and null pattern follow the real dump: a
`user` object, `mentionedUsers` (list or null) whose entries only carry
username, displayname, id and url, `media` (photo or video objects, or null),
and `quotedTweet` (a whole tweet with its own user, emoji and mentions, or
null). Users, mentions and emoji are Zipf-skewed; emoji include skin tones,
flags, ZWJ and keycap sequences, and `❤` beside `❤️`. About a quarter of the
lines are written as raw UTF-8, the rest with `\\u` escapes as snscrape does.
The same seed always gives the same bytes.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

FIRST_DAY = datetime(2021, 2, 4, tzinfo=UTC)
DAYS = 21
# Relative activity per day, 2021-02-04 .. 2021-02-24, peaking mid-month like the real dump.
DAY_WEIGHTS = [3, 4, 5, 4, 4, 5, 5, 6, 12, 11, 10, 9, 10, 11, 9, 8, 8, 7, 6, 8, 5]
OFFSETS = [
    timedelta(hours=5, minutes=30),
    timedelta(hours=-8),
    timedelta(hours=1),
    timedelta(hours=-5),
    timedelta(hours=9, minutes=30),
    timedelta(hours=-3, minutes=-30),
]

HEAD_EMOJI = ["🙏", "😂", "🚜", "🌾", "🇮🇳", "🤣", "✊", "❤️", "🙏🏻", "💚", "❤", "👍", "🔥", "💪", "😡"]
SEQUENCE_EMOJI = [
    "🙏🏽",
    "🙏🏼",
    "🙏🏾",
    "✊🏽",
    "✊🏻",
    "💪🏻",
    "👍🏼",
    "👏🏽",
    "👨‍🌾",
    "👩‍🌾",
    "👨🏽‍🌾",
    "🧑‍🌾",
    "🏳️‍🌈",
    "👨‍👩‍👧",
    "👁️‍🗨️",
    "❤️‍🔥",
    "🇨🇦",
    "🇬🇧",
    "🇺🇸",
    "🇵🇰",
    "🇦🇺",
    "1️⃣",
    "2️⃣",
    "#️⃣",
    "*️⃣",
    "☝️",
    "✌️",
    "☺️",
    "♥️",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "🇪🇺",
    "😢",
    "😭",
    "🤔",
    "👇",
    "📢",
    "🚩",
    "🙌",
]
WORDS = (  # noqa: SIM905 -- a sentence reads better than a list of 47 strings
    "farmers protest india delhi border support kisan stand with punjab haryana government "
    "laws repeal police internet tractor rally peaceful rights voice solidarity people fight "
    "justice democracy world watching media news today sikh women farmers strong unity "
    "against modi farm bills agriculture land food nation together truth freedom"
).split()
HASHTAGS = [
    "#FarmersProtest",
    "#StandWithFarmers",
    "#FarmersProtests",
    "#NoFarmersNoFood",
    "#ModiDontSellFarmers",
    "#IStandWithFarmers",
    "#KisanAndolan",
    "#FreeNodeepKaur",
]
PLACES = [
    "",
    "",
    "",
    "India",
    "Punjab, India",
    "New Delhi",
    "Canada",
    "London, England",
    "California, USA",
    "Haryana",
    "Brampton, Ontario",
]
SOURCES = [
    ("Twitter for Android", "http://twitter.com/download/android"),
    ("Twitter for iPhone", "http://twitter.com/download/iphone"),
    ("Twitter Web App", "https://mobile.twitter.com"),
]


class _Zipf:
    """Draws 0..n-1 with probability proportional to 1/(rank+1)^s."""

    def __init__(self, n: int, s: float) -> None:
        self.cum = list(itertools.accumulate(1.0 / (k + 1) ** s for k in range(n)))

    def draw(self, rng: random.Random) -> int:
        return bisect.bisect_left(self.cum, rng.random() * self.cum[-1])


@dataclass(frozen=True)
class Options:
    rows: int
    seed: int = 0
    duplicate_share: float = 0.0
    malformed_share: float = 0.0
    offset_share: float = 0.0
    raw_utf8_share: float = 0.25


class TweetGenerator:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.n_users = max(50, options.rows // 6)
        self.user_zipf = _Zipf(self.n_users, 1.05)
        self.mention_zipf = _Zipf(min(self.n_users, 4000), 1.1)
        self.emoji_pool = HEAD_EMOJI + SEQUENCE_EMOJI
        self.emoji_zipf = _Zipf(len(self.emoji_pool), 0.9)
        self.users: dict[int, dict[str, Any]] = {}
        self.emitted: list[dict[str, Any]] = []
        self.next_id = 1357000000000000000 + options.seed * 10_000_000_000

    def _user(self, k: int) -> dict[str, Any]:
        if k not in self.users:
            r = random.Random(self.o.seed * 1_000_003 + k)
            name = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(4, 9)))
            username = (name.capitalize() if r.random() < 0.4 else name) + (
                str(r.randint(1, 99999999)) if r.random() < 0.5 else ""
            )
            uid = r.randint(10**7, 1_400_000_000_000_000_000)
            description = " ".join(r.choice(WORDS) for _ in range(r.randint(0, 25)))
            self.users[k] = {
                "username": username,
                "displayname": f"{name.capitalize()} {r.choice(['Singh', 'Kaur', 'Sharma', 'Gill', ''])}".strip(),
                "id": uid,
                "description": description,
                "rawDescription": description,
                "descriptionUrls": [],
                "verified": r.random() < 0.02,
                "created": (datetime(2008, 1, 1, tzinfo=UTC) + timedelta(seconds=r.randint(0, 4 * 10**8))).isoformat(),
                "followersCount": int(r.paretovariate(1.2) * 50),
                "friendsCount": r.randint(0, 5000),
                "statusesCount": r.randint(1, 100000),
                "favouritesCount": r.randint(0, 100000),
                "listedCount": r.randint(0, 300),
                "mediaCount": r.randint(0, 5000),
                "location": r.choice(PLACES),
                "protected": False,
                "linkUrl": None if r.random() < 0.7 else f"https://example.org/{name}",
                "linkTcourl": None,
                "profileImageUrl": f"https://pbs.twimg.com/profile_images/{uid}/{name}_normal.jpg",
                "profileBannerUrl": f"https://pbs.twimg.com/profile_banners/{uid}/1612601766",
                "url": f"https://twitter.com/{username}",
            }
            if self.users[k]["linkUrl"]:
                self.users[k]["linkTcourl"] = "https://t.co/" + name[:10]
        user = self.users[k]
        if self.rng.random() < 0.01:
            user["followersCount"] += self.rng.randint(1, 50)
        return user

    def _mention(self, k: int) -> dict[str, Any]:
        user = self._user(k)
        stub: dict[str, Any] = {key: None for key in user}
        stub.update(username=user["username"], displayname=user["displayname"], id=user["id"], url=user["url"])
        return stub

    def _emoji_run(self) -> str:
        e = self.emoji_pool[self.emoji_zipf.draw(self.rng)]
        return e * (1 if self.rng.random() < 0.7 else self.rng.randint(2, 4))

    def _when(self) -> tuple[int, datetime]:
        day = self.rng.choices(range(DAYS), weights=DAY_WEIGHTS)[0]
        return day, FIRST_DAY + timedelta(days=day, seconds=self.rng.randint(0, 86399))

    def _author(self, day: int) -> dict[str, Any]:
        """Half the tweets come from that day's own Zipf ranking, so each day has its own top users."""
        draw = self.user_zipf.draw(self.rng)
        if self.rng.random() < 0.5:
            draw = (draw + (day + 1) * 7919) % self.n_users
        return self._user(draw)

    def _tweet(self, depth: int = 0) -> dict[str, Any]:
        rng = self.rng
        day, when = self._when()
        user = self._author(day)
        offset = rng.choice(OFFSETS) if rng.random() < self.o.offset_share else timedelta(0)
        stamp = when.astimezone(timezone(offset)).isoformat()
        tweet_id = self.next_id
        self.next_id += rng.randint(1, 4000)
        mentions = (
            [self._mention(self.mention_zipf.draw(rng)) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.35
            else None
        )
        parts = [rng.choice(WORDS) for _ in range(rng.randint(6, 35))]
        for _ in range(rng.choices([0, 1, 2, 3, 5], weights=[50, 25, 12, 8, 5])[0]):
            parts.insert(rng.randint(0, len(parts)), self._emoji_run())
        if mentions:
            parts = [f"@{m['username']}" for m in mentions] + parts
        parts += rng.sample(HASHTAGS, rng.randint(0, 3))
        content = " ".join(parts)
        if rng.random() < 0.3:
            content += " \n\nhttps://t.co/" + "".join(rng.choice("abcdefXYZ0123") for _ in range(10))
        label, source_url = rng.choice(SOURCES)
        quoted = self._tweet(depth + 1) if depth == 0 and rng.random() < 0.35 else None
        return {
            "url": f"https://twitter.com/{user['username']}/status/{tweet_id}",
            "date": stamp,
            "content": content,
            "renderedContent": content,
            "id": tweet_id,
            "user": dict(user),
            "outlinks": [quoted["url"]] if quoted else [],
            "tcooutlinks": ["https://t.co/" + str(tweet_id)[-10:]] if quoted else [],
            "replyCount": int(rng.paretovariate(2)) - 1,
            "retweetCount": int(rng.paretovariate(1.5)) - 1,
            "likeCount": int(rng.paretovariate(1.3)) - 1,
            "quoteCount": int(rng.paretovariate(3)) - 1,
            "conversationId": tweet_id,
            "lang": rng.choice(["en", "en", "en", "hi", "pa", "und"]),
            "source": f'<a href="{source_url}" rel="nofollow">{label}</a>',
            "sourceUrl": source_url,
            "sourceLabel": label,
            "media": self._media(tweet_id) if rng.random() < 0.5 else None,
            "retweetedTweet": None,
            "quotedTweet": quoted,
            "mentionedUsers": mentions,
        }

    def _media(self, tweet_id: int) -> list[dict[str, Any]]:
        if self.rng.random() < 0.5:
            key = f"Eu{tweet_id % 10**9:x}"
            return [
                {
                    "previewUrl": f"https://pbs.twimg.com/media/{key}?format=jpg&name=small",
                    "fullUrl": f"https://pbs.twimg.com/media/{key}?format=jpg&name=large",
                    "type": "photo",
                }
            ]
        base = f"https://video.twimg.com/ext_tw_video/{tweet_id}/pu"
        return [
            {
                "thumbnailUrl": f"https://pbs.twimg.com/ext_tw_video_thumb/{tweet_id}/pu/img/t.jpg",
                "variants": [
                    {"contentType": "video/mp4", "url": f"{base}/vid/320x566/a.mp4?tag=10", "bitrate": 632000},
                    {"contentType": "application/x-mpegURL", "url": f"{base}/pl/b.m3u8?tag=10", "bitrate": None},
                    {"contentType": "video/mp4", "url": f"{base}/vid/406x720/c.mp4?tag=10", "bitrate": 832000},
                ],
                "duration": round(self.rng.uniform(5, 140), 3),
                "type": "video",
            }
        ]

    def _malformed(self) -> bytes:
        good = json.dumps(self._tweet())
        kind = self.rng.randrange(6)
        if kind == 0:
            return good[: self.rng.randint(1, len(good) - 1)].encode()
        if kind == 1:
            return b"<html>503 Service Unavailable</html>"
        if kind == 2:
            return json.dumps({k: v for k, v in json.loads(good).items() if k != "id"}).encode()
        if kind == 3:
            return json.dumps({k: v for k, v in json.loads(good).items() if k != "date"}).encode()
        if kind == 4:
            return good.replace('"date": "2021', '"date": "Feb 2021').encode()
        return good[:40].encode() + b"\xff\xfe broken bytes"

    def line(self) -> bytes:
        rng = self.rng
        if rng.random() < self.o.malformed_share:
            return self._malformed()
        if self.emitted and rng.random() < self.o.duplicate_share:
            tweet = dict(rng.choice(self.emitted))
            tweet["content"] = tweet["content"] + " " + self._emoji_run()
            tweet["likeCount"] += 1
        else:
            tweet = self._tweet()
            if self.o.duplicate_share and len(self.emitted) < 20000:
                self.emitted.append(tweet)
        ascii_only = rng.random() >= self.o.raw_utf8_share
        return json.dumps(tweet, ensure_ascii=ascii_only).encode("utf-8")


def generate(out: Path, options: Options, progress: bool = True) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    generator = TweetGenerator(options)
    with tmp.open("wb") as handle:
        for _ in tqdm(range(options.rows), unit=" tweets", desc=f"generate {out.name}", disable=not progress):
            handle.write(generator.line() + b"\n")
    tmp.replace(out)
    return out
