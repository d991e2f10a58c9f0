"""What is made at the moment of sending: fresh values, signatures and tokens (pure)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hookscope.core import fresh
from hookscope.core.fire import FireError, plan_kardow, plan_kudoz, plan_replay
from hookscope.core.model import Credential, Target
from hookscope.core.providers import kardow, kudoz
from tests.conftest import make_capture

PREVIEWED = datetime(2025, 7, 19, 12, 0, 0, 123_000, tzinfo=UTC)
SENT = PREVIEWED + timedelta(minutes=5, seconds=22)
SECRET = "whsec-0123456789abcdef"
KUDOZ = Credential("kudoz", "main", "kudoz-api-secret", api_key="key-1")
DATA = {"id": "{{uuid}}", "at": "{{now}}", "unix": "{{unix}}", "title": "Café ☕", "n": 7}


def targets() -> list[Target]:
    return [
        Target("t-signed", "job.created", "webhook", "http://a.example/in", secret=SECRET),
        Target("t-plain", "*", "webhook", "http://b.example/in"),
        Target("t-slack", "*", "slack", "http://c.example/in"),
    ]


class TestRefill:
    def test_a_kardow_event_is_made_again_with_fresh_values_and_the_rest_as_written(
        self,
    ) -> None:
        plan = plan_kardow("job.created", DATA, org_id=42, targets=targets(), now=PREVIEWED)
        sent = fresh.refill(plan, SENT, random.Random(7))
        before, after = json.loads(plan.payload), json.loads(sent.payload)
        assert before["timestamp"] == "2025-07-19T12:00:00.123Z"
        assert after["timestamp"] == "2025-07-19T12:05:22.123Z"
        assert after["data"]["at"] == "2025-07-19T12:05:22.123Z"
        assert after["data"]["unix"] == int(SENT.timestamp())
        assert after["data"]["id"] != before["data"]["id"]
        # What the user wrote goes out as written, in its order: only the fresh values differ.
        assert list(after["data"]) == list(DATA)
        assert (after["data"]["title"], after["data"]["n"]) == ("Café ☕", 7)
        assert (after["event"], after["organization_id"]) == ("job.created", 42)
        webhook, unsigned, slack = sent.requests
        assert webhook.body == unsigned.body == sent.payload
        assert b"12:05:22" in slack.body  # the chat message is made from the same event
        assert [r.url for r in sent.requests] == [r.url for r in plan.requests]
        assert [r.headers for r in sent.requests] == [r.headers for r in plan.requests]
        assert sent.fire_id == plan.fire_id

    def test_a_kudoz_callback_keeps_its_id_and_gets_fresh_data(self) -> None:
        plan = plan_kudoz(
            "job_application", DATA, url="http://x.example/cb", credential=KUDOZ, now=PREVIEWED
        )
        sent = fresh.refill(plan, SENT)
        before, after = json.loads(plan.payload), json.loads(sent.payload)
        assert after["id"] == before["id"]
        assert after["kind"] == "job_application"
        assert after["data"]["at"] == "2025-07-19T12:05:22.123Z"
        assert sent.requests[0].body == sent.payload

    def test_a_kudoz_callback_without_data_stays_without(self) -> None:
        plan = plan_kudoz(
            "job_application", None, url="http://x.example/", credential=KUDOZ, now=PREVIEWED
        )
        assert "data" not in json.loads(fresh.refill(plan, SENT).payload)

    def test_a_replay_is_left_exactly_as_planned(self) -> None:
        capture = make_capture(headers=(("Authorization", "TOKEN a:b:1:c"),), body=b'{"x": 1}')
        plan = plan_replay(capture, url="http://x.example/", now=PREVIEWED)
        assert fresh.refill(plan, SENT) is plan


class TestSigned:
    def test_kardow_is_signed_over_the_body_that_leaves_in_the_same_place(self) -> None:
        plan = plan_kardow("job.created", DATA, org_id=42, targets=targets(), now=PREVIEWED)
        request = fresh.refill(plan, SENT).requests[0]
        signer = Credential("kardow", "target", SECRET)
        out = fresh.signed(request, signer, SENT)
        assert out.header(kardow.HEADER) == kardow.sign(SECRET, request.body)
        assert [name for name, _ in out.headers] == [name for name, _ in request.headers]
        assert out.body == request.body

    def test_kudoz_gets_a_new_uuid_and_the_time_it_leaves(self) -> None:
        plan = plan_kudoz(
            "job_application", DATA, url="http://x.example/cb", credential=KUDOZ, now=PREVIEWED
        )
        (request,) = plan.requests
        first = fresh.signed(request, KUDOZ, SENT)
        later = fresh.signed(request, KUDOZ, SENT + timedelta(seconds=10))
        _, old_uuid, old_stamp, _ = (request.header("Authorization") or "")[6:].split(":")
        _, uuid1, stamp1, token1 = (first.header("Authorization") or "")[6:].split(":")
        _, uuid2, stamp2, _ = (later.header("Authorization") or "")[6:].split(":")
        assert int(old_stamp) == int(PREVIEWED.timestamp())
        assert int(stamp1) == int(SENT.timestamp())
        assert int(stamp2) == int(stamp1) + 10
        assert len({old_uuid, uuid1, uuid2}) == 3
        expected = kudoz.sign(KUDOZ, method="POST", path="/cb", body=request.body, uuid=uuid1,
                              timestamp=stamp1)  # fmt: skip
        assert first.header("Authorization") == expected
        assert token1 in expected

    def test_unsigned_requests_go_as_they_are_and_a_missing_secret_is_said(self) -> None:
        plan = plan_kardow("job.created", DATA, org_id=42, targets=targets(), now=PREVIEWED)
        unsigned = plan.requests[1]
        assert fresh.signed(unsigned, None, SENT) is unsigned
        with pytest.raises(FireError, match="no secret to sign it with"):
            fresh.signed(plan.requests[0], None, SENT)

    def test_the_signing_recipe_is_not_part_of_what_the_request_is(self) -> None:
        plan = plan_kardow("job.created", DATA, org_id=42, targets=targets(), now=PREVIEWED)
        request = plan.requests[0]
        assert request.signing is not None
        assert replace(request, signing=None) == request


class TestSaid:
    def test_the_preview_names_every_value_made_as_it_is_sent(self) -> None:
        plan = plan_kardow("job.created", DATA, org_id=42, targets=targets(), now=PREVIEWED)
        signed, unsigned, slack = plan.requests
        assert fresh.describe(plan, signed) == (
            "Made as it is sent (shown here with sample values): the envelope's timestamp,"
            " {{uuid}}, {{now}}, {{unix}} and X-Kardow-Signature."
        )
        assert "X-Kardow-Signature" not in fresh.describe(plan, unsigned)
        assert fresh.refreshed(plan, slack) == [
            "the envelope's timestamp",
            "{{uuid}}",
            "{{now}}",
            "{{unix}}",
        ]

    def test_a_kudoz_token_is_named_and_a_plain_replay_names_nothing(self) -> None:
        plan = plan_kudoz(
            "job_application", {"a": 1}, url="http://x.example/", credential=KUDOZ, now=PREVIEWED
        )
        assert fresh.describe(plan, plan.requests[0]) == (
            "Made as it is sent (shown here with sample values): the Authorization token"
            " (a new UUID and timestamp for every attempt)."
        )
        replay = plan_replay(make_capture(), url="http://x.example/", now=PREVIEWED)
        assert fresh.describe(replay, replay.requests[0]) == ""
