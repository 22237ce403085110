"""The sources, one package each: `orchestration/sources/<name>/` with its `SOURCE` and `assets.py`.

Found by looking, not by a list: a new source is a new folder here (plus its dbt
folders and expectations), and nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from orchestration.core.source import Source


@cache
def registry() -> dict[str, Source]:
    """Every source, by name."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            source = importlib.import_module(f"{__name__}.{module.name}").SOURCE
            found[source.name] = source
    return dict(sorted(found.items()))


def asset_modules() -> list[ModuleType]:
    """Each source's `assets` module: its Dagster assets, jobs, schedules and sensors."""
    return [importlib.import_module(f"{__name__}.{name}.assets") for name in registry()]
