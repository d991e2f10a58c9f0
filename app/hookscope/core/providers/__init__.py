"""The provider registry: which sender a capture came from, and its verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from functools import lru_cache

from hookscope.core.model import Capture, Credential, Verdict
from hookscope.core.providers import kardow, kudoz
from hookscope.core.providers.base import NonceMemory, Provider, VerifyContext
from hookscope.core.providers.hmacs import HmacProvider
from hookscope.core.providers.scheme import Scheme
from hookscope.core.providers.services import github, shopify, slack
from hookscope.core.providers.standard import standard_webhooks
from hookscope.core.providers.stripe import stripe

# Detection asks them in this order: Kardow and Kudoz first, as before the other schemes came.
REGISTRY: dict[str, Provider] = {
    kardow.name: kardow,
    kudoz.name: kudoz,
    standard_webhooks.name: standard_webhooks,
    stripe.name: stripe,
    github.name: github,
    slack.name: slack,
    shopify.name: shopify,
}

__all__ = [
    "REGISTRY",
    "HmacProvider",
    "NonceMemory",
    "Provider",
    "Scheme",
    "Verifier",
    "VerifyContext",
    "custom",
    "detect",
    "names",
    "provider",
    "verify",
]


def names(schemes: Sequence[Scheme] = ()) -> list[str]:
    """Every provider a secret or a path override may name: built-ins in registry order, then
    the user's custom schemes."""
    return [*REGISTRY, *(s.name for s in schemes if s.name not in REGISTRY)]


@lru_cache(maxsize=256)
def custom(scheme: Scheme) -> HmacProvider:
    """The provider for a custom scheme (one per description: the same object each time)."""
    return HmacProvider(scheme)


def _customs(schemes: Sequence[Scheme]) -> list[Provider]:
    return [custom(s) for s in schemes if s.name not in REGISTRY]


def provider(name: str, schemes: Sequence[Scheme] = ()) -> Provider | None:
    """The provider a secret or path override names (a built-in or a custom scheme)."""
    found = REGISTRY.get(name)
    if found is None:
        found = next((p for p in _customs(schemes) if p.name == name), None)
    return found


def detect(
    capture: Capture,
    overrides: Mapping[str, str] | None = None,
    schemes: Sequence[Scheme] = (),
) -> Provider | None:
    """Headers first (a signature or token: built-ins, then the user's custom schemes), then
    body shape, then the user's path override (which may name a custom scheme)."""
    present: set[str] | None = None  # the request's header names, lowercase, read once
    for known in REGISTRY.values():
        if isinstance(known, HmacProvider):
            if present is None:
                present = {name.lower() for name, _ in capture.headers}
            if not present.isdisjoint(known.header_names):
                return known
        elif known.detect_headers(capture):
            return known
    for own in _customs(schemes):
        if own.detect_headers(capture):
            return own
    for known in REGISTRY.values():
        if known.detect_body(capture):
            return known
    for pattern, name in (overrides or {}).items():
        if fnmatchcase(capture.path, pattern):
            return provider(name, schemes)
    return None


def verify(
    capture: Capture,
    context: VerifyContext,
    overrides: Mapping[str, str] | None = None,
    schemes: Sequence[Scheme] = (),
) -> Verdict:
    """The capture's verdict: `n/a` when no provider is recognised."""
    found = detect(capture, overrides, schemes)
    if found is None:
        return Verdict()
    if isinstance(found, HmacProvider):  # its forensics ask the other schemes
        context = dataclasses.replace(context, others=[*REGISTRY.values(), *_customs(schemes)])
    try:
        return found.verify(capture, context)
    except Exception as exc:  # a verifier bug must never lose a delivery or stop a re-check
        detail = f"Verification could not run ({type(exc).__name__}: {exc})."
        return Verdict("n/a", detail, found.name, found.event(capture))


class Verifier:
    """Judges captures in arrival order, each as of its arrival: timestamps against its
    received_at, UUIDs and delivery ids against the captures judged before it (in `nonces`).

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
