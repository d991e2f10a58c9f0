"""What `hookscope` commands share in parsing: the parser class and the argument types."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn, TypeAlias

from hookscope.core.checks import check_port


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"hookscope: error: {message}\n")


# What each command module's `register()` adds its sub-parser to.
Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


def subcommands(parser: argparse.ArgumentParser, dest: str, metavar: str) -> Commands:
    """A required choice of sub-command under `parser` (`captures ACTION`, `fire PROVIDER`)."""
    choice = parser.add_subparsers(dest=dest, metavar=metavar, parser_class=Parser)
    choice.required = True
    return choice


class _AnyName(dict[str, Parser]):
    """Sub-parsers by name, where every name not listed goes to one of them."""

    def __init__(self, known: dict[str, Parser], other: Parser) -> None:
        super().__init__(known)
        self._other = other

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> Parser:
        return self._other


def other_names(choice: Commands, parser: Parser) -> None:
    """Give `parser` every name `choice` does not list (a custom scheme's, known only to the
    store): the command then checks the name and refuses an unknown one in one sentence.
    Call it after the last `add_parser`."""
    names = _AnyName(choice._name_parser_map, parser)
    choice._name_parser_map = names
    choice.choices = names


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if problem := check_port(value):
        raise argparse.ArgumentTypeError(problem)
    return value


def _at_least(minimum: int) -> Callable[[str], int]:
    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be {minimum} or more")
        return value

    return whole_number


positive = _at_least(1)
whole = _at_least(0)  # a whole number, 0 included


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{value:g} s must be more than 0 and at most 3600")
    return value
