"""`hookscope gui` (and `hookscope` with no command): open the desktop window."""

from __future__ import annotations

import argparse

from hookscope.cli.args import Commands, Parser
from hookscope.cli.common import directory
from hookscope.cli.listen import ListenerOverrides, listener_flags


def register(commands: Commands, common: Parser) -> None:
    gui = commands.add_parser(
        "gui",
        parents=[common, listener_flags()],
        help="open the desktop window (the default with no command)",
    )
    gui.set_defaults(run=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    overrides = ListenerOverrides.from_args(args)
    # Imported here: the headless commands never load Qt.
    from hookscope.ui.app import run

    return run(directory(args), overrides.as_dict())
