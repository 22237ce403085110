"""`medallion generate media`: realistic daily drops of articles and TikTok comments, as a bucket holds them.

Writes `<out>/media/YYYY/MM/DD/*.json` and `<out>/tiktokcomment/YYYY/MM/DD/*.json` for `days`
delivery days ending `end` (default: yesterday, UTC): Spanish outlets and authors, accents and
emoji in text, a U+2028 now and then, viral videos with thousands of comments, commenters who
change their nickname, about 2% of items delivered again on a later file or day (sometimes with an
edited title or a new like count: the first delivery is the one that counts), a few bad lines
(truncated JSON, an array, an object without its id, an id sent as a number), CRLF files, files
without a final newline, `_SUCCESS` markers and `.tmp` leftovers, which are not data.

Deterministic for a seed. Land the result with `medallion land media OUT --from D --to D`, or copy
it into a bucket (`aws s3 cp --recursive OUT s3://bucket/prefix`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

OUTLETS = [
    ("El País", "+01:00"),
    ("El Mundo", "+01:00"),
    ("ABC", "+01:00"),
    ("La Vanguardia", "+01:00"),
    ("elDiario.es", "+01:00"),
    ("20minutos", "+01:00"),
    ("El Confidencial", "+01:00"),
    ("Público", "+01:00"),
    ("Canarias7", "+00:00"),
    ("El Tiempo (Bogotá)", "-05:00"),
    ("Clarín", "-03:00"),
]
SECTIONS = ["política", "economía", "deportes", "cultura", "sociedad", "internacional", "tecnología", "ciencia"]
SUBJECTS = [
    "El Gobierno",
    "La oposición",
    "El Banco de España",
    "Los agricultores",
    "La selección",
    "Un estudio del CSIC",
    "La Comunidad de Madrid",
    "El Ayuntamiento de Sevilla",
    "Los sindicatos",
    "La UE",
]
VERBS = ["anuncia", "critica", "aprueba", "rechaza", "investiga", "celebra", "exige", "propone", "revisa"]
OBJECTS = [
    "la reforma de las pensiones",
    "un plan de vivienda asequible",
    "la subida del salario mínimo",
    "el nuevo calendario de la Liga",
    "la ley de inteligencia artificial",
    "las ayudas a la DANA",
    "el precio de la luz en enero",
    "la candidatura olímpica",
    "un acuerdo pesquero con Marruecos",
]
FIRST = ["María", "José", "Lucía", "Álvaro", "Carmen", "Íñigo", "Begoña", "Raúl", "Nuria", "Sebastián", "Ainhoa"]
LAST = ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Núñez", "Ibáñez", "Muñoz"]
TAGS = ["España", "Madrid", "Barcelona", "elecciones", "clima", "fútbol", "vivienda", "empleo", "IA", "Europa"]
EMOJI = ["😂", "🔥", "❤️", "👏", "😍", "🙏", "👍🏽", "🇪🇸", "😭", "🤣", "👨‍👩‍👧"]
PHRASES = [
    "qué pasada",
    "no me lo creo",
    "jajaja",
    "esto es España",
    "me encanta",
    "¿alguien sabe la canción?",
    "vaya tela",
    "olé",
    "increíble, de verdad",
    "mi abuela hace lo mismo",
]
NICKS = ["Lucía", "Pepe", "Marta", "Iker", "Sofía", "Dani", "Noa", "Hugo", "Valentina", "Mateo"]


@dataclass(frozen=True)
class Options:
    days: int = 7
    end: date | None = None
    seed: int = 12
    articles_per_day: int = 300
    comments_per_day: int = 2500
    files_per_day: int = 2
    redelivery_share: float = 0.02
    bad_lines_per_day: int = 1


def _id(rng: random.Random) -> str:
    """A 19-digit id: above 2**53, so one read as a float would collide with its neighbours."""
    return str(rng.randrange(7_000_000_000_000_000_000, 7_400_000_000_000_000_000))


def _write(path: Path, lines: list[str], crlf: bool, final_newline: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    end = "\r\n" if crlf else "\n"
    text = end.join(lines) + (end if final_newline else "")
    path.write_bytes(text.encode("utf-8"))


def _article(rng: random.Random, day: date, seq: int) -> dict:
    outlet, offset = rng.choice(OUTLETS)
    hours = int(offset[1:3])
    sign = 1 if offset[0] == "+" else -1
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(-6 * 60, 24 * 60), hours=sign * hours, seconds=rng.randrange(60)
    )
    section = rng.choice(SECTIONS)
    title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    if rng.random() < 0.05:
        title += " " + rng.choice(EMOJI)
    if rng.random() < 0.01:
        title += "\u2028(actualizado)"
    slug = f"{day:%Y%m%d}-{seq:05d}"
    article = {
        "id": _id(rng),
        "url": f"https://www.ejemplo-{outlet.split()[0].lower()}.es/{section}/{slug}.html",
        "title": title,
        "outlet": outlet,
        "section": section,
        "published_at": f"{local:%Y-%m-%dT%H:%M:%S}{offset}",
        "authors": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice([1, 1, 1, 2, 3]))],
        "tags": rng.sample(TAGS, rng.randrange(0, 4)),
        "language": "es",
    }
    if rng.random() < 0.01:
        article["section"] = None
    if rng.random() < 0.005:
        del article["published_at"]
    return article


class _Comments:
    """Videos (a few viral) and users (some change their nickname over the days)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.videos = [_id(rng) for _ in range(40)]
        self.viral = self.videos[:3]
        self.users = [
            {"uid": _id(rng), "unique_id": f"user{n:05d}", "nickname": f"{rng.choice(NICKS)}{rng.choice(EMOJI)}"}
            for n in range(3000)
        ]

    def one(self, day: date) -> dict:
        rng = self.rng
        video = rng.choice(self.viral) if rng.random() < 0.6 else rng.choice(self.videos)
        user = rng.choice(self.users)
        if rng.random() < 0.002:  # a nickname change, seen from now on
            user["nickname"] = f"{rng.choice(NICKS)} {rng.choice(LAST)}"
        start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        text = f"{rng.choice(PHRASES)} {rng.choice(EMOJI)}"
        if rng.random() < 0.01:
            text += "\u2028" + rng.choice(PHRASES)
        comment = {
            "cid": _id(rng),
            "aweme_id": video,
            "text": text,
            "create_time": start + rng.randrange(-3 * 3600, 24 * 3600),
            "digg_count": int(rng.paretovariate(1.2)) - 1,
            "reply_comment_total": rng.choice([0, 0, 0, 1, 2, 5]),
            "user": dict(user),
        }
        roll = rng.random()
        if roll < 0.01:
            comment["digg_count"] = None
        elif roll < 0.015:
            del comment["user"]["uid"]
        return comment


