"""What `fire` and `replay` share: their flags, the --data file, and planning then sending."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookscope.cli.args import Parser, seconds, whole
from hookscope.cli.common import UserError, directory
from hookscope.cli.deliveries import attempt_json, attempt_line
from hookscope.core import jsontext
from hookscope.core.checks import check_policy
from hookscope.core.fire import FireError, wire_headers
from hookscope.core.fresh import describe
from hookscope.core.model import Plan, SendPolicy

if TYPE_CHECKING:  # the engine loads aiohttp: only the commands that send need it
    from hookscope.engine import Engine

SEND_TIMEOUT = 3600.0  # the policy bounds each request; this only stops a wedged engine

# As large as a capture may be by default: bigger is no event data, and reading it whole would
# only use up memory.
DATA_LIMIT = 25 * 1024 * 1024


def send_flags(*, data: bool = True) -> Parser:
    """The flags of every command that sends: --data (unless the command has its own),
    retries, timeouts, --dry-run, --json."""
    send = Parser(add_help=False)
    if data:
        send.add_argument(
            "--data",
            metavar="FILE",
            help="a JSON object used as the event's data (- reads stdin); default: the "
            "template. {{uuid}} {{int}} {{now}} {{unix}} {{date}} are filled fresh on each fire",
        )
    send.add_argument(
        "--retries", type=whole, metavar="N", help="retry a failed target N times (default 0)"
    )
    send.add_argument(
        "--timeout", type=seconds, metavar="S", help="seconds for a whole request (default 10)"
    )
    send.add_argument(
        "--connect-timeout", type=seconds, metavar="S", help="seconds to connect (default 5)"
    )
    send.add_argument(
        "--dry-run", action="store_true", help="print exactly what would be sent; send nothing"
    )
    send.add_argument("--json", action="store_true", help="print the results as JSON")
    return send


def read_bytes(path: str) -> bytes:
    """The bytes of the --data file (- reads stdin), up to DATA_LIMIT (UserError beyond)."""
    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(DATA_LIMIT + 1)
        else:
            with Path(path).open("rb") as handle:
                raw = handle.read(DATA_LIMIT + 1)
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(raw) > DATA_LIMIT:
        raise UserError(f"{where} is over the {DATA_LIMIT // (1024 * 1024)} MB limit for --data.")
    return raw


def read_data(path: str | None) -> Any:
    """The --data JSON object, read and checked; None when no file was given."""
    if path is None:
        return None
    where = "standard input" if path == "-" else path
    raw = read_bytes(path)
    try:
        data = jsontext.parse(raw, where)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if not isinstance(data, dict):
        raise UserError("--data must hold a JSON object (the event's data).")
    return data


def _policy(args: argparse.Namespace, saved: SendPolicy) -> SendPolicy:
    # Manual fires do not retry unless asked to, whatever the saved policy says.
    policy = replace(saved, retries=args.retries or 0)
    if args.timeout is not None:
        policy = replace(policy, total_timeout=args.timeout)
        if args.connect_timeout is None:  # a shorter whole also bounds the connecting
            policy = replace(policy, connect_timeout=min(policy.connect_timeout, args.timeout))
    if args.connect_timeout is not None:
        policy = replace(policy, connect_timeout=args.connect_timeout)
    if problem := check_policy(policy):  # the same sentence Settings > Sending shows
        raise UserError(problem)
    return policy


def policy_for(engine: Engine, args: argparse.Namespace) -> SendPolicy:
    """The saved send policy with this command's flags applied (UserError when impossible)."""
    return _policy(args, engine.call(engine.send_policy()).result(30))


@contextmanager
def running_engine(args: argparse.Namespace) -> Iterator[Engine]:
    """An engine without listeners: the one writer logs the attempts."""
    from hookscope.engine import Engine

    engine = Engine(directory(args))
    engine.start(listen=False)
    try:
        if hasattr(args, "timeout"):  # refuse impossible timeouts before anything is planned
            _policy(args, engine.call(engine.send_policy()).result(30))
        yield engine
    finally:
        engine.stop()


def make_plan(engine: Engine, planning: Any) -> Plan:
    """The engine's plan for `planning` (a coroutine of it); UserError when it refuses."""
    from hookscope.engine import EngineError

    try:
        planned: Plan = engine.call(planning).result(60)
    except (FireError, EngineError) as exc:
        raise UserError(str(exc)) from exc
    return planned


def send_plan(engine: Engine, plan: Plan, args: argparse.Namespace) -> int:
    """Send a plan (or print it with --dry-run) and report each attempt; the exit status."""
    for problem in plan.problems:
        print(f"hookscope: {problem}", file=sys.stderr)
    if args.dry_run:
        print(preview_text(plan), end="")
        return 0 if plan.requests else 1
    if not plan.requests:
        return 1
    policy = _policy(args, engine.call(engine.send_policy()).result(30))
    attempts = engine.call(engine.send(plan, policy)).result(SEND_TIMEOUT)
    if args.json:
        print(json.dumps([attempt_json(a) for a in attempts], indent=2))
    else:
        for attempt in attempts:
            print(attempt_line(attempt))
    failed = sum(not a.ok for a in attempts)
    if failed:
        print(
            f"hookscope: {failed} of {len(attempts)} deliveries failed"
            f" (`hookscope deliveries list --fire {plan.fire_id}`).",
            file=sys.stderr,
        )
        return 1
    return 0


def preview_text(plan: Plan) -> str:
    """Every request of a plan as it will go out: request line, headers, body."""
    parts: list[str] = []
    for request in plan.requests:
        lines = [f"# {request.kind}: {request.note}"]
        if made := describe(plan, request):
            lines.append(f"# {made}")
        lines.append(f"{request.method} {request.url}")
        lines += [f"{name}: {value}" for name, value in wire_headers(request)]
        lines += ["", request.body.decode("utf-8", "replace"), ""]
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)
