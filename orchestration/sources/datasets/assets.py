"""The datasets' loader: one bronze asset per table of every onboarded dataset."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, asset, multi_asset

from orchestration.core import build_lock
from orchestration.core import deliveries as delivery_registry
from orchestration.core.resources import SettingsResource
from orchestration.sources.datasets import bronze
from orchestration.sources.datasets.landing import deliveries
from orchestration.sources.datasets.onboard import contracts
from orchestration.sources.datasets.report import write_reports
from orchestration.warehouse import current


def _loader(contract) -> object:
    @multi_asset(
        specs=[
            AssetSpec(
                ["bronze", table.bronze],
                group_name="datasets",
                kinds={"python", "duckdb"},
                description=(
                    f"Dataset {contract.dataset}: every row of every landed delivery"
                    + ("" if table.array is None else f" (the elements of {table.array})")
                    + ", each value as delivered text, with its lineage. "
                    f"`medallion land dataset {contract.dataset} FILE_OR_URL` lands one."
                ),
            )
            for table in contract.tables
        ],
        name=f"dataset_{contract.dataset}_bronze",
    )
    def load(context: AssetExecutionContext, settings: SettingsResource) -> Iterator[MaterializeResult]:
        paths = settings.get().paths
        build_lock.hold(paths, context.log.info)
        loaded = bronze.load(paths, contract)
        delivery_registry.sync(paths)
        landed = deliveries(paths, contract.dataset)
        for table in contract.tables:
            new, rows = loaded[table.table]
            context.log.info(f"{table.bronze}: loaded {new} new deliveries, {rows} rows")
            yield MaterializeResult(
                asset_key=["bronze", table.bronze],
                metadata={"new_deliveries": new, "new_rows": rows, "deliveries_total": len(landed)},
            )

    return load


loaders = [_loader(contract) for contract in contracts()]


@asset(
    key=["gold", "dataset_reports"],
    group_name="datasets",
    kinds={"python", "html"},
    deps=[AssetKey(["gold", "dataset_profiles"]), AssetKey(["gold", "versions"])],
    description=(
        "An HTML profile report per dataset table, from the current gold.dataset_profiles: each column's type, "
        "missing share, distinct values, min, max and mean, a histogram of each number column and the top "
        "values of each text column. Written to $MEDALLION_HOME/reports/datasets/."
    ),
)
def dataset_reports(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    paths = settings.get().paths
    build_lock.hold(paths, context.log.info)
    folder = paths.home / "reports" / "datasets"
    con = current(paths).connect()
    try:
        pages = write_reports(con, folder)
    finally:
        con.close()
    context.log.info(f"{len(pages)} profile report(s) written to {folder}")
    return MaterializeResult(
        metadata={
            "index": MetadataValue.url(f"file://{folder / 'index.html'}"),
            **{f"{p.dataset}.{p.table}": MetadataValue.url(f"file://{p.path}") for p in pages},
        }
    )
