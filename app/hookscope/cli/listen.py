"""The listener flags of `gui` and `serve` (--host, --port, --api-port) as one typed record."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from typing import Any

from hookscope.cli.args import Parser, port_number


@dataclass(frozen=True)
class ListenerOverrides:
    """What this run's flags change in the saved listener settings; None leaves one as saved.

    Attributes:
        host: the address to listen on.
        port: the capture listener's port (0: any free port).
        api_port: the Kardow API emulator's port (0: do not run it).
    """

    host: str | None = None
    port: int | None = None
    api_port: int | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ListenerOverrides:
        # getattr: `hookscope` with no command leaves flags that were not given unset.
        return cls(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            api_port=getattr(args, "api_port", None),
        )

    def as_dict(self) -> dict[str, Any]:
        """Only the flags given, by listener-settings field name, as the engine takes them."""
        return {name: value for name, value in asdict(self).items() if value is not None}


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
