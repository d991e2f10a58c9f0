"""`hookscope deliveries list | show`: the log of everything fired and replayed."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hookscope.cli.args import Commands, Parser, positive, subcommands
from hookscope.cli.common import UserError, directory
from hookscope.core.model import Attempt, DeliveryQuery, iso_utc
from hookscope.storage import deliveries as delivery_store
from hookscope.storage.db import open_store


def register(commands: Commands, common: Parser) -> None:
    deliveries = commands.add_parser(
        "deliveries", parents=[common], help="the log of everything fired and replayed"
    )
    what = subcommands(deliveries, "action", "ACTION")
    log_list = what.add_parser("list", parents=[common], help="attempts, newest first")
    log_list.add_argument("--json", action="store_true", help="print a JSON array")
    log_list.add_argument("--limit", type=positive, default=50, help="at most N (default 50)")
    log_list.add_argument("--fire", metavar="ID", help="only the attempts of this fire")
    log_list.add_argument("--failed", action="store_true", help="only failed attempts")
    log_list.set_defaults(run=cmd_deliveries_list)
    log_show = what.add_parser("show", parents=[common], help="one attempt in full")
    log_show.add_argument("id", type=positive, metavar="ID")
    log_show.add_argument("--json", action="store_true")
    log_show.set_defaults(run=cmd_deliveries_show)


def cmd_deliveries_list(args: argparse.Namespace) -> int:
    query = DeliveryQuery(fire_id=args.fire, failed=args.failed, limit=args.limit)
    with open_store(directory(args), reading=True) as db:
        attempts = delivery_store.list_attempts(db, query)
    if args.json:
        print(json.dumps([attempt_json(a) for a in attempts], indent=2))
        return 0
    if not attempts:
        print("No deliveries yet." if query == DeliveryQuery(limit=args.limit) else "None match.")
        return 0
    for attempt in attempts:
        print(f"{attempt.id:>6}  {iso_utc(attempt.started_at)[:19]}Z  {attempt_line(attempt)}")
    return 0


def cmd_deliveries_show(args: argparse.Namespace) -> int:
    with open_store(directory(args), reading=True) as db:
        attempt = delivery_store.get_attempt(db, args.id)
    if attempt is None:
        raise UserError(f"No delivery attempt with id {args.id}.")
    if args.json:
        print(json.dumps(attempt_json(attempt), indent=2))
        return 0
    request = attempt.request
    lines = [
        f"Attempt {attempt.id} (try {attempt.number}) of fire {attempt.fire_id}",
        f"{attempt.outcome} in {attempt.latency_ms:.0f} ms",
        "",
        f"{request.method} {request.url}",
        *(f"{name}: {value}" for name, value in request.headers),
        "",
        _text(request.body),
        "",
    ]
    if attempt.status is not None:
        lines += [f"HTTP {attempt.status}"]
        lines += [f"{name}: {value}" for name, value in attempt.response_headers]
        lines += ["", _text(attempt.response_body)]
        if attempt.response_truncated:
            lines.append(f"(answer cut at {len(attempt.response_body)} bytes)")
    print("\n".join(lines))
    return 0


def attempt_line(attempt: Attempt) -> str:
    """One attempt on one line, as `fire`, `replay` and `deliveries list` print it."""
    mark = "ok  " if attempt.ok else "FAIL"
    request = attempt.request
    tries = f" after {attempt.number} tries" if attempt.number > 1 else ""
    return (
        f"{mark} {request.kind:<8} {request.url}  {attempt.outcome}{tries}"
        f"  {attempt.latency_ms:.0f} ms"
    )


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One attempt as the `--json` of `fire`, `replay` and `deliveries` prints it."""
    request = attempt.request
    return {
        "id": attempt.id,
        "fire_id": attempt.fire_id,
        "attempt": attempt.number,
        "final": attempt.final,
        "started_at": iso_utc(attempt.started_at),
        "kind": request.kind,
        "target_id": request.target_id,
        "event": request.event,
        "method": request.method,
        "url": request.url,
        "note": request.note,
        "replay_of": request.replay_of,
        "ok": attempt.ok,
        "outcome": attempt.outcome,
        "status": attempt.status,
        "error": attempt.error,
        "latency_ms": round(attempt.latency_ms, 3),
        "request_headers": [list(pair) for pair in request.headers],
        "request_body": _text(request.body),
        "response_headers": [list(pair) for pair in attempt.response_headers],
        "response_body": _text(attempt.response_body),
        "response_truncated": attempt.response_truncated,
    }


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")
