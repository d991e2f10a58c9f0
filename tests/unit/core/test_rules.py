"""Response rules: which rule answers a request, what it renders, and what cannot be saved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookscope.core.http import Header, Headers, Request
from hookscope.core.model import DEFAULT_RULE, Response, ResponseRule
from hookscope.core.rules import SERVER, as_sent, check_rule, match_rule, render


class TestMatchRule:
    def test_no_rules_falls_back_to_the_default_rule(self) -> None:
        assert match_rule([], "POST", "/anything") is DEFAULT_RULE

    def test_nothing_matching_falls_back_to_the_default_rule(self) -> None:
        rules = [ResponseRule(pattern="/kardow/*", status=202, id=1)]
        assert match_rule(rules, "POST", "/kudoz/x") is DEFAULT_RULE

    def test_lowest_position_wins_whatever_the_list_order(self) -> None:
        late = ResponseRule(pattern="*", status=500, position=5, id=1)
        early = ResponseRule(pattern="*", status=201, position=1, id=2)
        assert match_rule([late, early], "POST", "/x") is early
        assert match_rule([early, late], "POST", "/x") is early

    def test_same_position_is_ordered_by_id(self) -> None:
        second = ResponseRule(pattern="*", status=502, position=0, id=2)
        first = ResponseRule(pattern="*", status=501, position=0, id=1)
        assert match_rule([second, first], "GET", "/") is first

    def test_a_specific_rule_placed_first_shadows_a_catch_all(self) -> None:
        specific = ResponseRule(pattern="/kardow/*", status=410, position=0, id=1)
        catch_all = ResponseRule(pattern="*", status=204, position=1, id=2)
        rules = [catch_all, specific]
        assert match_rule(rules, "POST", "/kardow/jobs") is specific
        assert match_rule(rules, "POST", "/other") is catch_all

    def test_disabled_rules_are_skipped(self) -> None:
        disabled = ResponseRule(pattern="*", status=500, position=0, enabled=False, id=1)
        enabled = ResponseRule(pattern="*", status=202, position=1, id=2)
        assert match_rule([disabled, enabled], "POST", "/x") is enabled
        assert match_rule([disabled], "POST", "/x") is DEFAULT_RULE

    @pytest.mark.parametrize("method", ["POST", "post", "Post"])
    def test_method_filter_is_case_insensitive(self, method: str) -> None:
        rule = ResponseRule(pattern="*", method="post", status=201, id=1)
        assert match_rule([rule], method, "/x") is rule

    def test_method_filter_excludes_other_methods(self) -> None:
        rule = ResponseRule(pattern="*", method="POST", status=201, id=1)
        assert match_rule([rule], "GET", "/x") is DEFAULT_RULE

    def test_a_rule_without_method_matches_every_method(self) -> None:
        rule = ResponseRule(pattern="*", status=201, id=1)
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            assert match_rule([rule], method, "/x") is rule

    @pytest.mark.parametrize(
        ("pattern", "path", "matches"),
        [
            ("*", "/", True),
            ("*", "/a/b/c", True),
            ("/kardow/*", "/kardow/jobs", True),
            ("/kardow/*", "/kardow", False),
            ("/kardow/*", "/kudoz/jobs", False),
            ("/hooks/?", "/hooks/1", True),
            ("/hooks/?", "/hooks/12", False),
            ("/v[12]/hook", "/v2/hook", True),
            ("/v[12]/hook", "/v3/hook", False),
            ("/exact", "/exact", True),
            ("/exact", "/exact/more", False),
            ("/Kardow/*", "/kardow/jobs", False),  # paths are case-sensitive
        ],
    )
    def test_glob_patterns(self, pattern: str, path: str, matches: bool) -> None:
        rule = ResponseRule(pattern=pattern, status=299, id=1)
        assert (match_rule([rule], "POST", path) is rule) is matches


class TestRender:
    def test_default_rule_answers_ok_with_the_capture_id(self) -> None:
        response = render(DEFAULT_RULE, 42)
        assert response.status == 200
        assert json.loads(response.body) == {"ok": True, "capture_id": 42}
        assert response.headers == (("Content-Type", "application/json"),)

    def test_capture_id_is_substituted_inside_json_braces(self) -> None:
        rule = ResponseRule(
            pattern="*", body='{"data": {"id": {capture_id}, "ref": "cap-{capture_id}"}}'
        )
        response = render(rule, 7)
        assert response.body == b'{"data": {"id": 7, "ref": "cap-7"}}'
        assert json.loads(response.body) == {"data": {"id": 7, "ref": "cap-7"}}

    def test_other_braces_are_left_alone(self) -> None:
        rule = ResponseRule(pattern="*", body='{"x": "{id}", "y": {}, "z": "{capture}"}')
        assert render(rule, 3).body == b'{"x": "{id}", "y": {}, "z": "{capture}"}'

    def test_body_is_encoded_as_utf8(self) -> None:
        rule = ResponseRule(pattern="*", body="reçu n°{capture_id} ✓")
        assert render(rule, 12).body == "reçu n°12 ✓".encode()

    def test_empty_body(self) -> None:
        assert render(ResponseRule(pattern="*", status=204, body=""), 1).body == b""

    def test_status_and_headers_are_carried(self) -> None:
        # The delay is not part of the response: the writer hands it to the listener beside it
        # (tests/unit/storage/test_store.py).
        headers = (("X-Trace", "a"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
        rule = ResponseRule(
            pattern="*", status=503, headers=headers, body="busy", delay_ms=1500, id=9
        )
        assert render(rule, 5) == Response(status=503, headers=Headers(headers), body=b"busy")


class TestCheckRule:
    def test_a_valid_rule_passes(self) -> None:
        assert check_rule(DEFAULT_RULE) is None
        rule = ResponseRule(
            pattern="/kardow/*",
            status=418,
            headers=(("X-A", "value with spaces: and colons"),),
            delay_ms=600_000,
        )
        assert check_rule(rule) is None

    def test_empty_pattern_is_refused(self) -> None:
        problem = check_rule(ResponseRule(pattern=""))
        assert problem is not None
        assert "pattern" in problem

    @pytest.mark.parametrize("status", [200, 599])
    def test_status_bounds_are_accepted(self, status: int) -> None:
        assert check_rule(ResponseRule(pattern="*", status=status)) is None

    @pytest.mark.parametrize("status", [-1, 0, 99, 600, 1000])
    def test_status_outside_200_to_599_is_refused(self, status: int) -> None:
        problem = check_rule(ResponseRule(pattern="*", status=status))
        assert problem is not None
        assert str(status) in problem

    @pytest.mark.parametrize("status", [100, 101, 103, 199])
    def test_informational_statuses_are_refused(self, status: int) -> None:
        # A 1xx is not a final answer: the sender would wait for one that never comes.
        problem = check_rule(ResponseRule(pattern="*", status=status))
        assert problem == (
            f"Status {status} is informational: the sender would keep waiting for a final "
            "answer. Use 200 to 599."
        )

    @pytest.mark.parametrize("delay_ms", [-1, 600_001])
    def test_delay_out_of_range_is_refused(self, delay_ms: int) -> None:
        problem = check_rule(ResponseRule(pattern="*", delay_ms=delay_ms))
        assert problem is not None
        assert "delay" in problem

    @pytest.mark.parametrize("delay_ms", [0, 600_000])
    def test_delay_bounds_are_accepted(self, delay_ms: int) -> None:
        assert check_rule(ResponseRule(pattern="*", delay_ms=delay_ms)) is None

    @pytest.mark.parametrize(
        "name",
        [
            "",
            "X:Y",
            "X Y",
            "X-A\r\nX-Injected",
            "X\r",
            "X\n",
            " X-A",
            "X-A ",
            "X\x00A",
            "X\tA",
            "X(A)",
            "X-Ä",
            "X/A",
            "X\udcff",
        ],
    )
    def test_invalid_header_names_are_refused(self, name: str) -> None:
        problem = check_rule(ResponseRule(pattern="*", headers=(("X-Ok", "1"), (name, "v"))))
        assert problem is not None
        assert repr(name) in problem

    @pytest.mark.parametrize(
        "value",
        [
            "a\r\nSet-Cookie: x=1",
            "a\rb",
            "a\nb",
            "\r\n",
            "a\x00b",
            "a\x01",
            "\x1b[31m",
            "a\x7f",
            "a\udcff",
            "\ud800",
        ],
    )
    def test_header_values_with_line_breaks_or_controls_are_refused(self, value: str) -> None:
        problem = check_rule(ResponseRule(pattern="*", headers=(("X-A", value),)))
        assert problem is not None
        assert "'X-A'" in problem


@pytest.mark.parametrize("name", ["Content-Length", "transfer-encoding"])
def test_rules_cannot_set_framing_headers(name: str) -> None:
    problem = check_rule(ResponseRule(pattern="*", headers=((name, "5"),)))
    assert problem is not None
    assert name in problem


@pytest.mark.parametrize(
    "value", ["tab\tinside", "Zürich ✓", "!#$%&'*+-.^_`|~ ()<>@,;:\\\"/[]?={}", ""]
)
def test_header_values_may_hold_tabs_and_any_visible_text(value: str) -> None:
    assert check_rule(ResponseRule(pattern="*", headers=(("X-A", value),))) is None


@pytest.mark.parametrize("name", ["!#$%&'*+-.^_`|~", "X-Hookscope-1", "content-TYPE"])
def test_header_names_may_be_any_token(name: str) -> None:
    assert check_rule(ResponseRule(pattern="*", headers=((name, "v"),))) is None


@pytest.mark.parametrize(
    "name", ["Connection", "keep-alive", "Proxy-Connection", "TE", "Trailer", "Upgrade"]
)
def test_rules_cannot_set_hop_by_hop_headers(name: str) -> None:
    problem = check_rule(ResponseRule(pattern="*", headers=((name, "close"),)))
    assert problem == f"{name} describes the connection, which the listener manages; leave it out."


@pytest.mark.parametrize(
    ("rule", "what"),
    [
        (ResponseRule(pattern="/a\udcff"), "The path pattern"),
        (ResponseRule(pattern="*", body="ok \ud800"), "The body"),
    ],
)
def test_text_that_is_not_unicode_is_refused(rule: ResponseRule, what: str) -> None:
    assert check_rule(rule) == f"{what} holds text that is not valid Unicode (a lone surrogate)."


@pytest.mark.parametrize("method", ["GET X", "POST\r\n", "G\udcffT"])
def test_a_method_that_is_no_method_name_is_refused(method: str) -> None:
    assert check_rule(ResponseRule(pattern="*", method=method)) == (
        f"The method {method!r} is not an HTTP method name."
    )


@pytest.mark.parametrize("status", [204, 304])
def test_a_no_body_status_renders_no_body(status: int) -> None:
    rule = ResponseRule(pattern="*", status=status)
    assert check_rule(rule) is None
    assert render(rule, 3) == Response(status=status, headers=rule.headers, body=b"")


class TestAsSent:
    DATE = "Sun, 06 Nov 1994 08:49:37 GMT"

    def sent(self, response: Response, method: str = "POST", **request: Any) -> list[Header]:
        arrived = Request(method, "/", **request)
        return list(as_sent(response, arrived, self.DATE).headers)

    def test_the_servers_own_headers_follow_the_rules(self) -> None:
        response = Response(200, (("Content-Type", "application/json"),), b"{}")
        assert self.sent(response) == [
            ("Content-Type", "application/json"),
            ("Content-Length", "2"),
            ("Date", self.DATE),
            ("Server", SERVER),
        ]

    def test_a_body_without_a_type_is_octet_stream(self) -> None:
        assert self.sent(Response(200, (), b"x"))[0] == ("Content-Type", "application/octet-stream")

    def test_no_length_where_there_is_no_body_by_definition(self) -> None:
        assert [n for n, _ in self.sent(Response(204, (), b""))] == ["Date", "Server"]
        assert [n for n, _ in self.sent(Response(304, ()))] == ["Date", "Server"]
        assert [n for n, _ in self.sent(Response(200, ()), "HEAD")] == ["Date", "Server"]
        assert ("Content-Length", "0") in self.sent(Response(200, ()))
        head = self.sent(Response(200, (), b"abc"), "HEAD")
        assert ("Content-Length", "3") in head
        assert "Content-Type" not in dict(head)

    def test_what_the_rule_sets_is_kept(self) -> None:
        rule_headers = (("server", "mine"), ("DATE", "then"), ("content-type", "text/plain"))
        assert self.sent(Response(200, rule_headers, b"x")) == [
            *rule_headers,
            ("Content-Length", "1"),
        ]

    @pytest.mark.parametrize(
        ("version", "connection", "expected"),
        [
            ("1.1", "close", "close"),
            ("1.1", "Keep-Alive, Close", "close"),
            ("1.1", "keep-alive", None),
            ("1.1", None, None),
            ("1.0", "keep-alive", "keep-alive"),
            ("1.0", None, None),
        ],
    )
    def test_connection_when_the_request_changes_the_default(
        self, version: str, connection: str | None, expected: str | None
    ) -> None:
        headers = () if connection is None else (("Connection", connection),)
        sent = self.sent(Response(200, ()), headers=headers, http_version=version)
        assert dict(sent).get("Connection") == expected
