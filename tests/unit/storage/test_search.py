"""Search as people expect it: inside words, JSON by its decoded text, and field:value filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from hookscope.core.http import Headers, Response
from hookscope.core.model import Verdict
from hookscope.storage.captures import delete_captures, index_pending
from hookscope.storage.db import connect, open_store
from hookscope.storage.migrations import migrations
from hookscope.storage.paths import db_path
from hookscope.storage.writer import row_values
from tests.conftest import make_capture
from tests.unit.storage.test_store import (
    INDEX_STATES,
    catch_up_index,
    fts_rowids,
    ids,
    settle,
    store,
)


@pytest.fixture(params=INDEX_STATES)
def index_state(request: pytest.FixtureRequest) -> str:
    """Search must give the same answers whether or not the indexer has reached a capture."""
    state: str = request.param
    return state


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def db(store_dir: Path) -> Iterator[Database]:
    database = open_store(store_dir)
    try:
        yield database
    finally:
        database.close()


def body(value: Any) -> bytes:
    return json.dumps(value).encode()  # ASCII only: every non-ASCII character as \uXXXX


def stored_ids(store_dir: Path, index_state: str, **captures: Any) -> dict[str, int]:
    stored = store(store_dir, *captures.values())
    settle(store_dir, index_state)
    return {name: c.id for name, c in zip(captures, stored, strict=True) if c.id is not None}


# -- inside words -------------------------------------------------------------------------------


def test_a_piece_of_a_word_is_found_in_body_path_and_headers(
    store_dir: Path, db: Database, index_state: str
) -> None:
    found = stored_ids(
        store_dir,
        index_state,
        body=make_capture(body=b'{"city": "Munich"}'),
        path=make_capture(path="/cities/munich", body=b""),
        header=make_capture(headers=(("X-City", "MUNICH"),), body=b""),
        other=make_capture(body=b'{"city": "Nice"}'),
    )
    expected = [found["header"], found["path"], found["body"]]
    assert ids(db, search="nich") == expected
    assert ids(db, search="NICH") == expected
    assert ids(db, search="unic") == expected
    assert ids(db, search="ni") == [found["other"], *expected]  # two letters: read, not indexed


# -- JSON found by its decoded text -------------------------------------------------------------


def test_json_strings_are_found_by_the_characters_their_escapes_stand_for(
    store_dir: Path, db: Database, index_state: str
) -> None:
    found = stored_ids(
        store_dir,
        index_state,
        escaped=make_capture(body=body({"note": "café", "quote": 'say "hi"\nthen go'})),
        plain=make_capture(body='{"note": "café"}'.encode()),
        text=make_capture(body=b"not JSON: caf\\u00e9", headers=(("Content-Type", "text/plain"),)),
    )
    assert b"\\u00e9" in make_capture(body=body({"note": "café"})).body
    assert ids(db, search="é") == [found["plain"], found["escaped"]]
    assert ids(db, search="É") == [found["plain"], found["escaped"]]
    assert ids(db, search="café") == [found["plain"], found["escaped"]]
    assert ids(db, search='"say \\"hi\\""') == [found["escaped"]]
    # A body that is not JSON is searched as it is written.
    assert ids(db, search="u00e9") == [found["text"]]


def test_an_escape_with_no_utf8_form_is_kept_and_found_as_written(
    store_dir: Path, db: Database, index_state: str
) -> None:
    found = stored_ids(
        store_dir,
        index_state,
        lone=make_capture(body=b'{"odd": "\\ud800 end", "nul": "a\\u0000b"}'),
    )
    assert ids(db, search="ud800 end") == [found["lone"]]
    assert ids(db, search='"a b"') == [found["lone"]]  # a NUL is read as a space


# -- field filters ------------------------------------------------------------------------------


@pytest.fixture
def shapes(store_dir: Path, index_state: str) -> dict[str, int]:
    return stored_ids(
        store_dir,
        index_state,
        active=make_capture(body=body({"data": {"status": "active", "count": 3}})),
        inactive=make_capture(body=body({"data": {"status": "inactive", "count": "3"}})),
        literal=make_capture(body=b"search data.status:active in the text"),
        shouting=make_capture(body=body({"data": {"status": "ACTIVE", "count": 3.0}})),
        items=make_capture(body=body({"items": [{"id": 7}, {"id": 8, "tags": ["a b", "c"]}]})),
        top=make_capture(body=body([{"id": 7, "ok": True, "gone": None}])),
        # SQLite reads a member's name as written: one written with escapes is not found.
        words=make_capture(body='{"a": {"b": "two words", "é-x": "Z\\u00fcrich"}}'.encode()),
        nested=make_capture(body=body({"data": {"status": {"active": True}}})),
    )


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("data.status:active", ["shouting", "active"]),
        ("data.status:inactive", ["inactive"]),
        ("data.status:act", []),  # a field's value is equal, not a piece of it
        ("data.count:3", ["shouting", "inactive", "active"]),  # 3, "3" and 3.0
        ("data.count:3.0", ["shouting", "active"]),  # "3" is a string: compared as text
        ("data.count:03", []),
        ("items[0].id:7", ["items"]),
        ("items[1].id:7", []),
        ('items[1].tags[0]:"a b"', ["items"]),
        ("items[1].tags[1]:c", ["items"]),
        ("[0].id:7", ["top"]),
        ("[0].ok:true", ["top"]),
        ("[0].ok:TRUE", ["top"]),
        ("[0].gone:null", ["top"]),
        ('a.b:"two words"', ["words"]),
        ('a.b:"TWO WORDS"', ["words"]),
        ("a.é-x:zürich", ["words"]),
        ("a.b:two", []),
        ("data.status:active data.count:3", ["shouting", "active"]),
        ("data.status:active inactive", []),
        ("data.status:active shout", []),
        ("data.status:active ACT", ["shouting", "active"]),  # a word as well
        ("nothing.here:active", []),
    ],
)
def test_field_filters_compare_a_json_field_with_a_value(
    db: Database, shapes: dict[str, int], search: str, names: list[str]
) -> None:
    assert ids(db, search=search) == [shapes[name] for name in names]


def test_a_quoted_filter_or_a_url_is_text(
    store_dir: Path, db: Database, shapes: dict[str, int], index_state: str
) -> None:
    assert ids(db, search='"data.status:active"') == [shapes["literal"]]
    found = stored_ids(
        store_dir,
        index_state,
        url=make_capture(body=body({"callback": "http://example.test/hook"})),
    )
    assert ids(db, search="http://example.test/hook") == [found["url"]]
    assert ids(db, search="callback:http://example.test/hook") == [found["url"]]


def test_field_filters_combine_with_the_other_filters(
    store_dir: Path, db: Database, index_state: str
) -> None:
    kardow = Verdict("verified", "ok", "kardow", "job.created")
    found = stored_ids(
        store_dir,
        index_state,
        kardow=make_capture(body=body({"data": {"status": "active"}}), verdict=kardow),
        plain=make_capture(body=body({"data": {"status": "active"}})),
        cut=make_capture(body=body({"data": {"status": "active"}})[:-1]),
    )
    assert ids(db, search="data.status:active") == [found["plain"], found["kardow"]]
    assert ids(db, search="data.status:active", provider="kardow") == [found["kardow"]]
    assert ids(db, search="data.status:active", provider="none") == [found["plain"]]


# -- the index catching up ----------------------------------------------------------------------


def test_captures_the_indexer_has_not_reached_match_the_same_way(
    store_dir: Path, db: Database
) -> None:
    captures = [
        make_capture(path=f"/{n}", body=body({"n": n, "city": "Zürich", "note": "café"}))
        for n in range(5)
    ]
    stored = [c.id for c in store(store_dir, *captures)]
    settle(store_dir, "lagging")
    index_pending(db, batch=2)  # the two oldest indexed, the rest not yet
    assert fts_rowids(db, '"café"') == stored[:2]
    newest_first = stored[::-1]
    for search in ("üric", "café", "é", "city:zürich café", "CITY"):
        assert ids(db, search=search) == newest_first, search
    assert ids(db, search="n:3") == [stored[3]]
    assert ids(db, search="n:1 café") == [stored[1]]
    assert ids(db, search="/4") == [stored[4]]


# -- the store made before substring search -----------------------------------------------------


# The capture columns up to m007 lead the writer's INSERT; later migrations add columns after.
M007_COLUMNS = 22
M007_INSERT = (
    "INSERT INTO captures (id, received_at, method, path, query, http_version, remote, headers,"
    " body, body_size, body_truncated, fts_len, content_type, provider, event, verdict,"
    " verdict_detail, checks, response_status, response_headers, response_body, replay_of)"
    f" VALUES ({', '.join('?' * M007_COLUMNS)})"
)


def make_m007_store(store_dir: Path, bodies: list[bytes]) -> None:
    """A store as the previous schema made it: word index, some of it indexed."""
    store_dir.mkdir(parents=True)
    conn = connect(db_path(store_dir))
    database = Database(conn, execute_plugins=False)
    try:
        migrations.apply(database, stop_before="m008_search_substrings")
        response = Response(200, Headers(), b"")
        with database.atomic():
            for n, raw in enumerate(bodies, start=1):
                capture = make_capture(path=f"/hooks/{n}", body=raw)
                conn.execute(M007_INSERT, row_values(capture, n, response)[:M007_COLUMNS])
            # The old indexer reached the first half.
            half = len(bodies) // 2
            conn.execute(
                "INSERT INTO captures_fts (rowid, path, headers, body) SELECT id, path, headers,"
                " CAST(substr(body, 1, fts_len) AS TEXT) FROM captures WHERE id <= ?",
                [half],
            )
            conn.execute("UPDATE fts_progress SET upto = ?", [half])
    finally:
        database.close()


def test_upgrading_a_store_rebuilds_the_index_and_search_works_meanwhile(
    store_dir: Path,
) -> None:
    bodies = [body({"data": {"city": city, "n": n}}) for n, city in enumerate(["Munich"] * 6)]
    bodies += [body({"data": {"city": "Nice", "n": 6}})]
    make_m007_store(store_dir, bodies)
    database = open_store(store_dir)
    try:
        applied = [row[0] for row in database.execute("SELECT name FROM _sqlite_migrations")]
        assert applied[applied.index("m008_search_substrings") :][:2] == [
            "m008_search_substrings",
            "m009_imported",
        ]
        assert database.execute("SELECT upto FROM fts_progress").fetchone() == (0,)
        munich = list(range(6, 0, -1))
        for _ in range(4):  # before, during and after the rebuild
            assert ids(database, search="nich") == munich
            assert ids(database, search="data.city:nice") == [7]
            assert ids(database, search="data.n:3 unic") == [4]
            index_pending(database, batch=3)
        assert database.execute("SELECT upto FROM fts_progress").fetchone() == (7,)
        assert fts_rowids(database, '"nich"') == list(range(1, 7))
        # The new delete trigger takes out exactly what was indexed.
        assert delete_captures(database, [2, 7]) == 2
        assert fts_rowids(database, '"nich"') == [1, 3, 4, 5, 6]
        assert fts_rowids(database, '"nice"') == []
        assert ids(database, search="nich") == [6, 5, 4, 3, 1]
    finally:
        database.close()


def test_without_the_trigram_tokenizer_search_reads_the_text(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookscope.storage import search

    monkeypatch.setattr(search, "trigram_available", lambda: False)
    stored = [c.id for c in store(store_dir, make_capture(body=b'{"city": "Munich"}'))]
    database = open_store(store_dir)
    try:
        assert not search.has_index(database)
        assert index_pending(database) is False
        assert ids(database, search="nich") == stored
        assert ids(database, search="city:munich") == stored
        # Once SQLite has it, the indexer makes the index and fills it.
        monkeypatch.undo()
        catch_up_index(store_dir)
        assert search.has_index(database)
        assert fts_rowids(database, '"nich"') == stored
        assert ids(database, search="nich") == stored
    finally:
        database.close()
