"""The media source's rules in plain Python, to check gold against (tests), from a local root of drops.

Written from the rules in the README ("Media drops"), not from the SQL:
- a delivery is `<root>/<dataset>/YYYY/MM/DD/<name>.json` (only `*.json` directly in a day's folder);
- lines are split on LF only (a CR before it is dropped; U+2028 is text); a missing final newline is fine;
- a line is a reject unless it is a JSON object whose id (`id`, `cid`) is a non-empty string; a comment
  whose `aweme_id` or `user.uid` is present but not a string is a reject too;
- the first delivery of an id wins: earliest delivery day, then file name, then line number;
- `published_at` counts only as ISO 8601 with an offset (or Z), year 1000 on, hours to 23; `outlet`
  only as a string; `create_time`, `digg_count` only as whole non-negative numbers (a JSON integer or a
  string of digits);
- media_daily: winners with a publish time and an outlet, distinct ids per (UTC date, outlet);
- tiktok_comments_daily: winners with a create time and a video, per (UTC date, aweme_id): comments,
  distinct `user.uid` (none: not a commenter), sum of `digg_count` (null adds nothing).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ISO_WITH_OFFSET = re.compile(
    r"[1-9]\d{3}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
)
MAX_LINE_BYTES = 1 << 20  # MEDALLION_MAX_LINE_BYTES' default: a longer line is a reject
WHOLE = re.compile(r"[0-9]{1,15}")
LATEST_EPOCH = 32_503_680_000  # 3000-01-01


def deliveries(root: Path, dataset: str, days: list[date] | None = None) -> list[tuple[date, str, Path]]:
    found = []
    for folder in sorted((root / dataset).glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]")):
        try:
            day = date(int(folder.parent.parent.name), int(folder.parent.name), int(folder.name))
        except ValueError:
            continue
        if days is not None and day not in days:
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name.endswith(".json") and not path.name.startswith("."):
                found.append((day, path.name, path))
    return sorted(found, key=lambda d: (d[0], d[1]))


def lines(path: Path) -> list[str | None]:
    """Each line's text, or None when it is not UTF-8 or longer than MAX_LINE_BYTES."""
    raw = path.read_bytes()
    pieces = raw.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    out: list[str | None] = []
    for piece in pieces:
        if len(piece) > MAX_LINE_BYTES:  # as the loader counts it: a CR before the LF included
            out.append(None)
            continue
        piece = piece.removesuffix(b"\r")
        try:
            out.append(piece.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
    return out


def _text(value: Any) -> str | None:
    """A text field counts only as a JSON string."""
    return value if isinstance(value, str) else None


def _whole(value: Any, limit: int | None = None) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value) if isinstance(value, int) else value if isinstance(value, str) else None
    if text is None or not WHOLE.fullmatch(text):
        return None
    number = int(text)
    return None if limit is not None and number > limit else number


def _utc(text: Any) -> datetime | None:
    if not isinstance(text, str) or not ISO_WITH_OFFSET.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):  # past the year 9999 in UTC: no date, as in the models
        return None


def _accept(obj: Any, id_field: str) -> bool:
    if not isinstance(obj, dict):
        return False
    value = obj.get(id_field)
    if not isinstance(value, str) or value == "":
        return False
    if id_field == "cid":
        if obj.get("aweme_id") is not None and not isinstance(obj["aweme_id"], str):
            return False
        user = obj.get("user")
        if isinstance(user, dict) and user.get("uid") is not None and not isinstance(user["uid"], str):
            return False
    return True


def winners(root: Path, dataset: str, days: list[date] | None = None) -> tuple[dict[str, dict], int, int]:
    """(first delivery of each id, rejected lines, duplicate lines)."""
    id_field = "id" if dataset == "media" else "cid"
    first: dict[str, dict] = {}
    rejects = duplicates = 0
    for _, _, path in deliveries(root, dataset, days):
        for text in lines(path):
            try:
                obj = json.loads(text) if text is not None else None
            except ValueError:
                obj = None
            if not _accept(obj, id_field):
                rejects += 1
                continue
            if obj[id_field] in first:
                duplicates += 1
                continue
            first[obj[id_field]] = obj
    return first, rejects, duplicates


def media_daily(root: Path, days: list[date] | None = None) -> list[tuple[str, str, int]]:
    articles, _, _ = winners(root, "media", days)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for article in articles.values():
        published, outlet = _utc(article.get("published_at")), _text(article.get("outlet"))
        if published is not None and outlet is not None:
            counts[(published.date().isoformat(), outlet)] += 1
    return sorted((day, outlet, n) for (day, outlet), n in counts.items())


def tiktok_comments_daily(root: Path, days: list[date] | None = None) -> list[tuple[str, str, int, int, int]]:
    comments, _, _ = winners(root, "tiktokcomment", days)
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for comment in comments.values():
        created = _whole(comment.get("create_time"), LATEST_EPOCH)
        video = comment.get("aweme_id")
        if created is not None and video is not None:
            groups[(datetime.fromtimestamp(created, UTC).date().isoformat(), video)].append(comment)
    rows = []
    for (day, video), items in groups.items():
        users = {c["user"]["uid"] for c in items if isinstance(c.get("user"), dict) and c["user"].get("uid")}
        likes = sum(_whole(c.get("digg_count")) or 0 for c in items)
        rows.append((day, video, len(items), len(users), likes))
    return sorted(rows)
