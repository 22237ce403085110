"""`medallion`: land files, build the asset graph, read the answers, decide on deliveries."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from orchestration.core.source import registry
from orchestration.settings import Paths, SettingsError, load


def _paths() -> Paths:
    paths = load().paths
    paths.home.mkdir(parents=True, exist_ok=True)
    return paths


def _land_forecast(args: argparse.Namespace, paths: Paths) -> int:
    from datetime import datetime

    from orchestration.sources.forecast.landing import ForecastLandingError, land_pull

    try:
        fetched_at = datetime.fromisoformat(args.fetched_at) if args.fetched_at else None
    except ValueError:
        print(
            f"error: --fetched-at {args.fetched_at!r} is not an ISO-8601 time (e.g. 2026-11-22T13:05:00Z)",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for location in args.locations or [load().forecast.url]:
        try:
            entry, skipped = land_pull(location, paths, fetched_at)
        except ForecastLandingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if skipped:
            print(f"{location}: already landed as {entry.pull_id}; nothing to do")
        else:
            print(f"{location}: landed {entry.records:,} records fetched at {entry.fetched_at} as {entry.pull_id}")
    return 1 if failed else 0


def _land_municipios(args: argparse.Namespace, paths: Paths) -> int:
    from orchestration.sources.forecast.landing import ForecastLandingError, land_municipios

    if not args.locations:
        print(
            "error: medallion land municipios needs a data_municipios/ folder (or one YYYYMMDD/ folder)",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for location in args.locations:
        try:
            outcomes = land_municipios(Path(location), paths)
        except ForecastLandingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        for outcome in outcomes:
            if outcome.error:
                print(f"error: {outcome.error} (that folder was not landed)", file=sys.stderr)
                failed += 1
            elif outcome.landing:
                entry = outcome.landing
                if outcome.skipped:
                    state = f"already landed as {entry.delivery_id}; nothing to do"
                else:
                    state = f"landed {entry.rows:,} rows"
                print(f"{outcome.folder / 'data.csv'} ({entry.data_date}): {state}")
    return 1 if failed else 0


def _media_days(args: argparse.Namespace) -> list:
    from datetime import date

    from orchestration.core.landing import LandingError
    from orchestration.sources.media.landing import days_between, month_days

    chosen = [flag for flag in ("day", "month", "from_day") if getattr(args, flag)]
    if len(chosen) != 1 or (args.from_day is None) != (args.to_day is None):
        raise LandingError("say which delivery days: --day YYYY-MM-DD, --month YYYY-MM, or --from D --to D")
    try:
        if args.day:
            return [date.fromisoformat(args.day)]
        if args.month:
            return month_days(args.month)
        return days_between(date.fromisoformat(args.from_day), date.fromisoformat(args.to_day))
    except ValueError as exc:
        raise LandingError(f"not a date: {exc} (expected YYYY-MM-DD)") from None


def _land_media(args: argparse.Namespace, paths: Paths) -> int:
    from orchestration.core.landing import LandingError
    from orchestration.sources.media.landing import land_days
    from orchestration.sources.media.store import StoreError, open_store

    settings = load()
    if len(args.locations) != 1:
        print("error: medallion land media needs one ROOT (s3://bucket/prefix or a folder)", file=sys.stderr)
        return 2
    try:
        days = _media_days(args)
        store = open_store(args.locations[0], settings.media)
        reports = land_days(
            store, days, paths, settings.limits, settings.media, report=None if args.quiet else _print_report
        )
    except (LandingError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.quiet:
        for report in reports:
            _print_report(report)
    missing = [r for r in reports if r.missing]
    failed = [e for r in reports for e in r.errors]
    for error in failed:
        print(f"error: {error} (not landed; the rest was)", file=sys.stderr)
    landed = sum(len(r.landed) for r in reports)
    lines = sum(d.line_count for r in reports for d in r.landed)
    skipped = sum(len(r.skipped) for r in reports)
    print(
        f"{len(days)} day(s): landed {landed} object(s), {lines:,} lines; {skipped} already landed; "
        f"{len(missing)} dataset-day(s) without files; {len(failed)} object(s) failed"
    )
    return 1 if missing or failed else 0


def _land_dataset(args: argparse.Namespace, paths: Paths) -> int:
    from orchestration.core.landing import LandingError
    from orchestration.sources.datasets.contract import DatasetError
    from orchestration.sources.datasets.landing import land
    from orchestration.sources.datasets.onboard import contract

    if len(args.locations) < 2:
        print("error: medallion land dataset needs a NAME and at least one FILE_OR_URL", file=sys.stderr)
        return 2
    name, *locations = args.locations
    try:
        dataset = contract(name)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for location in locations:
        try:
            result = land(dataset, location, paths, load().limits, progress=not args.quiet)
        except LandingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        d = result.delivery
        if result.skipped:
            from orchestration.core import deliveries

            known = deliveries.for_source(paths, f"dataset:{dataset.dataset}")
            state = next((x.state for x in known if x.delivery_id == d.delivery_id), None)
            dropped = (
                f"; it is {state}: `medallion quarantine release {d.delivery_id}` takes it back"
                if state == "dropped"
                else ""
            )
            print(f"{location}: already landed as {d.delivery_id} (same bytes){dropped}; nothing to do")
        else:
            print(f"{location}: landed {d.rows:,} rows of {dataset.dataset} as {d.delivery_id} ({d.landed_path})")
        for note in result.notes:
            print(f"  note: {note}")
    return 1 if failed else 0


def cmd_onboard(args: argparse.Namespace) -> int:
    from orchestration.sources.datasets.contract import MAX_OBJECT_FIELDS, DatasetError
    from orchestration.sources.datasets.onboard import onboard

    try:
        found, written = onboard(
            args.name,
            Path(args.file),
            args.partition_by,
            args.key,
            args.force,
            no_key=args.no_key,
            no_partition=args.no_partition,
        )
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tables = ", ".join(f"{t.table} ({len(t.columns)} columns)" for t in found.tables)
    print(f"dataset {found.dataset}: {found.format}, {found.sample_rows:,} rows read; tables: {tables}")
    for table in found.tables:
        for column in table.columns:
            if found.profile.get(table.table, {}).get(column.column, {}).get("map"):
                print(
                    f"  note: {table.table}.{column.column} ({column.name}) is an object of over {MAX_OBJECT_FIELDS} "
                    "fields across the records (a map keyed by ids or dates): kept as one column of its JSON text"
                )
    folders = (found.profile.get(found.dataset, {}).get(found.partition_by or "") or {}).get("distinct") or 0
    if folders > 1000 and folders * 10 > found.sample_rows:
        print(
            f"warning: --partition-by {found.partition_by}: {folders:,} values in {found.sample_rows:,} rows, a "
            "folder of a few rows each; partition by a column with fewer values (a month, a region)",
            file=sys.stderr,
        )
    kept = [w for w in written if w.state == "kept"]
    for w in written:
        shown = w.path.relative_to(Path.cwd()) if w.path.is_relative_to(Path.cwd()) else w.path
        note = " (edited since onboarding: left as it is; --force replaces it)" if w.state == "kept" else ""
        print(f"  {w.state:<9} {shown}{note}")
    print(f"review them, then: medallion land dataset {found.dataset} {args.file} && medallion build")
    return 1 if kept else 0


def _print_report(report) -> None:
    print(("warning: " if report.missing else "") + report.line(), file=sys.stderr if report.missing else sys.stdout)


def cmd_land(args: argparse.Namespace) -> int:
    from orchestration.core.landing import LandingError, iter_locations, land
    from orchestration.core.text import printable

    paths = _paths()
    if args.source == "dataset":
        return _land_dataset(args, paths)
    if args.source == "media":
        return _land_media(args, paths)
    if args.source == "forecast":
        code = _land_forecast(args, paths)
        from orchestration.monitoring import health

        health.check(paths)  # a failed pull opens (or counts) its incident now; a good one resolves it
        return code
    if args.source == "municipios":
        return _land_municipios(args, paths)
    if not args.locations:
        print("error: medallion land tweets needs at least one PATH_OR_URL", file=sys.stderr)
        return 2
    failed = 0
    try:
        locations = list(iter_locations(args.locations))
    except LandingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for location in locations:
        try:
            result = land(args.source, location, paths, progress=not args.quiet)
        except LandingError as exc:
            print(f"error: {printable(str(exc))} (nothing of it was landed)", file=sys.stderr)
            failed += 1
            continue
        entry = result.landing
        if result.skipped:
            print(f"{location}: already landed as {entry.ingestion_id} (same content); nothing to do")
        else:
            print(f"{location}: landed {entry.line_count:,} lines as {entry.ingestion_id}")
    return 1 if failed else 0


def cmd_generate(args: argparse.Namespace) -> int:
    from datetime import date

    from orchestration.sources.media.generate import Options, generate

    if args.what == "dataset":
        from orchestration.sources.datasets.generate import GENERATORS

        if args.kind not in GENERATORS:
            print(f"error: medallion generate dataset needs one of {', '.join(GENERATORS)}", file=sys.stderr)
            return 2
        if args.rows < 1:
            print("error: --rows must be at least 1", file=sys.stderr)
            return 2
        rows = GENERATORS[args.kind](Path(args.out), args.rows, args.seed)
        print(f"wrote {rows:,} {args.kind} rows to {args.out}")
        return 0
    if args.kind:
        print(f"error: medallion generate media takes no {args.kind!r}", file=sys.stderr)
        return 2

    if args.days < 1:
        print("error: --days must be at least 1", file=sys.stderr)
        return 2
    try:
        end = date.fromisoformat(args.end) if args.end else None
    except ValueError:
        print(f"error: --end {args.end!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    out = Path(args.out)
    days = generate(
        out,
        Options(
            days=args.days,
            end=end,
            seed=args.seed,
            articles_per_day=args.articles_per_day,
            comments_per_day=args.comments_per_day,
        ),
    )
    print(f"wrote {len(days)} delivery day(s), {days[0]} to {days[-1]}, under {out}")
    print(f"land them: medallion land media {out} --from {days[0]} --to {days[-1]}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from orchestration.build import build

    return build(
        _paths(),
        "publish_gold" if args.publish_only else "build_everything",
        [args.source] if args.source else None,
        full_refresh=args.full_refresh,
        force=args.force,
        verbose=args.verbose,
    )


def cmd_answers(args: argparse.Namespace) -> int:
    from orchestration.sources.tweets.report import AnswersUnavailable, format_answers, read_answers

    try:
        answers = read_answers(_paths(), args.version)
    except AnswersUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answers, ensure_ascii=False) if args.json else format_answers(answers))
    return 0


def _read_gold(queries: dict[str, str], missing: str) -> dict[str, list[tuple]] | None:
    """Each query's rows, from the gold readers see; None (after saying why) when there is none yet."""
    from orchestration.warehouse import WarehouseUnavailable, current, fetchall

    target = current(_paths())
    try:
        con = target.connect_gold()
    except WarehouseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    try:
        return {name: fetchall(con, sql) for name, sql in queries.items()}
    except Exception as exc:
        if target.is_missing_relation(exc):
            print(f"error: {missing}", file=sys.stderr)
            return None
        raise
    finally:
        con.close()


