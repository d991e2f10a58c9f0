"""Kardow's registration body: what the API refuses, and what the CLI and GUI forms pass on."""

from __future__ import annotations

from typing import Any

from hookscope.core.registration import NULL_SECRET, Registration, validate, validate_request

BODY: dict[str, Any] = {
    "event": "job.created",
    "target_type": "webhook",
    "target_url": "https://example.com/h",
}


def test_an_absent_secret_registers_without_one() -> None:
    assert validate_request(BODY) == Registration("job.created", "webhook", "https://example.com/h")


def test_an_explicit_null_secret_is_refused_over_the_api() -> None:
    assert validate_request({**BODY, "secret": None}) == {"secret": NULL_SECRET}


def test_a_null_secret_is_reported_with_the_other_fields() -> None:
    problems = validate_request({"event": "nope", "secret": None})
    assert isinstance(problems, dict)
    assert set(problems) == {"event", "target_type", "target_url", "secret"}
    assert problems["secret"] == NULL_SECRET


def test_the_forms_still_pass_none_for_no_secret() -> None:
    # `targets add` without --secret and the Targets form build the body with None.
    result = validate({**BODY, "secret": None})
    assert isinstance(result, Registration)
    assert result.secret is None
