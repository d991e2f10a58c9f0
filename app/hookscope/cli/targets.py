"""`hookscope targets add | list | remove | enable | disable`: the emulator's registry."""

from __future__ import annotations

import argparse
import json
import sys

from hookscope.cli.args import Commands, Parser, subcommands
from hookscope.cli.common import UserError, directory
from hookscope.core.model import TARGET_TYPES, Target
from hookscope.core.registration import validate
from hookscope.storage import credentials as credential_store
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import KeyFileError
from hookscope.storage.paths import key_path
from hookscope.storage.targets import TargetError


def register(commands: Commands, common: Parser) -> None:
    targets = commands.add_parser(
        "targets",
        parents=[common],
        help="the emulator's registry of webhook, Discord and Slack targets",
    )
    what = subcommands(targets, "action", "ACTION")
    add = what.add_parser("add", parents=[common], help="subscribe a target to an event")
    add.add_argument(
        "--event", required=True, metavar="E", help="a Kardow event, or * for every event"
    )
    add.add_argument("--type", required=True, choices=TARGET_TYPES, dest="target_type")
    add.add_argument("--url", required=True, metavar="URL", help="where to send (http or https)")
    add.add_argument(
        "--secret", metavar="S", help="signs webhook deliveries (16+ characters); - reads stdin"
    )
    add.add_argument("--json", action="store_true", help="print the target as JSON")
    add.set_defaults(run=cmd_targets_add)
    listing = what.add_parser("list", parents=[common], help="list the targets")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=cmd_targets_list)
    for name, run, text in (
        ("remove", cmd_targets_remove, "remove a target"),
        ("enable", cmd_targets_enable, "send to a target again"),
        ("disable", cmd_targets_disable, "stop sending to a target (it stays registered)"),
    ):
        action = what.add_parser(name, parents=[common], help=text)
        action.add_argument("id", metavar="ID", help="the target's id, or its first characters")
        action.set_defaults(run=run)


def cmd_targets_add(args: argparse.Namespace) -> int:
    secret = args.secret
    if secret == "-":
        secret = sys.stdin.readline().rstrip("\r\n")
    registration = validate(
        {
            "event": args.event,
            "target_type": args.target_type,
            "target_url": args.url,
            "secret": secret,
        }
    )
    if isinstance(registration, dict):
        raise UserError(" ".join(f"--{_flag(name)} {why}." for name, why in registration.items()))
    folder = directory(args)
    try:
        with open_store(folder) as db:
            vault = None
            if registration.secret:
                vault = credential_store.vault_for_new_secret(db, key_path(folder))
            target, created = target_store.register(db, registration, vault)
    except (TargetError, KeyFileError) as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(target.as_json(), indent=2))
    elif created:
        print(f"target {target.id} added: {_describe_target(target)}")
    else:
        print(f"target {target.id} already exists (unchanged): {_describe_target(target)}")
        if registration.secret is not None and target.secret != registration.secret:
            print(
                "hookscope: warning: it keeps its secret; the one given was not stored (change"
                f" it with the emulator's PATCH /webhooks/{target.id}, or remove and add).",
                file=sys.stderr,
            )
    if registration.secret and registration.target_type != "webhook":
        print("hookscope: warning: the secret is only used for webhook targets.", file=sys.stderr)
    return 0


def _flag(field: str) -> str:
    return {"target_type": "type", "target_url": "url"}.get(field, field)


def _describe_target(target: Target) -> str:
    signed = ", signed" if target.has_secret and target.target_type == "webhook" else ""
    state = "" if target.is_enabled else " (disabled)"
    return f"{target.event} -> {target.target_type} {target.target_url}{signed}{state}"


def cmd_targets_list(args: argparse.Namespace) -> int:
    with open_store(directory(args), reading=True) as db:
        targets = target_store.list_targets(db)
    if args.json:
        print(json.dumps([target.as_json() for target in targets], indent=2))
        return 0
    if not targets:
        print("No targets. Add one with `hookscope targets add` or the Kardow API emulator.")
        return 0
    print(f"{'ID':<36}  {'ON':<3} {'EVENT':<28} {'TYPE':<8} {'SECRET':<6}  URL")
    for target in targets:
        print(
            f"{target.id:<36}  {'yes' if target.is_enabled else 'no':<3} {target.event:<28} "
            f"{target.target_type:<8} {'yes' if target.has_secret else '-':<6}  "
            f"{target.target_url}"
        )
    return 0


def _change_target(args: argparse.Namespace, verb: str, enabled: bool | None) -> int:
    with open_store(directory(args)) as db:
        try:
            target_id = target_store.resolve(db, args.id)
        except TargetError as exc:
            raise UserError(str(exc)) from exc
        if enabled is None:
            target_store.remove(db, target_id)
        else:
            target_store.set_enabled(db, target_id, enabled)
    print(f"target {target_id} {verb}")
    return 0


def cmd_targets_remove(args: argparse.Namespace) -> int:
    return _change_target(args, "removed", None)


def cmd_targets_enable(args: argparse.Namespace) -> int:
    return _change_target(args, "enabled", True)


def cmd_targets_disable(args: argparse.Namespace) -> int:
    return _change_target(args, "disabled", False)
