"""The listener flags of `gui`, and of `hookscope` with no command: --host, --port, --api-port."""

from __future__ import annotations

import argparse

from hookscope.cli.args import Parser, port_number


def listener_flags() -> Parser:
    """The flags of `gui` (and of `hookscope` with no command): unset unless given."""
    listen = Parser(add_help=False)
    listen.add_argument(
        "--host", default=argparse.SUPPRESS, help="listen on this address for this run"
    )
    listen.add_argument(
        "--port",
        type=port_number,
        default=argparse.SUPPRESS,
        help="listen on this port for this run",
    )
    listen.add_argument(
        "--api-port",
        type=port_number,
        default=argparse.SUPPRESS,
        help="run the Kardow API emulator on this port for this run (0: not at all)",
    )
    return listen
