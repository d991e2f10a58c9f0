"""An outgoing request is a Request to a URL; an attempt holds it and the answer, if any."""

from __future__ import annotations

import dataclasses

import pytest

from hookscope.core.export import curl_command, origin_form
from hookscope.core.http import Headers, Request, Response
from hookscope.core.sending import Attempt, Outgoing

URL = "https://hooks.example:8443/in/kardow?tenant=7"
HEADERS = (("Content-Type", "application/json"), ("X-Kardow-Signature", "ab"))


def outgoing(**fields: object) -> Outgoing:
    return Outgoing(url=URL, body=b"{}", headers=HEADERS, **fields)  # type: ignore[arg-type]


class TestOutgoing:
    def test_it_is_a_request_whose_target_is_its_url(self) -> None:
        request = outgoing(event="job.created")
        assert isinstance(request, Request)
        assert request.target == request.url == URL
        assert (request.method, request.http_version) == ("POST", "1.1")
        assert type(request.headers) is Headers
        assert request.header("x-kardow-signature") == "ab"
        assert request.body_size == 2

    def test_replace_keeps_the_url_and_what_it_was_made_for(self) -> None:
        request = outgoing(kind="replay", event="job.created", note="as captured", replay_of=4)
        bare = dataclasses.replace(request, headers=Headers())
        assert bare.url == URL
        assert bare.headers == ()
        assert (bare.kind, bare.event, bare.note, bare.replay_of) == (
            "replay",
            "job.created",
            "as captured",
            4,
        )
        moved = dataclasses.replace(request, target="http://other/")
        assert (moved.url, moved.kind, moved.replay_of, moved.body) == (
            "http://other/",
            "replay",
            4,
            b"{}",
        )

    def test_equal_when_every_part_is(self) -> None:
        assert outgoing() == outgoing()
        assert outgoing() != outgoing(target_id="t-2")
        assert outgoing() != Request("POST", URL, Headers(HEADERS), b"{}")

    def test_a_url_is_required(self) -> None:
        with pytest.raises(TypeError, match="url"):
            Outgoing(body=b"")

    def test_curl_sends_it_to_its_own_url(self) -> None:
        request = outgoing()
        assert curl_command(request) == curl_command(*origin_form(request))
        assert " 'https://hooks.example:8443/in/kardow?tenant=7'" in curl_command(request)

    def test_origin_form_splits_the_url_into_root_and_target(self) -> None:
        split, base = origin_form(outgoing())
        assert base == "https://hooks.example:8443"
        assert split == Request("POST", "/in/kardow?tenant=7", Headers(HEADERS), b"{}")


class TestAttempt:
    def test_a_response_is_exposed_as_a_message_and_as_its_parts(self) -> None:
        answer = Response(301, Headers((("Location", "/next"),)), b"moved")
        attempt = Attempt("fire-1", outgoing(), response=answer)
        assert attempt.request == outgoing()
        assert attempt.response is answer
        assert (attempt.status, attempt.response_headers, attempt.response_body) == (
            301,
            (("Location", "/next"),),
            b"moved",
        )
        assert attempt.outcome == "redirected (301) to /next, not followed"

    def test_the_parts_make_the_response(self) -> None:
        attempt = Attempt("fire-1", outgoing(), status=200, response_headers=HEADERS)
        assert attempt.response == Response(200, Headers(HEADERS), b"")
        assert attempt.ok

    def test_without_a_response_the_parts_are_empty(self) -> None:
        attempt = Attempt("fire-1", outgoing(), error="could not connect")
        assert attempt.response is None
        assert (attempt.status, attempt.response_headers, attempt.response_body) == (None, (), b"")
        assert not attempt.ok
        assert attempt.outcome == "could not connect"

    def test_replace_keeps_the_response(self) -> None:
        attempt = Attempt("fire-1", outgoing(), status=500, response_body=b"down")
        again = dataclasses.replace(attempt, final=False, number=2)
        assert again.response == attempt.response
        assert (again.final, again.number, again.started_at) == (False, 2, attempt.started_at)

    def test_a_response_and_its_parts_together_are_refused(self) -> None:
        with pytest.raises(TypeError, match="not both"):
            Attempt("fire-1", outgoing(), status=200, response=Response(200))

    def test_response_parts_without_a_status_are_refused(self) -> None:
        with pytest.raises(TypeError, match="without a status"):
            Attempt("fire-1", outgoing(), response_body=b"orphan")
