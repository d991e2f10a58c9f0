"""The capture path's own JSON writers and its answer cache give exactly what the general
functions give: stored rows read the same whichever path wrote them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookscope.core.http import Headers, Request
from hookscope.core.model import DEFAULT_RULE, Check, ResponseRule, Verdict
from hookscope.core.rules import Answers, as_sent, render
from hookscope.storage.captures import get_capture, headers_from_json, headers_json
from hookscope.storage.db import open_store
from hookscope.storage.writer import insert_rows, row_values
from tests.conftest import make_capture

TEXTS = [
    "",
    "plain",
    'quote " and backslash \\',
    "tab\tnew line\ncontrol \x01 \x7f",
    "naïve ✓ 日本",
    "bytes kept \udcff\udc80",  # not UTF-8 on the wire, kept as surrogate escapes
    "a lone \ud800 surrogate",
    "emoji 🎉 and </script>",
]


@pytest.mark.parametrize("text", TEXTS)
def test_headers_json_is_what_json_dumps_writes(text: str) -> None:
    headers = Headers((("X-One", text), (text, "value"), ("Host", "example.test")))
    expected = json.dumps(headers, ensure_ascii=False)
    try:
        expected.encode("utf-8")
    except UnicodeEncodeError:
        expected = json.dumps(headers)
    assert headers_json(headers) == expected
    assert headers_from_json(headers_json(headers)) == headers


def test_headers_json_of_no_headers_is_an_empty_list() -> None:
    assert headers_json(Headers()) == "[]" == json.dumps([])


@pytest.mark.parametrize("text", TEXTS)
def test_checks_json_is_what_json_dumps_writes(text: str) -> None:
    checks = (
        Check(text, "match", True),
        Check("format", text, None, assumed=True),
        Check("secret", "no match", False),
    )
    verdict = Verdict("failed", "detail", "kardow", None, checks)
    expected = json.dumps([[c.step, c.outcome, c.ok, c.assumed] for c in verdict.checks])
    assert verdict.checks_json() == expected
    assert Verdict.checks_from_json(verdict.checks_json()) == verdict.checks


REQUESTS = [
    Request("POST", "/hook", Headers((("Content-Type", "application/json"),)), b"{}"),
    Request("HEAD", "/hook"),
    Request("POST", "/x", Headers((("Connection", "close"),)), b"1"),
    Request("GET", "/x", Headers((("Connection", "keep-alive"),)), http_version="1.0"),
    Request("GET", "/x", http_version="1.0"),
]
RULES = [
    DEFAULT_RULE,
    ResponseRule("*", status=204, body="ignored {capture_id}"),
    ResponseRule("*", status=202, headers=(), body="queued {capture_id}"),
    ResponseRule("*", status=200, headers=(("Date", "mine"), ("Server", "me")), body=""),
    ResponseRule("*", status=503, headers=(("Connection", "close"),), body="busy"),
]


def test_answers_are_what_render_then_as_sent_give() -> None:
    answers = Answers()
    for date in ("Sun, 29 Nov 2026 10:00:00 GMT", "Sun, 29 Nov 2026 10:00:01 GMT"):
        for rule in RULES:
            for request in REQUESTS:
                # Ids of different lengths change Content-Length; repeats come from the cache.
                for capture_id in (1, 9, 10, 99_999, 100_000, 1, 10):
                    expected = as_sent(render(rule, capture_id), request, date)
                    assert answers.answer(rule, request, capture_id, date) == expected


def test_the_answer_cache_stays_bounded() -> None:
    answers = Answers()
    request = REQUESTS[0]
    for second in range(Answers.LIMIT * 3):
        answers.answer(DEFAULT_RULE, request, 1, f"date {second}")
    assert len(answers._headers) <= Answers.LIMIT


@pytest.mark.parametrize("count", [1, 3, 4, 17, 85, 200])
def test_a_group_of_any_size_is_inserted_whole_and_in_order(tmp_path: Path, count: int) -> None:
    captures = [
        make_capture(body=f'{{"n": {n}}}'.encode(), path=f"/hook/{n}") for n in range(count)
    ]
    rows = [row_values(capture, 10 + n, None) for n, capture in enumerate(captures)]
    with open_store(tmp_path) as db:
        db.conn.execute("BEGIN IMMEDIATE")
        insert_rows(db.conn, rows)
        db.conn.execute("COMMIT")
        stored = [get_capture(db, 10 + n) for n in range(count)]
        total = db.execute("SELECT count(*) FROM captures").fetchone()[0]
    assert total == count
    assert [c.path if c else None for c in stored] == [f"/hook/{n}" for n in range(count)]
    assert [c.body if c else None for c in stored] == [c.body for c in captures]
