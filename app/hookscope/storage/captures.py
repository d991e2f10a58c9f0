"""Reading captures: rows become core records at this boundary, and never travel upward."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from json.encoder import encode_basestring as _string
from typing import Any

from sqlite_utils import Database

from hookscope.core.http import Header, Headers, Request, Response, join_target
from hookscope.core.model import Capture, CaptureQuery, CaptureSummary, Verdict, parse_iso_utc
from hookscope.storage.db import text_param, text_value, write_transaction
from hookscope.storage.search import INDEXED, create_index, has_index, search_sql

SUMMARY_COLUMNS = (
    "id, received_at, method, path, query, remote, verdict, verdict_detail, provider, event,"
    " body_size, body_truncated, content_type, response_status, starred, note"
)


_SUMMARY_C = ", ".join(f"c.{name.strip()}" for name in SUMMARY_COLUMNS.split(","))


def headers_json(headers: tuple[Header, ...]) -> str:
    """The headers as a JSON list of [name, value] pairs, exactly as json.dumps would write it.

    Built from the json module's own C string encoder: this runs for every capture, and
    json.dumps with options makes a new encoder each call (several times the cost here).
    """
    text = "[" + ", ".join(f"[{_string(name)}, {_string(value)}]" for name, value in headers) + "]"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Header bytes that were not UTF-8 are kept as surrogate escapes, which SQLite
            # cannot store as text: write them as \udcXX escapes instead (json.loads restores
            # them).
            text = json.dumps(headers)
    return text


def headers_from_json(text: str) -> Headers:
    return Headers((str(name), str(value)) for name, value in json.loads(text))


def index_pending(db: Database, batch: int = 500) -> bool:
    """Add up to `batch` unindexed captures to the search index; True if more remain.

    Makes the index first if the store has none yet (its SQLite had no trigram tokenizer when
    it was migrated); without the tokenizer there is nothing to do (search reads the text).
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not has_index(db) and not create_index(db):
            conn.execute("COMMIT")
            return False
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
                f" SELECT id, {INDEXED.format(row='')}"
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


