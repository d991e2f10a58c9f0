"""`hookscope forward add | list | remove | retry`: captures sent on to your own app."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from hookscope.cli.args import Commands, Parser, positive, subcommands
from hookscope.cli.common import UsageError, UserError, directory
from hookscope.cli.deliveries import attempt_json, attempt_line
from hookscope.cli.sending import SEND_TIMEOUT, running_engine
from hookscope.core.forwarding import ForwardRule, check_forward_rule
from hookscope.core.model import Attempt, utc_now
from hookscope.core.providers import names
from hookscope.storage import credentials as credential_store
from hookscope.storage import forwards as forward_store
from hookscope.storage import schemes as scheme_store
from hookscope.storage.db import open_store

_AGO = re.compile(r"(\d+)\s*([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(commands: Commands, common: Parser) -> None:
    forward = commands.add_parser(
        "forward", parents=[common], help="send captures on to your own app, live or again"
    )
    what = subcommands(forward, "action", "ACTION")
    add = what.add_parser(
        "add",
        parents=[common],
        help="forward captures whose path matches GLOB to URL (every matching rule forwards)",
    )
    add.add_argument("pattern", metavar="GLOB", help="path glob, e.g. /kardow/* (* for all)")
    add.add_argument(
        "url",
        metavar="URL",
        help="the app's base URL: the capture's path (after --strip-prefix) and query follow it",
    )
    add.add_argument(
        "--mode",
        default="async",
        metavar="MODE",
        help="async (default): the sender is answered at once, the forward follows, retried by"
        " the sending policy; proxy: the sender gets the app's answer (502/504 when none)",
    )
    add.add_argument("--provider", metavar="P", help="only captures of this provider or scheme")
    add.add_argument("--event", metavar="E", help="only captures of this event (a glob)")
    add.add_argument(
        "--strip-prefix", default="", metavar="P", help="take P off the front of the path first"
    )
    add.add_argument(
        "--resign",
        metavar="CREDENTIAL",
        help="sign each forward again with this stored secret (for an app with a local secret)",
    )
    add.add_argument("--position", type=int, default=0, help="lower positions are tried first")
    add.add_argument("--disabled", action="store_true", help="store it turned off")
    add.set_defaults(run=cmd_forward_add)

    listing = what.add_parser("list", parents=[common], help="list the forward rules")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=cmd_forward_list)

    remove = what.add_parser("remove", parents=[common], help="remove a forward rule")
    remove.add_argument("id", type=positive, metavar="ID")
    remove.set_defaults(run=cmd_forward_remove)

    retry = what.add_parser(
        "retry",
        parents=[common],
        help="send forwards again: by id (captures show lists them), or every failed one",
    )
    retry.add_argument("ids", type=positive, nargs="*", metavar="ID", help="forward ids")
    retry.add_argument(
        "--failed",
        action="store_true",
        help="every forward whose last attempt failed or that was never sent",
    )
    retry.add_argument(
        "--since",
        type=moment,
        metavar="WHEN",
        help="with --failed: only forwards of captures from then on (2h, 3d, 45m ago, or an"
        " ISO 8601 date or time, UTC unless it says)",
    )
    retry.add_argument("--until", type=moment, metavar="WHEN", help="with --failed: before then")
    retry.add_argument("--json", action="store_true", help="print the attempts as JSON")
    retry.set_defaults(run=cmd_forward_retry)


def moment(text: str) -> datetime:
    """`2h`, `3d`, `45m` (that long ago) or an ISO 8601 date or time (UTC unless it says)."""
    ago = _AGO.fullmatch(text.strip())
    if ago is not None:
        return utc_now() - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use 2h, 3d, 45m (ago) or an ISO 8601 date or time"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def cmd_forward_add(args: argparse.Namespace) -> int:
    rule = ForwardRule(
        pattern=args.pattern,
        url=args.url,
        mode=args.mode,
        provider=args.provider,
        event=args.event,
        strip_prefix=args.strip_prefix,
        resign=args.resign,
        enabled=not args.disabled,
        position=args.position,
    )
    with open_store(directory(args)) as db:
        stored = {c.name: c.provider for c in credential_store.list_credentials(db)}
        schemes = scheme_store.list_schemes(db)
        if problem := check_forward_rule(rule, stored, names(schemes)):
            raise UsageError(problem)
        rule_id = forward_store.save_rule(db, rule)
    print(f"forward rule {rule_id} added: {rule.pattern} -> {rule.url} ({rule.mode})")
    return 0


def rule_json(rule: ForwardRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "position": rule.position,
        "pattern": rule.pattern,
        "url": rule.url,
        "mode": rule.mode,
        "provider": rule.provider,
        "event": rule.event,
        "strip_prefix": rule.strip_prefix,
        "resign": rule.resign,
        "enabled": rule.enabled,
    }


def cmd_forward_list(args: argparse.Namespace) -> int:
    with open_store(directory(args)) as db:
        rules = forward_store.list_rules(db)
    if args.json:
        print(json.dumps([rule_json(rule) for rule in rules], indent=2))
        return 0
    if not rules:
        print("No forward rules: captures stay here (`hookscope forward add GLOB URL`).")
    for rule in rules:
        only = [f"{name} {value}" for name, value in _narrowed(rule) if value]
        extra = f"  [{', '.join(only)}]" if only else ""
        state = "" if rule.enabled else " (disabled)"
        print(
            f"{rule.id:>4}  #{rule.position:<3} {rule.mode:<5} {rule.pattern} -> {rule.url}"
            f"{extra}{state}"
        )
    return 0


def _narrowed(rule: ForwardRule) -> list[tuple[str, str | None]]:
    return [
        ("provider", rule.provider),
        ("event", rule.event),
        ("strip", rule.strip_prefix),
        ("re-signed with", rule.resign),
    ]


def cmd_forward_remove(args: argparse.Namespace) -> int:
    with open_store(directory(args)) as db:
        removed = forward_store.delete_rule(db, args.id)
    if not removed:
        raise UserError(f"No forward rule with id {args.id}.")
    print(f"forward rule {args.id} removed")
    return 0


def cmd_forward_retry(args: argparse.Namespace) -> int:
    if bool(args.ids) == args.failed:
        raise UsageError("Give forward ids to send again, or --failed (not both).")
    if not args.failed and (args.since or args.until):
        raise UsageError("--since and --until go with --failed.")
    from hookscope.engine import EngineError  # aiohttp: loaded only by commands that send

    with running_engine(args) as engine:
        if args.failed:
            asked = engine.retry_failed_forwards(args.since, args.until)
        else:
            asked = engine.retry_forwards(args.ids)
        try:
            attempts: list[Attempt] = engine.call(asked).result(SEND_TIMEOUT)
        except EngineError as exc:
            raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps([attempt_json(a) for a in attempts], indent=2))
    elif not attempts:
        print("No failed forwards to send again.")
    for attempt in [] if args.json else attempts:
        print(f"forward {attempt.request.forward_id}: {attempt_line(attempt)}")
    failed = sum(not attempt.ok for attempt in attempts)
    if failed:
        print(f"hookscope: {failed} of {len(attempts)} forwards failed again.", file=sys.stderr)
        return 1
    return 0
