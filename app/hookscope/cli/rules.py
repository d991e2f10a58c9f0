"""`hookscope rules list | add | remove`: how the listener answers each request."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hookscope.cli.args import Commands, Parser, positive, subcommands
from hookscope.cli.common import UserError, directory
from hookscope.core.model import ResponseRule
from hookscope.core.rules import check_rule
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store


def register(commands: Commands, common: Parser) -> None:
    rules = commands.add_parser(
        "rules", parents=[common], help="how the listener answers (status, headers, body, delay)"
    )
    what = subcommands(rules, "action", "ACTION")
    rules_list = what.add_parser("list", parents=[common], help="list the response rules")
    rules_list.add_argument("--json", action="store_true")
    rules_list.set_defaults(run=cmd_rules_list)
    add = what.add_parser("add", parents=[common], help="add a rule (first match answers)")
    add.add_argument("pattern", help="path glob, e.g. /kardow/* (* matches every path)")
    add.add_argument("--method", help="only for this HTTP method")
    add.add_argument("--status", type=int, default=200)
    add.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="response header"
    )
    add.add_argument(
        "--body", default=None, help="response body; {capture_id} is replaced by the capture's id"
    )
    add.add_argument("--delay-ms", type=int, default=0)
    add.add_argument("--position", type=int, default=0, help="lower positions match first")
    add.set_defaults(run=cmd_rules_add)
    remove = what.add_parser("remove", parents=[common], help="remove a rule")
    remove.add_argument("id", type=positive, metavar="ID")
    remove.set_defaults(run=cmd_rules_remove)


def cmd_rules_list(args: argparse.Namespace) -> int:
    with open_store(directory(args), reading=True) as db:
        rules = settings_store.list_rules(db)
    if args.json:
        print(json.dumps([_rule_json(r) for r in rules], indent=2))
        return 0
    if not rules:
        print('No rules: every request is answered 200 {"ok": true, "capture_id": N}.')
    for r in rules:
        state = "" if r.enabled else " (disabled)"
        print(
            f"{r.id:>4}  #{r.position:<3} {r.method or '*':<7} {r.pattern}  -> {r.status}"
            f"{f' after {r.delay_ms} ms' if r.delay_ms else ''}{state}"
        )
    return 0


def _rule_json(rule: ResponseRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "position": rule.position,
        "pattern": rule.pattern,
        "method": rule.method,
        "status": rule.status,
        "headers": [list(h) for h in rule.headers],
        "body": rule.body,
        "delay_ms": rule.delay_ms,
        "enabled": rule.enabled,
    }


def cmd_rules_add(args: argparse.Namespace) -> int:
    headers: list[tuple[str, str]] = []
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            raise UserError(f"--header {item!r} is not NAME:VALUE.")
        headers.append((name.strip(), value.strip()))
    default = ResponseRule(pattern=args.pattern)
    rule = ResponseRule(
        pattern=args.pattern,
        method=args.method,
        status=args.status,
        headers=tuple(headers) if headers else default.headers,
        body=default.body if args.body is None else args.body,
        delay_ms=args.delay_ms,
        position=args.position,
    )
    problem = check_rule(rule)
    if problem:
        raise UserError(problem)
    with open_store(directory(args)) as db:
        rule_id = settings_store.save_rule(db, rule)
    print(f"rule {rule_id} added")
    return 0


def cmd_rules_remove(args: argparse.Namespace) -> int:
    with open_store(directory(args)) as db:
        removed = settings_store.delete_rule(db, args.id)
    if not removed:
        raise UserError(f"No rule with id {args.id}.")
    print(f"rule {args.id} removed")
    return 0
