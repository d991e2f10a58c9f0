"""The provider registry: every provider's names, detection order and signing contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hookscope.core import providers
from hookscope.core.model import Credential
from hookscope.core.providers import Scheme, VerifyContext
from tests.conftest import make_capture

BODY = b'{"event": "job.created", "organization_id": 42, "data": {}}'


def test_names_lists_the_built_ins_then_the_custom_schemes() -> None:
    custom = Scheme("acme", "X-Acme-Signature")
    assert providers.names()[:2] == ["kardow", "kudoz"]
    assert providers.names([custom]) == [*providers.names(), "acme"]


@pytest.mark.parametrize("name", ["kardow", "kudoz"])
def test_what_sign_headers_sets_is_verified(name: str) -> None:
    credential = Credential(name, "main", "a-signing-secret-of-some-length", api_key="key-1")
    provider = providers.REGISTRY[name]
    headers = provider.sign_headers(
        credential,
        method="POST",
        path="/hooks/in",
        body=BODY,
        headers=(("Content-Type", "application/json"),),
        now=1_760_000_000.0,
        delivery_id="0b5b0b52-7f0c-4d0c-9a51-0d1c2f3e4a5b",
    )
    capture = make_capture(
        path="/hooks/in", headers=(("Content-Type", "application/json"), *headers), body=BODY
    )
    context = VerifyContext([credential], now=datetime.fromtimestamp(1_760_000_000, UTC))
    verdict = providers.verify(capture, context)
    assert (verdict.provider, verdict.verdict) == (name, "verified"), verdict.detail
