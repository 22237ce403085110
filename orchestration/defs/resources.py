"""The resources every asset may ask for."""

import sys
from pathlib import Path

from dagster import Definitions, definitions
from dagster_dbt import DbtCliResource

from orchestration.core.resources import SettingsResource
from orchestration.dbt_project import medallion_project


@definitions
def resources() -> Definitions:
    # The dbt installed beside this interpreter, whether or not the venv is on PATH.
    dbt = DbtCliResource(project_dir=medallion_project, dbt_executable=str(Path(sys.executable).parent / "dbt"))
    return Definitions(resources={"dbt": dbt, "settings": SettingsResource()})