def cmd_forecast(args: argparse.Namespace) -> int:
    gold = _read_gold(
        {
            "summary": "select cast(max(reference_hour) as varchar), count(*), count(*) filter (where hours_used = 2),"
            " count(*) filter (where hours_used = 0), count(data_date), cast(max(data_date) as varchar)"
            " from gold.forecast_municipality_enriched",
            "hottest": "select nes, nmun, avg_temp, avg_prec from gold.forecast_municipality_2h"
            " where avg_temp is not null order by avg_temp desc, ides, idmun limit 5",
        },
        "no forecast gold yet; `medallion land forecast ...` and `medallion build`",
    )
    if gold is None:
        return 2
    summary, hottest = gold["summary"][0], gold["hottest"]
    reference_hour, municipalities, both, none, enriched, data_date = summary
    print(f"forecast for the local hours before and at {reference_hour} (H-1, H)")
    print(f"  {municipalities:,} municipalities: {both:,} with both hours, {none:,} with neither")
    print(f"  {enriched:,} joined with data_municipios of {data_date or '(none landed)'}")
    print("  warmest:")
    for nes, nmun, temp, prec in hottest:
        print(f"    {nmun:<24} {nes:<20} {temp:5.1f} °C  {prec:5.1f} mm")
    return 0


def cmd_media(args: argparse.Namespace) -> int:
    gold = _read_gold(
        {
            "articles": "select coalesce(sum(articles), 0), count(distinct publish_date), count(distinct outlet),"
            " cast(min(publish_date) as varchar), cast(max(publish_date) as varchar) from gold.media_daily",
            "outlets": "select outlet, sum(articles) from gold.media_daily group by outlet order by 2 desc, 1 limit 3",
            "comments": "select coalesce(sum(comments), 0), count(distinct aweme_id), coalesce(sum(likes), 0)"
            " from gold.tiktok_comments_daily",
            "videos": "select aweme_id, sum(comments), sum(likes) from gold.tiktok_comments_daily"
            " group by aweme_id order by 2 desc, 1 limit 3",
        },
        "no media gold yet: `medallion land media ROOT --day D`, `medallion build`",
    )
    if gold is None:
        return 2
    articles, outlets, comments, videos = gold["articles"][0], gold["outlets"], gold["comments"][0], gold["videos"]
    total, days, outlet_count, first, last = articles
    print(f"articles: {total:,} over {days} publish dates ({first} to {last}), {outlet_count} outlets")
    for outlet, count in outlets:
        print(f"    {outlet:<28} {count:>8,}")
    total, video_count, likes = comments
    print(f"comments: {total:,} on {video_count} videos, {likes:,} likes")
    for video, count, video_likes in videos:
        print(f"    {video:<28} {count:>8,} comments {video_likes:>10,} likes")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from orchestration.sources.tweets.report import AnswersUnavailable, format_versions, read_versions

    try:
        versions = read_versions(_paths())
    except AnswersUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(versions) if args.json else format_versions(versions))
    return 0


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h" if seconds < 3 * 86400 else f"{seconds / 86400:.1f} d"


