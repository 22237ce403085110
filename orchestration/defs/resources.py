"""The resources every asset may ask for, and the logger `medallion build` prints through."""

from dagster import Definitions, definitions

from orchestration.core.resources import SettingsResource
from orchestration.dbt_project import InProcessDbt
from orchestration.defs.progress import medallion_logger


@definitions
def resources() -> Definitions:
    return Definitions(
        resources={"dbt": InProcessDbt(), "settings": SettingsResource()},
        loggers={"medallion": medallion_logger},
    )
