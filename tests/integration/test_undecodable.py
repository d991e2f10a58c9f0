"""Deliveries carrying bytes that are not UTF-8, or JSON text that is not Unicode, are kept."""

from __future__ import annotations

from pathlib import Path

from hookscope.core.model import CaptureQuery, Credential, header_bytes
from hookscope.core.providers import kardow, kudoz
from hookscope.engine import Engine
from hookscope.storage.captures import list_summaries
from hookscope.storage.db import open_store
from tests.integration.conftest import Reply, raw_request, stored
from tests.integration.test_verification import (
    KARDOW_SECRET,
    KUDOZ_KEY,
    KUDOZ_SECRET,
    add_secrets,
)

# A lone surrogate spelled as a JSON escape: valid JSON, but json.loads gives a str that no
# UTF-8 encoder accepts.
LONE = b"\\ud800"
KARDOW_BODY = b'{"event": "' + LONE + b'", "organization_id": 42, "data": {"x": "' + LONE + b'"}}'


def post(port: int, headers: list[bytes], body: bytes, target: bytes = b"/hooks/in") -> Reply:
    """A request made of exact bytes, so a header can carry any of them."""
    head = b"POST " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += b"".join(h + b"\r\n" for h in headers)
    head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return raw_request(port, head + body)


def summary_of(data_dir: Path, capture_id: int) -> dict[str, object]:
    db = open_store(data_dir)
    try:
        (summary,) = [s for s in list_summaries(db, CaptureQuery()) if s.id == capture_id]
    finally:
        db.close()
    return summary.as_json()


def test_a_content_type_that_is_not_utf8_is_kept(port: int, data_dir: Path) -> None:
    body = b'{"a": 1}'
    reply = post(port, [b"Content-Type: application/json; charset=\xff\xfe"], body)

    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == body
    assert header_bytes(capture.content_type) == b"application/json; charset=\xff\xfe"
    assert summary_of(data_dir, capture.id or 0)["content_type"] == capture.content_type


def test_a_signed_kardow_event_that_is_a_lone_surrogate_is_kept(data_dir: Path) -> None:
    add_secrets()
    engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start()
    try:
        assert engine.listener is not None
        signature = kardow.sign(KARDOW_SECRET, KARDOW_BODY).encode()
        reply = post(engine.listener.port, [b"X-Kardow-Signature: " + signature], KARDOW_BODY)
    finally:
        engine.stop()

    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == KARDOW_BODY
    assert capture.verdict.verdict == "verified"
    assert capture.verdict.provider == "kardow"
    assert capture.verdict.event == "\ufffd"


def test_kudoz_fields_that_are_not_utf8_are_kept(port: int, data_dir: Path) -> None:
    body = b'{"id": "' + LONE + b'", "kind": "' + LONE + b'"}'
    authorization = b"Authorization: TOKEN k\xff:u\xfe:1700000000:tok\xfc"
    reply = post(port, [authorization], body)

    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == body
    assert header_bytes(capture.header("Authorization") or "") == authorization[15:]
    assert capture.verdict.provider == "kudoz"
    assert capture.verdict.event == "\ufffd"
    assert capture.verdict.verdict == "no-secret"
    # The UUID is quoted as is in a check: shown with U+FFFD where its bytes were not UTF-8.
    assert "UUID u\ufffd" in capture.verdict.checks[0].outcome
    texts = [capture.verdict.detail, *(c.outcome for c in capture.verdict.checks)]
    assert all(text.encode("utf-8") for text in texts)


def test_a_verified_kudoz_nonce_that_is_not_utf8_still_catches_the_replay(
    data_dir: Path,
) -> None:
    add_secrets()
    credential = Credential("kudoz", "kz", KUDOZ_SECRET, api_key=KUDOZ_KEY)
    body = b'{"id": "1", "kind": "job_application"}'
    # The UUID field is the sender's choice; these bytes are what it signed.
    value = kudoz.sign(credential, method="POST", path="/k", body=body, uuid="u-\udcff\udcfe")
    authorization = b"Authorization: " + header_bytes(value)
    replies = []
    for _ in range(2):  # a restart in between: the second one is judged from the stored nonce
        engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
        engine.start()
        try:
            assert engine.listener is not None
            replies.append(post(engine.listener.port, [authorization], body, b"/k"))
        finally:
            engine.stop()

    assert [reply.status for reply in replies] == [200, 200]
    verdicts = [stored(data_dir, reply.json()["capture_id"]).verdict for reply in replies]
    assert [v.verdict for v in verdicts] == ["verified", "replayed"]
    assert "UUID u-\ufffd\ufffd was already used" in verdicts[1].detail
