"""The commands that reach out: targets, fire, replay, the delivery log, and export."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from hookscope.cliargs import Parser, UserError, positive, seconds, whole
from hookscope.core import catalogue, export, jsontext
from hookscope.core.fire import FireError, wire_headers
from hookscope.core.model import (
    TARGET_TYPES,
    Attempt,
    DeliveryQuery,
    Plan,
    SendPolicy,
    Target,
    iso_utc,
    utc_now,
)
from hookscope.core.providers import kardow, kudoz
from hookscope.core.registration import validate
from hookscope.engine import Engine, EngineError
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage import deliveries as delivery_store
from hookscope.storage import private
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import KeyFileError
from hookscope.storage.paths import data_dir, key_path
from hookscope.storage.targets import TargetError

SEND_TIMEOUT = 3600.0  # the policy bounds each request; this only stops a wedged engine


def add_sending_commands(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add `targets`, `fire`, `replay` and `deliveries` to the `hookscope` parser."""
    targets = commands.add_parser(
        "targets",
        parents=[common],
        help="the emulator's registry of webhook, Discord and Slack targets",
    )
    what = targets.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    what.required = True
    add = what.add_parser("add", parents=[common], help="subscribe a target to an event")
    add.add_argument(
        "--event", required=True, metavar="E", help="a Kardow event, or * for every event"
    )
    add.add_argument("--type", required=True, choices=TARGET_TYPES, dest="target_type")
    add.add_argument("--url", required=True, metavar="URL", help="where to send (http or https)")
    add.add_argument(
        "--secret", metavar="S", help="signs webhook deliveries (16+ characters); - reads stdin"
    )
    add.add_argument("--json", action="store_true", help="print the target as JSON")
    add.set_defaults(run=cmd_targets_add)
    listing = what.add_parser("list", parents=[common], help="list the targets")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=cmd_targets_list)
    for name, run, text in (
        ("remove", cmd_targets_remove, "remove a target"),
        ("enable", cmd_targets_enable, "send to a target again"),
        ("disable", cmd_targets_disable, "stop sending to a target (it stays registered)"),
    ):
        action = what.add_parser(name, parents=[common], help=text)
        action.add_argument("id", metavar="ID", help="the target's id, or its first characters")
        action.set_defaults(run=run)

    send = Parser(add_help=False)
    send.add_argument(
        "--data",
        metavar="FILE",
        help="a JSON object used as the event's data (- reads stdin); default: the template."
        " {{uuid}} {{int}} {{now}} {{unix}} {{date}} are filled fresh on each fire",
    )
    send.add_argument(
        "--retries", type=whole, metavar="N", help="retry a failed target N times (default 0)"
    )
    send.add_argument(
        "--timeout", type=seconds, metavar="S", help="seconds for a whole request (default 10)"
    )
    send.add_argument(
        "--connect-timeout", type=seconds, metavar="S", help="seconds to connect (default 5)"
    )
    send.add_argument(
        "--dry-run", action="store_true", help="print exactly what would be sent; send nothing"
    )
    send.add_argument("--json", action="store_true", help="print the results as JSON")

    fire = commands.add_parser(
        "fire", parents=[common], help="send a Kardow event to its targets, or a Kudoz callback"
    )
    provider = fire.add_subparsers(dest="provider", metavar="PROVIDER", parser_class=Parser)
    provider.required = True
    fire_kardow = provider.add_parser(
        "kardow",
        parents=[common, send],
        help="fan an event out to every enabled target subscribed to it or to *",
    )
    fire_kardow.add_argument("event", metavar="EVENT", help=", ".join(kardow.EVENTS))
    fire_kardow.add_argument(
        "--org-id", type=int, default=42, metavar="N", help="organization_id (default 42)"
    )
    fire_kardow.set_defaults(run=cmd_fire_kardow)
    fire_kudoz = provider.add_parser(
        "kudoz", parents=[common, send], help="send a callback signed with a Kudoz credential"
    )
    fire_kudoz.add_argument("kind", metavar="KIND", help=", ".join(kudoz.KINDS))
    fire_kudoz.add_argument("--to", required=True, metavar="URL", help="the callback URL")
    fire_kudoz.add_argument(
        "--credential", required=True, metavar="NAME", help="the stored Kudoz secret to sign with"
    )
    fire_kudoz.set_defaults(run=cmd_fire_kudoz)

    replay = commands.add_parser(
        "replay", parents=[common, send], help="send a captured request again"
    )
    replay.add_argument("id", type=positive, metavar="ID", help="the capture to send")
    replay.add_argument("--to", required=True, metavar="URL", help="where to send it")
    replay.add_argument(
        "--resign",
        action="store_true",
        help="sign it again (Kardow signature, or a fresh Kudoz token) instead of as captured",
    )
    replay.add_argument(
        "--credential",
        metavar="NAME",
        help="the stored secret to re-sign with (default: the one that verified it)",
    )
    replay.set_defaults(run=cmd_replay)

    deliveries = commands.add_parser(
        "deliveries", parents=[common], help="the log of everything fired and replayed"
    )
    log_what = deliveries.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    log_what.required = True
    log_list = log_what.add_parser("list", parents=[common], help="attempts, newest first")
    log_list.add_argument("--json", action="store_true", help="print a JSON array")
    log_list.add_argument("--limit", type=positive, default=50, help="at most N (default 50)")
    log_list.add_argument("--fire", metavar="ID", help="only the attempts of this fire")
    log_list.add_argument("--failed", action="store_true", help="only failed attempts")
    log_list.set_defaults(run=cmd_deliveries_list)
    log_show = log_what.add_parser("show", parents=[common], help="one attempt in full")
    log_show.add_argument("id", type=positive, metavar="ID")
    log_show.add_argument("--json", action="store_true")
    log_show.set_defaults(run=cmd_deliveries_show)