def cmd_status(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from orchestration.core.text import printable
    from orchestration.monitoring import health, incidents

    paths = _paths()
    health.check(paths)  # a stale source or a failed pull opens its incident here too (a cron'd probe)
    sources = health.status(paths)
    opened = incidents.listing(paths, open_only=True)
    unhealthy = bool(opened)
    # Incidents of no one source (the shared gold registry, a run that failed outside its steps).
    others = [i for i in opened if i.source not in {s["source"] for s in sources}]
    if args.json:
        print(
            json.dumps({"healthy": not unhealthy, "sources": sources, "other_incidents": [asdict(i) for i in others]})
        )
        return 1 if unhealthy else 0
    for s in sources:
        fresh = s["freshness"]
        age = f", newest {_ago(fresh['age_seconds'])} old" if fresh["age_seconds"] is not None else ""
        cadence = f" (every {_ago(fresh['cadence_seconds'])})" if fresh["cadence_seconds"] else ""
        print(f"{s['source']}: {fresh['state']}{cadence}{age}; {len(s['open_incidents'])} open incident(s)")
        landed = s["last_landed"]
        print(f"    last landed     {landed['at'][:19]} {landed['name']}" if landed else "    last landed     never")
        good = s["last_success"]
        if good:
            version = f", gold version {good['gold_version']}" if good["gold_version"] else ""
            print(f"    last good build {good['at'][:19]} run {good['run_id']}{version}")
        bad = s["last_failure"]
        if bad:
            print(
                f"    last failure    {bad['at'][:19]} run {bad['run_id']}"
                + (f" at {bad['step']}" if bad["step"] else "")
            )
            for line in bad["failures"][:3]:
                print(f"        {printable(line[:160])}")
        print(f"    rows            {s['rows']['delivered']:,} delivered, {s['rows']['in_silver']:,} in silver")
        if s["layers"]:
            per_layer = ", ".join(f"{layer} {sum(t.values()):,}" for layer, t in s["layers"].items())
            print(f"    rows per layer  {per_layer} (last good build; `--json` has each table)")
        for incident in s["open_incidents"]:
            print(
                f"    incident {incident['incident_id']} {incident['kind']}"
                + (f" ({incident['subject']})" if incident["subject"] else "")
                + f", since {incident['opened_at'][:19]}, seen {incident['occurrences']} time(s)"
            )
    for i in others:
        print(
            f"{i.source}: incident {i.id} {i.kind} ({i.subject}), since {i.opened_at[:19]}, "
            f"seen {i.occurrences} time(s)"
        )
    print("healthy" if not unhealthy else "UNHEALTHY: open incidents (`medallion incidents`)")
    return 1 if unhealthy else 0


def cmd_incidents(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from orchestration.core.text import printable
    from orchestration.monitoring import incidents, store

    if args.resolve is not None:
        try:
            closed = incidents.close(_paths(), args.resolve)
        except LookupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"incident {closed.id} resolved: {closed.kind} in {closed.source}")
        return 0
    found = incidents.listing(_paths(), open_only=not args.all)
    if args.json:
        times = ("opened_at", "last_seen_at", "resolved_at", "last_alerted_at")
        print(json.dumps([{k: store.utc(v) if k in times else v for k, v in asdict(i).items()} for i in found]))
        return 0
    if not found:
        print("no open incidents" if not args.all else "no incidents")
    for i in found:
        state = f"resolved {i.resolved_at[:19]}" if i.resolved_at else "OPEN"
        subject = f" ({i.subject})" if i.subject else ""
        print(f"{i.id:>4} {state:<28} {i.kind:<13} {i.source:<10} since {i.opened_at[:19]}, {i.occurrences}x{subject}")
        if i.detail:
            print(f"       {printable(i.detail.splitlines()[0][:200])}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from orchestration.monitoring import report

    print(report.write(_paths()))
    return 0


def cmd_deliveries(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from orchestration.core.deliveries import everything
    from orchestration.core.source import delivery_kinds

    # `--source dataset` lists every dataset's deliveries (kinds `dataset:<name>`).
    kinds = (
        [k for k in delivery_kinds() if k == args.source or k.startswith(f"{args.source}:")] if args.source else None
    )
    found = everything(_paths(), kinds) if kinds != [] else []
    if args.state:
        found = [d for d in found if d.state == args.state]
    if args.json:
        print(json.dumps([asdict(d) for d in found], ensure_ascii=False))
        return 0
    if not found:
        print("no deliveries" + (f" in state {args.state}" if args.state else ""))
        return 0
    width = max(11, *(len(d.source) + 1 for d in found))
    print(f"{'source':<{width}} {'delivery':<40} {'state':<12} {'items':>9}  landed (UTC)         file")
    for d in found:
        print(f"{d.source:<{width}} {d.delivery_id:<40} {d.state:<12} {d.items:>9,}  {d.landed_at[:19]:<20} {d.name}")
        for reason in d.reasons if d.state in ("quarantined", "dropped", "failed", "released") else []:
            print(f"{'':<{width}} - {reason}")
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    from orchestration.core.deliveries import DeliveryError, decide

    try:
        delivery = decide(_paths(), args.id, args.action, args.note or "")
    except DeliveryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.action == "release":
        print(f"{delivery.delivery_id} ({delivery.name}) released: the next `medallion build` takes it in as it is")
    elif delivery.source.startswith("dataset:"):
        print(
            f"{delivery.delivery_id} ({delivery.name}) dropped: kept in the raw zone and bronze; the next "
            "`medallion build` leaves its rows out of silver and gold (`medallion quarantine release ID` takes it back)"
        )
    else:
        print(f"{delivery.delivery_id} ({delivery.name}) dropped: kept in the landing zone, never built")
    return 0


def cmd_trino(args: argparse.Namespace) -> int:
    from orchestration.warehouse.trino_stack import Stack, StackError

    stack = Stack(_paths())
    try:
        if args.action == "up":
            seconds = stack.up()
            print(f"Trino answers `SELECT 1` ({seconds:.1f} s)\n{stack.status()}")
        elif args.action == "down":
            stack.down()
            print("Trino and its catalog stopped")
        else:
            print(stack.status())
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="medallion", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    land = sub.add_parser(
        "land",
        help="land raw data: tweets files (path or URL; .json/.jsonl, .gz, .zip), a forecast pull "
        "(service URL, default $MEDALLION_FORECAST_URL, or a saved response), municipios folders",
    )
    land.add_argument("source", choices=[kind for source in registry().values() for kind in source.lands])
    land.add_argument("locations", nargs="*", metavar="PATH_OR_URL")
    land.add_argument("--fetched-at", help="forecast: when the saved response was fetched (replaying an archived pull)")
    land.add_argument("--quiet", action="store_true", help="no progress bars")
    land.add_argument("--day", help="media: one delivery day, YYYY-MM-DD")
    land.add_argument("--month", help="media: every day of a month, YYYY-MM")
    land.add_argument("--from", dest="from_day", metavar="DAY", help="media: first delivery day (with --to)")
    land.add_argument("--to", dest="to_day", metavar="DAY", help="media: last delivery day (with --from)")
    land.set_defaults(func=cmd_land)

    generate = sub.add_parser("generate", help="write realistic example deliveries to try the pipeline on")
    generate.add_argument("what", choices=["media", "dataset"])
    generate.add_argument("kind", nargs="?", help="dataset: credit-risk, motor-temperature or citesum")
    generate.add_argument(
        "--out", required=True, help="media: folder to write (a bucket's layout: media/, tiktokcomment/); dataset: file"
    )
    generate.add_argument("--rows", type=int, default=10_000, help="dataset: rows (records) to write")
    generate.add_argument("--days", type=int, default=7, help="delivery days, ending --end")
    generate.add_argument("--end", help="last delivery day, YYYY-MM-DD (default: yesterday, UTC)")
    generate.add_argument("--seed", type=int, default=12)
    generate.add_argument("--articles-per-day", type=int, default=300)
    generate.add_argument("--comments-per-day", type=int, default=2500)
    generate.set_defaults(func=cmd_generate)

    onboard = sub.add_parser(
        "onboard", help="write the project files of a new dataset (contract, dbt models, docs, GE suite) from a sample"
    )
    onboard.add_argument("what", choices=["dataset"])
    onboard.add_argument("name", help="the dataset's name (snake_case), e.g. credit_risk")
    onboard.add_argument("file", help="a sample: CSV (any dialect) or JSON (array or lines); .gz and .zip too")
    layout = onboard.add_mutually_exclusive_group()
    layout.add_argument("--partition-by", help="the column the processed zone is partitioned by (Hive-style)")
    layout.add_argument(
        "--no-partition", action="store_true", help="onboarding again: drop the partition column the dataset has"
    )
    keys = onboard.add_mutually_exclusive_group()
    keys.add_argument("--key", help="the column that identifies a row: tested unique, latest delivery wins")
    keys.add_argument(
        "--no-key", action="store_true", help="onboarding again: drop the dataset's key (every delivered row is kept)"
    )
    onboard.add_argument("--force", action="store_true", help="replace files edited since they were onboarded")
    onboard.set_defaults(func=cmd_onboard)

    build = sub.add_parser("build", help="materialize every asset (bronze, silver, gold) and run every check")
    build.add_argument(
        "--publish-only",
        action="store_true",
        help="only re-run the gold gates on the current gold candidates and publish them if they pass",
    )
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild staging and silver from bronze (once, for a home built by an older release); "
        "gold's versions and the authors' history are kept",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="build even when nothing is new since the last good build (it then says `up to date`)",
    )
    build.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="stream every dbt and Dagster log line (they always go to $MEDALLION_HOME/logs/)",
    )
    build.add_argument(
        "--source",
        choices=list(registry()),
        help="build one source (and what it needs); default: every source with landed data",
    )
    build.set_defaults(func=cmd_build)

    answers = sub.add_parser("answers", help="print the three answers from gold")
    answers.add_argument("--json", action="store_true", help="machine-readable output")
    answers.add_argument("--version", help="read an older gold version (see `medallion versions`)")
    answers.set_defaults(func=cmd_answers)

    forecast_summary = sub.add_parser("forecast", help="print the current forecast gold tables in short")
    forecast_summary.set_defaults(func=cmd_forecast)

    media_summary = sub.add_parser("media", help="print the current media gold tables in short")
    media_summary.set_defaults(func=cmd_media)

    versions = sub.add_parser("versions", help="list the kept gold versions, newest (current) first")
    versions.add_argument("--json", action="store_true", help="machine-readable output")
    versions.set_defaults(func=cmd_versions)

    status = sub.add_parser(
        "status", help="each source's health: newest delivery, builds, freshness, open incidents (exit 1: any open)"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    incidents = sub.add_parser(
        "incidents", help="open incidents (failed builds and gates, stale sources, failed pulls)"
    )
    incidents.add_argument("--all", action="store_true", help="resolved ones too")
    incidents.add_argument(
        "--resolve", type=int, metavar="ID", help="resolve an open incident by hand (one no build will clear)"
    )
    incidents.add_argument("--json", action="store_true", help="machine-readable output")
    incidents.set_defaults(func=cmd_incidents)

    report = sub.add_parser("report", help="write $MEDALLION_HOME/reports/monitoring.html (builds, gates, freshness)")
    report.set_defaults(func=cmd_report)

    listing = sub.add_parser(
        "deliveries", help="every landed delivery (file, pull, folder) and its state: admitted, quarantined, ..."
    )
    listing.add_argument("--source", choices=[kind for source in registry().values() for kind in source.lands])
    listing.add_argument("--state", choices=["landed", "admitted", "quarantined", "released", "dropped", "failed"])
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=cmd_deliveries)

    quarantine = sub.add_parser(
        "quarantine", help="decide on a quarantined delivery (or set aside a dataset's delivery that fails its gate)"
    )
    quarantine.add_argument(
        "action",
        choices=["release", "drop"],
        help="release: the next build takes it in as it is; drop: set it aside for good (it stays landed); "
        "a dataset's delivery, admitted when it landed, can be dropped too",
    )
    quarantine.add_argument("id", help="the delivery id (or a unique start of it), from `medallion deliveries`")
    quarantine.add_argument("--note", help="why, kept with the decision")
    quarantine.set_defaults(func=cmd_quarantine)

    trino = sub.add_parser("trino", help="start, stop or inspect the local Trino + Iceberg stack")
    trino.add_argument("action", choices=["up", "down", "status"])
    trino.set_defaults(func=cmd_trino)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        # Every setting is checked before any work starts; children (dbt, GE) see the same home.
        os.environ.setdefault("MEDALLION_HOME", str(load().paths.home))
        code = args.func(args)
        sys.stdout.flush()  # here, where a reader gone away is caught, not at exit
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`medallion deliveries | head -1`): stop writing, as a Unix tool does, with
        # SIGPIPE's exit status, not a traceback (and another when Python flushes stdout at exit).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    if args.func is cmd_build and argv is None:
        # Everything is written and the Dagster instance closed. Leave now: at
        # interpreter teardown DuckDB 2.0's bindings print a page of "nanobind:
        # leaked ..." warnings about module-level objects (dbt-duckdb, GE), which
        # would bury the build's summary.
        import multiprocessing.util

        multiprocessing.util._run_finalizers()  # release semaphores (tqdm's lock) as a normal exit would
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
