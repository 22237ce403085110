"""Tweets about the 2021 farmers' protest: files of JSON lines, landed by path, URL or inbox."""

from orchestration.core.inbox import waiting
from orchestration.core.landing import Manifest
from orchestration.core.source import Source
from orchestration.settings import Paths


def _has_landed(paths: Paths) -> bool:
    return bool(Manifest(paths.landing("tweets")).entries() or waiting(paths, "tweets"))


SOURCE = Source(
    name="tweets",
    lands=("tweets",),
    has_landed=_has_landed,
    needs=("reference",),
    file_inboxes=("tweets",),
)
