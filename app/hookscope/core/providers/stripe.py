"""Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`, HMAC-SHA256 of `{t}.{body}`
keyed with the whole endpoint secret, `whsec_` included (docs/protocols.md)."""

from __future__ import annotations

from hookscope.core.http import Request
from hookscope.core.providers.hmacs import HmacProvider, Sent, encode
from hookscope.core.providers.scheme import Scheme

HEADER = "Stripe-Signature"


class StripeProvider(HmacProvider):
    """The time and every signature share one header; several `v1` during a secret's roll."""

    key_label = "the whole secret as text, whsec_ prefix included"

    def sent(self, request: Request) -> Sent | str | None:
        raw = request.header(HEADER)
        if raw is None:
            return None
        value = raw.strip()
        fields = [part.partition("=") for part in value.split(",")]
        stamps = [v.strip() for k, _, v in fields if k.strip() == "t"]
        signatures = tuple(v.strip() for k, _, v in fields if k.strip() == "v1")
        if not stamps:
            return f"the {HEADER} header has no t= timestamp"
        stamp = stamps[0]
        if not (stamp.isascii() and stamp.isdigit()):
            return f"its timestamp t={stamp!r} is not Unix seconds"
        if not signatures:
            return f"the {HEADER} header has no v1= signature"
        return Sent(self.scheme, value, signatures, signatures[0], stamp)

    def signature_value(self, sent: Sent, digest: bytes) -> str:
        return f"t={sent.timestamp},v1={encode(digest, 'hex')}"


stripe = StripeProvider(
    Scheme("stripe", HEADER, prefix="v1=", signed="{timestamp}.{body}", tolerance=300),
    title="Stripe",
)
