"""The committed emoji seed and pattern are what the pinned emoji package generates."""

from __future__ import annotations

from orchestration.settings import PROJECT_DIR
from tools import emoji_catalog


def test_seed_is_up_to_date() -> None:
    committed = (PROJECT_DIR / "seeds" / "emoji_walks.csv").read_text(encoding="utf-8")
    assert committed == emoji_catalog.render_seed(), "run `python -m tools generate emoji-assets`"


def test_pattern_macro_is_up_to_date() -> None:
    committed = (PROJECT_DIR / "macros" / "tweets" / "emoji_pattern.sql").read_text(encoding="utf-8")
    assert committed == emoji_catalog.render_macro(), "run `python -m tools generate emoji-assets`"


def test_every_complete_emoji_yields_itself() -> None:
    import emoji

    rows = emoji_catalog.emoji_walk_rows()
    yields = {}
    for walk, _ordinal, produced in rows:
        yields.setdefault(walk, []).append(produced)
    for sequence in emoji.EMOJI_DATA:
        assert yields.get(sequence) == [sequence], sequence
