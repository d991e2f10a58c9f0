"""Search in SQL: the substring index, the text it holds, and the clause a search becomes.

The index (`captures_fts`) is an FTS5 table with the trigram tokenizer: any piece of text of
three characters or more is found through it, inside words too, case-insensitively. It holds
no text of its own (contentless): the text indexed for a capture is computed by the functions
`register()` puts on every connection (the body's JSON strings decoded, headers as
`Name: value` lines), and the delete trigger computes it again to take a capture out.

The writer indexes captures in the background, oldest first; `fts_progress.upto` is the newest
capture indexed. Captures past it are searched by reading their text with the same functions,
so they match the same way before and after the indexer reaches them. So are words of one or
two characters (a trigram index cannot find them) and field filters (they read the JSON body):
those read every capture the other terms leave, and alone they read the whole store.

A search becomes a `SearchSql`: the index's MATCH for the captures it holds, and conditions
read on the others; storage.captures joins the index to the captures so SQLite walks the
matches in id order and a page stops at its last row (never sorting every match first), and
counts with the index alone when no other filter reads the capture.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from hookscope.core.search import FieldFilter, Step, decoded_json, fold, header_text, parse

log = logging.getLogger(__name__)

TRIGRAM = 3  # the shortest text the index can find

# What is indexed for a capture, as SQL over its row (`new.`, `old.` or nothing before each
# column). The delete trigger must give exactly what was indexed: change these only with a
# migration that rebuilds the index.
INDEXED = (
    "{row}path, hookscope_header_text({row}headers), hookscope_body_text({row}body, {row}fts_len)"
)

_CREATE_INDEX = (
    "CREATE VIRTUAL TABLE captures_fts USING fts5("
    "path, headers, body, content='', tokenize='trigram')"
)
_CREATE_TRIGGER = f"""
CREATE TRIGGER captures_ad AFTER DELETE ON captures
WHEN old.id <= (SELECT upto FROM fts_progress) BEGIN
    INSERT INTO captures_fts(captures_fts, rowid, path, headers, body)
    VALUES ('delete', old.id, {INDEXED.format(row="old.")});
END
"""


@functools.cache
def trigram_available() -> bool:
    """Whether this SQLite has FTS5's trigram tokenizer (3.34 and later)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.OperationalError:
        log.warning(
            "SQLite %s has no trigram tokenizer (3.34 and later have it): search reads every"
            " capture instead of using an index, which is slow on a large store",
            sqlite3.sqlite_version,
        )
        return False
    finally:
        conn.close()
    return True


def has_index(db: Database) -> bool:
    """Whether the store has the substring index and this SQLite can read it."""
    if not trigram_available():
        return False
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'captures_fts'"
    ).fetchone()
    return row is not None


def create_index(db: Database) -> bool:
    """Make the (empty) substring index and its delete trigger; the indexer fills it from 0.

    Inside the caller's transaction. Without the trigram tokenizer there is no index (False)
    and search reads the text instead; the indexer makes the index once SQLite has it.
    """
    if not trigram_available():
        return False
    db.execute(_CREATE_INDEX)
    db.execute(_CREATE_TRIGGER)
    db.execute("UPDATE fts_progress SET upto = 0")
    return True


def register(conn: sqlite3.Connection) -> None:
    """Give a connection the functions the index, its trigger and search call."""
    conn.create_function("hookscope_body_text", 2, _body_text, deterministic=True)
    conn.create_function("hookscope_header_text", 1, _header_text, deterministic=True)
    conn.create_function("hookscope_fold", 1, _fold, deterministic=True)
    conn.create_function("hookscope_matches", 5, _matches, deterministic=True)


