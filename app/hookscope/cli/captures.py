"""`hookscope captures list | show | diff | reverify | export | import`: the captured requests."""

from __future__ import annotations

import argparse
import base64
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlite_utils import Database

from hookscope.cli.args import Commands, Parser, positive, subcommands
from hookscope.cli.common import UserError, directory
from hookscope.core import contentviews, export, search
from hookscope.core.forwarding import PROXY, ForwardState
from hookscope.core.harimport import IMPORT_LIMIT, HarError
from hookscope.core.model import (
    Capture,
    CaptureQuery,
    Credential,
    Target,
    iso_utc,
    verifying_secrets,
)
from hookscope.core.vault import VaultError
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage import forwards as forward_store
from hookscope.storage import private
from hookscope.storage import schemes as scheme_store
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.db import StoreError, failure, open_store
from hookscope.storage.keyfile import KeyFileError, load_vault
from hookscope.storage.paths import db_path, key_path

if TYPE_CHECKING:
    from hookscope.core.diff import CaptureDiff

# The engine (and aiohttp with it), the providers and the diff are loaded by the commands that
# use them: `captures list` and `show` start in a fraction of the time without them.


def register(commands: Commands, common: Parser) -> None:
    captures = commands.add_parser("captures", parents=[common], help="list and show captures")
    what = subcommands(captures, "action", "ACTION")
    listing = what.add_parser("list", parents=[common], help="list captures, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--limit", type=positive, default=50, help="at most N (default 50)")
    listing.add_argument(
        "--provider", help="a provider or scheme name (kardow, stripe, a custom one...), or none"
    )
    listing.add_argument("--verdict", help="verified, failed, unsigned, no-secret, ...")
    listing.add_argument("--method", help="HTTP method")
    listing.add_argument(
        "--search",
        default="",
        metavar="TEXT",
        help='text found anywhere in path, headers or body; "a phrase"; field filters on JSON'
        " bodies written path.to.field:value (e.g. data.status:active, items[0].id:7)",
    )
    listing.set_defaults(run=cmd_captures_list)
    show = what.add_parser("show", parents=[common], help="show one capture")
    show.add_argument("id", type=positive, metavar="ID")
    form = show.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the whole capture as JSON")
    form.add_argument("--body", action="store_true", help="write the raw body bytes to stdout")
    form.add_argument(
        "--view",
        choices=contentviews.CHOICES,
        help="show the body as pretty JSON or form fields, raw text, or a hex dump (bounded)",
    )
    show.set_defaults(run=cmd_captures_show)

    diff = what.add_parser(
        "diff",
        parents=[common],
        help="compare two captures (exit 0: the same request, 1: different, 2: trouble)",
    )
    diff.add_argument("a", type=positive, metavar="A", help="the first capture's id")
    diff.add_argument("b", type=positive, metavar="B", help="the second capture's id")
    diff.add_argument("--json", action="store_true", help="print the comparison as JSON")
    diff.set_defaults(run=cmd_captures_diff)

    reverify = what.add_parser(
        "reverify", parents=[common], help="verify stored captures again with today's secrets"
    )
    reverify.add_argument("ids", type=positive, nargs="*", metavar="ID", help="default: all")
    reverify.set_defaults(run=cmd_captures_reverify)

    export_parser = what.add_parser(
        "export", parents=[common], help="write captures as HAR, NDJSON or curl commands"
    )
    export_parser.add_argument("--format", required=True, choices=sorted(export.EXPORTERS))
    export_parser.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    export_parser.add_argument(
        "--base-url",
        metavar="URL",
        help="the URL captures are sent to in curl and HAR (default: their Host header)",
    )
    export_parser.add_argument(
        "ids", type=positive, nargs="*", metavar="ID", help="default: every capture, oldest first"
    )
    export_parser.set_defaults(run=cmd_captures_export)

    importing = what.add_parser(
        "import",
        parents=[common],
        help="store the requests of a HAR file as captures (verified like live ones)",
    )
    importing.add_argument("file", metavar="FILE.har", help="a HAR file (- reads stdin)")
    importing.set_defaults(run=cmd_captures_import)


