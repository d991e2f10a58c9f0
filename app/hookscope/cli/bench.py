"""`hookscope bench`: measure capture throughput and ack latency (or the window, or attacks)."""

from __future__ import annotations

import argparse
import sys

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
