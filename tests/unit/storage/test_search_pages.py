"""Pages read through the search index give what reading every capture gives, filter by filter.

The list reads a page by letting the index walk its matches newest first and stop at the
page's end; the captures the indexer has not reached yet are read one by one. Both must give,
for every combination of filters, exactly what a plain query reading every capture gives.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, Verdict
from hookscope.core.search import parse
from hookscope.storage.captures import (
    _sources,
    count,
    index_pending,
    iter_matching,
    list_summaries,
    nth_id,
    set_starred,
)
from hookscope.storage.db import open_store
from hookscope.storage.search import _encode, _field_clause
from hookscope.storage.writer import insert_captures
from tests.conftest import make_capture
from tests.unit.storage.test_store import lag_index

WORDS = ["munich", "berlin", "engineer", "nurse", "welder", "zanzibar", "ab", "Ünïcode"]
PROVIDERS = [None, "kardow", "kudoz", "none"]
VERDICTS = [None, "verified", "failed", "n/a"]
METHODS = [None, "POST", "PUT"]
SEARCHES = [
    "",
    "zanzibar",  # rare
    "engineer",  # common
    "engin",  # a prefix
    "nich",  # inside a word
    "ab",  # too short for the index: read
    "berlin nurse",  # two words
    "ünï",  # folded, not ASCII
    "data.status:active",  # a field
    "data.status:active welder",  # a field and a word
    "data.n:3",  # a number
]
TOTAL = 2400
INDEXED = 1500  # the indexer has reached these; the rest are read


def _body(rng: random.Random, i: int) -> bytes:
    words = [rng.choice(WORDS) for _ in range(rng.randint(0, 4))]
    if i % 97 == 0:
        words.append("zanzibar")
    else:
        words = [w for w in words if w != "zanzibar"]
    if rng.random() < 0.2:
        return " ".join(words).encode()  # not JSON
    status = rng.choice(["active", "Active", "draft"])
    return json.dumps({"data": {"text": " ".join(words), "status": status, "n": i % 5}}).encode()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A store of a few thousand varied captures, the newest not indexed yet."""
    directory = tmp_path_factory.mktemp("mixed")
    rng = random.Random(14)
    db = open_store(directory)
    captures = []
    for i in range(TOTAL):
        provider = rng.choice(["kardow", "kudoz", None])
        verdict = rng.choice(["verified", "failed", "n/a", "stale"])
        captures.append(
            make_capture(
                method=rng.choice(["POST", "PUT", "GET"]),
                path=f"/{rng.choice(WORDS)}/{i}",
                headers=(("X-Word", rng.choice(WORDS)),),
                body=_body(rng, i),
                verdict=Verdict(verdict=verdict, detail="", provider=provider),
            )
        )
    for start in range(0, TOTAL, 500):
        insert_captures(db, captures[start : start + 500])
    set_starred(db, list(range(1, TOTAL + 1, 7)), starred=True)
    db.close()
    lag_index(directory)
    db = open_store(directory)
    index_pending(db, batch=INDEXED)
    try:
        yield db
    finally:
        db.close()


def reference(db: Database, query: CaptureQuery) -> list[int]:
    """The matching ids, newest first, by reading every capture: no index, no paging."""
    clauses = ["1"]
    params: list[Any] = []
    if query.provider == "none":
        clauses.append("c.provider IS NULL")
    elif query.provider:
        clauses.append("c.provider = ?")
        params.append(query.provider)
    for column, value in (("verdict", query.verdict), ("method", query.method)):
        if value:
            clauses.append(f"c.{column} = ?")
            params.append(value)
    if query.starred:
        clauses.append("c.starred")
    search = parse(query.search)
    if search.texts:
        clauses.append("hookscope_matches(c.path, c.headers, c.body, c.fts_len, ?)")
        params.append(_encode(list(search.texts)))
    for field in search.fields:
        clause, field_params = _field_clause(field)
        clauses.append(clause)
        params += field_params
    sql = f"SELECT c.id FROM captures c WHERE {' AND '.join(clauses)} ORDER BY c.id DESC"
    return [row[0] for row in db.execute(sql, params).fetchall()]


