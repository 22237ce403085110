"""Tweets in bronze: each landed file, line by line, in `bronze.tweets_lines` (see `core.lines`)."""

from orchestration.core.lines import LoadSummary, load_landed
from orchestration.settings import Paths


def load(paths: Paths, progress: bool = True) -> LoadSummary:
    return load_landed("tweets", paths, progress)
