"""Judging the scorecard's answers, and the card as a table, JSON and Markdown."""

from __future__ import annotations

import json

import pytest

from hookscope.core.model import Credential
from hookscope.core.providers import kardow
from hookscope.core.scoreboard import (
    FAIL,
    PASS,
    SKIPPED,
    Answer,
    Scorecard,
    as_json,
    judge,
    markdown,
    skipped,
    text_table,
)
from hookscope.core.scorecard import Case, cases

CASES = {case.key: case for case in cases(kardow, Credential("kardow", "k", "secret"))}


def answer(status: int | None, latency_ms: float = 12.0, **more: object) -> Answer:
    return Answer(status, latency_ms, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "status", "result"),
    [
        ("valid", 200, PASS),
        ("valid", 204, PASS),
        ("valid", 401, FAIL),
        ("valid", 500, FAIL),
        ("tampered-body", 400, PASS),
        ("tampered-body", 401, PASS),
        ("tampered-body", 413, PASS),
        ("tampered-body", 200, FAIL),
        ("tampered-body", 500, FAIL),  # a crash, retried by senders: no refusal
        ("tampered-body", 302, FAIL),
        ("unsigned", None, FAIL),
    ],
)
def test_statuses_are_judged_by_what_the_case_expects(
    key: str, status: int | None, result: str
) -> None:
    error = None if status is not None else "timed out: no full answer within 15 s"
    assert judge(CASES[key], answer(status, error=error)).result == result


def test_a_hole_is_named_in_the_reason() -> None:
    outcome = judge(CASES["wrong-secret"], answer(200))
    assert outcome.reason == ("Accepted with 200: it accepts a signature made with another secret.")
    assert "server error" in judge(CASES["malformed"], answer(500)).reason


def test_only_the_oversized_body_may_be_refused_by_closing_the_connection() -> None:
    closed = answer(
        None, error="the target closed the connection without answering", cut_short=True
    )
    assert judge(CASES["oversized"], closed).result == PASS
    assert judge(CASES["unsigned"], closed).result == FAIL
    whole = answer(None, error="the target closed the connection without answering")
    assert judge(CASES["oversized"], whole).result == FAIL


def test_the_slow_ack_probe_passes_under_its_deadline_only() -> None:
    probe = CASES["slow-ack"]
    assert judge(probe, answer(200, latency_ms=9_999)).result == PASS
    late = judge(probe, answer(200, latency_ms=10_400))
    assert late.result == FAIL
    assert late.reason == "Answered 200 after 10.4 s, over the 10 s senders wait."


def test_a_replay_is_judged_on_the_second_copy_once_the_first_was_accepted() -> None:
    replay = Case("replay", "twice", "reject", "why.", "it accepts the same id twice", twice=True)
    assert judge(replay, answer(409), answer(200)).result == PASS
    assert judge(replay, answer(200), answer(200)).result == FAIL
    refused_first = judge(replay, answer(401), answer(401))
    assert refused_first.result == FAIL
    assert "first copy was not accepted (401)" in refused_first.reason


def card(*outcomes: object, total: int | None = None, cancelled: bool = False) -> Scorecard:
    found = tuple(outcomes)
    return Scorecard(
        "https://example.com/hooks?a=1|2",
        "kardow",
        "k",
        found,  # type: ignore[arg-type]
        len(found) if total is None else total,
        cancelled,
    )


def test_the_card_passes_when_every_applicable_case_passed() -> None:
    good = card(
        judge(CASES["valid"], answer(200)),
        judge(CASES["unsigned"], answer(401)),
        skipped(CASES["stale"]),
    )
    assert good.passed
    assert good.summary == "All 2 cases passed (1 not applicable to kardow)."
    bad = card(judge(CASES["valid"], answer(200)), judge(CASES["unsigned"], answer(200)))
    assert not bad.passed
    assert bad.summary == "1 of 2 cases failed: the receiver has holes."
    cancelled = card(judge(CASES["valid"], answer(200)), total=12, cancelled=True)
    assert not cancelled.passed
    assert cancelled.summary == "Cancelled with 11 cases not sent: 1 passed, 0 failed."
    assert not card(skipped(CASES["stale"])).passed  # nothing was tested at all


def test_the_json_object_has_its_documented_fields() -> None:
    found = as_json(
        card(
            judge(CASES["valid"], answer(200, latency_ms=12.345)),
            judge(CASES["oversized"], answer(None, error="failed: connection reset")),
            skipped(CASES["stale"]),
        )
    )
    assert list(found) == [
        "url",
        "scheme",
        "credential",
        "passed",
        "cancelled",
        "summary",
        "counts",
        "cases",
    ]
    assert found["counts"] == {PASS: 1, FAIL: 1, SKIPPED: 1}
    first, second, third = found["cases"]
    assert first == {
        "key": "valid",
        "title": "Valid delivery",
        "expect": "accept",
        "result": "pass",
        "status": 200,
        "first_status": None,
        "latency_ms": 12.3,
        "error": None,
        "reason": "Accepted with 200 in 12 ms.",
        "why": CASES["valid"].why,
    }
    assert second["status"] is None
    assert second["error"] == "failed: connection reset"
    assert third["result"] == "skipped"
    assert third["latency_ms"] is None
    json.dumps(found)


def test_the_table_and_the_markdown_show_every_case_and_the_verdict() -> None:
    shown = card(judge(CASES["valid"], answer(200)), judge(CASES["unsigned"], answer(200)))
    table = text_table(shown)
    assert table.splitlines()[0].startswith("Receiver scorecard for https://example.com/hooks")
    assert "PASS  Valid delivery" in table
    assert "FAIL  No signature" in table
    assert table.rstrip().endswith("FAILED: 1 of 2 cases failed: the receiver has holes.")
    text = markdown(shown)
    assert text.startswith("### Receiver scorecard: failed\n")
    assert "`https://example.com/hooks?a=1\\|2`" in text  # a pipe cannot break the table
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 3  # the header and one per case
    assert all(row.count(" | ") == 5 for row in rows)
    assert "❌ fail" in rows[2]
