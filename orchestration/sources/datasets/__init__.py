"""Any CSV or JSON dataset: onboarded from a sample, landed verbatim in the raw zone, built into a
typed, partitioned processed zone with a profile of every column."""

from orchestration.core.source import ADMITTED, Delivery, DeliveryKind, Source
from orchestration.settings import Paths
from orchestration.sources.datasets.landing import deliveries
from orchestration.sources.datasets.onboard import contracts


def _landed(dataset: str):
    def landed(paths: Paths) -> list[Delivery]:
        return [
            Delivery(
                f"dataset:{dataset}", d.delivery_id, d.delivery_seq, d.file_name, d.landed_at, d.rows, d.sha256,
                state=ADMITTED, admitted_seq=d.delivery_seq,
            )
            for d in deliveries(paths, dataset)
        ]  # fmt: skip

    return landed


def _drop_blocked(dataset: str):
    def blocked() -> str | None:
        """A processed model that does not read the decisions (generated before drops existed, or edited)
        would keep a dropped delivery's rows: the drop is refused rather than said and not done."""
        from orchestration.settings import PROJECT_DIR
        from orchestration.sources.datasets.onboard import contract, model_name

        folder = PROJECT_DIR / "models" / "intermediate" / "datasets" / dataset
        for table in contract(dataset).tables:
            if table.array is not None:  # a child table keeps the elements of the parent's rows
                continue
            model = folder / f"{model_name(table)}.sql"
            if f"admitted_deliveries('dataset:{dataset}')" not in model.read_text(encoding="utf-8"):
                return (
                    f"{model.relative_to(PROJECT_DIR)} does not take its deliveries from "
                    f"`admitted_deliveries('dataset:{dataset}')`, so the build would keep this one's rows: "
                    f"onboard the dataset again (`medallion onboard dataset {dataset} FILE`) or add the filter"
                )
        return None

    return blocked


def _has_landed(paths: Paths) -> bool:
    return any(deliveries(paths, c.dataset) for c in contracts())


# What every dataset shares: the profiles of all their tables, published, and their reports.
SHARED_ASSETS = (
    "gold_candidate/dataset_profiles",
    "gold/dataset_profiles__versions",
    "gold/dataset_profiles",
    "gold/dataset_reports",
)


def _idle(paths: Paths) -> tuple[str, ...]:
    """The assets of every dataset nothing was landed for (and, when no dataset has anything, the shared
    ones): a build leaves them out rather than fail on empty tables."""
    known = contracts()
    idle = tuple(
        key
        for c in known
        if not deliveries(paths, c.dataset)
        for t in c.tables
        for key in (f"bronze/{t.bronze}", f"silver/stg_datasets__{t.table}", f"silver/int_datasets__{t.table}")
    )
    nothing = not any(deliveries(paths, c.dataset) for c in known)
    return idle + (SHARED_ASSETS if nothing else ())


SOURCE = Source(
    name="datasets",
    lands=("dataset",),
    has_landed=_has_landed,
    deliveries=tuple(
        DeliveryKind(
            f"dataset:{c.dataset}",
            lambda paths, dataset=c.dataset: paths.landing("datasets") / dataset,
            _landed(c.dataset),
            judged=False,  # checked against its contract when it lands, admitted then
            droppable=True,  # the silver gate judges the whole table: a delivery failing it is dropped by hand
            drop_blocked=_drop_blocked(c.dataset),
        )
        for c in contracts()
    ),
    targets=("duckdb", "trino", "bigquery"),
    idle=_idle,
)
