"""`hookscope fire kardow | kudoz | SCHEME`: send a Kardow event to its targets, a Kudoz
callback, or a body signed the way any other scheme signs (built-in or the user's own)."""

from __future__ import annotations

import argparse
from typing import Any

from hookscope.cli.args import Commands, Parser, other_names, subcommands
from hookscope.cli.common import UsageError, UserError
from hookscope.cli.sending import (
    make_plan,
    read_bytes,
    read_data,
    running_engine,
    send_flags,
    send_plan,
)
from hookscope.core import catalogue
from hookscope.core.providers import kardow, kudoz, names
from hookscope.core.schemefire import EVENT_HEADERS, sample_body

# How `fire --help` names the schemes fired as a raw body.
SCHEME_HELP = {
    "standard-webhooks": "a body signed the Standard Webhooks way (webhook-signature)",
    "stripe": "a body signed the Stripe way (Stripe-Signature)",
    "github": "a body signed the GitHub way (X-Hub-Signature-256), its event in X-GitHub-Event",
    "slack": "a body signed the Slack way (X-Slack-Signature)",
    "shopify": "a body signed the Shopify way (X-Shopify-Hmac-Sha256), its topic in "
    "X-Shopify-Topic",
}
CUSTOM = "CUSTOM"  # stands for any custom scheme's name in `fire --help`


def register(commands: Commands, common: Parser) -> None:
    sending = send_flags()
    fire = commands.add_parser(
        "fire",
        parents=[common],
        help="send a Kardow event to its targets, a Kudoz callback, or a body signed any scheme's"
        " way",
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
    for name in names():
        if name not in (kardow.name, kudoz.name):
            _add_scheme_parser(provider, common, name, SCHEME_HELP.get(name, f"a {name} body"))
    custom = _add_scheme_parser(
        provider, common, CUSTOM, "a body signed the way one of your own schemes signs"
    )
    other_names(provider, custom)


def _add_scheme_parser(provider: Commands, common: Parser, name: str, about: str) -> Parser:
    parser = provider.add_parser(name, parents=[common, send_flags(data=False)], help=about)
    parser.add_argument("--to", required=True, metavar="URL", help="where to send it")
    parser.add_argument(
        "--credential", required=True, metavar="NAME", help="the stored secret that signs it"
    )
    parser.add_argument(
        "--data",
        metavar="FILE",
        help="the body, sent byte for byte (- reads stdin); default: a sample event",
    )
    if name in EVENT_HEADERS:
        header, default = EVENT_HEADERS[name]
        parser.add_argument(
            "--event", metavar="E", help=f"the event, sent in {header} (default {default})"
        )
    parser.set_defaults(run=cmd_fire_scheme)
    return parser


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


def cmd_fire_scheme(args: argparse.Namespace) -> int:
    """A body signed the way `args.provider` signs; a mistake in what was asked is a usage
    error (exit 2), a delivery that fails exits 1."""
    scheme = args.provider
    try:
        body = sample_body(scheme) if args.data is None else read_bytes(args.data)
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    event = getattr(args, "event", None)
    with running_engine(args) as engine:
        try:
            planned = make_plan(
                engine, engine.plan_scheme(scheme, body, args.to, args.credential, event)
            )
        except UserError as exc:
            raise UsageError(str(exc)) from exc
        return send_plan(engine, planned, args)
