"""What `hookscope` commands share: the parser class, argument types, the user error, API keys."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from hookscope.storage.targets import check_api_key


class UserError(Exception):
    """A mistake the user can fix: printed as one sentence, exit status 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"hookscope: error: {message}\n")


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0 to 65535)")
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


# `serve` reads emulator keys from here too: unlike --api-key, neither shows in `ps`.
API_KEYS_ENV = "HOOKSCOPE_API_KEYS"
KEY_FILE_LIMIT = 1024 * 1024  # far more than any list of keys; a wrong file fails fast


def serve_api_keys(args: argparse.Namespace) -> list[str]:
    """`serve`'s emulator keys: --api-key, --api-key-file, then $HOOKSCOPE_API_KEYS, checked."""
    found = [(key, "--api-key") for key in args.api_key]
    if args.api_key_file is not None:
        found += api_key_file(args.api_key_file)
    found += api_keys_env(os.environ.get(API_KEYS_ENV))
    for key, where in found:
        if problem := check_api_key(key):  # the key itself is never echoed
            raise UserError(f"{problem.removesuffix('.')} ({where}).")
    return list(dict.fromkeys(key for key, _ in found))


def api_key_file(path: str) -> list[tuple[str, str]]:
    """The keys in a file, one a line (blank lines and lines starting with # are skipped),
    each with where it was found; UserError when there is no usable key."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(KEY_FILE_LIMIT + 1)
    except OSError as exc:
        raise UserError(f"Cannot read the API key file {path}: {exc.strerror or exc}.") from exc
    if len(raw) > KEY_FILE_LIMIT:
        raise UserError(f"The API key file {path} is over 1 MB; it should hold one key a line.")
    # surrogateescape: a byte that is not UTF-8 is reported by the key check, not as a crash.
    lines = raw.decode("utf-8-sig", "surrogateescape").splitlines()
    keys = [
        (line.strip(), f"line {number} of {path}")
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.strip().startswith("#")
    ]
    if not keys:
        raise UserError(
            f"The API key file {path} holds no key: put one a line (# starts a comment)."
        )
    return keys


def api_keys_env(value: str | None) -> list[tuple[str, str]]:
    """The keys in $HOOKSCOPE_API_KEYS, separated by commas or whitespace."""
    words = (value or "").replace(",", " ").split()
    return [(word, f"${API_KEYS_ENV}") for word in words]
