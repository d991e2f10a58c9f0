"""`hookscope bench`: measure capture throughput and ack latency (or the window, or attacks)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hookscope.cli.args import Commands, Parser, positive
from hookscope.cli.common import UserError


def register(commands: Commands, common: Parser) -> None:
    bench = commands.add_parser(
        "bench", parents=[common], help="measure capture throughput and ack latency"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--gui",
        action="store_true",
        help="measure the window instead: event-loop lag and list latency at 500 req/s, and"
        " the lag while big bodies are shown",
    )
    bench.add_argument(
        "--hostile",
        action="store_true",
        help="measure attacks instead: deliveries during a slow-loris flood, memory under"
        " 40 concurrent 24 MiB uploads (about a minute)",
    )
    bench.add_argument(
        "--scale",
        type=_captures,
        metavar="N",
        help="measure a store of N realistic captures instead (1,000 to 5,000,000), built in a"
        " temporary folder removed at the end: file size, window start, search, scrolling,"
        " memory, pruning, delete all",
    )
    bench.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="with --scale: build the store in DIR (new or empty) and keep it",
    )
    bench.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="DIR",
        help="instead of --scale N: measure a copy of the store an earlier --keep kept in DIR"
        " (DIR is left as it was)",
    )
    # Run the hostile measurement against another checkout's serve (its app folder), for
    # a before/after comparison with the same client.
    bench.add_argument("--serve-pythonpath", default=None, help=argparse.SUPPRESS)
    bench.add_argument("--requests", type=positive, default=4000, help=argparse.SUPPRESS)
    bench.add_argument("--seconds", type=positive, default=5, help=argparse.SUPPRESS)
    bench.set_defaults(run=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    if getattr(sys, "frozen", False):
        raise UserError(
            "bench starts Python load generators, which a bundle does not carry; run it from "
            "a pip or pipx install."
        )
    if args.scale is not None or args.source is not None:
        return _scale(args)
    if args.keep is not None:
        raise UserError("--keep goes with --scale N: it keeps the store that builds.")
    if args.gui:
        from hookscope.ui import benchgui  # Qt, only for this measurement

        if not args.json:
            print("measuring the window (about a minute)...", file=sys.stderr, flush=True)
        print(benchgui.report(benchgui.run(), args.json))
        return 0
    if args.hostile:
        from hookscope import benchhostile

        if not args.json:
            print("measuring attacks (about a minute)...", file=sys.stderr, flush=True)
        result = benchhostile.run(args.serve_pythonpath)
        print(benchhostile.report(result, args.json))
        return 0
    from hookscope import bench, benchload  # only needed for this command

    if not args.json:
        load = "wrk" if benchload.wrk() else "a Python client (wrk is not on PATH)"
        print(f"measuring with {load} (about a minute)...", file=sys.stderr, flush=True)
    plan = bench.Plan(seconds=args.seconds, requests=args.requests)
    print(bench.report(bench.run(plan), args.json))
    return 0


def _captures(text: str) -> int:
    """A number of captures: digits, with `,` or `_` between thousands if you like."""
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _scale(args: argparse.Namespace) -> int:
    from hookscope import bench_scale

    if args.source is not None and args.scale is not None:
        raise UserError("--from measures the store as it was built: leave --scale out.")
    if args.scale is not None and (problem := bench_scale.check_scale(args.scale)):
        raise UserError(problem)

    def say(step: str) -> None:
        print(step, file=sys.stderr, flush=True)

    try:
        result = bench_scale.run(args.scale, args.keep, None if args.json else say, args.source)
    except bench_scale.ScaleError as exc:  # --keep names a folder that is not empty
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        kept = "" if args.keep is None else f"; what was built so far is in {args.keep}"
        print(f"hookscope: bench interrupted{kept}.", file=sys.stderr)
        return 130
    print(bench_scale.as_json(result) if args.json else bench_scale.report(result))
    return 0
