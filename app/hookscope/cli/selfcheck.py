"""`hookscope selfcheck`: prove this install works, on a throwaway store."""

from __future__ import annotations

import argparse

from hookscope import __version__
from hookscope.cli.args import Commands, Parser


def register(commands: Commands, common: Parser) -> None:
    check = commands.add_parser(
        "selfcheck",
        parents=[common],
        help="prove this install works: resources, store, listener, verification, emulator",
    )
    check.add_argument(
        "--gui", action="store_true", help="also build and draw the window (offscreen works)"
    )
    check.set_defaults(run=cmd_selfcheck)


def cmd_selfcheck(args: argparse.Namespace) -> int:
    from hookscope import selfcheck

    def report(step: str, ok: bool, detail: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {step}: {detail}", flush=True)

    print(f"hookscope {__version__} self-check (a throwaway store; your data is not touched)")
    passed = selfcheck.run(report)
    if args.gui:
        try:
            from hookscope.ui.app import gui_selfcheck

            report("window", True, gui_selfcheck())
        except Exception as exc:  # a missing Qt library or plugin is the finding, not a crash
            report("window", False, f"{type(exc).__name__}: {exc}")
            passed = False
    print("self-check passed" if passed else "self-check FAILED", flush=True)
    return 0 if passed else 1
