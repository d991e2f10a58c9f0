"""Text a sender chose is stored whatever it holds: bytes that are not UTF-8, lone surrogates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import (
    Attempt,
    CaptureQuery,
    Check,
    Nonce,
    Outgoing,
    Verdict,
    decode_header,
    header_bytes,
)
from hookscope.storage import deliveries as delivery_store
from hookscope.storage.captures import get_capture, list_summaries, update_verdicts
from hookscope.storage.credentials import live_nonces
from hookscope.storage.db import open_store, text_param, text_value
from tests.conftest import make_capture
from tests.unit.storage.test_store import INDEX_STATES, settle, store

# What surrogateescape makes of bytes that are not UTF-8 (see model.decode_header).
RAW_PATH = b"/hooks/caf\xe9-\xff"
RAW_QUERY = b"q=\xfe&r=\xe2\x9c\x93"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_store(tmp_path / "store")
    try:
        yield database
    finally:
        database.close()


@pytest.mark.parametrize(
    "text", ["", "plain", "Zürich ✓", decode_header(b"caf\xe9\xff"), "\x00nul", "𝄞"]
)
def test_text_param_round_trips(text: str) -> None:
    assert text_value(text_param(text)) == text


def test_a_lone_surrogate_that_is_no_byte_becomes_a_replacement_character() -> None:
    assert text_param("a\ud800b") == "a\ufffdb"


def test_a_request_target_that_is_not_utf8_comes_back_byte_exact(
    tmp_path: Path, db: Database
) -> None:
    path, query = decode_header(RAW_PATH), decode_header(RAW_QUERY)
    headers = (("Content-Type", decode_header(b"text/\xff")),)
    (stored,) = store(tmp_path / "store", make_capture(path=path, query=query, headers=headers))
    assert stored.id is not None

    loaded = get_capture(db, stored.id)
    assert loaded is not None
    assert header_bytes(loaded.path) == RAW_PATH
    assert header_bytes(loaded.query) == RAW_QUERY
    assert header_bytes(loaded.content_type) == b"text/\xff"
    (summary,) = list_summaries(db, CaptureQuery())
    assert (summary.path, summary.query, summary.content_type) == (path, query, headers[0][1])


@pytest.mark.parametrize("index_state", INDEX_STATES)
def test_a_path_that_is_not_utf8_is_still_searchable(
    tmp_path: Path, db: Database, index_state: str
) -> None:
    directory = tmp_path / "store"
    odd, plain = store(
        directory,
        make_capture(path=decode_header(b"/invoices/\xff"), body=b""),
        make_capture(path="/other", body=b""),
    )
    settle(directory, index_state)
    assert [s.id for s in list_summaries(db, CaptureQuery(search="invoices"))] == [odd.id]
    assert [s.id for s in list_summaries(db, CaptureQuery(search="other"))] == [plain.id]


def test_a_verdict_quoting_the_sender_is_stored(tmp_path: Path, db: Database) -> None:
    verdict = Verdict(
        "failed",
        "Unknown UUID u\udcff in \ud800.",
        "kudoz",
        "\ud800",
        (Check("UUID", "u\udcff"),),
        Nonce("key-\udcfe", "uuid-\udcff", 4_000_000_000.0),
    )
    (stored,) = store(tmp_path / "store", make_capture(verdict=verdict))
    assert stored.id is not None

    loaded = get_capture(db, stored.id)
    assert loaded is not None
    assert loaded.verdict.detail == "Unknown UUID u\ufffd in \ufffd."
    assert loaded.verdict.event == "\ufffd"
    assert loaded.verdict.checks == (Check("UUID", "u\ufffd"),)
    # The nonce is an identity, not a display: kept exactly, so a replay is still recognised.
    assert live_nonces(db) == [("key-\udcfe", "uuid-\udcff", 4_000_000_000.0)]


def test_verifying_again_stores_a_verdict_quoting_the_sender(tmp_path: Path, db: Database) -> None:
    (stored,) = store(tmp_path / "store", make_capture())
    counts = update_verdicts(db, lambda capture: Verdict("failed", "x\udcff", "kardow", "\ud800"))

    assert counts == {"failed": 1}
    loaded = get_capture(db, stored.id or 0)
    assert loaded is not None
    assert (loaded.verdict.detail, loaded.verdict.event) == ("x\ufffd", "\ufffd")


def test_an_attempt_quoting_odd_bytes_is_logged(db: Database) -> None:
    request = Outgoing(url="http://127.0.0.1:9/caf\udce9", body=b"{}", event="job\udcff")
    original = Attempt("f", request, error="bad reply: \udcff")
    (attempt_id,) = delivery_store.insert_attempts(db, [original])

    loaded = delivery_store.get_attempt(db, attempt_id)
    assert loaded is not None
    assert loaded.request == request
    assert loaded.error == "bad reply: \udcff"
