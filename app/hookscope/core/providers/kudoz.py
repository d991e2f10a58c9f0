"""Kudoz: `Authorization: TOKEN key:uuid:timestamp:token`, token = base64 HMAC-SHA256.

What Kudoz signs is undocumented ("computed from the request parameters"): the templates below
are our assumptions (docs/protocols.md), tried in order and named when one matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass

from hookscope.core.model import Capture, Credential, Nonce, Verdict
from hookscope.core.providers.base import Report, VerifyContext, json_object, same

name = "kudoz"
HEADER = "Authorization"
KINDS = ("job_application",)
DEFAULT_TEMPLATE = "{api_key}:{uuid}:{timestamp}"
TEMPLATES = (
    DEFAULT_TEMPLATE,
    "{api_key}{uuid}{timestamp}",
    "{method}\n{path}\n{api_key}\n{uuid}\n{timestamp}\n{body}",
    "{method}\n{path}\n{api_key}\n{uuid}\n{timestamp}\n{body_sha256}",
)
PLACEHOLDERS = ("api_key", "uuid", "timestamp", "method", "path", "body", "body_sha256")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_SCHEME = re.compile(r"token ", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Token:
    """The four fields of a Kudoz Authorization header."""

    api_key: str
    uuid: str
    timestamp: str
    token: str


def signed_string(
    template: str, *, api_key: str, uuid: str, timestamp: str, method: str, path: str, body: bytes
) -> bytes:
    """The exact bytes a template describes (the body is inserted as raw bytes)."""
    values = {
        # surrogateescape: header fields may carry any bytes; they are signed as received.
        "api_key": api_key.encode("utf-8", "surrogateescape"),
        "uuid": uuid.encode("utf-8", "surrogateescape"),
        "timestamp": timestamp.encode("utf-8", "surrogateescape"),
        "method": method.encode("utf-8", "surrogateescape"),
        "path": path.encode("utf-8", "surrogateescape"),
        "body": body,
        "body_sha256": hashlib.sha256(body).hexdigest().encode("ascii"),
    }
    parts: list[bytes] = []
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(template[last : match.start()].encode("utf-8"))
        parts.append(values[match.group(1)])
        last = match.end()
    parts.append(template[last:].encode("utf-8"))
    return b"".join(parts)


def compute_token(secret: str, message: bytes) -> str:
    return base64.b64encode(_digest(secret, message)).decode("ascii")


def _digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def sign(
    credential: Credential,
    *,
    method: str,
    path: str,
    body: bytes,
    uuid: str | None = None,
    timestamp: str | None = None,
    now: float | None = None,
) -> str:
    """The `Authorization` value for a callback: a fresh UUID and the current Unix seconds."""
    nonce = uuid or str(uuidlib.uuid4())
    stamp = timestamp or str(int(now if now is not None else time.time()))
    message = signed_string(
        credential.template or DEFAULT_TEMPLATE,
        api_key=credential.api_key,
        uuid=nonce,
        timestamp=stamp,
        method=method,
        path=path,
        body=body,
    )
    return f"TOKEN {credential.api_key}:{nonce}:{stamp}:{compute_token(credential.secret, message)}"


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
    """The `Authorization` token, with `delivery_id` as its UUID and `now` as its timestamp."""
    del headers
    value = sign(credential, method=method, path=path, body=body, uuid=delivery_id, now=now)
    return [(HEADER, value)]


def parse(header: str) -> Token | str:
    """The header's four fields, or why it is malformed."""
    if not _SCHEME.match(header):
        return "it does not start with the word TOKEN and a space"
    fields = header[6:].split(":")
    if len(fields) != 4:
        return f"it has {len(fields)} colon-separated fields after TOKEN, not 4"
    labels = ("API key", "UUID", "timestamp", "token")
    empty = [label for label, value in zip(labels, fields, strict=True) if not value]
    if empty:
        return f"its {empty[0]} is empty"
    return Token(*fields)


