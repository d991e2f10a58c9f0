"""`hookscope paths set | clear | list`: assume a scheme for paths it cannot be told from."""

from __future__ import annotations

import argparse

from hookscope.cli.args import Commands, Parser, subcommands
from hookscope.cli.common import UsageError, UserError, directory
from hookscope.cli.secrets import unknown_scheme
from hookscope.storage import schemes as scheme_store
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store, write_transaction


def register(commands: Commands, common: Parser) -> None:
    paths = commands.add_parser(
        "paths", parents=[common], help="assume a provider for paths it cannot be told from"
    )
    what = subcommands(paths, "action", "ACTION")
    path_set = what.add_parser("set", parents=[common], help="assume SCHEME for GLOB")
    path_set.add_argument("pattern", metavar="GLOB")
    path_set.add_argument(
        "provider", metavar="SCHEME", help="a built-in scheme or one of `hookscope schemes list`"
    )
    path_set.set_defaults(run=cmd_paths_set)
    path_clear = what.add_parser("clear", parents=[common], help="drop the assumption")
    path_clear.add_argument("pattern", metavar="GLOB")
    path_clear.set_defaults(run=cmd_paths_clear)
    path_list = what.add_parser("list", parents=[common], help="list path assumptions")
    path_list.set_defaults(run=cmd_paths_list)


def cmd_paths_set(args: argparse.Namespace) -> int:
    # In one transaction: the scheme cannot be removed between the check and the write.
    with open_store(directory(args)) as db, write_transaction(db):
        if args.provider not in (names := scheme_store.scheme_names(db)):
            raise UsageError(unknown_scheme(args.provider, names))
        settings_store.set_provider_path(db, args.pattern, args.provider)
    print(f"paths matching {args.pattern} are assumed to be {args.provider}")
    return 0


def cmd_paths_clear(args: argparse.Namespace) -> int:
    with open_store(directory(args)) as db:
        if args.pattern not in settings_store.provider_paths(db):
            raise UserError(f"No assumption for {args.pattern}.")
        settings_store.set_provider_path(db, args.pattern, None)
    print(f"no provider assumed for {args.pattern}")
    return 0


def cmd_paths_list(args: argparse.Namespace) -> int:
    with open_store(directory(args), reading=True) as db:
        paths = settings_store.provider_paths(db)
    if not paths:
        print("No path assumptions: providers are recognised by headers and body shape.")
    for pattern, provider in paths.items():
        print(f"{pattern}  ->  {provider}")
    return 0