def _body_text(body: bytes | str | None, fts_len: int | None) -> str:
    """The body's text as indexed: its UTF-8 prefix (fts_len bytes), JSON strings decoded."""
    if not body or not fts_len:
        return ""
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")
    return decoded_json(raw[:fts_len].decode("utf-8", "replace"))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _header_text(headers: str | None) -> str:
    """The stored headers (a JSON list of pairs) as `Name: value` lines."""
    if not headers:
        return ""
    if "\\" not in headers and headers.startswith('[["') and headers.endswith('"]]'):
        # The common case, without parsing: with no escape, no name or value holds a quote,
        # so json.dumps' separators cannot be part of one (a search reads every row this way).
        return headers[3:-3].replace('"], ["', "\n").replace('", "', ": ")
    try:
        pairs = [(str(name), str(value)) for name, value in json.loads(headers)]
    except (ValueError, TypeError):
        return headers
    text = header_text(pairs)
    # A header that was not UTF-8 is kept as surrogate escapes, which SQLite cannot take.
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _fold(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return fold(value.decode("utf-8", "replace"))
    return fold(str(value))


@functools.lru_cache(maxsize=64)
def _needles(encoded: str) -> tuple[str, ...]:
    return tuple(json.loads(encoded))


def _matches(
    path: str | bytes | None,
    headers: str | None,
    body: bytes | None,
    fts_len: int | None,
    needles: str,
) -> bool:
    """Whether each needle (folded) is inside the path, the headers or the body's text."""
    left = [n for n in _needles(needles) if n not in (_fold(path) or "")]
    if left:
        heads = fold(_header_text(headers))
        left = [n for n in left if n not in heads]
    if left:
        text = fold(_body_text(body, fts_len))
        left = [n for n in left if n not in text]
    return not left


@dataclass(frozen=True, slots=True)
class SearchSql:
    """A search as SQL over `captures c` (every column named `c.x`).

    Attributes:
        match: the FTS5 expression that finds the indexed captures (id <= upto) through the
            index, or None when the search reads every capture's text (no index, or only
            words too short for it); empty when there is no search at all.
        upto: the newest capture in the index; those past it are read.
        clauses: conditions on every capture (short words, field filters), ANDed.
        tail: conditions only on the captures past `upto` (what the index finds for the rest).
    """

    match: str | None = None
    upto: int = 0
    clauses: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()
    tail: tuple[str, ...] = ()
    tail_params: tuple[Any, ...] = ()


def search_sql(db: Database, text: str) -> SearchSql:
    """`text` as SQL (see SearchSql); SearchSql() for no search.

    Raises core.search.SearchError for a search that cannot be read.
    """
    search = parse(text)
    if not search:
        return SearchSql()
    clauses: list[str] = []
    params: list[Any] = []
    long = [t for t in search.texts if len(t) >= TRIGRAM]
    short = [t for t in search.texts if len(t) < TRIGRAM]
    # A field's value is in the body's text too (a number may be written otherwise: 3.0).
    values = [f.value for f in search.fields if f.number is None and len(f.value) >= TRIGRAM]
    match: str | None = None
    upto = 0
    tail: tuple[str, ...] = ()
    tail_params: tuple[Any, ...] = ()
    if has_index(db) and (long or values):
        (upto,) = db.execute("SELECT upto FROM fts_progress").fetchone()
        match = " ".join([*map(_phrase, long), *(f"body : {_phrase(v)}" for v in values)])
        if long:
            tail = (f"hookscope_matches({_MATCHED}, ?)",)
            tail_params = (_encode(long),)
    else:
        short += long
    if short:
        clauses.append(f"hookscope_matches({_MATCHED}, ?)")
        params.append(_encode(short))
    for field in search.fields:
        clause, field_params = _field_clause(field)
        clauses.append(clause)
        params += field_params
    return SearchSql(match, upto, tuple(clauses), tuple(params), tail, tail_params)


_MATCHED = "c.path, c.headers, c.body, c.fts_len"


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _encode(texts: list[str]) -> str:
    return json.dumps([fold(t) for t in texts], ensure_ascii=False)


_DOC = "CAST(c.body AS TEXT)"


def _field_clause(field: FieldFilter) -> tuple[str, list[Any]]:
    """The field is a string equal to the value (folded), or a scalar equal to it."""
    path = json_path(field.path)
    kind = f"json_type({_DOC}, ?)"
    value = f"json_extract({_DOC}, ?)"
    tests = [f"({kind} = 'text' AND hookscope_fold({value}) = ?)"]
    params: list[Any] = [path, path, fold(field.value)]
    if field.number is not None:
        tests.append(f"({kind} IN ('integer', 'real') AND {value} = ?)")
        params += [path, path, field.number]
    if field.literal is not None:
        tests.append(f"{kind} = ?")
        params += [path, field.literal]
    # Only bodies that are whole UTF-8 text (fts_len: its length, measured by the writer) and
    # JSON. CASE, not AND: the JSON functions must never see a body that is not JSON.
    clause = (
        f"(CASE WHEN c.fts_len > 0 AND c.fts_len = length(c.body) AND json_valid({_DOC})"
        f" THEN {' OR '.join(tests)} ELSE 0 END)"
    )
    return clause, params


def json_path(steps: tuple[Step, ...]) -> str:
    """SQLite's JSON path for these steps: every name quoted, so `-` or `$` in it is plain."""
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f'."{step}"' for step in steps)
