"""The other services' signatures against vectors made by their own libraries (tests/vectors/):
Standard Webhooks, Stripe, GitHub (@octokit/webhooks-methods), Slack (slack_sdk), and OpenSSL
for Shopify, GitHub's legacy sha1 header and custom schemes.

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
from hookscope.core.model import Capture, Credential
from hookscope.core.providers import Scheme, VerifyContext
from tests.conftest import make_capture

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
FILES = {
    "standard-webhooks": "standard-webhooks.json",
    "stripe": "stripe.json",
    "github": "github.json",
    "slack": "slack.json",
    "shopify": "shopify.json",
}


def _load(name: str) -> list[dict[str, Any]]:
    cases = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    assert len(cases) >= 4, f"{name} holds too few vectors"
    return cases


CASES = [(scheme, case) for scheme, file in FILES.items() for case in _load(file)]
CASES += [("github", case) for case in _load("github-sha1.json")]
CUSTOM = _load("custom.json")


def _id(item: tuple[str, dict[str, Any]]) -> str:
    return f"{item[0]}: {item[1]['name']}"


def _capture(case: dict[str, Any]) -> Capture:
    return make_capture(
        method=case.get("method", "POST"),
        path=case.get("path", "/hooks/in"),
        headers=(("Content-Type", "application/json"), *map(tuple, case["headers"])),
        body=base64.b64decode(case["body_b64"], validate=True),
    )


def _context(scheme: str, case: dict[str, Any]) -> VerifyContext:
    credential = Credential(scheme, "v", case["secret"], api_key=case.get("public_key", ""))
    return VerifyContext([credential], now=datetime.fromtimestamp(case["now"], UTC))


def test_the_vector_files_cover_every_scheme_and_its_variants() -> None:
    names = {scheme for scheme, _ in CASES}
    assert names == set(FILES)
    signatures = " ".join(v for _, c in CASES for _, v in c["headers"])
    assert "v1a," in signatures  # Standard Webhooks' ed25519
    assert "sha1=" in signatures  # GitHub's legacy header
    assert any(v.count("v1=") == 2 for _, c in CASES for _, v in c["headers"])  # Stripe rolling
    assert {c["scheme"]["encoding"] for c in CUSTOM} == {"hex", "base64"}
    assert {c["scheme"]["algorithm"] for c in CUSTOM} == {"sha1", "sha256", "sha512"}


@pytest.mark.parametrize("item", CASES, ids=[_id(i) for i in CASES])
def test_the_vector_is_detected_and_verified(item: tuple[str, dict[str, Any]]) -> None:
    scheme, case = item
    capture = _capture(case)

    found = providers.detect(capture)
    verdict = providers.verify(capture, _context(scheme, case))

    assert found is providers.REGISTRY[scheme]
    assert (verdict.provider, verdict.verdict) == (scheme, "verified"), verdict.detail
    assert "'v'" in verdict.detail
    assert verdict.checks


SIGNABLE = [
    (scheme, case)
    for scheme, case in CASES
    if case["secret"]
    and "rotation" not in case["name"]
    and "roll" not in case["name"]
    and "sha1" not in case["name"]
]


@pytest.mark.parametrize("item", SIGNABLE, ids=[_id(i) for i in SIGNABLE])
def test_signing_with_the_vector_inputs_gives_the_vector_signature(
    item: tuple[str, dict[str, Any]],
) -> None:
    scheme, case = item
    sent = dict((name.lower(), value) for name, value in case["headers"])
    ident = (
        sent.get("webhook-id")
        or sent.get("x-github-delivery")
        or sent.get("x-shopify-webhook-id", "")
    )
    made = providers.REGISTRY[scheme].sign_headers(
        Credential(scheme, "v", case["secret"]),
        method="POST",
        path="/hooks/in",
        body=base64.b64decode(case["body_b64"], validate=True),
        headers=(),
        now=float(case["now"]),
        delivery_id=ident,
    )
    for name, value in made:
        assert sent[name.lower()] == value, name


def _scheme(case: dict[str, Any]) -> Scheme:
    return Scheme(**case["scheme"])


@pytest.mark.parametrize("case", CUSTOM, ids=[c["name"] for c in CUSTOM])
def test_a_custom_scheme_verifies_its_openssl_vector(case: dict[str, Any]) -> None:
    scheme = _scheme(case)
    assert scheme.problems() == []
    capture = _capture(case)

    verdict = providers.verify(capture, _context(scheme.name, case), schemes=[scheme])

    assert (verdict.provider, verdict.verdict) == (scheme.name, "verified"), verdict.detail


@pytest.mark.parametrize("case", CUSTOM, ids=[c["name"] for c in CUSTOM])
def test_a_custom_scheme_signs_as_its_openssl_vector(case: dict[str, Any]) -> None:
    scheme = _scheme(case)
    sent = dict((name.lower(), value) for name, value in case["headers"])
    provider = providers.provider(scheme.name, [scheme])
    assert provider is not None

    made = provider.sign_headers(
        Credential(scheme.name, "v", case["secret"]),
        method=case["method"],
        path=case["path"],
        body=base64.b64decode(case["body_b64"], validate=True),
        headers=[(n, v) for n, v in case["headers"] if n.lower() == "x-tenant"],
        now=float(case["now"]),
        delivery_id=sent.get("x-id", ""),
    )
    for name, value in made:
        assert sent[name.lower()] == value, name
