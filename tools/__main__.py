"""Development tools: `python -m tools generate ...` writes test data and generated project files.

Nothing here ships in the runtime package (`orchestration`); tests, `make run`
and `make bench` use it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from orchestration.settings import PROJECT_DIR, Paths, load

DEFAULT_ROWS = 117_407
DEFAULT_SEED = 2021


def _paths() -> Paths:
    paths = load().paths
    paths.home.mkdir(parents=True, exist_ok=True)
    return paths


def cmd_generate_tweets(args: argparse.Namespace) -> int:
    from tools.generate import Options, generate

    options = Options(
        rows=args.rows,
        seed=args.seed,
        duplicate_share=args.duplicate_share,
        malformed_share=args.malformed_share,
        offset_share=args.offset_share,
    )
    started = time.perf_counter()
    out = generate(Path(args.out), options, progress=not args.quiet)
    print(
        f"wrote {args.rows:,} lines to {out} ({out.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def cmd_generate_forecast(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from tools import forecast_generate as forecast

    last = datetime.fromisoformat(args.last_pull) if args.last_pull else datetime.now(UTC).replace(microsecond=0)
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    out = Path(args.out)
    (out / "pulls").mkdir(parents=True, exist_ok=True)
    places = forecast.municipalities(args.municipalities, args.seed)
    for n in range(args.pulls):
        fetched_at = last - timedelta(hours=args.pulls - 1 - n)
        body = forecast.payload(forecast.records(places, fetched_at, args.hours, args.seed))
        target = out / "pulls" / f"{fetched_at:%Y%m%dT%H%M%SZ}.json.gz"
        target.write_bytes(body)
        print(f"{target} (fetched at {fetched_at.isoformat()}, {len(body) / 1e6:.1f} MB)")
    folder = forecast.write_municipios(out / "data_municipios", places, last - timedelta(days=1), args.seed)
    print(folder)
    return 0


def default_dataset(paths: Paths) -> Path:
    return paths.datasets / f"tweets-{DEFAULT_ROWS}-seed{DEFAULT_SEED}.jsonl"


def cmd_default_dataset(args: argparse.Namespace) -> int:
    from tools.generate import Options, generate

    out = default_dataset(_paths())
    if out.exists():
        print(f"{out}: already generated", file=sys.stderr)
    else:
        generate(out, Options(rows=DEFAULT_ROWS, seed=DEFAULT_SEED))
        print(f"{out}: generated", file=sys.stderr)
    print(out)  # the only line on stdout: `medallion land tweets $(python -m tools generate default-dataset)`
    return 0


def cmd_generate_emoji(args: argparse.Namespace) -> int:
    from tools.emoji_catalog import write_assets

    for path in write_assets(PROJECT_DIR):
        print(f"wrote {path.relative_to(PROJECT_DIR)}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m tools", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    generate = sub.add_parser("generate", help="generate data or generated project files")
    gen = generate.add_subparsers(dest="what", required=True)
    tweets = gen.add_parser("tweets", help="snscrape-format tweets, deterministic for a seed")
    tweets.add_argument("--rows", type=int, required=True)
    tweets.add_argument("--seed", type=int, default=0)
    tweets.add_argument("--out", required=True)
    tweets.add_argument("--duplicate-share", type=float, default=0.0, help="share of lines re-delivering an earlier id")
    tweets.add_argument("--malformed-share", type=float, default=0.0, help="share of malformed lines")
    tweets.add_argument("--offset-share", type=float, default=0.0, help="share of dates with a non-UTC offset")
    tweets.add_argument("--quiet", action="store_true")
    tweets.set_defaults(func=cmd_generate_tweets)
    forecast = gen.add_parser("forecast", help="forecast-service responses and data_municipios/ folders")
    forecast.add_argument("--out", required=True, help="folder for pulls/ and data_municipios/")
    forecast.add_argument("--municipalities", type=int, default=2500)
    forecast.add_argument("--hours", type=int, default=48, help="forecast hours per municipality in a pull")
    forecast.add_argument("--pulls", type=int, default=2, help="pulls, one hour apart, ending at --last-pull")
    forecast.add_argument("--last-pull", default=None, help="fetched-at of the last pull (ISO-8601, default now)")
    forecast.add_argument("--seed", type=int, default=0)
    forecast.set_defaults(func=cmd_generate_forecast)
    default = gen.add_parser(
        "default-dataset", help=f"the {DEFAULT_ROWS:,}-tweet dataset for `make run`, once; prints its path"
    )
    default.set_defaults(func=cmd_default_dataset)
    emoji_assets = gen.add_parser("emoji-assets", help="regenerate seeds/emoji_walks.csv and the emoji pattern macro")
    emoji_assets.set_defaults(func=cmd_generate_emoji)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
