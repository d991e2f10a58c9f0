"""The Kardow API emulator over real sockets: auth, validation, idempotency, our extensions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hookscope.core.providers.kardow import EVENTS
from hookscope.engine import Engine
from hookscope.net.kardow_api import UNAUTHORIZED
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from tests.integration.conftest import Reply, http, raw_request

KEY = "kd_test-key-0123456789"
SECRET = "s3cret-of-16-chars"


@pytest.fixture
def api(data_dir: Path) -> Iterator[Engine]:
    """An engine whose emulator accepts KEY (as `serve --api-key KEY`), on a free port."""
    running = Engine(
        data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0}, api_keys=[KEY]
    )
    running.start()
    running.call(running.start_api(port=0)).result(10)
    try:
        yield running
    finally:
        running.stop()


def api_port(engine: Engine) -> int:
    assert engine.api is not None
    return engine.api.port


def call(engine: Engine, method: str, path: str, body: Any = None, key: str | None = KEY) -> Reply:
    headers = [("Content-Type", "application/json")]
    if key is not None:
        headers.append(("x-api-key", key))
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return http(api_port(engine), method, path, headers, raw)


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": "job.created",
        "target_type": "webhook",
        "target_url": "https://example.com/hooks/kardow",
        "secret": SECRET,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


class TestAuth:
    def test_a_missing_key_is_401_in_kardows_error_shape(self, api: Engine) -> None:
        reply = call(api, "POST", "/webhooks", registration(), key=None)
        assert reply.status == 401
        assert reply.json()["error"]["code"] == "unauthorized"
        assert "x-api-key" in reply.json()["error"]["message"]

    def test_an_unknown_key_is_401(self, api: Engine) -> None:
        reply = call(api, "POST", "/webhooks", registration(), key="kd_not-the-key")
        assert reply.status == 401
        assert "does not match" in reply.json()["error"]["message"]

    def test_the_key_is_checked_before_anything_else(self, api: Engine) -> None:
        assert call(api, "GET", "/nowhere", key=None).status == 401
        assert call(api, "POST", "/webhooks", b"{broken", key=None).status == 401

    def test_without_any_configured_key_everything_is_401_and_says_how_to_fix_it(
        self, data_dir: Path
    ) -> None:
        engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
        engine.start()
        try:
            engine.call(engine.start_api(port=0)).result(10)
            reply = call(engine, "POST", "/webhooks", registration(), key="anything")
        finally:
            engine.stop()
        assert reply.status == 401
        assert "--api-key" in reply.json()["error"]["message"]

    def test_a_key_saved_in_settings_is_accepted_without_a_restart(self, data_dir: Path) -> None:
        engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
        engine.start()
        try:
            engine.call(engine.start_api(port=0)).result(10)
            assert call(engine, "GET", "/webhooks", key="kd_saved-key-abcdef").status == 401
            with open_store(data_dir) as db:
                target_store.add_api_key(db, "kd_saved-key-abcdef")
            assert _eventually(
                lambda: call(engine, "GET", "/webhooks", key="kd_saved-key-abcdef").status == 200
            )
            with open_store(data_dir) as db:
                (info,) = target_store.list_api_keys(db)
                target_store.remove_api_key(db, info.digest)
            assert _eventually(
                lambda: call(engine, "GET", "/webhooks", key="kd_saved-key-abcdef").status == 401
            )
        finally:
            engine.stop()

    def test_saved_keys_are_kept_as_digests_only(self, data_dir: Path) -> None:
        with open_store(data_dir) as db:
            target_store.add_api_key(db, "kd_never-in-clear-42")
        for path in data_dir.iterdir():
            assert b"kd_never-in-clear-42" not in path.read_bytes(), path.name

    @pytest.mark.parametrize("key", [b"\xff\xfe", b"kd_test-key-0123456789\xe9", b"caf\xc3\xa9"])
    def test_a_key_that_is_not_ascii_is_an_unknown_key(self, api: Engine, key: bytes) -> None:
        request = (
            b"GET /webhooks HTTP/1.1\r\nHost: x\r\nx-api-key: " + key + b"\r\n"
            b"Connection: close\r\n\r\n"
        )
        reply = raw_request(api_port(api), request)
        assert reply.status == 401
        assert reply.json()["error"]["message"] == UNAUTHORIZED["unknown"]


def _eventually(check: Any, within: float = 3.0) -> bool:
    from tests.integration.conftest import wait_for

    return bool(wait_for(check, within))


class TestRegistration:
    def test_a_new_subscription_is_201_with_kardows_fields(self, api: Engine) -> None:
        reply = call(api, "POST", "/webhooks", registration())
        assert reply.status == 201
        data = reply.json()["data"]
        assert data["target_url"] == "https://example.com/hooks/kardow"
        assert data["is_enabled"] is True
        assert len(data["id"]) == 36
        for stamp in ("created_at", "updated_at"):
            assert data[stamp].endswith("Z")
            assert len(data[stamp]) == len("2025-07-19T12:00:00.000Z")
        assert "secret" not in data

    def test_registering_the_same_subscription_again_returns_it(self, api: Engine) -> None:
        first = call(api, "POST", "/webhooks", registration())
        again = call(api, "POST", "/webhooks", registration(secret="another-secret-16ch"))
        assert again.status == 200
        assert again.json()["data"] == first.json()["data"]
        assert len(call(api, "GET", "/webhooks").json()["data"]) == 1
        # The new secret was not stored, and the answer says so (the body stays Kardow's).
        note = again.header("X-Hookscope-Note")
        assert note is not None
        assert "keeps its secret; the secret sent was not stored" in note
        assert f"PATCH /webhooks/{first.json()['data']['id']}" in note
        same = call(api, "POST", "/webhooks", registration())
        assert same.header("X-Hookscope-Note") is None  # nothing to say: the same secret

    def test_another_event_type_or_url_is_another_subscription(self, api: Engine) -> None:
        ids = {
            call(api, "POST", "/webhooks", body).json()["data"]["id"]
            for body in (
                registration(),
                registration(event="job.updated"),
                registration(target_type="slack"),
                registration(target_url="https://example.com/other"),
            )
        }
        assert len(ids) == 4

    @pytest.mark.parametrize("event", [*EVENTS, "*"])
    def test_every_documented_event_and_star_is_accepted(self, api: Engine, event: str) -> None:
        assert call(api, "POST", "/webhooks", registration(event=event)).status == 201

    @pytest.mark.parametrize("kind", ["webhook", "discord", "slack"])
    def test_every_target_type_is_accepted(self, api: Engine, kind: str) -> None:
        assert call(api, "POST", "/webhooks", registration(target_type=kind)).status == 201

    def test_the_secret_is_optional(self, api: Engine) -> None:
        reply = call(api, "POST", "/webhooks", registration(secret=...))
        assert reply.status == 201
        assert reply.json()["data"]["has_secret"] is False

    @pytest.mark.parametrize(
        ("field", "value", "reason"),
        [
            ("event", ..., "is required"),
            ("event", "job.exploded", "must be one of"),
            ("event", "subscription.cancelled", "must be one of"),  # Kardow spells it with one l
            ("event", 42, "must be a string"),
            ("target_type", ..., "is required"),
            ("target_type", "email", "must be one of webhook, discord, slack"),
            ("target_url", ..., "is required"),
            ("target_url", "/relative/path", "absolute URI"),
            ("target_url", "example.com/hook", "absolute URI"),
            ("target_url", "ftp://example.com/x", "http or https"),
            ("target_url", "http://", "must name a host"),
            ("target_url", "http://exa mple.com/", "spaces"),
            ("target_url", "http://example.com:99999/", "not a valid URI"),
            ("target_url", "", "must not be empty"),
            ("target_url", 7, "must be a string"),
            ("secret", "fifteen-chars!!", "at least 16 characters (got 15)"),
            ("secret", 1234567890123456, "must be a string"),
            # Kardow: optional, and a string of 16 or more. null is neither absent nor a string.
            ("secret", None, "must be a string of at least 16 characters; leave it out"),
            ("secret", "\ud800" * 16, "must be valid Unicode text"),
            ("secret", ["a" * 16], "must be a string"),
            ("secret", {"s": "a" * 16}, "must be a string"),
            ("secret", True, "must be a string"),
            ("secret", 1.5e300, "must be a string"),
            ("target_url", "https://example.com/\ud800", "must be valid Unicode text"),
            ("target_url", "https://\udcff.example/", "must be valid Unicode text"),
            ("target_url", "https://example.com/\x7f", "control characters"),
            ("target_url", "https://example.com/" + "a" * 60_000, "at most 2048 characters"),
            ("target_url", False, "must be a string"),
            ("target_url", ["https://example.com/"], "must be a string"),
            ("target_url", {"url": "https://example.com/"}, "must be a string"),
            ("target_url", None, "is required"),
            ("event", None, "is required"),
            ("event", "\ud800", "must be one of"),
            ("event", ["job.created"], "must be a string"),
            ("event", {"name": "job.created"}, "must be a string"),
            ("event", False, "must be a string"),
            ("event", "j" * 60_000, "must be one of"),
            ("target_type", 1, "must be one of"),
            ("target_type", ["webhook"], "must be one of"),
            ("target_type", None, "is required"),
        ],
    )
    def test_each_invalid_field_is_422_with_its_reason(
        self, api: Engine, field: str, value: Any, reason: str
    ) -> None:
        reply = call(api, "POST", "/webhooks", registration(**{field: value}))
        assert reply.status == 422
        error = reply.json()["error"]
        assert error["code"] == "invalid_fields"
        assert set(error["fields"]) == {field}
        assert reason in error["fields"][field]
        assert call(api, "GET", "/webhooks").json()["data"] == []

    def test_every_invalid_field_is_reported_at_once(self, api: Engine) -> None:
        reply = call(api, "POST", "/webhooks", {"event": "nope", "secret": "short"})
        assert reply.status == 422
        assert set(reply.json()["error"]["fields"]) == {
            "event",
            "target_type",
            "target_url",
            "secret",
        }

    @pytest.mark.parametrize(
        ("raw", "status", "code"),
        [
            (b"", 400, "invalid_json"),
            (b"{broken", 400, "invalid_json"),
            (b"\xff\xfe{}", 400, "invalid_json"),
            (b"[1, 2]", 422, "invalid_fields"),
            (b'"a string"', 422, "invalid_fields"),
            (b"null", 422, "invalid_fields"),
            (b"true", 422, "invalid_fields"),
            (b"42", 422, "invalid_fields"),
            (b"x" * 70_000, 413, "body_too_large"),
            (b"[" * 60_000, 400, "invalid_json"),  # json.loads raised RecursionError: a 503
            (b'{"a": ' * 5000 + b"1" + b"}" * 5000, 400, "invalid_json"),
            (b'{"event": ' + b"7" * 5000 + b"}", 400, "invalid_json"),
            (b'{"event": NaN}', 400, "invalid_json"),
        ],
    )
    def test_bad_bodies_get_a_clear_json_error(
        self, api: Engine, raw: bytes, status: int, code: str
    ) -> None:
        reply = call(api, "POST", "/webhooks", raw)
        assert reply.status == status
        assert reply.json()["error"]["code"] == code

    def test_the_secret_is_stored_encrypted(self, api: Engine, data_dir: Path) -> None:
        assert call(api, "POST", "/webhooks", registration()).status == 201
        for path in data_dir.iterdir():
            assert SECRET.encode() not in path.read_bytes(), path.name


class TestExtensions:
    def test_list_and_get_are_marked_as_ours(self, api: Engine) -> None:
        target = call(api, "POST", "/webhooks", registration()).json()["data"]
        listing = call(api, "GET", "/webhooks")
        assert listing.status == 200
        assert listing.header("X-Hookscope-Extension") == "true"
        assert [t["id"] for t in listing.json()["data"]] == [target["id"]]
        one = call(api, "GET", f"/webhooks/{target['id']}")
        assert one.json()["data"] == target

    def test_patch_disables_and_enables(self, api: Engine) -> None:
        target_id = call(api, "POST", "/webhooks", registration()).json()["data"]["id"]
        off = call(api, "PATCH", f"/webhooks/{target_id}", {"is_enabled": False})
        assert off.status == 200
        assert off.json()["data"]["is_enabled"] is False
        assert api.targets()[0].is_enabled is False
        on = call(api, "PATCH", f"/webhooks/{target_id}", {"is_enabled": True})
        assert on.json()["data"]["is_enabled"] is True

    def test_patch_sets_and_clears_the_secret(self, api: Engine) -> None:
        body = registration(secret=...)
        target_id = call(api, "POST", "/webhooks", body).json()["data"]["id"]
        on = call(api, "PATCH", f"/webhooks/{target_id}", {"secret": "a-new-secret-16ch"})
        assert on.json()["data"]["has_secret"] is True
        assert api.targets()[0].secret == "a-new-secret-16ch"
        off = call(api, "PATCH", f"/webhooks/{target_id}", {"secret": None})
        assert off.json()["data"]["has_secret"] is False

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"is_enabled": "yes"}, "is_enabled"),
            ({"secret": "short"}, "secret"),
            ({"target_url": "https://example.com/x"}, "target_url"),
            ({}, "body"),
            ({"secret": "\udcff" * 16}, "secret"),
            ({"secret": ["a" * 16]}, "secret"),
            ({"is_enabled": None}, "is_enabled"),
            ({"is_enabled": 1}, "is_enabled"),
        ],
    )
    def test_patch_validates(self, api: Engine, body: dict[str, Any], field: str) -> None:
        target_id = call(api, "POST", "/webhooks", registration()).json()["data"]["id"]
        reply = call(api, "PATCH", f"/webhooks/{target_id}", body)
        assert reply.status == 422
        assert field in reply.json()["error"]["fields"]

    def test_patch_refuses_json_nested_too_deep(self, api: Engine) -> None:
        target_id = call(api, "POST", "/webhooks", registration()).json()["data"]["id"]
        reply = call(api, "PATCH", f"/webhooks/{target_id}", b"[" * 60_000)
        assert reply.status == 400
        assert reply.json()["error"]["message"] == (
            "The request body is nested more than 100 levels deep."
        )

    def test_delete_removes_and_a_second_delete_is_404(self, api: Engine) -> None:
        target_id = call(api, "POST", "/webhooks", registration()).json()["data"]["id"]
        assert call(api, "DELETE", f"/webhooks/{target_id}").status == 204
        assert call(api, "GET", "/webhooks").json()["data"] == []
        gone = call(api, "DELETE", f"/webhooks/{target_id}")
        assert gone.status == 404
        assert gone.json()["error"]["code"] == "not_found"

    def test_unknown_ids_paths_and_methods_are_json_errors(self, api: Engine) -> None:
        assert call(api, "GET", "/webhooks/nope").status == 404
        assert call(api, "PATCH", "/webhooks/nope", {"is_enabled": True}).status == 404
        nowhere = call(api, "GET", "/jobs")
        assert nowhere.status == 404
        assert "POST /webhooks" in nowhere.json()["error"]["message"]
        wrong = call(api, "PUT", "/webhooks", registration())
        assert wrong.status == 405
        assert wrong.json()["error"]["code"] == "method_not_allowed"

    def test_a_malformed_request_line_does_not_kill_the_emulator(self, api: Engine) -> None:
        reply = raw_request(api_port(api), b"NOT HTTP AT ALL\r\n\r\n")
        assert reply.status == 400
        assert call(api, "GET", "/webhooks").status == 200


def test_the_registry_is_the_one_the_cli_edits(api: Engine, data_dir: Path) -> None:
    from hookscope.cli import main

    assert (
        main(["targets", "add", "--event", "*", "--type", "slack", "--url", "https://h.example/s"])
        == 0
    )
    listed = call(api, "GET", "/webhooks").json()["data"]
    assert [(t["event"], t["target_type"]) for t in listed] == [("*", "slack")]
    target_id = call(api, "POST", "/webhooks", registration()).json()["data"]["id"]
    assert main(["targets", "disable", target_id[:8]]) == 0
    assert _eventually(
        lambda: not call(api, "GET", f"/webhooks/{target_id}").json()["data"]["is_enabled"]
    )


def test_register_over_http_then_fire_and_the_receiver_checks_the_signature(
    api: Engine,
) -> None:
    """The whole loop of the issue: an integration registers through the emulator, an event
    is fired, and a separate server checks X-Kardow-Signature with its own HMAC."""
    import hashlib
    import hmac

    from hookscope.core.model import SendPolicy
    from tests.integration.receiver import running_receiver

    with running_receiver() as receiver:
        for path, kind, secret in (
            ("/hooks/signed", "webhook", SECRET),
            ("/hooks/discord", "discord", ...),
            ("/hooks/slack", "slack", ...),
        ):
            body = registration(event="*", target_type=kind, target_url=receiver.url(path))
            body["secret"] = secret
            assert call(api, "POST", "/webhooks", registration(**body)).status == 201
        plan = api.call(api.plan_kardow("application.received", {"application_id": "a"}, 7))
        attempts = api.call(api.send(plan.result(10), SendPolicy())).result(30)
        assert [a.ok for a in attempts] == [True, True, True]
        (signed,) = receiver.of("/hooks/signed")
        expected = hmac.new(SECRET.encode(), signed.body, hashlib.sha256).hexdigest()
        assert signed.header("X-Kardow-Signature") == expected
        assert json.loads(signed.body)["organization_id"] == 7
        (discord,) = receiver.of("/hooks/discord")
        assert json.loads(discord.body)["allowed_mentions"] == {"parse": []}
        (slack,) = receiver.of("/hooks/slack")
        assert json.loads(slack.body)["text"]
