"""Settings and response rules: small tables any process may write (the engine reloads)."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any, TypeVar

from sqlite_utils import Database

from hookscope.core.model import ListenerSettings, ResponseRule, RetentionPolicy, SendPolicy
from hookscope.storage.captures import headers_from_json, headers_json
from hookscope.storage.db import write_transaction

LISTENER_PREFIX = "listener."
SENDER_PREFIX = "sender."
RETENTION_PREFIX = "retention."
T = TypeVar("T")


def get_setting(db: Database, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return json.loads(row[0]) if row else default


def set_setting(db: Database, key: str, value: Any) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )


def _load(db: Database, prefix: str, defaults: T) -> T:
    """Saved fields over `defaults`; a value of the wrong type (a hand edit) is ignored."""
    saved: dict[str, Any] = {}
    for f in fields(defaults):  # type: ignore[arg-type]
        value = get_setting(db, prefix + f.name)
        kind = type(getattr(defaults, f.name))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, kind) and not isinstance(value, bool):
            saved[f.name] = value
    return replace(defaults, **saved)  # type: ignore[type-var]


def _save(db: Database, prefix: str, values: Any) -> None:
    with write_transaction(db):
        for f in fields(values):
            set_setting(db, prefix + f.name, getattr(values, f.name))


def load_listener_settings(db: Database) -> ListenerSettings:
    """The saved listener settings, with defaults for anything never saved."""
    return _load(db, LISTENER_PREFIX, ListenerSettings())


def save_listener_settings(db: Database, settings: ListenerSettings) -> None:
    _save(db, LISTENER_PREFIX, settings)


def load_send_policy(db: Database) -> SendPolicy:
    """Timeouts and retries for fires and replays (retries off unless the user turned them on)."""
    return _load(db, SENDER_PREFIX, SendPolicy())


def save_send_policy(db: Database, policy: SendPolicy) -> None:
    _save(db, SENDER_PREFIX, policy)


def load_retention(db: Database) -> RetentionPolicy:
    """How many captures to keep and for how long (`retention.max_captures`, `.max_days`)."""
    policy = _load(db, RETENTION_PREFIX, RetentionPolicy())
    # A negative number (a hand edit) means no limit, like 0.
    return RetentionPolicy(max(0, policy.max_captures), max(0, policy.max_days))


def save_retention(db: Database, policy: RetentionPolicy) -> None:
    _save(db, RETENTION_PREFIX, policy)


def list_rules(db: Database) -> list[ResponseRule]:
    return [
        ResponseRule(
            id=row["id"],
            position=row["position"],
            pattern=row["pattern"],
            method=row["method"],
            status=row["status"],
            headers=headers_from_json(row["headers"]),
            body=row["body"],
            delay_ms=row["delay_ms"],
            enabled=bool(row["enabled"]),
        )
        for row in db.table("rules").rows_where(order_by="position, id")
    ]


def save_rule(db: Database, rule: ResponseRule) -> int:
    """Insert or update a rule; returns its id."""
    row = {
        "position": rule.position,
        "pattern": rule.pattern,
        "method": rule.method.upper() if rule.method else None,
        "status": rule.status,
        "headers": headers_json(rule.headers),
        "body": rule.body,
        "delay_ms": rule.delay_ms,
        "enabled": int(rule.enabled),
    }
    table = db.table("rules")
    with write_transaction(db):
        if rule.id is None:
            table.insert(row)
            assert table.last_pk is not None
            return int(table.last_pk)
        table.update(rule.id, row)
        return rule.id


def delete_rule(db: Database, rule_id: int) -> bool:
    with write_transaction(db):
        cursor = db.execute("DELETE FROM rules WHERE id = ?", [rule_id])
        return cursor.rowcount > 0


PROVIDER_PATHS = "provider_paths"


def provider_paths(db: Database) -> dict[str, str]:
    """The user's per-path provider overrides: path glob -> provider name."""
    value = get_setting(db, PROVIDER_PATHS, {})
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def set_provider_path(db: Database, pattern: str, provider: str | None) -> None:
    """Set (or with None, clear) the provider assumed for paths matching `pattern`."""
    with write_transaction(db):  # read and write in one: another process's change is kept
        paths = provider_paths(db)
        if provider is None:
            paths.pop(pattern, None)
        else:
            paths[pattern] = provider
        set_setting(db, PROVIDER_PATHS, paths)


def config_revision(db: Database) -> int:
    """Moves whenever rules, settings or secrets change, from any process: the reload cue."""
    (revision,) = db.execute("SELECT n FROM config_revision").fetchone()
    return int(revision)