def _bad_line(rng: random.Random, good: dict, id_field: str) -> str:
    broken = dict(good)
    numeric = dict(good)
    numeric[id_field] = int(good[id_field][:15])
    del broken[id_field]
    return rng.choice(
        [
            json.dumps(good, ensure_ascii=False)[:40],  # truncated
            json.dumps([good], ensure_ascii=False),  # an array
            json.dumps(broken, ensure_ascii=False),  # no id
            json.dumps(numeric, ensure_ascii=False),  # a numeric id
        ]
    )


def generate(out: Path, options: Options) -> list[date]:
    """Write the drops; returns the delivery days written."""
    rng = random.Random(options.seed)
    end = options.end or (datetime.now(UTC).date() - timedelta(days=1))
    days = [end - timedelta(days=n) for n in range(options.days - 1, -1, -1)]
    comments = _Comments(rng)
    delivered: dict[str, list[dict]] = {"media": [], "tiktokcomment": []}
    for day in days:
        for dataset, count, make, id_field in (
            ("media", options.articles_per_day, lambda d, n: _article(rng, d, n), "id"),
            ("tiktokcomment", options.comments_per_day, lambda d, n: comments.one(d), "cid"),
        ):
            items = [make(day, n) for n in range(count)]
            earlier = delivered[dataset]
            again = []
            for _ in range(int(count * options.redelivery_share)):
                if not earlier:
                    break
                copy = dict(rng.choice(earlier))
                if id_field == "id" and rng.random() < 0.5:
                    copy["title"] = copy["title"] + " (rectificado)"
                elif id_field == "cid":
                    copy["digg_count"] = (copy.get("digg_count") or 0) + rng.randrange(1, 50)
                again.append(copy)
            delivered[dataset].extend(items)
            lines = [json.dumps(item, ensure_ascii=False) for item in items + again]
            rng.shuffle(lines)
            for _ in range(options.bad_lines_per_day):
                at = rng.randrange(len(lines) + 1)
                lines.insert(at, _bad_line(rng, items[0], id_field))
            folder = out / dataset / f"{day:%Y/%m/%d}"
            share = max(1, len(lines) // options.files_per_day)
            for n in range(options.files_per_day):
                part = lines[n * share : None if n == options.files_per_day - 1 else (n + 1) * share]
                _write(folder / f"part-{n:04d}.json", part, crlf=rng.random() < 0.3, final_newline=rng.random() < 0.8)
            (folder / "_SUCCESS").write_bytes(b"")
            if rng.random() < 0.3:
                (folder / "part-9999.json.tmp").write_text('{"id": "half-written', encoding="utf-8")
    return days
