"""The provider registry: which sender a capture came from, and its verdict."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from hookscope.core.model import Capture, Credential, Verdict
from hookscope.core.providers import kardow, kudoz
from hookscope.core.providers.base import NonceMemory, Provider, VerifyContext

REGISTRY: dict[str, Provider] = {kardow.name: kardow, kudoz.name: kudoz}

__all__ = [
    "REGISTRY",
    "NonceMemory",
    "Provider",
    "Reverifier",
    "VerifyContext",
    "detect",
    "verify",
]


def detect(capture: Capture, overrides: Mapping[str, str] | None = None) -> Provider | None:
    """Headers first (a signature or token), then body shape, then the user's path override."""
    for provider in REGISTRY.values():
        if provider.detect_headers(capture):
            return provider
    for provider in REGISTRY.values():
        if provider.detect_body(capture):
            return provider
    for pattern, name in (overrides or {}).items():
        if fnmatchcase(capture.path, pattern):
            return REGISTRY.get(name)
    return None


def verify(
    capture: Capture, context: VerifyContext, overrides: Mapping[str, str] | None = None
) -> Verdict:
    """The capture's verdict: `n/a` when no provider is recognised."""
    provider = detect(capture, overrides)
    if provider is None:
        return Verdict()
    try:
        return provider.verify(capture, context)
    except Exception as exc:  # a verifier bug must never lose a delivery or stop a re-check
        detail = f"Verification could not run ({type(exc).__name__}: {exc})."
        return Verdict("n/a", detail, provider.name, provider.event(capture))


class Reverifier:
    """Verifies stored captures again, oldest first, as they were judged on arrival: each
    timestamp against its capture's arrival time, each UUID against the captures before it."""

    def __init__(
        self, credentials: list[Credential], overrides: Mapping[str, str] | None = None
    ) -> None:
        self._credentials = credentials
        self._overrides = overrides
        self._nonces = NonceMemory()

    def __call__(self, capture: Capture) -> Verdict:
        arrived = capture.received_at.timestamp()
        context = VerifyContext(
            self._credentials,
            now=capture.received_at,
            seen=lambda api_key, uuid: self._nonces.seen(api_key, uuid, arrived),
        )
        verdict = verify(capture, context, self._overrides)
        if verdict.nonce is not None:
            self._nonces.remember(
                verdict.nonce.api_key, verdict.nonce.uuid, verdict.nonce.expires, arrived
            )
        return verdict
