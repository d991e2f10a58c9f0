"""The `hookscope` command: the parser of the CLI contract (README, docs/architecture.md),
built from one module per command group, and the entry points (`main`, `gui_main`) that run
a command and report errors."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence

from hookscope import __version__
from hookscope.cli import (
    backup,
    bench,
    captures,
    deliveries,
    fire,
    forward,
    gui,
    paths,
    replay,
    rules,
    schemes,
    scorecard,
    secrets,
    selfcheck,
    serve,
    targets,
)
from hookscope.cli.args import Parser
from hookscope.cli.common import Command, UsageError, UserError, directory
from hookscope.cli.listen import listener_flags
from hookscope.storage import private
from hookscope.storage.db import StoreError, failure
from hookscope.storage.paths import db_path

__all__ = ["build_parser", "gui_main", "main"]

# In the order `hookscope --help` lists them.
GROUPS = (
    gui,
    serve,
    captures,
    secrets,
    schemes,
    paths,
    rules,
    targets,
    forward,
    fire,
    replay,
    scorecard,
    deliveries,
    backup,
    selfcheck,
    bench,
)


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="where captures and settings live (default: the user data dir, or "
        "$HOOKSCOPE_DATA_DIR)",
    )
    parser = Parser(
        prog="hookscope",
        description="Capture, verify and replay webhooks (Kardow, Kudoz and any HTTP sender).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"hookscope {__version__}")
    # `hookscope` with no command opens the window, so it takes the window's flags too.
    for action in listener_flags()._actions:
        parser._add_action(action)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for group in GROUPS:
        group.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Command = args.run if args.command is not None else gui.cmd_gui
    # Captures hold personal data: whatever this run creates (store, WAL, exports, backups,
    # key) is owner-only, and what an older version left readable by others is tightened.
    previous = os.umask(private.UMASK)
    try:
        if tightened := private.tighten(directory(args)):
            print(f"hookscope: {tightened}", file=sys.stderr)
        return run(args)
    except UsageError as exc:
        print(f"hookscope: error: {exc}", file=sys.stderr)
        return 2
    except (UserError, StoreError, _engine_error()) as exc:
        print(f"hookscope: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # the store failed mid-command: damaged past the check, full
        print(f"hookscope: {failure(db_path(directory(args)), exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `hookscope captures list | head`
        sys.stderr.close()
        return 0
    finally:
        os.umask(previous)


class _NoEngine(Exception):
    """Never raised: the engine's error, for a run that did not load the engine."""


def _engine_error() -> type[Exception]:
    """EngineError, when this run loaded the engine: a command that did not (`captures list`
    need not load aiohttp) cannot have raised it."""
    runtime = sys.modules.get("hookscope.engine.runtime")
    error: type[Exception] = _NoEngine if runtime is None else runtime.EngineError
    return error


def gui_main() -> int:
    """The console-less launcher (`hookscope-gui`): the desktop app, errors in a dialog."""
    return main(["gui", *sys.argv[1:]])
