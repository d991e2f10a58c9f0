"""A capture as a row of the store: its INSERT parameters, and the statements that write them.

The writer thread is their main user (`storage.writer`); imports and the scale bench write
through `insert_captures` on that thread too.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from hookscope.core.model import Capture, Response, iso_utc
from hookscope.storage.captures import headers_json
from hookscope.storage.db import text_param

# Index at most this much of a body's text: a 25 MB JSON body would otherwise hold up the
# whole group's acknowledgements while FTS5 tokenises it.
FTS_BODY_LIMIT = 1024 * 1024

# Written with a prepared statement instead of sqlite-utils' insert_all(): this is the capture
# hot path, and insert_all() re-reads the table's schema on every call.
INSERT = """
INSERT INTO captures (
    id, received_at, method, path, query, http_version, remote, headers, body, body_size,
    body_truncated, fts_len, content_type, provider, event, verdict, verdict_detail, checks,
    response_status, response_headers, response_body, replay_of, imported_from, receive_ms,
    answer_ms
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def text_prefix_len(body: bytes, limit: int = FTS_BODY_LIMIT) -> int:
    """How many leading bytes of `body` are UTF-8 text to index (0: not text)."""
    head = body[:limit]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A body cut at the limit may end inside a character: index up to it. Anything else
        # that fails to decode is binary (or another charset) and is not indexed.
        if len(body) > limit and exc.start >= limit - 3 and exc.reason == "unexpected end of data":
            return exc.start
        return 0
    if b"\x00" in head:
        return 0
    return len(head)


# Rows per INSERT statement: a group is written with a few multi-row statements instead of one
# statement step per row. Each step lets go of the GIL and must take it back from the network
# thread, which then waits in turn: fewer steps, fewer of those hand-overs (and fewer stalls of
# the listener's loop) per group. A few fixed sizes keep the statement cache small.
CHUNKS = (64, 16, 4, 1)
_COLUMNS = INSERT[INSERT.index("(") : INSERT.index("VALUES")].strip()


_MARKS = "(" + ", ".join(["?"] * (_COLUMNS.count(",") + 1)) + ")"
_GUARDED: dict[int, str] = {}


def _insert_sql(rows: int) -> str:
    return f"INSERT INTO captures {_COLUMNS} VALUES " + ", ".join([_MARKS] * rows)


_INSERTS = {size: _insert_sql(size) for size in CHUNKS}


def insert_rows(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """INSERT these capture rows (row_values tuples), in as few statements as CHUNKS allow."""
    start = 0
    for size in CHUNKS:
        sql = _INSERTS[size]
        while len(rows) - start >= size:
            chunk = rows[start : start + size]
            conn.execute(sql, [value for row in chunk for value in row])
            start += size


# Rows one guarded INSERT may hold (see insert_guarded): past it, a group is written in a
# transaction of its own. One SQL text per size up to this: they fit the statement cache.
GUARDED_ROWS = 64


def insert_guarded(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], last_id: int) -> bool:
    """INSERT these rows in one statement, which SQLite commits on its own, if the captures'
    id sequence still ends at `last_id`; whether it did (False: nothing was written).

    The ids in `rows` were handed out after `last_id` without reading the sequence in a
    transaction first: a group of captures is then one statement instead of five (BEGIN, the
    sequence, the INSERT, COMMIT), and each statement lets go of the GIL and must take it back
    from the network thread. That wait was half of a group's time under load. The sequence is
    read by the statement itself, so another process that wrote captures meanwhile (an import
    from the command line) makes it insert nothing, never an id twice: SQLite's AUTOINCREMENT
    promise holds. Up to GUARDED_ROWS rows.
    """
    sql = _GUARDED.get(len(rows))
    if sql is None:
        sql = _GUARDED[len(rows)] = (
            f"INSERT INTO captures {_COLUMNS} SELECT * FROM (VALUES "
            + ", ".join([_MARKS] * len(rows))
            + ") WHERE (SELECT seq FROM sqlite_sequence WHERE name = 'captures') = ?"
        )
    cursor = conn.execute(sql, [*(value for row in rows for value in row), last_id])
    return cursor.rowcount == len(rows)


def row_values(
    capture: Capture,
    capture_id: int,
    response: Response | None,
    answer_ms: float | None = None,
    response_headers: str | None = None,
) -> tuple[Any, ...]:
    """The INSERT parameters for one capture (`answer_ms`: see Capture; else the capture's;
    `response_headers`: the answer's headers as JSON, when the caller has them already).

    Every text a sender chose goes through text_param: one byte that is not UTF-8 must never
    make the insert fail, or the delivery would be refused on every retry.
    """
    verdict = capture.verdict
    return (
        capture_id,
        iso_utc(capture.received_at),
        text_param(capture.method),
        text_param(capture.path),
        text_param(capture.query),
        text_param(capture.http_version),
        text_param(capture.remote),
        headers_json(capture.headers),
        capture.body,
        capture.body_size,
        int(capture.body_truncated),
        text_prefix_len(capture.body),
        text_param(capture.content_type),
        verdict.provider,
        None if verdict.event is None else text_param(verdict.event),
        verdict.verdict,
        text_param(verdict.detail),
        verdict.checks_json(),
        None if response is None else response.status,
        _response_headers(response, response_headers),
        None if response is None else response.body,
        capture.replay_of,
        None if capture.imported_from is None else text_param(capture.imported_from),
        capture.receive_ms,
        capture.answer_ms if answer_ms is None else answer_ms,
    )


def _response_headers(response: Response | None, known: str | None) -> str:
    if response is None:
        return "[]"
    return known if known is not None else headers_json(response.headers)


def insert_captures(db: Database, captures: list[Capture]) -> list[int]:
    """Store captures made elsewhere (an import) in one transaction: all of them, or none.

    Run on the writer thread (`CaptureWriter.call`); each keeps the response it carries.
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'captures'").fetchone()
        first = (row[0] if row else 0) + 1
        ids = list(range(first, first + len(captures)))
        conn.executemany(
            INSERT,
            [
                row_values(capture, capture_id, capture.response)
                for capture, capture_id in zip(captures, ids, strict=True)
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return ids