def _filters(query: CaptureQuery) -> tuple[list[str], list[Any]]:
    """The query's filters other than its search, over `captures c`."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.provider == "none":
        clauses.append("c.provider IS NULL")
    elif query.provider:
        clauses.append("c.provider = ?")
        params.append(query.provider)
    if query.verdict:
        clauses.append("c.verdict = ?")
        params.append(query.verdict)
    if query.method:
        clauses.append("c.method = ?")
        params.append(query.method.upper())
    if query.starred:
        clauses.append("c.starred")
    return clauses, params


def _sources(
    db: Database,
    query: CaptureQuery,
    columns: str,
    *,
    after: int | None = None,
    before: int | None = None,
    descending: bool = True,
) -> list[tuple[str, list[Any]]]:
    """SELECTs (each ordered by id, without a LIMIT) that together give the captures matching
    `query` with after < id < before, one after the other in that order.

    A search the index can answer is two: the captures past the indexer's reach, read one by
    one (a few at most: the indexer keeps up), and the others found through the index, which
    walks its matches in id order, so a page stops after its last row instead of sorting
    every match first. When `columns` is only the id ("c.id") or a constant, and no other
    filter reads the capture, the index answers alone: it holds exactly the captures up to
    its reach (the delete trigger takes each one out), so counting 10,000 matches does not
    look up 10,000 rows of the captures table, scattered over the file.
    """
    filters, params = _filters(query)
    search = search_sql(db, query.search)
    filters += search.clauses
    params += search.params
    order = "DESC" if descending else "ASC"

    def bounded(column: str, low: int | None, high: int | None) -> tuple[list[str], list[Any]]:
        clauses = [f"{column} > ?"] if low is not None else []
        clauses += [f"{column} < ?"] if high is not None else []
        return clauses, [v for v in (low, high) if v is not None]

    if search.match is None:
        where, where_params = bounded("c.id", after, before)
        sql = (
            f"SELECT {columns} FROM captures c WHERE {' AND '.join([*filters, *where]) or '1'}"
            f" ORDER BY c.id {order}"
        )
        return [(sql, [*params, *where_params])]
    sources: list[tuple[str, list[Any]]] = []
    if before is None or before > search.upto + 1:
        low = search.upto if after is None else max(after, search.upto)
        where, where_params = bounded("c.id", low, before)
        sql = (
            f"SELECT {columns} FROM captures c"
            f" WHERE {' AND '.join([*filters, *search.tail, *where])} ORDER BY c.id {order}"
        )
        sources.append((sql, [*params, *search.tail_params, *where_params]))
    if after is None or after < search.upto:
        high = search.upto + 1 if before is None else min(before, search.upto + 1)
        where, where_params = bounded("f.rowid", after, high)
        if not filters and columns in _ID_ONLY:
            sql = (
                f"SELECT {_ID_ONLY[columns]} FROM captures_fts f"
                f" WHERE {' AND '.join(['f.captures_fts MATCH ?', *where])}"
                f" ORDER BY f.rowid {order}"
            )
        else:
            # CROSS JOIN keeps the index outside: its rowid order is the page's order.
            sql = (
                f"SELECT {columns} FROM captures_fts f CROSS JOIN captures c ON c.id = f.rowid"
                f" WHERE {' AND '.join(['f.captures_fts MATCH ?', *where, *filters])}"
                f" ORDER BY f.rowid {order}"
            )
        sources.append((sql, [search.match, *where_params, *params]))
    return sources if descending else sources[::-1]


# Columns the index gives without the capture's row: the id, or nothing (a count).
_ID_ONLY = {"c.id": "f.rowid AS id", "1": "1"}


def _select(
    db: Database, sources: list[tuple[str, list[Any]]], limit: int, *, as_dicts: bool = False
) -> list[Any]:
    """Up to `limit` rows from the sources, in turn (as tuples, or dicts by column name)."""
    rows: list[Any] = []
    for sql, params in sources:
        if len(rows) >= limit:
            break
        cursor = db.execute(f"{sql} LIMIT ?", [*params, limit - len(rows)])
        if as_dicts:
            names = [d[0] for d in cursor.description]
            rows += [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        else:
            rows += cursor.fetchall()
    return rows


def list_summaries(db: Database, query: CaptureQuery) -> list[CaptureSummary]:
    """One page of captures matching `query`, newest first (keyset: id < before_id)."""
    sources = _sources(db, query, _SUMMARY_C, after=query.after_id, before=query.before_id)
    return [_summary(row) for row in _select(db, sources, query.limit)]


def count(db: Database, query: CaptureQuery, cap: int | None = None) -> int:
    """How many captures match `query` (between its after_id and before_id, when it has them).

    With a `cap`, counting stops there: `cap` means "at least that many", which a list shows
    as "10,000+" without walking a million matches.
    """
    stored = _all_below(db, query)
    if stored is not None:
        return stored if cap is None else min(stored, cap)
    total = 0
    sources = _sources(db, query, "1", after=query.after_id, before=query.before_id)
    for sql, params in sources:
        if cap is None:
            row = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
        else:
            row = db.execute(
                f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, cap - total]
            ).fetchone()
        total += int(row[0])
        if cap is not None and total >= cap:
            return cap
    return total


# Past this many captures newer than a cursor, counting them costs about what counting the
# older ones does: the total kept by the store is not worth subtracting from then.
NEWER_COUNTED = 50_000


def counted_at_once(query: CaptureQuery) -> bool:
    """Whether `count` answers this query from the total the store keeps (no filter, no
    search): then an exact count costs nothing, whatever the size of the store."""
    return not (query.search or query.after_id is not None or _filters(query)[0])


def _all_below(db: Database, query: CaptureQuery) -> int | None:
    """How many captures there are (below the query's before_id), from the total the store
    keeps (migration m012), when the query filters nothing else; None: count them.

    One statement, so one snapshot: the writer commits between two statements, and a total
    read before a capture landed less the newer rows read after would come out short.
    """
    if not counted_at_once(query):
        return None
    before = query.before_id
    total, newer = db.execute(
        """
        SELECT (SELECT n FROM capture_total),
               CASE WHEN :before IS NULL OR newest IS NULL OR newest < :before THEN 0
                    WHEN newest - :before >= :far THEN NULL
                    ELSE (SELECT count(*) FROM captures WHERE id >= :before) END
        FROM (SELECT max(id) AS newest FROM captures)
        """,
        {"before": before, "far": NEWER_COUNTED},
    ).fetchone()
    if newer is None:
        return None
    return int(total) - int(newer)


def rank(db: Database, query: CaptureQuery, capture_id: int) -> int | None:
    """How many captures matching `query` (below its before_id) are newer than this one:
    its row in the list; None when it does not match."""
    sources = _sources(db, query, "c.id", after=capture_id - 1, before=capture_id + 1)
    if not _select(db, sources, 1):
        return None
    newer = replace(query, after_id=capture_id)
    return count(db, newer)


def nth_id(
    db: Database,
    query: CaptureQuery,
    skip: int,
    before: int | None = None,
    total: int | None = None,
) -> int | None:
    """The id `skip` places down the captures matching `query` (newest first, below `before`
    when given); None when there are not that many.

    How a list jumps far down without reading the rows in between: with no search this walks
    one index (the ids, or the filter's) and reads no capture. Given the `total` below
    `before`, a place in the older half is counted from the oldest (End is a short walk).
    """
    descending = True
    if total is not None and skip > total // 2:
        descending, skip = False, total - 1 - skip
        if skip < 0:
            return None
    for sql, params in _sources(db, query, "c.id", before=before, descending=descending):
        row = db.execute(f"{sql} LIMIT 1 OFFSET ?", [*params, skip]).fetchone()
        if row is not None:
            return int(row[0])
        # Fewer than `skip` here: skip past all of them into the next source.
        (here,) = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
        skip -= int(here)
    return None


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


def iter_matching(
    db: Database, query: CaptureQuery, ids: list[int] | None = None, batch: int = 200
) -> Iterator[Capture]:
    """Whole captures matching `query`'s filter (or with these ids), oldest first.

    Read `batch` at a time, each batch to its end before it is handed out: no read stays open
    while the caller works on it (an export writing a file), which would keep the writer's
    checkpoints from going past it. Keyset pages (`id > ?`), never OFFSET.
    """
    if ids is not None:
        for chunk in _batches(db, ids, batch):
            yield from chunk
        return
    last = 0
    while True:
        sources = _sources(db, query, "c.*", after=last, descending=False)
        rows = _select(db, sources, batch, as_dicts=True)
        if not rows:
            return
        last = rows[-1]["id"]
        yield from (capture_from_row(row) for row in rows)


def capture_from_row(row: dict[str, Any]) -> Capture:
    response = None
    if row["response_status"] is not None:
        response = Response(
            status=int(row["response_status"]),
            headers=headers_from_json(row["response_headers"]),
            body=bytes(row["response_body"] or b""),
        )
    checks = Verdict.checks_from_json(row["checks"])
    request = Request(
        method=text_value(row["method"]),
        target=join_target(text_value(row["path"]), text_value(row["query"])),
        headers=headers_from_json(row["headers"]),
        body=bytes(row["body"]),
        http_version=text_value(row["http_version"]),
    )
    return Capture(
        request,
        id=int(row["id"]),
        received_at=parse_iso_utc(row["received_at"]),
        remote=text_value(row["remote"]),
        body_truncated=bool(row["body_truncated"]),
        verdict=Verdict(
            verdict=row["verdict"],
            detail=text_value(row["verdict_detail"]),
            provider=row["provider"],
            event=None if row["event"] is None else text_value(row["event"]),
            checks=checks,
        ),
        response=response,
        replay_of=row["replay_of"],
        starred=bool(row["starred"]),
        note=row["note"],
        imported_from=None if row["imported_from"] is None else text_value(row["imported_from"]),
        receive_ms=row["receive_ms"],
        answer_ms=row["answer_ms"],
    )


def _summary(row: tuple[Any, ...]) -> CaptureSummary:
    return CaptureSummary(
        id=row[0],
        received_at=parse_iso_utc(row[1]),
        method=text_value(row[2]),
        path=text_value(row[3]),
        query=text_value(row[4]),
        remote=text_value(row[5]),
        verdict=row[6],
        verdict_detail=text_value(row[7]),
        provider=row[8],
        event=None if row[9] is None else text_value(row[9]),
        body_size=row[10],
        body_truncated=bool(row[11]),
        content_type=text_value(row[12]),
        response_status=row[13],
        starred=bool(row[14]),
        note=row[15],
    )


def update_verdicts(
    db: Database, judge: Callable[[Capture], Verdict], ids: list[int] | None = None
) -> Counter[str]:
    """Judge stored captures again (oldest first) and store the new verdicts; count them.

    Batches are read whole, then written in their own transaction: a read cursor left open
    across a write would hold an old snapshot that SQLite cannot turn into a write while the
    engine commits captures ("database is locked", without waiting).
    """
    counts: Counter[str] = Counter()
    for batch in _batches(db, ids, 500):
        changes: list[tuple[Any, ...]] = []
        for capture in batch:
            verdict = judge(capture)
            counts[verdict.verdict] += 1
            changes.append(
                (
                    verdict.provider,
                    None if verdict.event is None else text_param(verdict.event),
                    verdict.verdict,
                    text_param(verdict.detail),
                    verdict.checks_json(),
                    capture.id,
                )
            )
        with write_transaction(db):
            db.conn.executemany(
                "UPDATE captures SET provider = ?, event = ?, verdict = ?, verdict_detail = ?,"
                " checks = ? WHERE id = ?",
                changes,
            )
    return counts


def _batches(db: Database, ids: list[int] | None, size: int) -> Iterator[list[Capture]]:
    """Whole captures, oldest first, `size` at a time, each batch read to its end."""
    table = db.table("captures")
    if ids is None:
        last = 0
        while batch := list(table.rows_where("id > ?", [last], order_by="id", limit=size)):
            yield [capture_from_row(row) for row in batch]
            last = batch[-1]["id"]
        return
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        marks = ",".join("?" * len(chunk))
        rows = list(table.rows_where(f"id IN ({marks})", chunk, order_by="id"))
        yield [capture_from_row(row) for row in rows]


def set_starred(db: Database, ids: list[int], starred: bool) -> None:
    with write_transaction(db):
        db.conn.executemany(
            "UPDATE captures SET starred = ? WHERE id = ?", [(int(starred), i) for i in ids]
        )


def set_note(db: Database, capture_id: int, note: str) -> None:
    with write_transaction(db):
        db.execute("UPDATE captures SET note = ? WHERE id = ?", [note, capture_id])


def delete_captures(db: Database, ids: list[int]) -> int:
    """Delete the given captures (their full-text entries go with them); how many were."""
    deleted = 0
    with write_transaction(db):
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            deleted += db.execute(f"DELETE FROM captures WHERE id IN ({marks})", chunk).rowcount
    return deleted


def delete_oldest(db: Database, upto_id: int, batch: int) -> int:
    """Delete up to `batch` of the oldest captures with id <= upto_id; how many were."""
    with write_transaction(db):
        cursor = db.execute(
            "DELETE FROM captures WHERE id IN"
            " (SELECT id FROM captures WHERE id <= ? ORDER BY id LIMIT ?)",
            [upto_id, batch],
        )
    return cursor.rowcount


def newest_id(db: Database) -> int:
    """The newest capture's id (0 for none): one index lookup, cheap at any size."""
    row = db.execute("SELECT max(id) FROM captures").fetchone()
    return int(row[0] or 0)


def summaries_of(db: Database, ids: list[int]) -> list[CaptureSummary]:
    """The summaries of these captures (those that still exist), without reading bodies."""
    found: list[CaptureSummary] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT {SUMMARY_COLUMNS} FROM captures WHERE id IN ({marks})"
        found += [_summary(row) for row in db.execute(sql, chunk).fetchall()]
    return found


def newest_and_count(db: Database) -> tuple[int, int]:
    """The newest id and how many captures there are (the total the store keeps, m012:
    counting a million rows read a cold file's index for a few hundred milliseconds)."""
    row = db.execute(
        "SELECT (SELECT max(id) FROM captures), (SELECT n FROM capture_total)"
    ).fetchone()
    return int(row[0] or 0), int(row[1])


def replays_of(db: Database, capture_id: int, limit: int = 50) -> list[int]:
    """The ids of the captures that are replays of this one, oldest first."""
    rows = db.execute(
        "SELECT id FROM captures WHERE replay_of = ? ORDER BY id LIMIT ?", [capture_id, limit]
    )
    return [int(row[0]) for row in rows.fetchall()]
