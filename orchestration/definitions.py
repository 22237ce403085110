"""The whole system, as Dagster sees it: everything under `orchestration/defs/`, loaded by folder.

`defs/` holds what every source shares (the dbt assets, the quality gates, the
shared jobs, schedule and sensors, the resources); `defs/sources.py` adds each
source's own `assets.py`. Nothing here lists assets: a new module in `defs/` or
a new source folder appears by itself.
"""

from dagster import load_defs

import orchestration.defs
from orchestration.settings import PROJECT_DIR

defs = load_defs(defs_root=orchestration.defs, project_root=PROJECT_DIR)
