"""Kardow: `X-Kardow-Signature`, lowercase hex HMAC-SHA256 of the raw body (docs/protocols.md)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence

from hookscope.core.model import Capture, Credential, Verdict
from hookscope.core.providers.base import (
    Report,
    VerifyContext,
    json_object,
    json_value,
    leading_text,
    reserialised,
)

name = "kardow"
HEADER = "X-Kardow-Signature"
EVENTS = (
    "job.created",
    "job.updated",
    "job.approved",
    "job.expired",
    "job.deleted",
    "job.status_changed",
    "application.received",
    "application.status_changed",
    "user.created",
    "subscription.created",
    "subscription.canceled",
    "payment.received",
)
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def sign(secret: str, body: bytes) -> str:
    """The `X-Kardow-Signature` value for `body`: 64 lowercase hex characters, no prefix."""
    return _digest(secret, body).hex()


def sign_headers(
    credential: Credential,
    *,
    method: str,
    path: str,
    body: bytes,
    headers: Sequence[tuple[str, str]],
    now: float,
    delivery_id: str,
) -> list[tuple[str, str]]:
    """`X-Kardow-Signature` over the body; Kardow signs nothing else (no time, no id)."""
    del method, path, headers, now, delivery_id
    return [(HEADER, sign(credential.secret, body))]


def _digest(secret: str, body: bytes) -> bytes:
    # hmac.digest: OpenSSL's one-shot HMAC, without building an HMAC object for each delivery.
    return hmac.digest(secret.encode("utf-8"), body, hashlib.sha256)


def detect_headers(capture: Capture) -> bool:
    return capture.header(HEADER) is not None


def detect_body(capture: Capture) -> bool:
    data = json_object(capture.body)
    return (
        data is not None
        and data.get("event") in EVENTS
        and "organization_id" in data
        and "data" in data
    )


def event(capture: Capture) -> str | None:
    quick = leading_text(capture.body, "event")
    if quick is not None:
        return quick
    data = json_object(capture.body)
    value = data.get("event") if data else None
    return value if isinstance(value, str) else None


def verify(capture: Capture, context: VerifyContext) -> Verdict:
    report = Report(name, event(capture))
    raw = capture.header(HEADER)
    if raw is None or not raw.strip():
        report.check(f"{HEADER} header", "absent" if raw is None else "empty", False)
        return report.verdict(
            "unsigned",
            f"A Kardow delivery without {HEADER}: the target was registered without a secret.",
        )
    given, variant = _normalise(raw.strip())
    report.check(f"{HEADER} header", _describe_format(raw.strip(), given, variant), None)
    if variant is not None:
        report.check("format", f"accepted {variant}", None, assumed=True)

    secrets = context.of(name)
    if not secrets:
        report.check("stored Kardow secrets", "none", False)
        return report.verdict("no-secret", "The delivery is signed but no Kardow secret is stored.")

    for credential in secrets:
        if given is not None and hmac.compare_digest(given, sign(credential.secret, capture.body)):
            report.check(f"HMAC-SHA256 of the raw body with {credential.name!r}", "match", True)
            note = (
                f" (the header used {variant}; Kardow documents lowercase hex)" if variant else ""
            )
            return report.verdict(
                "verified", f"Signature matches the secret {credential.name!r}{note}."
            )
        report.check(f"HMAC-SHA256 of the raw body with {credential.name!r}", "no match", False)

    cause = _forensics(raw.strip(), capture.body, secrets, report)
    tried = ", ".join(repr(c.name) for c in secrets)
    return report.verdict("failed", cause or _no_cause(raw.strip(), tried))


def _normalise(raw: str) -> tuple[str | None, str | None]:
    """The signature as 64 lowercase hex, and the accepted variant it came in (None: exact)."""
    value, variant = raw, None
    if value.lower().startswith("sha256="):
        value, variant = value[7:], "a sha256= prefix"
    if not _HEX64.fullmatch(value):
        return None, variant
    if value != value.lower():
        variant = f"{variant} and uppercase hex" if variant else "uppercase hex"
    return value.lower(), variant


def _describe_format(raw: str, given: str | None, variant: str | None) -> str:
    if given is not None:
        return "64 hex characters" + (f" with {variant}" if variant else "")
    return f"not 64 hex characters ({len(raw)} characters)"


def _no_cause(raw: str, tried: str) -> str:
    if _normalise(raw)[0] is None:
        return (
            f"The signature is not 64 hex characters ({len(raw)} characters) and matches no "
            f"stored secret (tried {tried})."
        )
    return (
        f"No stored Kardow secret produces this signature (tried {tried}): the sender uses "
        "another secret, or the body was changed after signing."
    )


def _forensics(raw: str, body: bytes, secrets: list[Credential], report: Report) -> str | None:
    """The likely cause of a mismatch, when another computation explains the signature."""
    encoded = raw[7:] if raw.lower().startswith("sha256=") else raw
    decoded = _base64(encoded)
    for credential in secrets:
        digest = _digest(credential.secret, body)
        if decoded is not None and hmac.compare_digest(decoded, digest):
            report.check("same HMAC, base64-encoded", f"match with {credential.name!r}", None)
            return (
                f"The signature is the right HMAC with the secret {credential.name!r}, but "
                "base64-encoded; Kardow sends lowercase hex."
            )
    given = _normalise(raw)[0]
    if given is None:
        return None
    data = json_value(body)
    if data is None:
        return None
    for label, variant in reserialised(data):
        if variant == body:
            continue
        for credential in secrets:
            if hmac.compare_digest(given, sign(credential.secret, variant)):
                report.check(f"HMAC over the JSON {label}", f"match with {credential.name!r}", None)
                return (
                    f"The body was changed after signing: the signature matches the secret "
                    f"{credential.name!r} over the same JSON {label}, so whitespace or key "
                    "order differ from what was signed (a proxy or body parser re-serialised it)."
                )
    report.check("HMAC over re-serialised JSON", "no match", None)
    return None


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
