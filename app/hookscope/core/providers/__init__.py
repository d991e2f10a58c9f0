"""The provider registry: which sender a capture came from, and its verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from hookscope.core.model import Capture, Credential, Verdict
from hookscope.core.providers import kardow, kudoz
from hookscope.core.providers.base import NonceMemory, Provider, VerifyContext
from hookscope.core.providers.scheme import Scheme

REGISTRY: dict[str, Provider] = {kardow.name: kardow, kudoz.name: kudoz}

__all__ = [
    "REGISTRY",
    "NonceMemory",
    "Provider",
    "Scheme",
    "Verifier",
    "VerifyContext",
    "detect",
    "names",
    "verify",
]


def names(schemes: Sequence[Scheme] = ()) -> list[str]:
    """Every provider a secret or a path override may name: built-ins in registry order, then
    the user's custom schemes."""
    return [*REGISTRY, *(s.name for s in schemes if s.name not in REGISTRY)]


def detect(
    capture: Capture,
    overrides: Mapping[str, str] | None = None,
    schemes: Sequence[Scheme] = (),
) -> Provider | None:
    """Headers first (a signature or token), then body shape, then the user's path override.

    `schemes` are the user's custom schemes, recognised after the built-ins.
    """
    del schemes  # custom schemes are recognised once the generic HMAC provider lands
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
    capture: Capture,
    context: VerifyContext,
    overrides: Mapping[str, str] | None = None,
    schemes: Sequence[Scheme] = (),
) -> Verdict:
    """The capture's verdict: `n/a` when no provider is recognised."""
    provider = detect(capture, overrides, schemes)
    if provider is None:
        return Verdict()
    try:
        return provider.verify(capture, context)
    except Exception as exc:  # a verifier bug must never lose a delivery or stop a re-check
        detail = f"Verification could not run ({type(exc).__name__}: {exc})."
        return Verdict("n/a", detail, provider.name, provider.event(capture))


class Verifier:
    """Judges captures in arrival order, each as of its arrival: timestamps against its
    received_at, UUIDs against the captures judged before it (kept in `nonces`).

    The engine keeps one for live captures (sharing its NonceMemory across secret reloads);
    re-verification uses a fresh one over stored captures, oldest first.
    """

    def __init__(
        self,
        credentials: list[Credential],
        overrides: Mapping[str, str] | None = None,
        nonces: NonceMemory | None = None,
        *,
        schemes: Sequence[Scheme] = (),
    ) -> None:
        self._credentials = credentials
        self._overrides = overrides
        self._schemes = tuple(schemes)
        self.nonces = NonceMemory() if nonces is None else nonces

    def __call__(self, capture: Capture) -> Verdict:
        arrived = capture.received_at.timestamp()
        context = VerifyContext(
            self._credentials,
            now=capture.received_at,
            seen=lambda api_key, uuid: self.nonces.seen(api_key, uuid, arrived),
        )
        verdict = verify(capture, context, self._overrides, self._schemes)
        if verdict.nonce is not None:
            nonce = verdict.nonce
            self.nonces.remember(nonce.api_key, nonce.uuid, nonce.expires, arrived)
        return verdict