def cmd_captures_list(args: argparse.Namespace) -> int:
    mistake = search.problem(args.search)
    if mistake is not None:
        raise UserError(mistake)
    query = CaptureQuery(
        provider=args.provider,
        verdict=args.verdict,
        method=args.method,
        search=args.search,
        limit=args.limit,
    )
    with open_store(directory(args), reading=True) as db:
        rows = capture_store.list_summaries(db, query)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], indent=2))
        return 0
    if not rows:
        print("No captures." if not _filtered(query) else "No captures match.")
        return 0
    print(
        f"{'ID':>6}  {'RECEIVED (UTC)':<23}  {'METHOD':<7} {'STATUS':>6} {'SIZE':>9}  "
        f"{'PROVIDER':<17} {'EVENT':<26} {'VERDICT':<9}  PATH"
    )
    for row in rows:
        target = row.path + (f"?{row.query}" if row.query else "")
        print(
            f"{row.id:>6}  {iso_utc(row.received_at)[:23]:<23}  {row.method:<7} "
            f"{row.response_status or '':>6} {row.body_size:>9}  {row.provider or '-':<17} "
            f"{(row.event or '-')[:26]:<26} {row.verdict:<9}  {target}"
        )
    return 0


def _filtered(query: CaptureQuery) -> bool:
    return bool(query.provider or query.verdict or query.method or query.search)


def cmd_captures_show(args: argparse.Namespace) -> int:
    with open_store(directory(args), reading=True) as db:
        capture = capture_store.get_capture(db, args.id)
        forwards = forward_store.forwards_of(db, [args.id]).get(args.id, [])
    if capture is None:
        raise UserError(f"No capture with id {args.id}.")
    if args.body:
        sys.stdout.flush()
        sys.stdout.buffer.write(capture.body)
        sys.stdout.buffer.flush()
        return 0
    if args.json:
        print(
            json.dumps(
                {**capture_json(capture), "forwards": [f.as_json() for f in forwards]}, indent=2
            )
        )
        return 0
    print(_describe(capture, args.view) + "".join(f"\n{_forward_line(f)}" for f in forwards))
    return 0


def _forward_line(state: ForwardState) -> str:
    forward, last = state.forward, state.last
    how = "proxied" if forward.mode == PROXY else "forwarded"
    outcome = "not sent yet" if last is None else f"{last.outcome} in {last.latency_ms:.0f} ms"
    tries = f" ({state.attempts} attempts)" if state.attempts > 1 else ""
    return terminal_safe(f"Forward {forward.id}: {how} to {forward.url}: {outcome}{tries}")


# `captures diff` exits as diff(1) does: the same request, different, trouble.
SAME, DIFFERENT, TROUBLE = 0, 1, 2


def cmd_captures_diff(args: argparse.Namespace) -> int:
    try:
        result = _compare(args)
    except (UserError, StoreError) as exc:
        print(f"hookscope: {exc}", file=sys.stderr)
        return TROUBLE
    except sqlite3.Error as exc:  # the store failed mid-command: damaged past the check, full
        print(f"hookscope: {failure(db_path(directory(args)), exc)}", file=sys.stderr)
        return TROUBLE
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        from hookscope.cli import capturediff

        print(terminal_safe(capturediff.render(result)))
    return SAME if result.identical else DIFFERENT


def _compare(args: argparse.Namespace) -> CaptureDiff:
    with open_store(directory(args), reading=True) as db:
        a = capture_store.get_capture(db, args.a)
        b = capture_store.get_capture(db, args.b) if args.b != args.a else a
    if a is None or b is None:
        missing = [str(i) for i, capture in ((args.a, a), (args.b, b)) if capture is None]
        raise UserError(f"No capture with id {' or '.join(dict.fromkeys(missing))}.")
    from hookscope.core.diff import compare

    return compare(a, b)


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
        "imported_from": capture.imported_from,
    }


