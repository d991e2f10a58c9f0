"""The `hookscope` command: argument parsing and the commands of DESIGN.md's CLI contract."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from hookscope import __version__
from hookscope.cliargs import Parser, UserError, port_number, positive, serve_api_keys
from hookscope.commands import add_export_command, add_sending_commands
from hookscope.core.model import (
    PROVIDERS,
    Capture,
    CaptureQuery,
    Credential,
    ResponseRule,
    iso_utc,
)
from hookscope.core.providers import Verifier
from hookscope.core.providers.kudoz import check_template
from hookscope.core.rules import check_rule
from hookscope.core.vault import VaultError
from hookscope.engine import Engine, EngineError
from hookscope.net.capture_server import is_loopback
from hookscope.stopsignals import StopSignals
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage import private
from hookscope.storage import settings as settings_store
from hookscope.storage.credentials import CredentialError
from hookscope.storage.db import StoreError, failure, open_store
from hookscope.storage.keyfile import KeyFileError
from hookscope.storage.paths import data_dir, db_path, key_path

Command = Callable[[argparse.Namespace], int]


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
    for action in listen._actions:
        parser._add_action(action)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    gui = commands.add_parser(
        "gui",
        parents=[common, listen],
        help="open the desktop window (the default with no command)",
    )
    gui.set_defaults(run=cmd_gui)

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
    serve.set_defaults(run=cmd_serve)

    captures = commands.add_parser("captures", parents=[common], help="list and show captures")
    what = captures.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    what.required = True
    listing = what.add_parser("list", parents=[common], help="list captures, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--limit", type=positive, default=50, help="at most N (default 50)")
    listing.add_argument("--provider", help="kardow, kudoz, or none")
    listing.add_argument("--verdict", help="verified, failed, unsigned, no-secret, ...")
    listing.add_argument("--method", help="HTTP method")
    listing.add_argument("--search", default="", help="full-text words (path, headers, body)")
    listing.set_defaults(run=cmd_captures_list)
    show = what.add_parser("show", parents=[common], help="show one capture")
    show.add_argument("id", type=positive, metavar="ID")
    form = show.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the whole capture as JSON")
    form.add_argument("--body", action="store_true", help="write the raw body bytes to stdout")
    show.set_defaults(run=cmd_captures_show)

    reverify = what.add_parser(
        "reverify", parents=[common], help="verify stored captures again with today's secrets"
    )
    reverify.add_argument("ids", type=positive, nargs="*", metavar="ID", help="default: all")
    reverify.set_defaults(run=cmd_captures_reverify)
    add_export_command(what, common)

    secrets = commands.add_parser(
        "secrets", parents=[common], help="Kardow secrets and Kudoz credentials (stored encrypted)"
    )
    secret_what = secrets.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    secret_what.required = True
    secret_add = secret_what.add_parser("add", parents=[common], help="store a secret")
    provider = secret_add.add_subparsers(dest="provider", metavar="PROVIDER", parser_class=Parser)
    provider.required = True
    add_kardow = provider.add_parser(
        "kardow", parents=[common], help="a Kardow webhook secret (X-Kardow-Signature)"
    )
    add_kardow.add_argument("name", metavar="NAME")
    add_kardow.add_argument(
        "--secret", required=True, metavar="S", help="the secret; - reads it from standard input"
    )
    add_kardow.set_defaults(run=cmd_secrets_add)
    add_kudoz = provider.add_parser(
        "kudoz", parents=[common], help="a Kudoz API key and secret (Authorization: TOKEN)"
    )
    add_kudoz.add_argument("name", metavar="NAME")
    add_kudoz.add_argument("--api-key", required=True, metavar="K")
    add_kudoz.add_argument(
        "--api-secret", required=True, metavar="S", help="the secret; - reads it from stdin"
    )
    add_kudoz.add_argument(
        "--template",
        metavar="T",
        help="the signed string (default {api_key}:{uuid}:{timestamp}); \\n is a newline; "
        "placeholders: {api_key} {uuid} {timestamp} {method} {path} {body} {body_sha256}",
    )
    add_kudoz.set_defaults(run=cmd_secrets_add)
    secret_list = secret_what.add_parser(
        "list", parents=[common], help="list stored secrets (never their values)"
    )
    secret_list.add_argument("--json", action="store_true")
    secret_list.set_defaults(run=cmd_secrets_list)
    secret_remove = secret_what.add_parser("remove", parents=[common], help="remove a secret")
    secret_remove.add_argument("name", metavar="NAME")
    secret_remove.set_defaults(run=cmd_secrets_remove)

    paths = commands.add_parser(
        "paths", parents=[common], help="assume a provider for paths it cannot be told from"
    )
    path_what = paths.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    path_what.required = True
    path_set = path_what.add_parser("set", parents=[common], help="assume PROVIDER for GLOB")
    path_set.add_argument("pattern", metavar="GLOB")
    path_set.add_argument("provider", choices=PROVIDERS, metavar="PROVIDER")
    path_set.set_defaults(run=cmd_paths_set)
    path_clear = path_what.add_parser("clear", parents=[common], help="drop the assumption")
    path_clear.add_argument("pattern", metavar="GLOB")
    path_clear.set_defaults(run=cmd_paths_clear)
    path_list = path_what.add_parser("list", parents=[common], help="list path assumptions")
    path_list.set_defaults(run=cmd_paths_list)

    rules = commands.add_parser(
        "rules", parents=[common], help="how the listener answers (status, headers, body, delay)"
    )
    rule_what = rules.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    rule_what.required = True
    rules_list = rule_what.add_parser("list", parents=[common], help="list the response rules")
    rules_list.add_argument("--json", action="store_true")
    rules_list.set_defaults(run=cmd_rules_list)
    add = rule_what.add_parser("add", parents=[common], help="add a rule (first match answers)")
    add.add_argument("pattern", help="path glob, e.g. /kardow/* (* matches every path)")
    add.add_argument("--method", help="only for this HTTP method")
    add.add_argument("--status", type=int, default=200)
    add.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="response header"
    )
    add.add_argument(
        "--body", default=None, help="response body; {capture_id} is replaced by the capture's id"
    )
    add.add_argument("--delay-ms", type=int, default=0)
    add.add_argument("--position", type=int, default=0, help="lower positions match first")
    add.set_defaults(run=cmd_rules_add)
    remove = rule_what.add_parser("remove", parents=[common], help="remove a rule")
    remove.add_argument("id", type=positive, metavar="ID")
    remove.set_defaults(run=cmd_rules_remove)
    add_sending_commands(commands, common)

    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="write a consistent copy of the store to FILE (safe while Hookscope runs)",
    )
    backup.add_argument("file", metavar="FILE", help="the copy to write (must not exist)")
    backup.set_defaults(run=cmd_backup)

    check = commands.add_parser(
        "selfcheck",
        parents=[common],
        help="prove this install works: resources, store, listener, verification, emulator",
    )
    check.add_argument(
        "--gui", action="store_true", help="also build and draw the window (offscreen works)"
    )
    check.set_defaults(run=cmd_selfcheck)

    bench = commands.add_parser(
        "bench", parents=[common], help="measure capture throughput and ack latency"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--gui",
        action="store_true",
        help="measure the window instead: event-loop lag and list latency at 500 req/s",
    )
    bench.add_argument(
        "--hostile",
        action="store_true",
        help="measure attacks instead: deliveries during a slow-loris flood, memory under"
        " 40 concurrent 24 MiB uploads (about a minute)",
    )
    # Run the hostile measurement against another checkout's serve (its app folder), for
    # a before/after comparison with the same client.
    bench.add_argument("--serve-pythonpath", default=None, help=argparse.SUPPRESS)
    bench.add_argument("--requests", type=positive, default=4000, help=argparse.SUPPRESS)
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Command = args.run if args.command is not None else cmd_gui
    # Captures hold personal data: whatever this run creates (store, WAL, exports, backups,
    # key) is owner-only, and what an older version left readable by others is tightened.
    previous = os.umask(private.UMASK)
    try:
        if tightened := private.tighten(_directory(args)):
            print(f"hookscope: {tightened}", file=sys.stderr)
        return run(args)
    except (UserError, StoreError, EngineError) as exc:
        print(f"hookscope: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # the store failed mid-command: damaged past the check, full
        print(f"hookscope: {failure(db_path(_directory(args)), exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `hookscope captures list | head`
        sys.stderr.close()
        return 0
    finally:
        os.umask(previous)


def _directory(args: argparse.Namespace) -> Path:
    return data_dir(getattr(args, "data_dir", None))


def cmd_gui(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None) is not None:
        overrides["host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    if getattr(args, "api_port", None) is not None:
        overrides["api_port"] = args.api_port
    # Imported here: the headless commands never load Qt.
    from hookscope.ui.app import run

    return run(_directory(args), overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.api_port is not None:
        overrides["api_port"] = args.api_port
    engine = Engine(_directory(args), overrides=overrides, api_keys=serve_api_keys(args))
    signals = StopSignals()
    signals.install()
    try:
        engine.start()
        listener = engine.listener
        assert listener is not None
        print(f"listening on {engine.url}", flush=True)
        if engine.api_url:
            print(f"kardow api on {engine.api_url}", flush=True)
            if engine.api_key_state(None) == "unconfigured":
                print(
                    "hookscope: warning: the Kardow API emulator has no API key, so it answers"
                    " 401 to everything; pass --api-key KEY or add one in Settings.",
                    file=sys.stderr,
                    flush=True,
                )
        for warning in engine.warnings:
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
    return 0


def cmd_captures_list(args: argparse.Namespace) -> int:
    query = CaptureQuery(
        provider=args.provider,
        verdict=args.verdict,
        method=args.method,
        search=args.search,
        limit=args.limit,
    )
    with open_store(_directory(args)) as db:
        rows = capture_store.list_summaries(db, query)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], indent=2))
        return 0
    if not rows:
        print("No captures." if not _filtered(query) else "No captures match.")
        return 0
    print(
        f"{'ID':>6}  {'RECEIVED (UTC)':<23}  {'METHOD':<7} {'STATUS':>6} {'SIZE':>9}  "
        f"{'PROVIDER':<8} {'EVENT':<26} {'VERDICT':<9}  PATH"
    )
    for row in rows:
        target = row.path + (f"?{row.query}" if row.query else "")
        print(
            f"{row.id:>6}  {iso_utc(row.received_at)[:23]:<23}  {row.method:<7} "
            f"{row.response_status or '':>6} {row.body_size:>9}  {row.provider or '-':<8} "
            f"{(row.event or '-')[:26]:<26} {row.verdict:<9}  {target}"
        )
    return 0


def _filtered(query: CaptureQuery) -> bool:
    return bool(query.provider or query.verdict or query.method or query.search)


def cmd_captures_show(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        capture = capture_store.get_capture(db, args.id)
    if capture is None:
        raise UserError(f"No capture with id {args.id}.")
    if args.body:
        sys.stdout.flush()
        sys.stdout.buffer.write(capture.body)
        sys.stdout.buffer.flush()
        return 0
    if args.json:
        print(json.dumps(capture_json(capture), indent=2))
        return 0
    print(_describe(capture))
    return 0


def capture_json(capture: Capture) -> dict[str, Any]:
    """The whole capture as JSON: the body as base64 (exact) and as text when it is UTF-8."""
    response = capture.response
    return {
        **capture.summary().as_json(),
        "http_version": capture.http_version,
        "headers": [list(pair) for pair in capture.headers],
        "body_base64": base64.b64encode(capture.body).decode("ascii"),
        "body_text": _text(capture.body),
        "checks": [
            {"step": c.step, "outcome": c.outcome, "ok": c.ok} for c in capture.verdict.checks
        ],
        "response": None
        if response is None
        else {
            "status": response.status,
            "headers": [list(pair) for pair in response.headers],
            "body_text": _text(response.body),
        },
        "replay_of": capture.replay_of,
    }


def _text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _describe(capture: Capture) -> str:
    lines = [
        f"Capture {capture.id}  received {iso_utc(capture.received_at)} from {capture.remote}",
        f"{capture.method} {capture.target} HTTP/{capture.http_version}",
    ]
    lines += [f"{name}: {value}" for name, value in capture.headers]
    lines.append("")
    text = _text(capture.body)
    if not capture.body:
        lines.append("(empty body)")
    elif text is None:
        lines.append(f"({capture.body_size} bytes of binary body; use --body to get them)")
    else:
        lines.append(text)
    if capture.body_truncated:
        lines.append(f"(body cut at {capture.body_size} bytes: the request was refused)")
    lines.append("")
    lines.append(f"Verdict: {capture.verdict.verdict} - {capture.verdict.detail}")
    if capture.response:
        lines.append(f"Answered: {capture.response.status}")
    return "\n".join(lines)


def cmd_captures_reverify(args: argparse.Namespace) -> int:
    directory = _directory(args)
    with open_store(directory) as db:
        credentials = _credentials(db, directory)
        judge = Verifier(credentials, settings_store.provider_paths(db))
        counts = capture_store.update_verdicts(db, judge, args.ids or None)
    if args.ids and sum(counts.values()) < len(set(args.ids)):
        missing = len(set(args.ids)) - sum(counts.values())
        print(f"hookscope: {missing} of the given ids are not in the store.", file=sys.stderr)
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
    print(f"re-verified {sum(counts.values())} captures" + (f": {summary}" if summary else ""))
    return 0


def _credentials(db: Database, directory: Path) -> list[Credential]:
    try:
        return credential_store.load_with_key(db, key_path(directory))
    except (KeyFileError, VaultError) as exc:
        raise UserError(str(exc)) from exc


def _read_secret(value: str, what: str) -> str:
    if value == "-":
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise UserError(f"The {what} is empty.")
    return value


def cmd_secrets_add(args: argparse.Namespace) -> int:
    directory = _directory(args)
    if not args.name.strip():
        raise UserError("The name is empty.")
    if args.provider == "kardow":
        secret = _read_secret(args.secret, "secret")
        credential = Credential("kardow", args.name, secret)
        if len(secret) < 16:
            print(
                "hookscope: warning: Kardow requires secrets of at least 16 characters; "
                "stored anyway.",
                file=sys.stderr,
            )
    else:
        template = None
        if args.template is not None:
            template = args.template.replace("\\n", "\n")
            problem = check_template(template)
            if problem:
                raise UserError(problem)
            if "{uuid}" not in template or "{timestamp}" not in template:
                print(
                    "hookscope: warning: a template without {uuid} and {timestamp} leaves "
                    "the token open to replays.",
                    file=sys.stderr,
                )
        if not args.api_key.strip() or ":" in args.api_key:
            raise UserError("The API key must be non-empty and contain no colon.")
        credential = Credential(
            "kudoz", args.name, _read_secret(args.api_secret, "API secret"), args.api_key, template
        )
    try:
        with open_store(directory) as db:
            vault = credential_store.vault_for_new_secret(db, key_path(directory))
            credential_store.add_credential(db, vault, credential)
    except (CredentialError, KeyFileError) as exc:
        raise UserError(str(exc)) from exc
    print(f"{credential.provider} secret {credential.name!r} stored (encrypted)")
    return 0


def cmd_secrets_list(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        stored = credential_store.list_credentials(db)
    if args.json:
        print(json.dumps([info.as_json() for info in stored], indent=2))
        return 0
    if not stored:
        print("No secrets stored.")
    for info in stored:
        extra = f"  api key {info.api_key}" if info.api_key else ""
        if info.template:
            extra += "  template " + info.template.replace("\n", "\\n")
        print(f"{info.provider:<7} {info.name}{extra}  (added {iso_utc(info.created_at)[:19]}Z)")
    return 0


def cmd_secrets_remove(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        removed = credential_store.remove_credential(db, args.name)
    if not removed:
        raise UserError(f"No secret named {args.name!r}.")
    print(f"secret {args.name!r} removed")
    return 0


def cmd_paths_set(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        settings_store.set_provider_path(db, args.pattern, args.provider)
    print(f"paths matching {args.pattern} are assumed to be {args.provider}")
    return 0


def cmd_paths_clear(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        if args.pattern not in settings_store.provider_paths(db):
            raise UserError(f"No assumption for {args.pattern}.")
        settings_store.set_provider_path(db, args.pattern, None)
    print(f"no provider assumed for {args.pattern}")
    return 0


def cmd_paths_list(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        paths = settings_store.provider_paths(db)
    if not paths:
        print("No path assumptions: providers are recognised by headers and body shape.")
    for pattern, provider in paths.items():
        print(f"{pattern}  ->  {provider}")
    return 0


def cmd_rules_list(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        rules = settings_store.list_rules(db)
    if args.json:
        print(json.dumps([_rule_json(r) for r in rules], indent=2))
        return 0
    if not rules:
        print('No rules: every request is answered 200 {"ok": true, "capture_id": N}.')
    for r in rules:
        state = "" if r.enabled else " (disabled)"
        print(
            f"{r.id:>4}  #{r.position:<3} {r.method or '*':<7} {r.pattern}  -> {r.status}"
            f"{f' after {r.delay_ms} ms' if r.delay_ms else ''}{state}"
        )
    return 0


def _rule_json(rule: ResponseRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "position": rule.position,
        "pattern": rule.pattern,
        "method": rule.method,
        "status": rule.status,
        "headers": [list(h) for h in rule.headers],
        "body": rule.body,
        "delay_ms": rule.delay_ms,
        "enabled": rule.enabled,
    }


def cmd_rules_add(args: argparse.Namespace) -> int:
    headers: list[tuple[str, str]] = []
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            raise UserError(f"--header {item!r} is not NAME:VALUE.")
        headers.append((name.strip(), value.strip()))
    default = ResponseRule(pattern=args.pattern)
    rule = ResponseRule(
        pattern=args.pattern,
        method=args.method,
        status=args.status,
        headers=tuple(headers) if headers else default.headers,
        body=default.body if args.body is None else args.body,
        delay_ms=args.delay_ms,
        position=args.position,
    )
    problem = check_rule(rule)
    if problem:
        raise UserError(problem)
    with open_store(_directory(args)) as db:
        rule_id = settings_store.save_rule(db, rule)
    print(f"rule {rule_id} added")
    return 0


def cmd_rules_remove(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        removed = settings_store.delete_rule(db, args.id)
    if not removed:
        raise UserError(f"No rule with id {args.id}.")
    print(f"rule {args.id} removed")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    directory = _directory(args)
    target = Path(args.file)
    if target.exists():
        raise UserError(f"{target} already exists; choose a new file name.")
    if not db_path(directory).exists():
        raise UserError(f"There is no store in {directory} to back up.")
    partial = target.with_name(target.name + ".part")
    try:
        os.close(private.open_private(partial))  # owner-only and empty, even if it was left over
        with open_store(directory) as db, sqlite3.connect(partial) as copy:
            # SQLite's online backup: a consistent snapshot while the engine keeps writing.
            db.conn.backup(copy)
        copy.close()
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"Cannot write {target}: {exc}") from exc
    print(f"store copied to {target}")
    key = key_path(directory)
    if key.exists():
        print(
            f"the secrets key is not in the copy: keep {key} safely and separately; without it "
            "the stored secrets cannot be read, and with it anyone holding both can read them."
        )
    return 0


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


def gui_main() -> int:
    """The console-less launcher (`hookscope-gui`): the desktop app, errors in a dialog."""
    return main(["gui", *sys.argv[1:]])


def cmd_bench(args: argparse.Namespace) -> int:
    if getattr(sys, "frozen", False):
        raise UserError(
            "bench starts Python load generators, which a bundle does not carry; run it from "
            "a pip or pipx install."
        )
    if args.gui:
        from hookscope.ui import benchgui  # Qt, only for this measurement

        if not args.json:
            print("measuring the window (about ten seconds)...", file=sys.stderr, flush=True)
        print(benchgui.report(benchgui.run(), args.json))
        return 0
    if args.hostile:
        from hookscope import benchhostile

        if not args.json:
            print("measuring attacks (about a minute)...", file=sys.stderr, flush=True)
        result = benchhostile.run(args.serve_pythonpath)
        print(benchhostile.report(result, args.json))
        return 0
    from hookscope import bench  # imported here: it is only needed for this command

    if not args.json:
        print("measuring (about half a minute)...", file=sys.stderr, flush=True)
    print(bench.report(bench.run(requests=args.requests), args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