def detect_headers(capture: Capture) -> bool:
    value = capture.header(HEADER)
    return value is not None and bool(_SCHEME.match(value))


def detect_body(capture: Capture) -> bool:
    data = json_object(capture.body)
    return (
        data is not None and isinstance(data.get("kind"), str) and isinstance(data.get("id"), str)
    )


def event(capture: Capture) -> str | None:
    data = json_object(capture.body)
    value = data.get("kind") if data else None
    return value if isinstance(value, str) else None


def verify(capture: Capture, context: VerifyContext) -> Verdict:
    report = Report(name, event(capture))
    raw = capture.header(HEADER)
    if raw is None or not raw.strip():
        report.check("Authorization header", "absent", False)
        return report.verdict("unsigned", "A Kudoz callback without an Authorization token.")
    parsed = parse(raw.strip())
    if isinstance(parsed, str):
        report.check("Authorization header", f"malformed: {parsed}", False)
        return report.verdict("failed", f"The Authorization header is malformed: {parsed}.")
    token = parsed
    report.check(
        "Authorization header", f"TOKEN for API key {token.api_key!r}, UUID {token.uuid}", True
    )
    seconds, unit = _timestamp(token.timestamp)
    if seconds is None:
        report.check("timestamp", f"{token.timestamp!r} is not Unix time", False)
        return report.verdict(
            "failed", f"The timestamp {token.timestamp!r} is not Unix time (10 digits of seconds)."
        )
    report.check("timestamp", f"{token.timestamp} read as {unit}", None, assumed=unit != "seconds")

    stored = context.of(name)
    if not stored:
        report.check("stored Kudoz credentials", "none", False)
        return report.verdict(
            "no-secret",
            f"The callback carries a token for API key {token.api_key!r}, but no Kudoz "
            "credential is stored.",
        )
    own = [c for c in stored if c.api_key == token.api_key]
    if not own:
        report.check(f"credential for API key {token.api_key!r}", "none stored", False)
        return report.verdict("failed", _unknown_key(stored, token, capture, report))

    for credential in own:
        template = _match(credential, token, capture)
        if template is None:
            report.check(f"token with {credential.name!r}", "no template matches", False, True)
            continue
        report.check(
            f"token with {credential.name!r}",
            f"match, template {_show(template)}",
            True,
            assumed=template != credential.template,
        )
        return _judge_time(
            report, context, token, seconds, credential=credential, template=template
        )
    return report.verdict("failed", _mismatch_cause(own, stored, token, capture, report))


def _judge_time(
    report: Report,
    context: VerifyContext,
    token: Token,
    seconds: float,
    *,
    credential: Credential,
    template: str,
) -> Verdict:
    """A matching token is still stale outside the window, or a replay if its UUID was used."""
    configured = credential.template or DEFAULT_TEMPLATE
    how = "" if template == configured else f" using the template {_show(template)}"
    window = f"±{context.tolerance} s"
    skew = seconds - context.now.timestamp()
    if abs(skew) > context.tolerance:
        way = "ahead of" if skew > 0 else "behind"
        report.check(
            "timestamp window", f"{abs(skew):.0f} s {way} (tolerance {window})", False, True
        )
        return report.verdict(
            "stale",
            f"The token matches {credential.name!r}{how}, but its timestamp is {abs(skew):.0f} s "
            f"{way} this machine's clock (tolerance {window}): clock skew, or a late replay.",
        )
    report.check("timestamp window", f"within {window} ({skew:+.0f} s)", True, assumed=True)
    if context.seen(token.api_key, token.uuid):
        report.check("UUID nonce", "already used", False, assumed=True)
        return report.verdict(
            "replayed",
            f"The token matches {credential.name!r}, but its UUID {token.uuid} was already used "
            "within the window: this is a replay.",
        )
    report.check("UUID nonce", "new", True, assumed=True)
    nonce = Nonce(token.api_key, token.uuid, seconds + context.tolerance)
    detail = f"The token matches the credential {credential.name!r}{how}."
    return report.verdict("verified", detail, nonce)