def add_export_command(what: argparse._SubParsersAction[Parser], common: Parser) -> None:
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


def _directory(args: argparse.Namespace) -> Path:
    return data_dir(getattr(args, "data_dir", None))


# -- targets ----------------------------------------------------------------------------------


def cmd_targets_add(args: argparse.Namespace) -> int:
    secret = args.secret
    if secret == "-":
        secret = sys.stdin.readline().rstrip("\r\n")
    registration = validate(
        {
            "event": args.event,
            "target_type": args.target_type,
            "target_url": args.url,
            "secret": secret,
        }
    )
    if isinstance(registration, dict):
        raise UserError(" ".join(f"--{_flag(name)} {why}." for name, why in registration.items()))
    directory = _directory(args)
    try:
        with open_store(directory) as db:
            vault = None
            if registration.secret:
                vault = credential_store.vault_for_new_secret(db, key_path(directory))
            target, created = target_store.register(db, registration, vault)
    except (TargetError, KeyFileError) as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(target.as_json(), indent=2))
    elif created:
        print(f"target {target.id} added: {_describe_target(target)}")
    else:
        print(f"target {target.id} already exists (unchanged): {_describe_target(target)}")
    if registration.secret and registration.target_type != "webhook":
        print("hookscope: warning: the secret is only used for webhook targets.", file=sys.stderr)
    return 0


def _flag(field: str) -> str:
    return {"target_type": "type", "target_url": "url"}.get(field, field)


def _describe_target(target: Target) -> str:
    signed = ", signed" if target.has_secret and target.target_type == "webhook" else ""
    state = "" if target.is_enabled else " (disabled)"
    return f"{target.event} -> {target.target_type} {target.target_url}{signed}{state}"


