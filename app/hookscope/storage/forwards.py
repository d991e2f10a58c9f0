"""Forward rules and forwards: where captures are sent on to, and how each went.

A forward is stored in its capture's commit (`insert_forwards`, by the writer); its attempts are
rows of the delivery log carrying its id. What became of a forward is its last attempt: none
yet means it was not sent (the engine stopped or was killed first).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from hookscope.core.forwarding import Forward, ForwardRule, ForwardState
from hookscope.core.http import Response
from hookscope.core.model import iso_utc, parse_iso_utc
from hookscope.storage.captures import headers_json
from hookscope.storage.db import text_param, write_transaction
from hookscope.storage.deliveries import attempts_of, light_attempts_of

RULE_COLUMNS = "id, position, pattern, url, mode, provider, event, strip_prefix, resign, enabled"
FORWARD_COLUMNS = "f.id, f.capture_id, f.rule_id, f.url, f.mode, f.resign, f.created_at"
# A forward's last attempt, and how many it had, beside the forward itself.
_STATE = (
    f"SELECT {FORWARD_COLUMNS},"
    " (SELECT max(d.id) FROM deliveries d WHERE d.forward_id = f.id),"
    " (SELECT count(*) FROM deliveries d WHERE d.forward_id = f.id)"
    " FROM forwards f"
)
# The last attempt failed (or there is none): what `forward retry --failed` sends again.
_FAILED = (
    "(last.id IS NULL OR last.error IS NOT NULL OR last.status IS NULL"
    " OR last.status < 200 OR last.status >= 300)"
)
_WITH_LAST = (
    " LEFT JOIN deliveries last ON last.id ="
    " (SELECT max(d.id) FROM deliveries d WHERE d.forward_id = f.id)"
)


# -- rules --------------------------------------------------------------------------------------


def _rule(row: tuple[Any, ...]) -> ForwardRule:
    return ForwardRule(
        id=row[0],
        position=row[1],
        pattern=row[2],
        url=row[3],
        mode=row[4],
        provider=row[5],
        event=row[6],
        strip_prefix=row[7],
        resign=row[8],
        enabled=bool(row[9]),
    )


def list_rules(db: Database) -> list[ForwardRule]:
    """Every forward rule, in the order they are tried."""
    rows = db.execute(f"SELECT {RULE_COLUMNS} FROM forward_rules ORDER BY position, id")
    return [_rule(row) for row in rows.fetchall()]


def save_rule(db: Database, rule: ForwardRule) -> int:
    """Add a rule (or replace the one with its id); its id. Check it first (check_forward_rule)."""
    values = [
        rule.position,
        rule.pattern,
        rule.url,
        rule.mode,
        rule.provider,
        rule.event,
        rule.strip_prefix,
        rule.resign,
        int(rule.enabled),
    ]
    with write_transaction(db):
        if rule.id is None:
            cursor = db.execute(
                "INSERT INTO forward_rules (position, pattern, url, mode, provider, event,"
                " strip_prefix, resign, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid
        db.execute(
            "UPDATE forward_rules SET position = ?, pattern = ?, url = ?, mode = ?, provider = ?,"
            " event = ?, strip_prefix = ?, resign = ?, enabled = ? WHERE id = ?",
            [*values, rule.id],
        )
        return rule.id


def delete_rule(db: Database, rule_id: int) -> bool:
    with write_transaction(db):
        return db.execute("DELETE FROM forward_rules WHERE id = ?", [rule_id]).rowcount > 0


# -- forwards (written by the writer, in the capture's commit) -----------------------------------


def insert_forwards(
    conn: sqlite3.Connection, capture_id: int, forwards: tuple[Forward, ...]
) -> tuple[int, ...]:
    """Store a capture's forwards inside the caller's transaction; their ids, in order."""
    ids: list[int] = []
    for forward in forwards:
        cursor = conn.execute(
            "INSERT INTO forwards (capture_id, rule_id, url, mode, resign, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                capture_id,
                forward.rule_id,
                text_param(forward.url),
                forward.mode,
                forward.resign,
                iso_utc(forward.created_at),
            ],
        )
        assert cursor.lastrowid is not None
        ids.append(cursor.lastrowid)
    return tuple(ids)


def set_answer(db: Database, capture_id: int, answer: Response, answer_ms: float) -> None:
    """Record what a proxied sender got, once the app answered (the capture itself was
    committed before, with no answer yet: see the writer)."""
    with write_transaction(db):
        db.execute(
            "UPDATE captures SET response_status = ?, response_headers = ?, response_body = ?,"
            " answer_ms = ? WHERE id = ?",
            [answer.status, headers_json(answer.headers), answer.body, answer_ms, capture_id],
        )


# -- reading ------------------------------------------------------------------------------------


def _forward(row: tuple[Any, ...]) -> Forward:
    return Forward(
        id=row[0],
        capture_id=row[1],
        rule_id=row[2],
        url=row[3] if isinstance(row[3], str) else bytes(row[3]).decode("utf-8", "replace"),
        mode=row[4],
        resign=row[5],
        created_at=parse_iso_utc(row[6]),
    )


def _states(db: Database, rows: list[tuple[Any, ...]], *, bodies: bool) -> list[ForwardState]:
    last_ids = [row[7] for row in rows if row[7] is not None]
    read = attempts_of if bodies else light_attempts_of
    attempts = {attempt.id: attempt for attempt in read(db, last_ids)}
    return [
        ForwardState(_forward(row), attempts.get(row[7]) if row[7] is not None else None, row[8])
        for row in rows
    ]


def forwards_of(
    db: Database, capture_ids: list[int], *, bodies: bool = False
) -> dict[int, list[ForwardState]]:
    """The forwards of these captures, each with its last attempt (with the request's and the
    app's bodies when `bodies`), by capture id; captures without any are left out."""
    if not capture_ids:
        return {}
    marks = ", ".join("?" for _ in capture_ids)
    rows = db.execute(
        f"{_STATE} WHERE f.capture_id IN ({marks}) ORDER BY f.id", capture_ids
    ).fetchall()
    found: dict[int, list[ForwardState]] = {}
    for state in _states(db, rows, bodies=bodies):
        assert state.forward.capture_id is not None
        found.setdefault(state.forward.capture_id, []).append(state)
    return found


def get_forward(db: Database, forward_id: int) -> ForwardState | None:
    rows = db.execute(f"{_STATE} WHERE f.id = ?", [forward_id]).fetchall()
    states = _states(db, rows, bodies=False)
    return states[0] if states else None


def failed_forwards(
    db: Database, since: datetime | None = None, until: datetime | None = None
) -> list[Forward]:
    """Forwards made in [since, until) whose last attempt failed or that were never sent,
    oldest first; those whose capture was deleted since are left out (nothing to send)."""
    clauses = [_FAILED]
    params: list[Any] = []
    if since is not None:
        clauses.append("f.created_at >= ?")
        params.append(iso_utc(since))
    if until is not None:
        clauses.append("f.created_at < ?")
        params.append(iso_utc(until))
    rows = db.execute(
        f"SELECT {FORWARD_COLUMNS} FROM forwards f{_WITH_LAST}"
        " JOIN captures c ON c.id = f.capture_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY f.id",
        params,
    ).fetchall()
    return [_forward(row) for row in rows]


def unfinished_forwards(db: Database, since: datetime) -> list[Forward]:
    """Background forwards made since `since` that a run left unsent: no attempt, or a last
    attempt after which a retry was due (the run stopped or was killed before it)."""
    rows = db.execute(
        f"SELECT {FORWARD_COLUMNS} FROM forwards f{_WITH_LAST}"
        " JOIN captures c ON c.id = f.capture_id"
        " WHERE f.mode = 'async' AND f.created_at >= ?"
        " AND (last.id IS NULL OR last.final = 0) ORDER BY f.id",
        [iso_utc(since)],
    ).fetchall()
    return [_forward(row) for row in rows]
