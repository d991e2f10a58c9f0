"""Verdicts computed live over real sockets, secrets managed from another process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import stat
import time
import uuid
from pathlib import Path

import pytest

from hookscope.cli import main
from hookscope.engine import Engine
from hookscope.storage.credentials import live_nonces
from hookscope.storage.db import open_store, write_transaction
from hookscope.storage.paths import key_path
from tests.integration.conftest import Reply, http, listener_port, stored, wait_for

KARDOW_SECRET = "whsec-0123456789abcdef-kardow"
KUDOZ_KEY = "kudoz-key-1"
KUDOZ_SECRET = "kudoz-api-secret-9f8e7d6c"
DELIVERY = json.dumps(
    {
        "event": "job.created",
        "organization_id": 42,
        "timestamp": "2025-07-19T12:00:00.000Z",
        "data": {"job_id": "abc-123", "title": "Senior Engineer", "status": "active"},
    }
).encode()
CALLBACK = json.dumps(
    {"id": str(uuid.uuid4()), "kind": "job_application", "data": {"job_application_id": 7}}
).encode()


def kardow_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def kudoz_authorization(
    key: str, secret: str, *, nonce: str | None = None, timestamp: int | None = None
) -> str:
    nonce = nonce or str(uuid.uuid4())
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{key}:{nonce}:{stamp}".encode(), hashlib.sha256).digest()
    return f"TOKEN {key}:{nonce}:{stamp}:{base64.b64encode(digest).decode()}"


def add_secrets() -> None:
    assert main(["secrets", "add", "kardow", "prod", "--secret", KARDOW_SECRET]) == 0
    assert (
        main(
            ["secrets", "add", "kudoz", "kz", "--api-key", KUDOZ_KEY, "--api-secret", KUDOZ_SECRET]
        )
        == 0
    )


def post_kardow(port: int, signature: str | None, body: bytes = DELIVERY) -> Reply:
    headers = [("Content-Type", "application/json")]
    if signature is not None:
        headers.append(("X-Kardow-Signature", signature))
    return http(port, "POST", "/hooks/kardow", headers, body)


def post_kudoz(port: int, authorization: str | None, body: bytes = CALLBACK) -> Reply:
    headers = [("Content-Type", "application/json")]
    if authorization is not None:
        headers.append(("Authorization", authorization))
    return http(port, "POST", "/hooks/kudoz", headers, body)


def verdict_of(data_dir: Path, reply: Reply) -> tuple[str, str]:
    capture = stored(data_dir, reply.json()["capture_id"])
    return capture.verdict.verdict, capture.verdict.detail


@pytest.fixture
def secured(data_dir: Path) -> Engine:
    """Secrets stored before the engine starts."""
    add_secrets()
    return Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})


def test_every_verdict_end_to_end(secured: Engine, data_dir: Path) -> None:
    secured.start()
    try:
        port = listener_port(secured)
        good = kardow_signature(KARDOW_SECRET, DELIVERY)
        cases = {
            "verified": post_kardow(port, good),
            "failed": post_kardow(port, kardow_signature("another-secret-entirely", DELIVERY)),
            "unsigned": post_kardow(port, None),
            "n/a": http(port, "POST", "/other", [("Content-Type", "text/plain")], b"hello"),
            "stale": post_kudoz(
                port,
                kudoz_authorization(KUDOZ_KEY, KUDOZ_SECRET, timestamp=int(time.time()) - 900),
            ),
        }
        token = kudoz_authorization(KUDOZ_KEY, KUDOZ_SECRET)
        kudoz_first = post_kudoz(port, token)
        cases["replayed"] = post_kudoz(port, token)
        for expected, reply in cases.items():
            assert reply.status == 200
            assert verdict_of(data_dir, reply)[0] == expected, expected
        assert verdict_of(data_dir, kudoz_first)[0] == "verified"
        stale_detail = verdict_of(data_dir, cases["stale"])[1]
        assert re.search(r"\b(899|900|901) s behind this machine's clock", stale_detail)
    finally:
        secured.stop()


def test_no_secret_when_nothing_is_stored(engine: Engine, data_dir: Path) -> None:
    port = listener_port(engine)
    reply = post_kardow(port, kardow_signature(KARDOW_SECRET, DELIVERY))
    assert verdict_of(data_dir, reply)[0] == "no-secret"
    reply = post_kudoz(port, kudoz_authorization(KUDOZ_KEY, KUDOZ_SECRET))
    assert verdict_of(data_dir, reply)[0] == "no-secret"


def test_a_replay_is_caught_after_a_restart(secured: Engine, data_dir: Path) -> None:
    token = kudoz_authorization(KUDOZ_KEY, KUDOZ_SECRET)
    secured.start()
    try:
        first = post_kudoz(listener_port(secured), token)
    finally:
        secured.stop()
    again = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    again.start()
    try:
        second = post_kudoz(listener_port(again), token)
    finally:
        again.stop()
    assert verdict_of(data_dir, first)[0] == "verified"
    assert verdict_of(data_dir, second)[0] == "replayed"


def test_a_restart_forgets_expired_nonces_and_still_catches_a_live_replay(
    secured: Engine, data_dir: Path
) -> None:
    token = kudoz_authorization(KUDOZ_KEY, KUDOZ_SECRET)
    secured.start()
    try:
        first = post_kudoz(listener_port(secured), token)
    finally:
        secured.stop()
    with open_store(data_dir) as db, write_transaction(db):  # as a run long ago left it
        db.execute(
            "INSERT INTO nonces (api_key, uuid, expires) VALUES (?, ?, ?)",
            [KUDOZ_KEY, "long-expired", time.time() - 3600],
        )
    again = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    again.start()
    try:
        second = post_kudoz(listener_port(again), token)
    finally:
        again.stop()
    assert verdict_of(data_dir, first)[0] == "verified"
    assert verdict_of(data_dir, second)[0] == "replayed"
    with open_store(data_dir) as db:
        remembered = [uuid for _, uuid, _ in live_nonces(db, now=0.0)]
    assert remembered == [token.split(":")[1]]


def test_secrets_added_by_another_process_apply_without_restart(
    engine: Engine, data_dir: Path
) -> None:
    port = listener_port(engine)
    signature = kardow_signature(KARDOW_SECRET, DELIVERY)
    assert verdict_of(data_dir, post_kardow(port, signature))[0] == "no-secret"

    add_secrets()  # the CLI writes the store; the engine only notices through the store

    def verified() -> bool:
        return verdict_of(data_dir, post_kardow(port, signature))[0] == "verified"

    assert wait_for(verified, timeout=5), "the running engine never picked up the new secret"


def test_reverify_after_the_secret_is_added(engine: Engine, data_dir: Path) -> None:
    port = listener_port(engine)
    reply = post_kardow(port, kardow_signature(KARDOW_SECRET, DELIVERY))
    capture_id = reply.json()["capture_id"]
    assert verdict_of(data_dir, reply)[0] == "no-secret"

    add_secrets()
    counts = engine.call(engine.reverify()).result(10)

    assert counts == {"verified": 1}
    capture = stored(data_dir, capture_id)
    assert capture.verdict.verdict == "verified"
    assert capture.verdict.detail == "Signature matches the secret 'prod'."


def test_cli_reverify_and_list_json_show_provider_event_verdict(
    data_dir: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    port = listener_port(engine)
    post_kardow(port, kardow_signature(KARDOW_SECRET, DELIVERY))
    add_secrets()
    capsys.readouterr()

    assert main(["captures", "reverify"]) == 0
    assert capsys.readouterr().out.strip() == "re-verified 1 capture: 1 verified"
    assert main(["captures", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["provider"], row["event"], row["verdict"]) == ("kardow", "job.created", "verified")


def test_no_secret_is_stored_in_clear(secured: Engine, data_dir: Path, tmp_path: Path) -> None:
    secured.start()
    try:
        port = listener_port(secured)
        post_kardow(port, kardow_signature(KARDOW_SECRET, DELIVERY))
        post_kudoz(port, kudoz_authorization(KUDOZ_KEY, KUDOZ_SECRET))
    finally:
        secured.stop()

    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "hookscope.db" for p in files)
    for path in files:
        content = path.read_bytes()
        for secret in (KARDOW_SECRET, KUDOZ_SECRET):
            assert secret.encode() not in content, f"{secret} in clear in {path.name}"
            assert secret.encode("utf-16-le") not in content

    key = key_path(data_dir)
    assert key.parent != data_dir
    assert not key.is_relative_to(data_dir)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_secrets_list_never_prints_a_secret(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_secrets()
    capsys.readouterr()
    assert main(["secrets", "list"]) == 0
    assert main(["secrets", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "prod" in out
    assert KUDOZ_KEY in out
    assert KARDOW_SECRET not in out
    assert KUDOZ_SECRET not in out


def test_a_missing_key_file_warns_and_capture_goes_on(data_dir: Path) -> None:
    add_secrets()
    key_path(data_dir).unlink()
    engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start()
    try:
        assert any("secrets key" in w and "missing" in w for w in engine.warnings)
        reply = post_kardow(listener_port(engine), kardow_signature(KARDOW_SECRET, DELIVERY))
        assert reply.status == 200
        assert verdict_of(data_dir, reply)[0] == "no-secret"
    finally:
        engine.stop()


def test_path_override_recognises_an_unshaped_delivery(engine: Engine, data_dir: Path) -> None:
    port = listener_port(engine)
    assert main(["paths", "set", "/legacy/*", "kardow"]) == 0

    def recognised() -> bool:
        reply = http(port, "POST", "/legacy/in", [("Content-Type", "text/plain")], b"ping")
        return verdict_of(data_dir, reply)[0] == "unsigned"

    assert wait_for(recognised, timeout=5)
    other = http(port, "POST", "/elsewhere", [("Content-Type", "text/plain")], b"ping")
    assert verdict_of(data_dir, other)[0] == "n/a"