def cmd_targets_list(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        targets = target_store.list_targets(db)
    if args.json:
        print(json.dumps([target.as_json() for target in targets], indent=2))
        return 0
    if not targets:
        print("No targets. Add one with `hookscope targets add` or the Kardow API emulator.")
        return 0
    print(f"{'ID':<36}  {'ON':<3} {'EVENT':<28} {'TYPE':<8} {'SECRET':<6}  URL")
    for target in targets:
        print(
            f"{target.id:<36}  {'yes' if target.is_enabled else 'no':<3} {target.event:<28} "
            f"{target.target_type:<8} {'yes' if target.has_secret else '-':<6}  "
            f"{target.target_url}"
        )
    return 0


def _change_target(args: argparse.Namespace, verb: str, enabled: bool | None) -> int:
    with open_store(_directory(args)) as db:
        try:
            target_id = target_store.resolve(db, args.id)
        except TargetError as exc:
            raise UserError(str(exc)) from exc
        if enabled is None:
            target_store.remove(db, target_id)
        else:
            target_store.set_enabled(db, target_id, enabled)
    print(f"target {target_id} {verb}")
    return 0


def cmd_targets_remove(args: argparse.Namespace) -> int:
    return _change_target(args, "removed", None)


def cmd_targets_enable(args: argparse.Namespace) -> int:
    return _change_target(args, "enabled", True)


def cmd_targets_disable(args: argparse.Namespace) -> int:
    return _change_target(args, "disabled", False)


# -- fire and replay --------------------------------------------------------------------------


# As large as a capture may be by default: bigger is no event data, and reading it whole would
# only use up memory.
DATA_LIMIT = 25 * 1024 * 1024


def _read_data(path: str | None) -> Any:
    """The --data JSON object, read and checked; None when no file was given."""
    if path is None:
        return None
    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(DATA_LIMIT + 1)
        else:
            with Path(path).open("rb") as handle:
                raw = handle.read(DATA_LIMIT + 1)
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(raw) > DATA_LIMIT:
        raise UserError(f"{where} is over the {DATA_LIMIT // (1024 * 1024)} MB limit for --data.")
    try:
        data = jsontext.parse(raw, where)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if not isinstance(data, dict):
        raise UserError("--data must hold a JSON object (the event's data).")
    return data


def _policy(args: argparse.Namespace, saved: SendPolicy) -> SendPolicy:
    # Manual fires do not retry unless asked to, whatever the saved policy says.
    policy = replace(saved, retries=args.retries or 0)
    if args.timeout is not None:
        policy = replace(policy, total_timeout=args.timeout)
    if args.connect_timeout is not None:
        policy = replace(policy, connect_timeout=args.connect_timeout)
    return policy


@contextmanager
def _engine(args: argparse.Namespace) -> Iterator[Engine]:
    """An engine without listeners: the one writer logs the attempts."""
    engine = Engine(_directory(args))
    engine.start(listen=False)
    try:
        yield engine
    finally:
        engine.stop()


def _fill(data: Any, provider: str, event: str) -> Any:
    try:
        source = data if data is not None else catalogue.template(provider, event).data
    except catalogue.CatalogueError as exc:
        raise UserError(str(exc)) from exc
    return catalogue.fill(source, now=utc_now())


def cmd_fire_kardow(args: argparse.Namespace) -> int:
    data = _fill(_read_data(args.data), "kardow", args.event)
    with _engine(args) as engine:
        plan = _plan(engine, engine.plan_kardow(args.event, data, args.org_id))
        return _send(engine, plan, args)


def cmd_fire_kudoz(args: argparse.Namespace) -> int:
    data = _fill(_read_data(args.data), "kudoz", args.kind)
    with _engine(args) as engine:
        plan = _plan(engine, engine.plan_kudoz(args.kind, data, args.to, args.credential))
        return _send(engine, plan, args)


def cmd_replay(args: argparse.Namespace) -> int:
    if args.credential and not args.resign:
        raise UserError("--credential only applies with --resign.")
    body = None
    if args.data is not None:
        body = jsontext.dumps_utf8(_read_data(args.data))
    with _engine(args) as engine:
        plan = _plan(
            engine,
            engine.plan_replay(
                args.id, args.to, resign=args.resign, credential=args.credential, body=body
            ),
        )
        return _send(engine, plan, args)


def _plan(engine: Engine, planning: Any) -> Plan:
    try:
        plan: Plan = engine.call(planning).result(60)
    except (FireError, EngineError) as exc:
        raise UserError(str(exc)) from exc
    return plan


def _send(engine: Engine, plan: Plan, args: argparse.Namespace) -> int:
    for problem in plan.problems:
        print(f"hookscope: {problem}", file=sys.stderr)
    if args.dry_run:
        print(preview_text(plan), end="")
        return 0 if plan.requests else 1
    if not plan.requests:
        return 1
    policy = _policy(args, engine.call(engine.send_policy()).result(30))
    attempts = engine.call(engine.send(plan, policy)).result(SEND_TIMEOUT)
    if args.json:
        print(json.dumps([attempt_json(a) for a in attempts], indent=2))
    else:
        for attempt in attempts:
            print(_attempt_line(attempt))
    failed = sum(not a.ok for a in attempts)
    if failed:
        print(
            f"hookscope: {failed} of {len(attempts)} deliveries failed"
            f" (`hookscope deliveries list --fire {plan.fire_id}`).",
            file=sys.stderr,
        )
        return 1
    return 0


def preview_text(plan: Plan) -> str:
    """Every request of a plan as it will go out: request line, headers, body."""
    parts: list[str] = []
    for request in plan.requests:
        lines = [f"# {request.kind}: {request.note}", f"{request.method} {request.url}"]
        lines += [f"{name}: {value}" for name, value in wire_headers(request)]
        lines += ["", request.body.decode("utf-8", "replace"), ""]
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def _attempt_line(attempt: Attempt) -> str:
    mark = "ok  " if attempt.ok else "FAIL"
    request = attempt.request
    tries = f" after {attempt.number} tries" if attempt.number > 1 else ""
    return (
        f"{mark} {request.kind:<8} {request.url}  {attempt.outcome}{tries}"
        f"  {attempt.latency_ms:.0f} ms"
    )


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    request = attempt.request
    return {
        "id": attempt.id,
        "fire_id": attempt.fire_id,
        "attempt": attempt.number,
        "final": attempt.final,
        "started_at": iso_utc(attempt.started_at),
        "kind": request.kind,
        "target_id": request.target_id,
        "event": request.event,
        "method": request.method,
        "url": request.url,
        "note": request.note,
        "replay_of": request.replay_of,
        "ok": attempt.ok,
        "outcome": attempt.outcome,
        "status": attempt.status,
        "error": attempt.error,
        "latency_ms": round(attempt.latency_ms, 3),
        "request_headers": [list(pair) for pair in request.headers],
        "request_body": _text(request.body),
        "response_headers": [list(pair) for pair in attempt.response_headers],
        "response_body": _text(attempt.response_body),
        "response_truncated": attempt.response_truncated,
    }


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


# -- the delivery log -------------------------------------------------------------------------


def cmd_deliveries_list(args: argparse.Namespace) -> int:
    query = DeliveryQuery(fire_id=args.fire, failed=args.failed, limit=args.limit)
    with open_store(_directory(args)) as db:
        attempts = delivery_store.list_attempts(db, query)
    if args.json:
        print(json.dumps([attempt_json(a) for a in attempts], indent=2))
        return 0
    if not attempts:
        print("No deliveries yet." if query == DeliveryQuery(limit=args.limit) else "None match.")
        return 0
    for attempt in attempts:
        print(f"{attempt.id:>6}  {iso_utc(attempt.started_at)[:19]}Z  {_attempt_line(attempt)}")
    return 0


def cmd_deliveries_show(args: argparse.Namespace) -> int:
    with open_store(_directory(args)) as db:
        attempt = delivery_store.get_attempt(db, args.id)
    if attempt is None:
        raise UserError(f"No delivery attempt with id {args.id}.")
    if args.json:
        print(json.dumps(attempt_json(attempt), indent=2))
        return 0
    request = attempt.request
    lines = [
        f"Attempt {attempt.id} (try {attempt.number}) of fire {attempt.fire_id}",
        f"{attempt.outcome} in {attempt.latency_ms:.0f} ms",
        "",
        f"{request.method} {request.url}",
        *(f"{name}: {value}" for name, value in request.headers),
        "",
        _text(request.body),
        "",
    ]
    if attempt.status is not None:
        lines += [f"HTTP {attempt.status}"]
        lines += [f"{name}: {value}" for name, value in attempt.response_headers]
        lines += ["", _text(attempt.response_body)]
        if attempt.response_truncated:
            lines.append(f"(answer cut at {len(attempt.response_body)} bytes)")
    print("\n".join(lines))
    return 0


# -- export -----------------------------------------------------------------------------------


def cmd_captures_export(args: argparse.Namespace) -> int:
    exporter = export.EXPORTERS[args.format]
    with open_store(_directory(args)) as db:
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
