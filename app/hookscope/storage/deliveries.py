"""The delivery log: one row per outgoing attempt, written once and never updated."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from hookscope.core.http import Response
from hookscope.core.model import Attempt, DeliveryQuery, Outgoing, iso_utc, parse_iso_utc
from hookscope.storage.captures import headers_from_json, headers_json
from hookscope.storage.db import text_param, text_value, write_transaction

COLUMNS = (
    "id, fire_id, number, final, started_at, kind, target_id, event, method, url,"
    " request_headers, request_body, note, replay_of, status, response_headers, response_body,"
    " response_truncated, error, latency_ms, forward_id"
)


def insert_attempts(db: Database, attempts: list[Attempt]) -> list[int]:
    """Store attempts in one transaction; their new ids, in order."""
    ids: list[int] = []
    with write_transaction(db):
        for attempt in attempts:
            request = attempt.request
            cursor = db.execute(
                f"INSERT INTO deliveries ({COLUMNS}) VALUES"
                " (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    attempt.fire_id,
                    attempt.number,
                    int(attempt.final),
                    iso_utc(attempt.started_at),
                    request.kind,
                    request.target_id,
                    # A replayed capture's event and a receiver's error text may quote bytes
                    # that were not UTF-8: text_param keeps them without failing the log.
                    _optional(request.event),
                    request.method,
                    text_param(request.url),
                    headers_json(request.headers),
                    request.body,
                    text_param(request.note),
                    request.replay_of,
                    attempt.status,
                    headers_json(attempt.response_headers),
                    attempt.response_body,
                    int(attempt.response_truncated),
                    _optional(attempt.error),
                    attempt.latency_ms,
                    request.forward_id,
                ],
            )
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
    return ids


def _optional(text: str | None) -> str | bytes | None:
    return None if text is None else text_param(text)


def _attempt(row: tuple[Any, ...]) -> Attempt:
    request = Outgoing(
        kind=row[5],
        target_id=row[6],
        event=None if row[7] is None else text_value(row[7]),
        method=row[8],
        url=text_value(row[9]),
        headers=headers_from_json(row[10]),
        body=bytes(row[11]),
        note=text_value(row[12]),
        replay_of=row[13],
        forward_id=row[20],
    )
    response = None
    if row[14] is not None:
        response = Response(row[14], headers_from_json(row[15]), bytes(row[16]))
    return Attempt(
        id=row[0],
        fire_id=row[1],
        number=row[2],
        final=bool(row[3]),
        started_at=parse_iso_utc(row[4]),
        request=request,
        response=response,
        response_truncated=bool(row[17]),
        error=None if row[18] is None else text_value(row[18]),
        latency_ms=float(row[19]),
    )


def _where(query: DeliveryQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.fire_id is not None:
        clauses.append("fire_id = ?")
        params.append(query.fire_id)
    if query.target_id is not None:
        clauses.append("target_id = ?")
        params.append(query.target_id)
    if query.failed:
        clauses.append("(error IS NOT NULL OR status IS NULL OR status < 200 OR status >= 300)")
    if query.before_id is not None:
        clauses.append("id < ?")
        params.append(query.before_id)
    if query.after_id is not None:
        clauses.append("id > ?")
        params.append(query.after_id)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


# The same columns without the bodies: a list page must not read megabytes it never shows.
LIGHT_COLUMNS = COLUMNS.replace(" request_body,", " x'',").replace(" response_body,", " x'',")


def list_attempts(db: Database, query: DeliveryQuery, *, bodies: bool = True) -> list[Attempt]:
    """A page of attempts, newest first (without their bodies when `bodies` is False)."""
    where, params = _where(query)
    columns = COLUMNS if bodies else LIGHT_COLUMNS
    rows = db.execute(
        f"SELECT {columns} FROM deliveries{where} ORDER BY id DESC LIMIT ?",
        [*params, query.limit],
    ).fetchall()
    return [_attempt(row) for row in rows]


def count(db: Database, query: DeliveryQuery) -> int:
    where, params = _where(query)
    (n,) = db.execute(f"SELECT count(*) FROM deliveries{where}", params).fetchone()
    return int(n)


def nth_id(db: Database, query: DeliveryQuery, skip: int) -> int | None:
    """The id `skip` places down the attempts matching `query`, newest first (or None)."""
    where, params = _where(query)
    row = db.execute(
        f"SELECT id FROM deliveries{where} ORDER BY id DESC LIMIT 1 OFFSET ?", [*params, skip]
    ).fetchone()
    return None if row is None else int(row[0])


def get_attempt(db: Database, attempt_id: int) -> Attempt | None:
    row = db.execute(f"SELECT {COLUMNS} FROM deliveries WHERE id = ?", [attempt_id]).fetchone()
    return _attempt(row) if row else None


def attempts_of(db: Database, ids: list[int]) -> list[Attempt]:
    """These attempts, newest first (the rows a live view inserts)."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(
        f"SELECT {COLUMNS} FROM deliveries WHERE id IN ({marks}) ORDER BY id DESC", ids
    ).fetchall()
    return [_attempt(row) for row in rows]


def light_attempts_of(db: Database, ids: list[int]) -> list[Attempt]:
    """These attempts without their bodies, newest first."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(
        f"SELECT {LIGHT_COLUMNS} FROM deliveries WHERE id IN ({marks}) ORDER BY id DESC", ids
    ).fetchall()
    return [_attempt(row) for row in rows]


def delete_all(db: Database) -> int:
    with write_transaction(db):
        return db.execute("DELETE FROM deliveries").rowcount