def _unknown_key(stored: list[Credential], token: Token, capture: Capture, report: Report) -> str:
    for credential in stored:  # the right secret under another key?
        if _match(credential, token, capture) is not None:
            report.check(f"token with {credential.name!r}'s secret", "match", None)
            return (
                f"Unknown API key {token.api_key!r}, yet the token matches the secret of "
                f"{credential.name!r} (API key {credential.api_key!r}): the sender uses that "
                "secret with another key."
            )
    keys = ", ".join(repr(c.api_key) for c in stored)
    return f"Unknown API key {token.api_key!r}: no stored Kudoz credential has it (stored: {keys})."


def _timestamp(text: str) -> tuple[float | None, str]:
    if not (text.isascii() and text.isdigit()):  # "²" and other digits are not Unix time
        return None, ""
    if len(text) == 10:
        return float(text), "seconds"
    if len(text) == 13:
        return int(text) / 1000, "milliseconds (accepted; Kudoz's examples use seconds)"
    return None, ""


def _candidates(credential: Credential) -> list[str]:
    first = credential.template or DEFAULT_TEMPLATE
    return [first, *(t for t in TEMPLATES if t != first)]


def _match(credential: Credential, token: Token, capture: Capture) -> str | None:
    """The template under which `credential`'s secret yields the token, if any."""
    for template in _candidates(credential):
        message = signed_string(
            template,
            api_key=token.api_key,
            uuid=token.uuid,
            timestamp=token.timestamp,
            method=capture.method,
            path=capture.path,
            body=capture.body,
        )
        if same(compute_token(credential.secret, message), token.token):
            return template
    return None


def _mismatch_cause(
    own: list[Credential],
    stored: list[Credential],
    token: Token,
    capture: Capture,
    report: Report,
) -> str:
    """The likely cause when the key is known but no secret of it yields the token."""
    names = ", ".join(repr(c.name) for c in own)
    for credential in own:
        for template in _candidates(credential):

            def message(timestamp: str, template: str = template) -> bytes:
                return signed_string(
                    template,
                    api_key=token.api_key,
                    uuid=token.uuid,
                    timestamp=timestamp,
                    method=capture.method,
                    path=capture.path,
                    body=capture.body,
                )

            digest = _digest(credential.secret, message(token.timestamp))
            if same(digest.hex(), token.token.lower()):
                report.check("same HMAC, hex-encoded", f"match with {credential.name!r}")
                return (
                    f"The token is the right HMAC with {credential.name!r}, but hex-encoded; "
                    "Kudoz uses base64."
                )
            for other, unit in _other_units(token.timestamp):
                if same(compute_token(credential.secret, message(other)), token.token):
                    report.check(f"timestamp as {unit}", f"match with {credential.name!r}")
                    return (
                        f"The token was computed over the timestamp in {unit} ({other}) while "
                        f"the header carries {token.timestamp}: the sender mixes seconds and "
                        "milliseconds."
                    )
    for credential in stored:
        if credential not in own and _match(credential, token, capture) is not None:
            report.check(f"token with {credential.name!r}'s secret", "match")
            return (
                f"The API key {token.api_key!r} is known ({names}), but the token was signed "
                f"with the secret of {credential.name!r}: the key is paired with the wrong secret."
            )
    tried = ", ".join(_show(t) for t in dict.fromkeys(t for c in own for t in _candidates(c)))
    return (
        f"The API key {token.api_key!r} is known ({names}), but its secret yields this token "
        f"with no template (tried {tried}): the secret is wrong, or Kudoz signs another string."
    )


def _other_units(timestamp: str) -> list[tuple[str, str]]:
    if len(timestamp) == 13:
        return [(timestamp[:10], "seconds")]
    if len(timestamp) == 10:
        return [(timestamp + "000", "milliseconds")]
    return []


def _show(template: str) -> str:
    return template.replace("\n", "\\n")
