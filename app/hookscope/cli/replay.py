"""`hookscope replay ID --to URL`: send a captured request again, as captured or re-signed."""

from __future__ import annotations

import argparse

from hookscope.cli.args import Commands, Parser, positive
from hookscope.cli.common import UserError
from hookscope.cli.sending import make_plan, read_data, running_engine, send_flags, send_plan
from hookscope.core import jsontext


def register(commands: Commands, common: Parser) -> None:
    replay = commands.add_parser(
        "replay", parents=[common, send_flags()], help="send a captured request again"
    )
    replay.add_argument("id", type=positive, metavar="ID", help="the capture to send")
    replay.add_argument("--to", required=True, metavar="URL", help="where to send it")
    replay.add_argument(
        "--resign",
        action="store_true",
        help="sign it again (Kardow signature, or a fresh Kudoz token) instead of as captured",
    )
    replay.add_argument(
        "--credential",
        metavar="NAME",
        help="the stored secret to re-sign with (default: the one that verified it)",
    )
    replay.set_defaults(run=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    if args.credential and not args.resign:
        raise UserError("--credential only applies with --resign.")
    body = None
    if args.data is not None:
        body = jsontext.dumps_utf8(read_data(args.data))
    with running_engine(args) as engine:
        planned = make_plan(
            engine,
            engine.plan_replay(
                args.id, args.to, resign=args.resign, credential=args.credential, body=body
            ),
        )
        return send_plan(engine, planned, args)
