"""`hookscope gui` (and `hookscope` with no command): open the desktop window."""

from __future__ import annotations

import argparse
import os
import sys

from hookscope.cli.args import Commands, Parser
from hookscope.cli.common import UserError, directory
from hookscope.cli.listen import ListenerOverrides, listener_flags


def register(commands: Commands, common: Parser) -> None:
    gui = commands.add_parser(
        "gui",
        parents=[common, listener_flags()],
        help="open the desktop window (the default with no command)",
    )
    gui.set_defaults(run=cmd_gui)


def no_display() -> str | None:
    """Why the window cannot open here, or None: on Linux and the BSDs Qt needs an X or a
    Wayland display, and without one it aborts with a misleading word about libxcb."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "There is no display to open the window on ($DISPLAY and $WAYLAND_DISPLAY are not set):"
        " run `hookscope serve` for the listener without a window, or start the window from a"
        " desktop session."
    )


def cmd_gui(args: argparse.Namespace) -> int:
    if problem := no_display():
        raise UserError(problem)
    overrides = ListenerOverrides.from_args(args)
    # Imported here: the headless commands never load Qt.
    from hookscope.ui.app import run

    return run(directory(args), overrides.as_dict())
