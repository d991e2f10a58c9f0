"""`hookscope scorecard`: send a receiver the battery of good and bad deliveries, and say case
by case whether it behaved as a safe receiver must.

Exit status: 0 when every applicable case passed, 1 when one failed (so it can sit in CI), 2 when
the scorecard could not run (a wrong argument, an unknown scheme or credential, a receiver that
cannot be reached at all): nothing was judged, so it is not the receiver's failure.
"""

from __future__ import annotations

import argparse
import json
import sys

from hookscope.cli.args import Commands, Parser, seconds
from hookscope.cli.common import UsageError, directory
from hookscope.core.providers import names
from hookscope.core.scoreboard import Outcome, as_json, markdown, text_table
from hookscope.core.scorecard import DEFAULT_TIMEOUT
from hookscope.storage.db import StoreError

CANNOT_RUN = 2
RUN_TIMEOUT = 3600.0  # each request has its own timeout; this only stops a wedged engine


def register(commands: Commands, common: Parser) -> None:
    card = commands.add_parser(
        "scorecard",
        parents=[common],
        help="check that a receiver accepts valid deliveries and refuses forged, tampered,"
        " stale, replayed and oversized ones",
        description="Send the receiver a battery of deliveries signed with a stored secret and"
        " say case by case whether it behaved as a safe receiver must. Exit status 0: every"
        " case passed; 1: one failed; 2: the scorecard could not run.",
    )
    card.add_argument("--url", required=True, metavar="URL", help="the receiver to test")
    card.add_argument(
        "--scheme",
        required=True,
        metavar="SCHEME",
        help="how it is signed: " + ", ".join(names()) + ", or a custom scheme",
    )
    card.add_argument(
        "--credential",
        required=True,
        metavar="NAME",
        help="the stored secret the receiver is configured with (`hookscope secrets list`)",
    )
    output = card.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the card as a JSON object")
    output.add_argument(
        "--markdown", action="store_true", help="print the card as a Markdown table"
    )
    card.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds each request may take (default {DEFAULT_TIMEOUT:g})",
    )
    card.set_defaults(run=cmd_scorecard)


def cmd_scorecard(args: argparse.Namespace) -> int:
    # aiohttp: loaded only by the commands that send
    from hookscope.engine import Engine, EngineError
    from hookscope.engine.scorecard import ReceiverUnreachable, ScorecardError

    try:
        engine = Engine(directory(args), watch=False)
        engine.start(listen=False)
    except (EngineError, StoreError) as exc:
        print(f"hookscope: {exc}", file=sys.stderr)
        return CANNOT_RUN
    try:
        running = engine.scorecard(
            args.url,
            args.scheme,
            args.credential,
            seconds=args.timeout,
            progress=_progress if sys.stderr.isatty() and not args.json else None,
        )
        card = engine.call(running).result(RUN_TIMEOUT)
    except ReceiverUnreachable as exc:
        print(f"hookscope: {exc}", file=sys.stderr)
        return CANNOT_RUN
    except ScorecardError as exc:  # a wrong argument: exit 2, as argparse's own refusals
        raise UsageError(str(exc)) from exc
    finally:
        engine.stop()
    if args.json:
        print(json.dumps(as_json(card), indent=2, ensure_ascii=False))
    elif args.markdown:
        print(markdown(card), end="")
    else:
        print(text_table(card), end="")
    return 0 if card.passed else 1


def _progress(outcomes: tuple[Outcome, ...], total: int) -> None:
    """One line per case on a terminal while the battery runs (on the engine's thread)."""
    latest = outcomes[-1]
    print(
        f"[{len(outcomes)}/{total}] {latest.result:7} {latest.case.title}",
        file=sys.stderr,
        flush=True,
    )
