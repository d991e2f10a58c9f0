"""The store: captures committed by the single writer and read back exactly; settings and rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from hookscope.core.model import (
    DEFAULT_RULE,
    Capture,
    CaptureQuery,
    Check,
    ListenerSettings,
    Response,
    ResponseRule,
    Stored,
    Verdict,
    decode_header,
    header_bytes,
)
from hookscope.core.search import SearchError
from hookscope.storage import settings as settings_store
from hookscope.storage.captures import (
    count,
    delete_captures,
    delete_oldest,
    get_capture,
    index_pending,
    list_summaries,
    newest_and_count,
    newest_id,
    set_note,
    set_starred,
    summaries_of,
)
from hookscope.storage.db import open_store
from hookscope.storage.writer import FTS_BODY_LIMIT, CaptureWriter, text_prefix_len
from tests.conftest import make_capture

# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def db(store_dir: Path) -> Iterator[Database]:
    """A reader connection of its own, like the GUI's or a CLI command's."""
    database = open_store(store_dir)
    try:
        yield database
    finally:
        database.close()


def commit(directory: Path, *captures: Capture, rule: ResponseRule = DEFAULT_RULE) -> list[Stored]:
    """Commit captures through a real writer thread, as the listener does; what it hands back."""
    writer = CaptureWriter(directory)
    writer.start()
    try:

        async def submit_all() -> list[Stored]:
            futures = [writer.submit(capture, rule) for capture in captures]
            return list(await asyncio.wait_for(asyncio.gather(*futures), timeout=30))

        return asyncio.run(submit_all())
    finally:
        writer.close()


def store(directory: Path, *captures: Capture, rule: ResponseRule = DEFAULT_RULE) -> list[Capture]:
    """Commit captures; each comes back with the id and the response the writer handed back."""
    results = commit(directory, *captures, rule=rule)
    return [
        replace(capture, id=result.id, response=result.response)
        for capture, result in zip(captures, results, strict=True)
    ]


def catch_up_index(directory: Path) -> None:
    """Let the full-text indexer finish, as the writer does when it is idle."""
    database = open_store(directory)
    try:
        while index_pending(database):
            pass
    finally:
        database.close()


def lag_index(directory: Path) -> None:
    """Put the store in the state of an indexer that has not run yet (after a crash or a burst).

    This reaches into the schema on purpose: it is the only way to get that state on demand.
    """
    database = open_store(directory)
    try:
        with database.atomic():
            database.execute("INSERT INTO captures_fts(captures_fts) VALUES ('delete-all')")
            database.execute("UPDATE fts_progress SET upto = 0")
    finally:
        database.close()


def settle(directory: Path, index_state: str) -> None:
    if index_state == "indexed":
        catch_up_index(directory)
    else:
        lag_index(directory)


INDEX_STATES = ["indexed", "lagging"]


@pytest.fixture(params=INDEX_STATES)
def index_state(request: pytest.FixtureRequest) -> str:
    """Search must give the same answers whether or not the indexer has reached a capture."""
    state: str = request.param
    return state


def ids(db: Database, **query: Any) -> list[int]:
    return [s.id for s in list_summaries(db, CaptureQuery(**query))]


def fts_rowids(db: Database, match: str) -> list[int]:
    rows = db.execute("SELECT rowid FROM captures_fts WHERE captures_fts MATCH ?", [match])
    return [row[0] for row in rows.fetchall()]


def delete_capture(db: Database, capture_id: int) -> None:
    with db.atomic():
        db.execute("DELETE FROM captures WHERE id = ?", [capture_id])


# -- ids ----------------------------------------------------------------------------------------


def test_ids_increase_in_submission_order(store_dir: Path) -> None:
    first = store(store_dir, make_capture(path="/a"), make_capture(path="/b"))
    second = store(store_dir, make_capture(path="/c"))
    stored_ids = [c.id for c in first + second]
    assert all(isinstance(i, int) for i in stored_ids)
    assert stored_ids == sorted(stored_ids)
    assert len(set(stored_ids)) == 3


def test_an_id_is_never_reused_after_the_newest_capture_is_deleted(
    store_dir: Path, db: Database
) -> None:
    old, newest = store(store_dir, make_capture(), make_capture())
    assert newest.id is not None
    delete_capture(db, newest.id)
    (again,) = store(store_dir, make_capture())
    assert again.id is not None
    assert again.id > newest.id
    assert get_capture(db, newest.id) is None
    assert ids(db) == [again.id, old.id]


# -- what is stored -----------------------------------------------------------------------------


def test_the_response_stored_is_the_rule_rendered_with_the_capture_id(
    store_dir: Path, db: Database
) -> None:
    rule = ResponseRule(
        pattern="*",
        status=202,
        headers=(("Content-Type", "application/json"), ("X-Capture", "yes")),
        body='{"received": {capture_id}}',
        delay_ms=10,
    )
    captures = (make_capture(), make_capture())
    results = commit(store_dir, *captures, rule=rule)
    assert [result.delay_ms for result in results] == [10, 10]
    stored = [
        replace(c, id=r.id, response=r.response) for c, r in zip(captures, results, strict=True)
    ]
    for capture in stored:
        assert capture.response is not None
        assert capture.response.status == 202
        assert capture.response.body == f'{{"received": {capture.id}}}'.encode()
        assert capture.id is not None
        loaded = get_capture(db, capture.id)
        assert loaded is not None
        assert loaded.response is not None
        assert loaded.response.status == 202
        # The rule's headers first, then those the server would add: the whole answer sent.
        assert loaded.response.headers[:2] == rule.headers
        assert [name for name, _ in loaded.response.headers[2:]] == [
            "Content-Length",
            "Date",
            "Server",
        ]
        assert loaded.response.headers.get("Content-Length") == str(len(capture.response.body))
        assert loaded.response.body == capture.response.body
    assert list_summaries(db, CaptureQuery())[0].response_status == 202


def test_a_response_already_decided_is_kept(store_dir: Path, db: Database) -> None:
    # The listener decides refusals (413) itself; the rule must not overwrite them.
    refusal = Response(status=413, headers=(("Connection", "close"),), body=b'{"error": "big"}')
    slow = ResponseRule(pattern="*", delay_ms=5000)
    (result,) = commit(store_dir, make_capture(response=refusal, body_truncated=True), rule=slow)
    assert result.response == refusal
    assert result.delay_ms == 0  # a refusal goes at once, whatever the rule's delay
    loaded = get_capture(db, result.id)
    assert loaded is not None
    assert loaded.response == refusal
    assert loaded.body_truncated is True


def test_every_field_comes_back_as_stored(store_dir: Path, db: Database) -> None:
    capture = make_capture(
        method="PATCH",
        path="/hooks/kudoz/π",
        query="a=1&a=2&b=%FF",
        http_version="1.0",
        remote="[::1]:61000",
        received_at=datetime(2024, 3, 9, 7, 5, 4, 123_456, tzinfo=UTC),
        verdict=Verdict(
            verdict="stale",
            detail="The token matches but is 400 s old.",
            provider="kudoz",
            event="application.created",
            checks=(Check("token", "matches key 'prod'", True), Check("age", "400 s", False)),
        ),
        replay_of=None,
    )
    (stored,) = store(store_dir, capture)
    assert stored.id is not None
    loaded = get_capture(db, stored.id)
    assert stored.response is not None
    assert loaded == stored


def test_replay_link_is_kept(store_dir: Path, db: Database) -> None:
    (original,) = store(store_dir, make_capture())
    (replayed,) = store(store_dir, make_capture(replay_of=original.id))
    assert replayed.id is not None
    loaded = get_capture(db, replayed.id)
    assert loaded is not None
    assert loaded.replay_of == original.id


MEGABYTE = bytes(i * 7 % 251 for i in range(1024 * 1024))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"event": "job.created"}',
        "naïve café ✓ 😀".encode(),
        "café".encode("latin-1"),
        b"\xff\xfe\x00\x01binary\x00",
        bytes(range(256)),
        b"trailing newline\r\n",
        MEGABYTE,
    ],
    ids=["empty", "json", "utf8", "latin1", "binary", "all-bytes", "crlf", "1mb"],
)
def test_body_bytes_come_back_identical(store_dir: Path, db: Database, body: bytes) -> None:
    (stored,) = store(store_dir, make_capture(body=body))
    assert stored.id is not None
    loaded = get_capture(db, stored.id)
    assert loaded is not None
    assert loaded.body == body
    assert type(loaded.body) is bytes
    assert loaded.body_size == len(body)
    assert list_summaries(db, CaptureQuery())[0].body_size == len(body)


def test_headers_keep_order_duplicates_case_and_raw_bytes(store_dir: Path, db: Database) -> None:
    raw = [
        (b"Host", b"example.test"),
        (b"set-cookie", b"a=1"),
        (b"X-Sig", b"sha256=\xde\xad\xbe\xef"),
        (b"Set-Cookie", b"b=2"),
        (b"X-Latin", "Zürich".encode("latin-1")),
        (b"X-Empty", b""),
        (b"set-cookie", b"a=1"),
        (b"X-\xff", "✓".encode()),
    ]
    headers = tuple((decode_header(k), decode_header(v)) for k, v in raw)
    (stored,) = store(store_dir, make_capture(headers=headers))
    assert stored.id is not None
    loaded = get_capture(db, stored.id)
    assert loaded is not None
    assert loaded.headers == headers
    assert [(header_bytes(k), header_bytes(v)) for k, v in loaded.headers] == raw
    assert loaded.header_values("Set-Cookie") == ["a=1", "b=2", "a=1"]


def test_no_capture_with_that_id(db: Database) -> None:
    assert get_capture(db, 1) is None


# -- listing ------------------------------------------------------------------------------------


def test_list_is_newest_first(store_dir: Path, db: Database) -> None:
    stored = store(store_dir, *(make_capture(path=f"/{n}") for n in range(5)))
    assert ids(db) == [c.id for c in reversed(stored)]
    assert [s.path for s in list_summaries(db, CaptureQuery())] == [
        f"/{n}" for n in (4, 3, 2, 1, 0)
    ]


def test_summaries_match_the_stored_captures(store_dir: Path, db: Database) -> None:
    stored = store(
        store_dir,
        make_capture(query="x=1", verdict=Verdict("verified", "ok", "kardow", "job.created")),
        make_capture(headers=(("Content-Type", "text/plain"),), body=b"hi"),
    )
    assert list_summaries(db, CaptureQuery()) == [c.summary() for c in reversed(stored)]


def test_keyset_pages_cover_everything_once_in_order(store_dir: Path, db: Database) -> None:
    stored = store(store_dir, *(make_capture() for _ in range(7)))
    expected = [c.id for c in reversed(stored)]
    pages: list[list[int]] = []
    before: int | None = None
    while True:
        page = ids(db, limit=3, before_id=before)
        if not page:
            break
        pages.append(page)
        before = page[-1]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == expected


def test_before_id_excludes_that_id_and_newer(store_dir: Path, db: Database) -> None:
    a, b, c = store(store_dir, make_capture(), make_capture(), make_capture())
    assert ids(db, before_id=c.id) == [b.id, a.id]
    assert ids(db, before_id=a.id) == []


def test_limit(store_dir: Path, db: Database) -> None:
    stored = store(store_dir, *(make_capture() for _ in range(4)))
    assert ids(db, limit=2) == [stored[3].id, stored[2].id]


@pytest.fixture
def mixed(store_dir: Path) -> dict[str, int]:
    """Captures from each provider with various verdicts and methods, by name -> id."""
    captures = {
        "kardow_ok": make_capture(verdict=Verdict("verified", "ok", "kardow", "job.created")),
        "kardow_bad": make_capture(verdict=Verdict("failed", "bad", "kardow", "job.closed")),
        "kudoz_ok": make_capture(verdict=Verdict("verified", "ok", "kudoz", "application")),
        "plain_post": make_capture(),
        "plain_get": make_capture(method="GET", body=b""),
    }
    stored = store(store_dir, *captures.values())
    return {name: c.id for name, c in zip(captures, stored, strict=True) if c.id is not None}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"provider": "kardow"}, ["kardow_bad", "kardow_ok"]),
        ({"provider": "kudoz"}, ["kudoz_ok"]),
        ({"provider": "none"}, ["plain_get", "plain_post"]),
        ({"provider": "github"}, []),
        ({"verdict": "verified"}, ["kudoz_ok", "kardow_ok"]),
        ({"verdict": "n/a"}, ["plain_get", "plain_post"]),
        ({"method": "GET"}, ["plain_get"]),
        ({"method": "get"}, ["plain_get"]),
        ({"provider": "kardow", "verdict": "verified"}, ["kardow_ok"]),
        ({"provider": "none", "method": "POST"}, ["plain_post"]),
    ],
)
def test_filters(
    db: Database, mixed: dict[str, int], query: dict[str, str], names: list[str]
) -> None:
    assert ids(db, **query) == [mixed[name] for name in names]
    assert count(db, CaptureQuery(**query)) == len(names)


# -- full-text search ---------------------------------------------------------------------------


def make_searchable(store_dir: Path, index_state: str) -> dict[str, int]:
    captures = {
        "path": make_capture(path="/hooks/invoices/settled", body=b""),
        "header": make_capture(headers=(("X-Tenant", "acmeindustries"),), body=b""),
        "body": make_capture(body=b'{"note": "the quick brown fox", "extra": "salt and pepper"}'),
        "utf8": make_capture(body="une crème brûlée à Zürich".encode()),
        "binary": make_capture(path="/upload", body=b"\xff\xfe\x00zebra\x00giraffe"),
        "latin1": make_capture(body="okapi café".encode("latin-1")),
        "nul": make_capture(body=b"walrus\x00text"),
    }
    stored = store(store_dir, *captures.values())
    settle(store_dir, index_state)
    return {name: c.id for name, c in zip(captures, stored, strict=True) if c.id is not None}


@pytest.fixture
def searchable(store_dir: Path, index_state: str) -> dict[str, int]:
    """Captures to search, with the index caught up or lagging (each test runs with both)."""
    return make_searchable(store_dir, index_state)


@pytest.fixture
def indexed(store_dir: Path) -> dict[str, int]:
    """Captures to search, with the index caught up."""
    return make_searchable(store_dir, "indexed")


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("invoices", ["path"]),
        ("settled", ["path"]),
        ("acmeindustries", ["header"]),
        ("tenant", ["header"]),
        ("quick", ["body"]),
        ("QUICK", ["body"]),
        ("qui", ["body"]),
        ("uic", ["body"]),  # inside a word
        ("tenant: acme", ["header"]),  # headers read as `Name: value` lines
        ("quick fox", ["body"]),  # every word is required, in any order
        ("fox quick", ["body"]),
        ("quick giraffe", []),
        ("brûlée", ["utf8"]),
        ("Zürich", ["utf8"]),
        ("crème", ["utf8"]),
        ("upload", ["binary"]),  # a binary body's path is still searchable
    ],
)
def test_search_finds_words_in_path_headers_and_text_bodies(
    db: Database, searchable: dict[str, int], search: str, names: list[str]
) -> None:
    assert ids(db, search=search) == [searchable[name] for name in names]


@pytest.mark.parametrize("search", ["zebra", "giraffe", "okapi", "walrus", "text"])
def test_search_does_not_index_bodies_that_are_not_utf8_text(
    db: Database, searchable: dict[str, int], search: str
) -> None:
    assert ids(db, search=search) == []


def test_search_finds_non_ascii_header_values(
    store_dir: Path, db: Database, index_state: str
) -> None:
    (stored,) = store(store_dir, make_capture(headers=(("X-City", "Zürich"),), body=b""))
    settle(store_dir, index_state)
    assert ids(db, search="Zürich") == [stored.id]


@pytest.mark.parametrize(
    "search",
    [
        '""',
        "quick\"'",
        "(",
        ")",
        "(quick",
        "quick)",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR(quick fox)",
        "quick AND fox",
        "quick OR fox",
        "quick NOT fox",
        "*",
        "quick*",
        "*quick",
        "-",
        "-quick",
        "quick -fox",
        "^quick",
        "body:quick",
        "{quick}",
        "+",
        ":",
        "'",
        "\\",
        "%_",
    ],
)
def test_search_does_not_crash_on_fts_syntax(
    db: Database, searchable: dict[str, int], search: str
) -> None:
    found = ids(db, search=search)
    assert set(found) <= set(searchable.values())


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("quick", True),
        ('fox",', True),  # punctuation is searched as typed
        ('note":', True),  # a quote inside a word is an ordinary character
        ('"note\\": \\"the"', True),
        ("quick*", False),  # no wildcards: every word is already found anywhere
        ("(quick)", False),
        ("-quick", False),
        ("{quick}", False),
    ],
)
def test_punctuation_is_part_of_the_text_searched(
    db: Database, searchable: dict[str, int], search: str, found: bool
) -> None:
    assert ids(db, search=search) == ([searchable["body"]] if found else [])


@pytest.mark.parametrize("search", ['"', '"quick', 'quick "brown fox', 'a.b:"two'])
def test_an_unclosed_quote_is_refused_in_one_sentence(db: Database, search: str) -> None:
    with pytest.raises(SearchError, match=r"^The search has a quote that is not closed: .*\.$"):
        ids(db, search=search)


def test_operators_are_plain_words(db: Database, searchable: dict[str, int]) -> None:
    # "AND" is the word "and" (in "salt and pepper"), not an operator; "OR" is not "either".
    assert ids(db, search="salt AND") == [searchable["body"]]
    assert ids(db, search="quick OR zebra") == []
    assert ids(db, search="NEAR(quick fox)") == []
    assert ids(db, search="body:quick") == []  # a field filter: the body has no field "body"


def test_search_with_a_nul_character_does_not_crash(db: Database, indexed: dict[str, int]) -> None:
    # A NUL cannot be part of a word: it is dropped, and the rest is searched.
    assert ids(db, search="quick\x00") == ids(db, search="quick") != []


def test_search_combines_with_filters(store_dir: Path, db: Database, index_state: str) -> None:
    kardow, plain = store(
        store_dir,
        make_capture(body=b"heron", verdict=Verdict("verified", "ok", "kardow", "job.created")),
        make_capture(body=b"heron"),
    )
    settle(store_dir, index_state)
    assert ids(db, search="heron") == [plain.id, kardow.id]
    assert ids(db, search="heron", provider="kardow") == [kardow.id]
    assert ids(db, search="heron", provider="none") == [plain.id]


@pytest.mark.parametrize(
    "search",
    [
        "quick",
        "QUICK brown",
        "brown quick",
        "tenant",
        "acme",
        "ord",
        "brûlée",
        "ick",  # inside a word, not a prefix
        "rders",
        "zürich",  # the body says ZÜRICH
        "ü",  # too short for the index: read in both states
        "X-Tenant: Acme",
        '"fox from zürich"',
        'fox",',
    ],
)
def test_search_does_not_depend_on_indexer_progress(
    store_dir: Path, db: Database, search: str
) -> None:
    body = "the quick brown fox from ZÜRICH ate a crème brûlée".encode()
    store(store_dir, make_capture(path="/orders", headers=(("X-Tenant", "Acme"),), body=body))
    catch_up_index(store_dir)
    when_indexed = ids(db, search=search)
    lag_index(store_dir)
    assert ids(db, search=search) == when_indexed


def test_deleting_a_capture_removes_it_from_the_index(store_dir: Path, db: Database) -> None:
    kept, doomed = store(
        store_dir,
        make_capture(path="/keep", body=b"pelican"),
        make_capture(path="/doomed", headers=(("X-Bird", "albatross"),), body=b"pelican cormorant"),
    )
    assert doomed.id is not None
    catch_up_index(store_dir)
    assert fts_rowids(db, "cormorant") == [doomed.id]
    assert ids(db, search="cormorant") == [doomed.id]
    delete_capture(db, doomed.id)
    assert ids(db, search="cormorant") == []
    assert ids(db, search="pelican") == [kept.id]
    # No stale entry is left in the index itself (the search above would hide one).
    assert fts_rowids(db, "cormorant") == []
    assert fts_rowids(db, "albatross") == []
    assert fts_rowids(db, "doomed") == []


def test_after_id_reads_only_what_arrived_since(store_dir: Path, db: Database) -> None:
    first, second, third = store(store_dir, *(make_capture(path=f"/{n}") for n in range(3)))
    assert ids(db, after_id=first.id) == [third.id, second.id]
    assert ids(db, after_id=third.id) == []


def test_star_and_note_are_kept_and_filterable(store_dir: Path, db: Database) -> None:
    plain, starred = store(store_dir, make_capture(), make_capture())
    assert plain.id is not None
    assert starred.id is not None
    set_starred(db, [starred.id], True)
    set_note(db, starred.id, "the one that failed in staging — look at the nonce")
    assert ids(db, starred=True) == [starred.id]
    summary = list_summaries(db, CaptureQuery(starred=True))[0]
    assert summary.starred
    assert summary.note.startswith("the one that failed")
    kept = get_capture(db, starred.id)
    assert kept is not None
    assert kept.starred
    assert kept.note == summary.note
    set_starred(db, [starred.id], False)
    assert ids(db, starred=True) == []


def test_deleting_captures_by_id_and_oldest_first(store_dir: Path, db: Database) -> None:
    stored = store(store_dir, *(make_capture(path=f"/{n}", body=b"heron") for n in range(6)))
    numbers = [c.id for c in stored if c.id is not None]
    catch_up_index(store_dir)
    assert delete_captures(db, [numbers[1], numbers[3], 999_999]) == 2
    assert ids(db) == [numbers[5], numbers[4], numbers[2], numbers[0]]
    assert delete_oldest(db, upto_id=numbers[4], batch=2) == 2
    assert ids(db) == [numbers[5], numbers[4]]
    assert newest_and_count(db) == (numbers[5], 2)
    assert newest_id(db) == numbers[5]
    assert [s.id for s in summaries_of(db, [numbers[0], numbers[4]])] == [numbers[4]]
    assert ids(db, search="heron") == [numbers[5], numbers[4]]
    assert len(fts_rowids(db, "heron")) == 2


# -- how much of a body is indexed --------------------------------------------------------------


class TestTextPrefixLen:
    @pytest.mark.parametrize("body", [b"hello", "crème brûlée ✓ 😀".encode(), b"a" * 1000])
    def test_utf8_body_is_indexed_whole(self, body: bytes) -> None:
        assert text_prefix_len(body) == len(body)

    def test_empty_body(self) -> None:
        assert text_prefix_len(b"") == 0

    @pytest.mark.parametrize(
        "body",
        [b"\xff\xfe", b"ok\x80ok", "café".encode("latin-1"), b"\x89PNG\r\n\x1a\n", b"a\x00b"],
    )
    def test_binary_body_is_not_indexed(self, body: bytes) -> None:
        assert text_prefix_len(body) == 0

    def test_text_longer_than_the_limit_is_indexed_up_to_the_limit(self) -> None:
        assert text_prefix_len(b"abcdefgh", limit=5) == 5

    @pytest.mark.parametrize(
        ("char", "before"),
        [("é", 1), ("✓", 1), ("✓", 2), ("😀", 1), ("😀", 2), ("😀", 3)],
    )
    def test_a_character_cut_at_the_limit_is_left_out(self, char: str, before: int) -> None:
        # `before` bytes of the character fall inside the limit, the rest outside.
        encoded = char.encode()
        body = b"word " + encoded + b" tail"
        limit = len(b"word ") + before
        assert text_prefix_len(body, limit=limit) == len(b"word ")

    def test_a_character_ending_exactly_at_the_limit_is_kept(self) -> None:
        body = "word é tail".encode()
        assert text_prefix_len(body, limit=len("word é".encode())) == len("word é".encode())

    def test_invalid_bytes_before_the_cut_make_it_binary(self) -> None:
        assert text_prefix_len(b"ab\xffcd\xc3\xa9", limit=6) == 0

    def test_default_limit_cut_mid_character(self) -> None:
        body = b"a" * (FTS_BODY_LIMIT - 1) + "é".encode() + b"tail"
        assert text_prefix_len(body) == FTS_BODY_LIMIT - 1


def test_a_large_text_body_cut_mid_character_is_still_searchable(
    store_dir: Path, db: Database, index_state: str
) -> None:
    head = b"flamingo "
    filler = b"x" * (FTS_BODY_LIMIT - len(head) - 2) + b" "  # "é" starts at FTS_BODY_LIMIT - 1
    body = head + filler + "é".encode() + b" beyondthelimit"
    assert body[FTS_BODY_LIMIT - 1 : FTS_BODY_LIMIT + 1] == "é".encode()
    (stored,) = store(store_dir, make_capture(body=body))
    settle(store_dir, index_state)
    assert ids(db, search="flamingo") == [stored.id]
    assert ids(db, search="beyondthelimit") == []
    assert stored.id is not None
    loaded = get_capture(db, stored.id)
    assert loaded is not None
    assert loaded.body == body


# -- the store file -----------------------------------------------------------------------------


def test_opening_the_same_store_twice_is_harmless(store_dir: Path) -> None:
    first = open_store(store_dir)
    try:
        settings_store.set_setting(first, "marker", "kept")
        second = open_store(store_dir)
        try:
            assert settings_store.get_setting(second, "marker") == "kept"
            applied = second.execute("SELECT name FROM _sqlite_migrations").fetchall()
            assert len(applied) == len(set(applied))
        finally:
            second.close()
    finally:
        first.close()
    (stored,) = store(store_dir, make_capture())
    reopened = open_store(store_dir)
    try:
        assert ids(reopened) == [stored.id]
        assert reopened.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        reopened.close()


def test_a_reader_is_not_blocked_by_the_writer(store_dir: Path, db: Database) -> None:
    (first,) = store(store_dir, make_capture())
    # The reader holds a read transaction open (a long page load) while the writer commits.
    db.execute("BEGIN")
    try:
        assert ids(db) == [first.id]
        (second,) = store(store_dir, make_capture())
        assert ids(db) == [first.id]  # its snapshot is stable...
    finally:
        db.execute("COMMIT")
    assert ids(db) == [second.id, first.id]  # ...and the next read sees the new capture


def test_a_reader_reads_while_captures_are_being_written(store_dir: Path, db: Database) -> None:
    writer = CaptureWriter(store_dir)
    writer.start()
    seen: list[int] = []
    try:

        async def write_and_read() -> list[Capture]:
            stored: list[Capture] = []
            for _ in range(20):
                batch = [writer.submit(make_capture(), DEFAULT_RULE) for _ in range(10)]
                seen.append(count(db, CaptureQuery()))
                stored += await asyncio.wait_for(asyncio.gather(*batch), timeout=30)
            return stored

        stored = asyncio.run(write_and_read())
    finally:
        writer.close()
    assert seen == sorted(seen)
    assert count(db, CaptureQuery()) == len(stored) == 200


# -- settings -----------------------------------------------------------------------------------


class TestSettings:
    def test_missing_setting_gives_the_default(self, db: Database) -> None:
        assert settings_store.get_setting(db, "nope") is None
        assert settings_store.get_setting(db, "nope", 5) == 5

    @pytest.mark.parametrize(
        "value", ["text", "", 0, 42, 1.5, True, False, [1, "two"], {"a": {"b": None}}]
    )
    def test_set_then_get(self, db: Database, value: object) -> None:
        settings_store.set_setting(db, "k", value)
        assert settings_store.get_setting(db, "k", "default") == value

    def test_saved_null_is_not_the_default(self, db: Database) -> None:
        settings_store.set_setting(db, "k", None)
        assert settings_store.get_setting(db, "k", "default") is None

    def test_set_overwrites(self, db: Database) -> None:
        settings_store.set_setting(db, "k", 1)
        settings_store.set_setting(db, "k", 2)
        assert settings_store.get_setting(db, "k") == 2

    def test_another_connection_sees_the_setting(self, store_dir: Path, db: Database) -> None:
        other = open_store(store_dir)
        try:
            settings_store.set_setting(other, "k", "from elsewhere")
        finally:
            other.close()
        assert settings_store.get_setting(db, "k") == "from elsewhere"


class TestListenerSettings:
    def test_fresh_store_gives_the_defaults(self, db: Database) -> None:
        assert settings_store.load_listener_settings(db) == ListenerSettings()

    def test_round_trip(self, db: Database) -> None:
        chosen = ListenerSettings(
            host="0.0.0.0",
            port=9000,
            body_limit=1024,
            max_field_size=100,
            max_headers=10,
            max_connections=3,
            header_timeout=2.5,
            body_timeout=7.0,
        )
        settings_store.save_listener_settings(db, chosen)
        assert settings_store.load_listener_settings(db) == chosen

    def test_wrong_typed_values_are_ignored(self, db: Database) -> None:
        settings_store.set_setting(db, "listener.port", "9000")
        settings_store.set_setting(db, "listener.host", 127)
        settings_store.set_setting(db, "listener.max_headers", True)
        settings_store.set_setting(db, "listener.body_limit", 1.5)
        settings_store.set_setting(db, "listener.max_connections", None)
        settings_store.set_setting(db, "listener.header_timeout", "soon")
        settings_store.set_setting(db, "listener.max_field_size", 4096)  # a good one
        assert settings_store.load_listener_settings(db) == ListenerSettings(max_field_size=4096)

    def test_a_whole_number_is_a_valid_timeout(self, db: Database) -> None:
        settings_store.set_setting(db, "listener.body_timeout", 5)
        loaded = settings_store.load_listener_settings(db)
        assert loaded.body_timeout == 5.0
        assert isinstance(loaded.body_timeout, float)


class TestRules:
    def test_no_rules(self, db: Database) -> None:
        assert settings_store.list_rules(db) == []

    def test_insert_returns_an_id_and_round_trips(self, db: Database) -> None:
        rule = ResponseRule(
            pattern="/kardow/*",
            status=418,
            headers=(("X-A", "1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")),
            body="{capture_id}",
            delay_ms=250,
            method="POST",
            enabled=False,
            position=3,
        )
        rule_id = settings_store.save_rule(db, rule)
        assert settings_store.list_rules(db) == [replace(rule, id=rule_id)]

    def test_method_is_stored_upper_case(self, db: Database) -> None:
        settings_store.save_rule(db, ResponseRule(pattern="*", method="delete"))
        assert [r.method for r in settings_store.list_rules(db)] == ["DELETE"]

    def test_update_keeps_the_id(self, db: Database) -> None:
        rule_id = settings_store.save_rule(db, ResponseRule(pattern="/a", status=201))
        changed = ResponseRule(pattern="/b", status=503, id=rule_id)
        assert settings_store.save_rule(db, changed) == rule_id
        assert settings_store.list_rules(db) == [changed]

    def test_list_is_in_position_order_then_id(self, db: Database) -> None:
        saved = {
            name: settings_store.save_rule(db, ResponseRule(pattern=name, position=position))
            for name, position in [("/c", 2), ("/a", 0), ("/b2", 1), ("/b1", 1)]
        }
        listed = settings_store.list_rules(db)
        assert [r.pattern for r in listed] == ["/a", "/b2", "/b1", "/c"]
        assert saved["/b2"] < saved["/b1"]

    def test_delete(self, db: Database) -> None:
        keep = settings_store.save_rule(db, ResponseRule(pattern="/keep"))
        drop = settings_store.save_rule(db, ResponseRule(pattern="/drop"))
        assert settings_store.delete_rule(db, drop) is True
        assert [r.id for r in settings_store.list_rules(db)] == [keep]
        assert settings_store.delete_rule(db, drop) is False

    def test_delete_unknown_id(self, db: Database) -> None:
        assert settings_store.delete_rule(db, 12345) is False


def test_config_revision_changes_when_another_connection_commits(
    store_dir: Path, db: Database
) -> None:
    before = settings_store.config_revision(db)
    assert settings_store.config_revision(db) == before  # nothing changed: no reload
    store(store_dir, make_capture())
    assert settings_store.config_revision(db) == before  # a capture is not a config change
    other = open_store(store_dir)
    try:
        settings_store.save_rule(other, ResponseRule(pattern="/new"))
    finally:
        other.close()
    after = settings_store.config_revision(db)
    assert after != before
    # The engine reloads its rules on that cue, and finds the new one.
    assert [r.pattern for r in settings_store.list_rules(db)] == ["/new"]


class TestKeyPath:
    """The secrets key is never inside the data directory, whatever the platform's folders."""

    @pytest.mark.parametrize(
        ("data", "config", "expected"),
        [
            # Linux: separate data and config folders.
            ("/home/u/.local/share/hookscope", "/home/u/.config/hookscope",
             "/home/u/.config/hookscope/secrets.key"),
            # Windows and macOS: platformdirs gives one folder for both.
            ("/Users/u/Library/Application Support/hookscope",
             "/Users/u/Library/Application Support/hookscope",
             "/Users/u/Library/Application Support/hookscope.key"),
            # A config folder inside the data folder would hide the key in the data too.
            ("/data/hookscope", "/data/hookscope/config", "/data/hookscope.key"),
        ],
    )  # fmt: skip
    def test_default_dirs(
        self, monkeypatch: pytest.MonkeyPatch, data: str, config: str, expected: str
    ) -> None:
        import platformdirs

        from hookscope.storage.paths import key_path

        monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: data)
        monkeypatch.setattr(platformdirs, "user_config_dir", lambda *a, **k: config)
        key = key_path(Path(data))
        assert key == Path(expected)
        assert not key.is_relative_to(Path(data))

    def test_a_chosen_data_dir_has_its_key_beside_it(self, tmp_path: Path) -> None:
        from hookscope.storage.paths import key_path

        assert key_path(tmp_path / "mine") == tmp_path / "mine.key"
