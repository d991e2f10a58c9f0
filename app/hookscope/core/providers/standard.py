"""Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (space-separated
`v1,<base64>` HMAC-SHA256 entries keyed with the base64-decoded `whsec_` secret, and `v1a,<base64>`
ed25519 entries checked with the `whpk_` public key), over `{id}.{timestamp}.{body}`."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hookscope.core.http import Request
from hookscope.core.model import Credential
from hookscope.core.providers.base import Report
from hookscope.core.providers.hmacs import HmacProvider, Sent
from hookscope.core.providers.scheme import Scheme

ID = "webhook-id"
TIMESTAMP = "webhook-timestamp"
SIGNATURE = "webhook-signature"


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


class StandardWebhooksProvider(HmacProvider):
    """One header lists every signature: `v1` (HMAC) and `v1a` (ed25519) entries."""

    key_label = "the base64-decoded part after whsec_"

    def key(self, secret: str) -> bytes | None:
        return _b64(secret.removeprefix("whsec_")) if secret else None

    def sent(self, request: Request) -> Sent | str | None:
        raw = request.header(SIGNATURE)
        if raw is None:
            return None
        value = raw.strip()
        hmacs: list[str] = []
        keyed: list[str] = []
        for entry in value.split():
            version, _, signature = entry.partition(",")
            if version == "v1":
                hmacs.append(signature)
            elif version == "v1a":
                keyed.append(signature)
        ident = request.header(ID)
        stamp = request.header(TIMESTAMP)
        if not hmacs and not keyed:
            return f"the {SIGNATURE} header has no v1, or v1a, entry"
        if not ident:
            return f"the request has no {ID} header"
        if stamp is None or not (stamp.strip().isascii() and stamp.strip().isdigit()):
            return f"its {TIMESTAMP} {stamp!r} is not Unix seconds"
        bare = hmacs[0] if hmacs else value
        return Sent(self.scheme, value, tuple(hmacs), bare, stamp.strip(), ident, tuple(keyed))

    def usable(self, credential: Credential) -> bool:
        return bool(credential.secret or credential.api_key)

    def describe(self, sent: Sent) -> str:
        found = super().describe(sent)
        return f"{found}, {len(sent.keyed)} ed25519" if sent.keyed else found

    def attempt(self, request: Request, sent: Sent, credential: Credential, report: Report) -> bool:
        if credential.api_key and sent.keyed:
            step = f"ed25519 with {credential.name!r}'s public key"
            public = _b64(credential.api_key.removeprefix("whpk_"))
            if public is None or len(public) != 32:
                report.check(step, "the public key is not 32 base64-encoded bytes", False)
            elif self._ed25519(public, self.content(request, sent), sent.keyed):
                report.check(step, "match", True)
                return True
            else:
                report.check(step, "no match", False)
        if credential.secret and sent.signatures:
            return super().attempt(request, sent, credential, report)
        return False

    @staticmethod
    def _ed25519(public: bytes, message: bytes, signatures: tuple[str, ...]) -> bool:
        verifier = Ed25519PublicKey.from_public_bytes(public)
        for text in signatures:
            signature = _b64(text)
            if signature is None:
                continue
            try:
                verifier.verify(signature, message)
            except InvalidSignature:
                continue
            return True
        return False


standard_webhooks = StandardWebhooksProvider(
    Scheme(
        "standard-webhooks",
        SIGNATURE,
        prefix="v1,",
        encoding="base64",
        signed="{id}.{timestamp}.{body}",
        timestamp_header=TIMESTAMP,
        tolerance=300,
        id_header=ID,
    ),
    title="Standard Webhooks",
    markers=(ID,),
)
