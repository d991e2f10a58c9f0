"""`hookscope schemes add | list | remove`: signing schemes the user describes, beside the
built-in ones."""

from __future__ import annotations

import argparse
import json

from hookscope.cli.args import Commands, Parser, positive, subcommands
from hookscope.cli.common import UsageError, UserError, directory
from hookscope.core.checks import built_in_schemes, check_scheme
from hookscope.core.providers.scheme import ALGORITHMS, ENCODINGS, Scheme
from hookscope.core.schemetext import built_in_scheme, describe, scheme_json
from hookscope.storage import schemes as scheme_store
from hookscope.storage.db import open_store
from hookscope.storage.schemes import SchemeError


def register(commands: Commands, common: Parser) -> None:
    schemes = commands.add_parser(
        "schemes", parents=[common], help="signing schemes: the built-in ones and your own"
    )
    what = subcommands(schemes, "action", "ACTION")
    add = what.add_parser(
        "add", parents=[common], help="describe how a sender signs (an HMAC of the request)"
    )
    add.add_argument("name", metavar="NAME", help="lowercase letters, digits, - and _")
    add.add_argument("--header", required=True, metavar="H", help="the signature's header")
    add.add_argument(
        "--prefix", default="", metavar="P", help="text before the signature, e.g. sha256="
    )
    add.add_argument("--algorithm", required=True, choices=ALGORITHMS, metavar="A")
    add.add_argument("--encoding", required=True, choices=ENCODINGS, metavar="E")
    add.add_argument(
        "--signed",
        default="{body}",
        metavar="TEMPLATE",
        help="what is signed (default {body}); placeholders: {body} {timestamp} {id} {method} "
        "{path} {header:Name}",
    )
    add.add_argument(
        "--timestamp-header", metavar="T", help="the header with the signing time (seconds)"
    )
    add.add_argument(
        "--tolerance",
        type=positive,
        metavar="S",
        help="how many seconds that time may be off (default 300; needs --timestamp-header)",
    )
    add.add_argument("--id-header", metavar="I", help="the header with the delivery's id")
    add.set_defaults(run=cmd_schemes_add)
    listing = what.add_parser("list", parents=[common], help="list every scheme")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_schemes_list)
    remove = what.add_parser(
        "remove", parents=[common], help="remove a custom scheme no secret or path names"
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=cmd_schemes_remove)


def scheme_from(args: argparse.Namespace) -> Scheme:
    """The scheme the arguments describe; UsageError with the first thing wrong with it."""
    if args.tolerance is not None and args.timestamp_header is None:
        raise UsageError("--tolerance needs --timestamp-header (the time it applies to).")
    scheme = Scheme(
        name=args.name,
        header=args.header,
        prefix=args.prefix,
        algorithm=args.algorithm,
        encoding=args.encoding,
        signed=args.signed.replace("\\n", "\n"),
        timestamp_header=args.timestamp_header,
        tolerance=300 if args.tolerance is None else args.tolerance,
        id_header=args.id_header,
    )
    if problem := check_scheme(scheme):
        raise UsageError(problem)
    return scheme


def cmd_schemes_add(args: argparse.Namespace) -> int:
    scheme = scheme_from(args)  # before the store is opened: a typo leaves nothing behind
    try:
        with open_store(directory(args)) as db:
            scheme_store.add_scheme(db, scheme)
    except SchemeError as exc:
        raise UserError(str(exc)) from exc
    print(f"scheme {scheme.name!r} stored: {describe(scheme)}")
    return 0


def cmd_schemes_list(args: argparse.Namespace) -> int:
    with open_store(directory(args)) as db:
        custom = scheme_store.list_schemes(db)
    built_in = [(name, built_in_scheme(name)) for name in built_in_schemes()]
    if args.json:
        rows = [scheme_json(name, scheme, built_in=True) for name, scheme in built_in]
        rows += [scheme_json(s.name, s, built_in=False) for s in custom]
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(name) for name in [*(n for n, _ in built_in), *(s.name for s in custom)])
    for name, scheme in built_in:
        print(f"{name:<{width}}  built-in  {'' if scheme is None else describe(scheme)}".rstrip())
    for scheme in custom:
        print(f"{scheme.name:<{width}}  custom    {describe(scheme)}")
    if not custom:
        print("No custom schemes: `hookscope schemes add NAME ...` describes one.")
    return 0


def cmd_schemes_remove(args: argparse.Namespace) -> int:
    try:
        with open_store(directory(args)) as db:
            scheme_store.remove_scheme(db, args.name)
    except SchemeError as exc:
        raise UserError(str(exc)) from exc
    print(f"scheme {args.name!r} removed")
    return 0
