"""`hookscope serve`: the capture listener and the Kardow API emulator, headless."""

from __future__ import annotations

import argparse
import os
import sys

from hookscope.cli.args import Commands, Parser, port_number, whole
from hookscope.cli.common import UsageError, UserError, directory
from hookscope.cli.listen import ListenerOverrides
from hookscope.core.checks import check_retention, check_target_url, is_loopback
from hookscope.memory import freeze_startup_objects
from hookscope.stopsignals import StopSignals
from hookscope.storage.targets import check_api_key

# `serve` reads emulator keys from here too: unlike --api-key, neither shows in `ps`.
API_KEYS_ENV = "HOOKSCOPE_API_KEYS"
KEY_FILE_LIMIT = 1024 * 1024  # far more than any list of keys; a wrong file fails fast


def register(commands: Commands, common: Parser) -> None:
    serve = commands.add_parser(
        "serve", parents=[common], help="run the capture listener headless (no window)"
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=port_number, help="port to listen on (default 8787; 0: any free)"
    )
    serve.add_argument(
        "--api-port",
        type=port_number,
        help="port of the Kardow API emulator (default 8788; 0: do not run it)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="K",
        help="accept this x-api-key in the emulator for this run (repeatable; shows in `ps`:"
        " prefer --api-key-file or $HOOKSCOPE_API_KEYS; Settings keeps keys for good)",
    )
    serve.add_argument(
        "--api-key-file",
        metavar="FILE",
        help="accept the keys in FILE, one a line (blank lines and # comments skipped)",
    )
    serve.add_argument(
        "--keep-captures",
        type=whole,
        metavar="N",
        help="keep at most N captures, deleting the oldest (starred ones are kept; 0: no limit;"
        " default: the saved setting, no limit unless set)",
    )
    serve.add_argument(
        "--keep-days",
        type=whole,
        metavar="D",
        help="delete captures older than D days (starred ones are kept; 0: no limit;"
        " default: the saved setting, no limit unless set)",
    )
    serve.add_argument(
        "--forward-to",
        action="append",
        default=[],
        metavar="URL",
        help="forward every capture to URL too, in the background (its path and query follow"
        " URL's path); for this run only, not stored: `hookscope forward add` keeps rules for good"
        " (repeatable)",
    )
    serve.set_defaults(run=cmd_serve)


def retention_overrides(args: argparse.Namespace) -> dict[str, int]:
    """--keep-captures and --keep-days as overrides of the saved retention, checked."""
    overrides = {
        name: value
        for name, value in (("max_captures", args.keep_captures), ("max_days", args.keep_days))
        if value is not None
    }
    problem = check_retention(overrides.get("max_captures", 0), overrides.get("max_days", 0))
    if problem:
        raise UserError(problem)
    return overrides


def cmd_serve(args: argparse.Namespace) -> int:
    from hookscope.engine import Engine  # aiohttp: loaded only by the commands that need it
    from hookscope.engine.config import DAMAGE

    overrides = ListenerOverrides.from_args(args)
    for url in args.forward_to:
        if problem := check_target_url(url):
            raise UsageError(f"The --forward-to URL {url!r} {problem}.")
    engine = Engine(
        directory(args),
        overrides=overrides.as_dict(),
        api_keys=serve_api_keys(args),
        retention=retention_overrides(args),
        forward_to=args.forward_to,
    )
    signals = StopSignals()
    signals.install()
    # The background check of a large store found it damaged: capture stopped; so does serve.
    engine.on_config(lambda kinds: signals.stop() if DAMAGE in kinds else None)
    try:
        engine.start()
        freeze_startup_objects()  # started: what lives on is left out of collections
        listener = engine.listener
        assert listener is not None
        # The address bound, even if the background check has stopped the listener since.
        print(f"listening on {listener.url}", flush=True)
        if engine.api_url:
            print(f"kardow api on {engine.api_url}", flush=True)
            if engine.api_key_state(None) == "unconfigured":
                print(
                    "hookscope: warning: the Kardow API emulator has no API key, so it answers"
                    " 401 to everything; pass --api-key KEY or add one in Settings.",
                    file=sys.stderr,
                    flush=True,
                )
        for url in args.forward_to:
            print(f"hookscope: forwarding every capture to {url} (this run only)", file=sys.stderr)
        for warning in engine.config.warnings:  # the damage is said once, as serve stops
            print(f"hookscope: warning: {warning}", file=sys.stderr, flush=True)
        if not is_loopback(listener.settings.host):
            print(
                f"hookscope: warning: listening on {listener.settings.host}: captures (and the "
                "secrets senders put in them) are exposed to the network.",
                file=sys.stderr,
                flush=True,
            )
        signals.wait()
    finally:
        engine.stop()
    if engine.damage:
        raise UserError(engine.damage)
    return 0


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