def paged(db: Database, query: CaptureQuery, size: int) -> list[int]:
    """Every matching id, newest first, read a keyset page at a time as the list reads them."""
    found: list[int] = []
    before = None
    for _ in range(TOTAL // size + 2):
        page = list_summaries(db, CaptureQuery(**{**vars_of(query), "before_id": before}))
        found += [s.id for s in page]
        if len(page) < size:
            return found
        before = page[-1].id
    raise AssertionError("paging did not end")


def vars_of(query: CaptureQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}


COMBINATIONS = list(itertools.product(PROVIDERS, VERDICTS, METHODS, [False, True]))


@pytest.mark.slow
@pytest.mark.parametrize("search", SEARCHES)
def test_pages_and_counts_match_reading_every_capture(mixed: Database, search: str) -> None:
    (upto,) = mixed.execute("SELECT upto FROM fts_progress").fetchone()
    assert upto == INDEXED
    nonempty = 0
    for provider, verdict, method, starred in COMBINATIONS:
        query = CaptureQuery(
            provider=provider,
            verdict=verdict,
            method=method,
            starred=starred,
            search=search,
            limit=173,
        )
        expected = reference(mixed, query)
        nonempty += bool(expected)
        where = f"{provider=} {verdict=} {method=} {starred=} {search=}"
        assert paged(mixed, query, 173) == expected, where
        assert count(mixed, query) == len(expected), where
        assert count(mixed, query, cap=10) == min(10, len(expected)), where
    assert nonempty > len(COMBINATIONS) // 4  # the combinations are not all empty


@pytest.mark.parametrize("search", ["", "engineer", "ab", "data.status:active welder"])
def test_new_arrivals_oldest_first_and_jumps_match_too(mixed: Database, search: str) -> None:
    query = CaptureQuery(search=search, verdict="verified")
    expected = reference(mixed, query)
    # What arrived since a look (after_id), across the indexer's reach.
    since = list_summaries(mixed, CaptureQuery(search=search, verdict="verified", after_id=1400))
    assert [s.id for s in since] == [i for i in expected if i > 1400][:100]
    # Oldest first, as an export reads them.
    assert [c.id for c in iter_matching(mixed, query, batch=64)] == expected[::-1]
    # The capture n places down, as a list jumping to its middle asks.
    for skip in (0, 1, len(expected) // 2, len(expected) - 1, len(expected)):
        want = expected[skip] if skip < len(expected) else None
        assert nth_id(mixed, query, skip) == want, skip
        assert nth_id(mixed, query, skip, total=len(expected)) == want, skip
    before = expected[len(expected) // 3]
    below = [i for i in expected if i < before]
    assert nth_id(mixed, query, 5, before=before) == below[5]


def test_a_page_walks_the_index_in_order_without_sorting(mixed: Database) -> None:
    plans = []
    for sql, params in _sources(mixed, CaptureQuery(search="engineer", verdict="failed"), "c.id"):
        plans += [row[3] for row in mixed.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert any("VIRTUAL TABLE" in step for step in plans), plans
    assert not any("TEMP B-TREE" in step for step in plans), plans


def test_a_count_with_nothing_but_a_search_reads_the_index_alone(mixed: Database) -> None:
    def plan(query: CaptureQuery, columns: str) -> list[str]:
        steps: list[str] = []
        for sql, params in _sources(mixed, query, columns):
            if "captures_fts" in sql:
                steps += [row[3] for row in mixed.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        return steps

    for columns in ("1", "c.id"):
        (only,) = plan(CaptureQuery(search="engineer"), columns)
        assert "VIRTUAL TABLE" in only
    # A filter on the capture, or a page's columns, needs its row.
    assert any("SEARCH c" in s for s in plan(CaptureQuery(search="engineer", verdict="n/a"), "1"))
    assert any("SEARCH c" in s for s in plan(CaptureQuery(search="engineer"), "c.id, c.path"))