def _text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _describe(capture: Capture, view: str | None = None) -> str:
    lines = [
        f"Capture {capture.id}  received {iso_utc(capture.received_at)} from {capture.remote}",
        f"{capture.method} {capture.target} HTTP/{capture.http_version}",
    ]
    if capture.imported_from is not None:
        lines.insert(1, f"Imported from {capture.imported_from} (not received live)")
    lines += [f"{name}: {value}" for name, value in capture.headers]
    lines.append("")
    text = _text(capture.body)
    if not capture.body:
        lines.append("(empty body)")
    elif view is not None:
        shown, note = contentviews.show(
            capture.body,
            capture.header("Content-Type") or "",
            view,
            truncated=capture.body_truncated,
        )
        lines.append(shown)
        if note:
            lines.append(f"({note})")
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
    return terminal_safe("\n".join(lines))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\udc80-\udcff]")


def terminal_safe(text: str) -> str:
    """Text a sender chose, safe to print to a terminal: control characters (an escape
    sequence could retitle the window, move the cursor or fake a prompt) and undecodable bytes
    are shown as escapes instead of being sent to the terminal."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char) - 0xDC00 if 0xDC80 <= ord(char) <= 0xDCFF else ord(char)
    return f"\\x{code:02x}"


def cmd_captures_reverify(args: argparse.Namespace) -> int:
    from hookscope.core.providers import Verifier

    folder = directory(args)
    with open_store(folder) as db:
        secrets = verifying_secrets(_credentials(db, folder), _targets(db, folder))
        schemes, skipped = scheme_store.usable_schemes(db)
        for reason in skipped:
            print(f"hookscope: warning: {reason}", file=sys.stderr)
        judge = Verifier(secrets, settings_store.provider_paths(db), schemes=schemes)
        counts = capture_store.update_verdicts(db, judge, args.ids or None)
    if args.ids and sum(counts.values()) < len(set(args.ids)):
        missing = len(set(args.ids)) - sum(counts.values())
        print(f"hookscope: {missing} of the given ids are not in the store.", file=sys.stderr)
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
    total = sum(counts.values())
    what = "1 capture" if total == 1 else f"{total} captures"
    print(f"re-verified {what}" + (f": {summary}" if summary else ""))
    return 0


def _credentials(db: Database, folder: Path) -> list[Credential]:
    try:
        return credential_store.load_with_key(db, key_path(folder))
    except (KeyFileError, VaultError) as exc:
        raise UserError(str(exc)) from exc


def _targets(db: Database, folder: Path) -> list[Target]:
    """The registered targets with their secrets (they verify what was fired to ourselves)."""
    if not target_store.has_secrets(db):
        return target_store.list_targets(db)
    try:
        return target_store.list_targets(db, load_vault(key_path(folder), create=False))
    except (KeyFileError, VaultError) as exc:
        raise UserError(str(exc)) from exc


def cmd_captures_import(args: argparse.Namespace) -> int:
    source: Path | bytes
    if args.file == "-":
        source, name = sys.stdin.buffer.read(IMPORT_LIMIT + 1), "standard input"
    else:
        source = Path(args.file)
        name = source.name
        if not source.exists():
            raise UserError(f"Cannot read {args.file}: no such file.")
        if source.is_dir():
            raise UserError(f"Cannot read {args.file}: it is a folder, not a HAR file.")
    from hookscope.engine import Engine

    engine = Engine(directory(args), watch=False)
    engine.start(listen=False)
    try:
        ids = engine.call(engine.import_har(source, name)).result()
    except HarError as exc:
        raise UserError(str(exc)) from exc
    finally:
        engine.stop()
    what = "1 capture" if len(ids) == 1 else f"{len(ids)} captures"
    print(f"imported {what}" + (f": #{ids[0]} to #{ids[-1]}" if ids else ""))
    return 0


def cmd_captures_export(args: argparse.Namespace) -> int:
    exporter = export.EXPORTERS[args.format]
    with open_store(directory(args), reading=True) as db:
        if args.ids:
            missing = [i for i in args.ids if capture_store.get_capture(db, i) is None]
            if missing:
                raise UserError(f"No capture with id {', '.join(map(str, missing))}.")
        captures = capture_store.iter_captures(db, args.ids or None)
        with _output(args.out) as out:
            for chunk in exporter(captures, args.base_url):
                out.write(chunk)
    if args.out:
        print(f"exported to {args.out}", file=sys.stderr)
    return 0


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        # Owner-only, even over a file left by an earlier run: captures hold personal data.
        with open(private.open_private(partial), "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        partial.replace(target)  # a failed export never leaves half a file under the real name
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
