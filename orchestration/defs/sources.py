"""Each source's own definitions (`orchestration/sources/<name>/assets.py`), found rather than listed."""

from dagster import Definitions, definitions, load_definitions_from_module

from orchestration.core.source import asset_modules


@definitions
def sources() -> Definitions:
    return Definitions.merge(*(load_definitions_from_module(module) for module in asset_modules()))
