"""`hookscope fire kardow | kudoz`: send a Kardow event to its targets, or a Kudoz callback."""

from __future__ import annotations

import argparse
from typing import Any

from hookscope.cli.args import Commands, Parser, subcommands
from hookscope.cli.common import UserError
from hookscope.cli.sending import make_plan, read_data, running_engine, send_flags, send_plan
from hookscope.core import catalogue
from hookscope.core.providers import kardow, kudoz


def register(commands: Commands, common: Parser) -> None:
    sending = send_flags()
    fire = commands.add_parser(
        "fire", parents=[common], help="send a Kardow event to its targets, or a Kudoz callback"
    )
    provider = subcommands(fire, "provider", "PROVIDER")
    fire_kardow = provider.add_parser(
        "kardow",
        parents=[common, sending],
        help="fan an event out to every enabled target subscribed to it or to *",
    )
    fire_kardow.add_argument("event", metavar="EVENT", help=", ".join(kardow.EVENTS))
    fire_kardow.add_argument(
        "--org-id", type=int, default=42, metavar="N", help="organization_id (default 42)"
    )
    fire_kardow.set_defaults(run=cmd_fire_kardow)
    fire_kudoz = provider.add_parser(
        "kudoz", parents=[common, sending], help="send a callback signed with a Kudoz credential"
    )
    fire_kudoz.add_argument("kind", metavar="KIND", help=", ".join(kudoz.KINDS))
    fire_kudoz.add_argument("--to", required=True, metavar="URL", help="the callback URL")
    fire_kudoz.add_argument(
        "--credential", required=True, metavar="NAME", help="the stored Kudoz secret to sign with"
    )
    fire_kudoz.set_defaults(run=cmd_fire_kudoz)


def _data(data: Any, provider: str, event: str) -> Any:
    """The event's data as given, else its template (the engine fills the placeholders)."""
    try:
        return data if data is not None else catalogue.template(provider, event).data
    except catalogue.CatalogueError as exc:
        raise UserError(str(exc)) from exc


def cmd_fire_kardow(args: argparse.Namespace) -> int:
    data = _data(read_data(args.data), "kardow", args.event)
    with running_engine(args) as engine:
        planned = make_plan(engine, engine.plan_kardow(args.event, data, args.org_id))
        return send_plan(engine, planned, args)


def cmd_fire_kudoz(args: argparse.Namespace) -> int:
    data = _data(read_data(args.data), "kudoz", args.kind)
    with running_engine(args) as engine:
        planned = make_plan(engine, engine.plan_kudoz(args.kind, data, args.to, args.credential))
        return send_plan(engine, planned, args)
