"""`hookscope replay ID [ID ...] --to URL`: send captured requests again, as captured or
re-signed; several in the order they arrived, N at a time, with progress and Ctrl+C to stop."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from hookscope.cli.args import Commands, Parser, positive
from hookscope.cli.common import UserError
from hookscope.cli.deliveries import attempt_json, attempt_line
from hookscope.cli.sending import (
    SEND_TIMEOUT,
    make_plan,
    policy_for,
    preview_text,
    read_data,
    running_engine,
    send_flags,
    send_plan,
)
from hookscope.core import jsontext
from hookscope.core.checks import check_concurrency
from hookscope.core.model import Plan
from hookscope.core.sending import MAX_CONCURRENCY, BulkProgress, BulkReplay, BulkResult

if TYPE_CHECKING:
    from hookscope.engine import Engine

CANCELLED = 130  # the shell's status for a command stopped by Ctrl+C


def register(commands: Commands, common: Parser) -> None:
    replay = commands.add_parser(
        "replay", parents=[common, send_flags()], help="send captured requests again"
    )
    replay.add_argument(
        "ids",
        type=positive,
        nargs="+",
        metavar="ID",
        help="the captures to send (several go in the order they arrived)",
    )
    replay.add_argument("--to", required=True, metavar="URL", help="where to send them")
    replay.add_argument(
        "--resign",
        action="store_true",
        help="sign them again the way their scheme signs (new ids and timestamps) instead of"
        " as captured",
    )
    replay.add_argument(
        "--credential",
        metavar="NAME",
        help="the stored secret to re-sign with (default: the one that verified each)",
    )
    replay.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help=f"how many replays may be in flight at once, 1 to {MAX_CONCURRENCY}"
        " (default 1: one after another, in order)",
    )
    replay.set_defaults(run=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    if args.credential and not args.resign:
        raise UserError("--credential only applies with --resign.")
    if problem := check_concurrency(args.concurrency):
        raise UserError(problem)
    ids = sorted(set(args.ids))
    if len(ids) == 1:
        return _replay_one(args, ids[0])
    if args.data is not None:
        raise UserError("--data edits the body of one capture; give a single ID with it.")
    with running_engine(args) as engine:
        if args.dry_run:
            for capture_id in ids:
                print(preview_text(_plan(engine, args, capture_id)), end="")
            return 0
        return _replay_many(engine, args, ids)


def _plan(
    engine: Engine, args: argparse.Namespace, capture_id: int, body: bytes | None = None
) -> Plan:
    return make_plan(
        engine,
        engine.plan_replay(
            capture_id, args.to, resign=args.resign, credential=args.credential, body=body
        ),
    )


def _replay_one(args: argparse.Namespace, capture_id: int) -> int:
    body = None
    if args.data is not None:
        body = jsontext.dumps_utf8(read_data(args.data))
    with running_engine(args) as engine:
        return send_plan(engine, _plan(engine, args, capture_id, body), args)


def _replay_many(engine: Engine, args: argparse.Namespace, ids: list[int]) -> int:
    job = BulkReplay(
        tuple(ids),
        args.to,
        resign=args.resign,
        credential=args.credential,
        concurrency=args.concurrency,
    )
    shown = ProgressLine(live=sys.stderr.isatty())
    cancel = threading.Event()
    running = engine.call(engine.replay_many(job, policy_for(engine, args), shown.update, cancel))
    result = _wait(running, cancel, shown)
    shown.clear()
    if result is None:  # aborted: what was in flight was not waited for
        print(f"hookscope: aborted: {_tally(shown.latest)}.", file=sys.stderr)
        return CANCELLED
    _report(result, args.json)
    if result.cancelled:
        return CANCELLED
    return 1 if result.progress.failed else 0


def _wait(
    running: Future[BulkResult], cancel: threading.Event, shown: ProgressLine
) -> BulkResult | None:
    """The run's result, drawing progress meanwhile. The first Ctrl+C cancels (the requests
    in flight finish and are logged); a second one aborts them: None."""
    aborting = threading.Event()

    def interrupted(_signum: int, _frame: object) -> None:
        # A flag, not KeyboardInterrupt: an exception could land anywhere, even mid-report.
        if cancel.is_set():
            aborting.set()
        cancel.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        return _await(running, cancel, aborting, shown)
    finally:
        signal.signal(signal.SIGINT, previous)


def _await(
    running: Future[BulkResult],
    cancel: threading.Event,
    aborting: threading.Event,
    shown: ProgressLine,
) -> BulkResult | None:
    told = False
    deadline = time.monotonic() + SEND_TIMEOUT
    while time.monotonic() < deadline:
        if aborting.is_set():
            running.cancel()
            return None
        if cancel.is_set() and not told:
            shown.clear()
            print(
                "hookscope: cancelling: no new replay starts; those in flight finish"
                " (Ctrl+C again to abort them).",
                file=sys.stderr,
                flush=True,
            )
            told = True
        try:
            return running.result(timeout=0.2)
        except TimeoutError:
            shown.draw()
    raise UserError("The replays did not finish within an hour; stopped waiting.")


def _report(result: BulkResult, as_json: bool) -> None:
    attempts = [outcome.attempt for outcome in result.outcomes if outcome.attempt is not None]
    if as_json:
        # Without the request bodies: each is its capture's own (`captures show ID --body`).
        shown = [attempt_json(attempt) for attempt in attempts]
        print(json.dumps([_without_body(entry) for entry in shown], indent=2))
    else:
        for outcome in result.outcomes:
            if outcome.attempt is not None:
                print(f"#{outcome.capture_id}  {attempt_line(outcome.attempt)}")
    for outcome in result.outcomes:
        if outcome.attempt is None:
            print(f"hookscope: capture {outcome.capture_id} {outcome.problem}.", file=sys.stderr)
    where = f" (`hookscope deliveries list --fire {result.fire_id}`)" if result.outcomes else ""
    print(f"{result.summary}{where}", file=sys.stderr)


def _without_body(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "request_body"}


def _tally(progress: BulkProgress) -> str:
    left = progress.total - progress.done
    return f"{progress.ok} delivered, {progress.failed} failed, {left} not sent"


class ProgressLine:
    """The last progress the engine reported, redrawn on stderr (a terminal only) by the
    waiting thread: the engine's thread never writes to the terminal itself."""

    def __init__(self, *, live: bool) -> None:
        self.live = live
        self.latest = BulkProgress(0, 0)
        self._drawn = False

    def update(self, progress: BulkProgress) -> None:  # on the engine loop
        self.latest = progress

    def draw(self) -> None:
        if self.live and self.latest.total:
            sys.stderr.write(f"\r\x1b[K{self.latest.text}")
            sys.stderr.flush()
            self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._drawn = False
