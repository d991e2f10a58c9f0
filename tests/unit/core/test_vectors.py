"""Signatures and tokens against vectors computed independently with Node (tests/vectors/).

The vectors are the reference: when one disagrees with the app, the app is the suspect.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hookscope.core import providers
from hookscope.core.model import Credential
from hookscope.core.providers import VerifyContext, kardow, kudoz
from tests.conftest import make_capture

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def _load(name: str) -> list[dict[str, Any]]:
    cases = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    assert cases, f"{name} holds no vectors"
    return cases


KARDOW = _load("kardow.json")
KUDOZ = _load("kudoz.json")
BUILT_IN = [case for case in KUDOZ if case["template"] in kudoz.TEMPLATES]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _body(case: dict[str, Any]) -> bytes:
    return base64.b64decode(case["body_b64"], validate=True)


def _moment(timestamp: str) -> datetime:
    """The vector's timestamp as a UTC datetime (10 digits: seconds, 13: milliseconds)."""
    seconds = int(timestamp) / 1000 if len(timestamp) == 13 else int(timestamp)
    return datetime.fromtimestamp(seconds, UTC)


def test_the_vector_files_cover_what_the_protocols_describe() -> None:
    # Guards against a truncated or emptied vector file silently shrinking the tests below.
    assert len(KARDOW) >= 10
    assert {case["template"] for case in BUILT_IN} == set(kudoz.TEMPLATES)
    assert any(len(case["timestamp"]) == 13 for case in KUDOZ)
    assert any(case["template"] not in kudoz.TEMPLATES for case in KUDOZ)


# --------------------------------------------------------------------------- Kardow


@pytest.mark.parametrize("case", KARDOW, ids=_ids(KARDOW))
def test_kardow_sign_matches_the_vector(case: dict[str, Any]) -> None:
    assert kardow.sign(case["secret"], _body(case)) == case["signature"]


@pytest.mark.parametrize("case", KARDOW, ids=_ids(KARDOW))
def test_kardow_delivery_with_the_vector_signature_is_verified(case: dict[str, Any]) -> None:
    capture = make_capture(
        path="/hooks/kardow",
        headers=(
            ("Content-Type", "application/json"),
            ("X-Kardow-Signature", case["signature"]),
        ),
        body=_body(case),
    )
    context = VerifyContext([Credential("kardow", "v", case["secret"])])

    assert providers.detect(capture) is kardow
    verdict = kardow.verify(capture, context)

    assert verdict.verdict == "verified", verdict.detail
    assert verdict.provider == "kardow"
    assert "'v'" in verdict.detail
    # the vector signature is exact lowercase hex: no accepted-variant note
    assert "documents lowercase hex" not in verdict.detail
    assert not any(check.assumed for check in verdict.checks)


# --------------------------------------------------------------------------- Kudoz


def _inputs(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": case["method"],
        "path": case["path"],
        "body": _body(case),
    }


def _capture(case: dict[str, Any]) -> Any:
    return make_capture(
        method=case["method"],
        path=case["path"],
        headers=(
            ("Content-Type", "application/json"),
            ("Authorization", case["authorization"]),
        ),
        body=_body(case),
    )


@pytest.mark.parametrize("case", KUDOZ, ids=_ids(KUDOZ))
def test_kudoz_signed_string_matches_the_vector(case: dict[str, Any]) -> None:
    signed = kudoz.signed_string(
        case["template"],
        api_key=case["api_key"],
        uuid=case["uuid"],
        timestamp=case["timestamp"],
        **_inputs(case),
    )
    assert signed == base64.b64decode(case["signed_b64"], validate=True)


@pytest.mark.parametrize("case", KUDOZ, ids=_ids(KUDOZ))
def test_kudoz_token_matches_the_vector(case: dict[str, Any]) -> None:
    signed = base64.b64decode(case["signed_b64"], validate=True)
    assert kudoz.compute_token(case["api_secret"], signed) == case["token"]


@pytest.mark.parametrize("case", KUDOZ, ids=_ids(KUDOZ))
def test_kudoz_sign_produces_the_vector_authorization(case: dict[str, Any]) -> None:
    credential = Credential(
        "kudoz", "v", case["api_secret"], api_key=case["api_key"], template=case["template"]
    )
    header = kudoz.sign(credential, uuid=case["uuid"], timestamp=case["timestamp"], **_inputs(case))
    assert header == case["authorization"]


@pytest.mark.parametrize("case", KUDOZ, ids=_ids(KUDOZ))
def test_kudoz_callback_is_verified_with_the_configured_template(case: dict[str, Any]) -> None:
    credential = Credential(
        "kudoz", "v", case["api_secret"], api_key=case["api_key"], template=case["template"]
    )
    context = VerifyContext([credential], now=_moment(case["timestamp"]))
    capture = _capture(case)

    assert providers.detect(capture) is kudoz
    verdict = kudoz.verify(capture, context)

    assert verdict.verdict == "verified", verdict.detail
    assert verdict.provider == "kudoz"
    assert "'v'" in verdict.detail
    # the configured template matched: nothing else to name
    assert "using the template" not in verdict.detail
    assert verdict.nonce is not None
    assert (verdict.nonce.api_key, verdict.nonce.uuid) == (case["api_key"], case["uuid"])


@pytest.mark.parametrize("case", BUILT_IN, ids=_ids(BUILT_IN))
def test_kudoz_callback_is_verified_with_the_default_credential(case: dict[str, Any]) -> None:
    credential = Credential("kudoz", "v", case["api_secret"], api_key=case["api_key"])
    context = VerifyContext([credential], now=_moment(case["timestamp"]))

    verdict = kudoz.verify(_capture(case), context)

    assert verdict.verdict == "verified", verdict.detail
    shown = case["template"].replace("\n", "\\n")
    if case["template"] == kudoz.DEFAULT_TEMPLATE:
        assert "using the template" not in verdict.detail
    else:
        assert f"using the template {shown}" in verdict.detail
    assert any(check.ok and shown in check.outcome for check in verdict.checks)
