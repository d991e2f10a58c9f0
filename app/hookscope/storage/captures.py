"""Reading captures: rows become core records at this boundary, and never travel upward."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from hookscope.core.model import (
    Capture,
    CaptureQuery,
    CaptureSummary,
    Check,
    Header,
    Response,
    Verdict,
    parse_iso_utc,
)

SUMMARY_COLUMNS = (
    "id, received_at, method, path, query, remote, verdict, verdict_detail, provider, event,"
    " body_size, body_truncated, content_type, response_status"
)


def headers_json(headers: tuple[Header, ...]) -> str:
    text = json.dumps(headers, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Header bytes that were not UTF-8 are kept as surrogate escapes, which SQLite cannot
        # store as text: write them as \udcXX escapes instead (json.loads restores them).
        text = json.dumps(headers)
    return text


def headers_from_json(text: str) -> tuple[Header, ...]:
    return tuple((str(name), str(value)) for name, value in json.loads(text))


def fts_query(words: list[str]) -> str:
    """User words as an FTS5 query: every word required, each a quoted prefix."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


# Rows the background indexer has not reached yet are searched by scanning them: the same
# words, as case-insensitive substrings of path, headers or body text.
_TAIL_WORD = (
    "(instr(lower(path), ?) OR instr(lower(headers), ?)"
    " OR instr(lower(CAST(substr(body, 1, fts_len) AS TEXT)), ?))"
)


def _search_clause(text: str) -> tuple[str, list[Any]]:
    words = text.split()
    if not words:
        return "", []
    tail = " AND ".join([_TAIL_WORD] * len(words))
    params: list[Any] = [fts_query(words)]
    for word in words:
        params += [word.lower()] * 3
    clause = (
        "(id IN (SELECT rowid FROM captures_fts WHERE captures_fts MATCH ?)"
        f" OR (id > (SELECT upto FROM fts_progress) AND {tail}))"
    )
    return clause, params


def index_pending(db: Database, batch: int = 500) -> bool:
    """Add up to `batch` unindexed captures to the full-text index; True if more remain."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        (upto,) = conn.execute("SELECT upto FROM fts_progress").fetchone()
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM captures WHERE id > ? ORDER BY id LIMIT ?", [upto, batch]
            )
        ]
        if ids:
            conn.execute(
                "INSERT INTO captures_fts (rowid, path, headers, body)"
                " SELECT id, path, headers, CAST(substr(body, 1, fts_len) AS TEXT)"
                " FROM captures WHERE id > ? AND id <= ? ORDER BY id",
                [upto, ids[-1]],
            )
            conn.execute("UPDATE fts_progress SET upto = ?", [ids[-1]])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(ids) == batch


def _where(query: CaptureQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.provider == "none":
        clauses.append("provider IS NULL")
    elif query.provider:
        clauses.append("provider = ?")
        params.append(query.provider)
    if query.verdict:
        clauses.append("verdict = ?")
        params.append(query.verdict)
    if query.method:
        clauses.append("method = ?")
        params.append(query.method.upper())
    search, search_params = _search_clause(query.search)
    if search:
        clauses.append(search)
        params += search_params
    return (" AND ".join(clauses) or "1"), params


def list_summaries(db: Database, query: CaptureQuery) -> list[CaptureSummary]:
    """One page of captures matching `query`, newest first (keyset: id < before_id)."""
    where, params = _where(query)
    if query.before_id is not None:
        where += " AND id < ?"
        params.append(query.before_id)
    sql = f"SELECT {SUMMARY_COLUMNS} FROM captures WHERE {where} ORDER BY id DESC LIMIT ?"
    params.append(query.limit)
    return [_summary(row) for row in db.execute(sql, params).fetchall()]


def count(db: Database, query: CaptureQuery) -> int:
    where, params = _where(query)
    row = db.execute(f"SELECT count(*) FROM captures WHERE {where}", params).fetchone()
    return int(row[0])


def get_capture(db: Database, capture_id: int) -> Capture | None:
    for row in db.table("captures").rows_where("id = ?", [capture_id]):
        return capture_from_row(row)
    return None


def iter_captures(db: Database, ids: list[int] | None = None) -> Iterator[Capture]:
    """Whole captures, oldest first: all of them, or the given ids."""
    table = db.table("captures")
    if ids is None:
        rows = table.rows_where(order_by="id")
    else:
        marks = ",".join("?" * len(ids))
        rows = table.rows_where(f"id IN ({marks})", ids, order_by="id")
    for row in rows:
        yield capture_from_row(row)


def capture_from_row(row: dict[str, Any]) -> Capture:
    response = None
    if row["response_status"] is not None:
        response = Response(
            status=int(row["response_status"]),
            headers=headers_from_json(row["response_headers"]),
            body=bytes(row["response_body"] or b""),
        )
    checks = tuple(Check(step, outcome, ok) for step, outcome, ok in json.loads(row["checks"]))
    return Capture(
        id=int(row["id"]),
        received_at=parse_iso_utc(row["received_at"]),
        method=row["method"],
        path=row["path"],
        query=row["query"],
        http_version=row["http_version"],
        remote=row["remote"],
        headers=headers_from_json(row["headers"]),
        body=bytes(row["body"]),
        body_truncated=bool(row["body_truncated"]),
        verdict=Verdict(
            verdict=row["verdict"],
            detail=row["verdict_detail"],
            provider=row["provider"],
            event=row["event"],
            checks=checks,
        ),
        response=response,
        replay_of=row["replay_of"],
    )


def _summary(row: tuple[Any, ...]) -> CaptureSummary:
    return CaptureSummary(
        id=row[0],
        received_at=parse_iso_utc(row[1]),
        method=row[2],
        path=row[3],
        query=row[4],
        remote=row[5],
        verdict=row[6],
        verdict_detail=row[7],
        provider=row[8],
        event=row[9],
        body_size=row[10],
        body_truncated=bool(row[11]),
        content_type=row[12],
        response_status=row[13],
    )
