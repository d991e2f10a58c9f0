"""A provider built from a `Scheme`: detection by its header, verification, signing, the event.

GitHub, Slack, Shopify and every custom scheme are instances of `HmacProvider`; Stripe and
Standard Webhooks subclass it where their headers differ (stripe.py, standard.py). What is tried
when no secret matches is in forensics.py.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hookscope.core.http import Headers, Request
from hookscope.core.model import Capture, Credential, Nonce, Verdict
from hookscope.core.providers import forensics
from hookscope.core.providers.base import Report, VerifyContext, json_object, same
from hookscope.core.providers.scheme import Scheme

_FIELD = re.compile(r"\{([^{}]*)\}")
_HEX = re.compile(r"[0-9a-fA-F]+")
# Another scheme's label before a signature (`sha1=`, `v1,`, `v0:`): never inside hex or base64.
_LABEL = re.compile(r"[A-Za-z0-9]{1,10}[=,:](?=.)")


@dataclass(frozen=True, slots=True)
class Sent:
    """What a request carries for one scheme: its signatures and what they were made over.

    Attributes:
        scheme: the description its header follows (GitHub's legacy sha1 header has its own).
        value: the signature header's value as sent, without surrounding spaces.
        signatures: the encoded signatures to compare (several during a key rotation); empty
            when the value lacks the scheme's prefix.
        bare: the value with the prefix removed when it has one (what forensics decode).
        timestamp: the signing time as sent (its header, or Stripe's `t=`), if the scheme has one.
        id: the delivery's id as sent, if the scheme has one.
        keyed: signatures made with a key pair (Standard Webhooks' `v1a`), base64.
    """

    scheme: Scheme
    value: str
    signatures: tuple[str, ...]
    bare: str
    timestamp: str | None = None
    id: str | None = None
    keyed: tuple[str, ...] = ()


def encode(digest: bytes, encoding: str) -> str:
    if encoding == "hex":
        return digest.hex()
    return base64.b64encode(digest).decode("ascii")


def decode(text: str, encoding: str) -> bytes | None:
    """The bytes a signature encodes, or None when it is not that encoding."""
    if encoding == "hex":
        return bytes.fromhex(text) if len(text) % 2 == 0 and _HEX.fullmatch(text) else None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def body_type(capture: Capture) -> str | None:
    """The JSON body's `type` (Stripe, Standard Webhooks), else its `event` when it is text."""
    data = json_object(capture.body)
    for key in ("type", "event"):
        value = data.get(key) if data else None
        if isinstance(value, str):
            return value
    return None


class HmacProvider:
    """A sender that puts an HMAC of the request in a header, as its `Scheme` describes.

    Attributes:
        name: the scheme's name (the verdict's `provider`, what secrets are stored under).
        title: the sender's name in sentences ("GitHub").
        scheme: the current description; `schemes` adds a legacy one (GitHub's sha1 header).
        key_label: how the secret becomes the HMAC key, in words, for forensics' sentences.
    """

    key_label = "the secret as text"

    def __init__(
        self,
        scheme: Scheme,
        *,
        title: str | None = None,
        legacy: Scheme | None = None,
        markers: Sequence[str] = (),
        event: Callable[[Capture], str | None] = body_type,
    ) -> None:
        self.name = scheme.name
        self.title = title or scheme.name
        self.scheme = scheme
        self.schemes = (scheme,) if legacy is None else (scheme, legacy)
        self._markers = tuple(markers)
        self._event = event
        # Lowercase names of the headers that identify this sender (detection asks for them).
        self.header_names = frozenset(
            name.lower() for name in (*self.signature_headers(), *self._markers)
        )

    def __repr__(self) -> str:
        return f"HmacProvider({self.name!r})"

    # -- reading a request ----------------------------------------------------------------

    def signature_headers(self) -> tuple[str, ...]:
        return tuple(scheme.header for scheme in self.schemes)

    def detect_headers(self, capture: Capture) -> bool:
        return any(name.lower() in self.header_names for name, _ in capture.headers)

    def detect_body(self, capture: Capture) -> bool:
        del capture  # these schemes are recognised by their headers (or a path override)
        return False

    def event(self, capture: Capture) -> str | None:
        return self._event(capture)

    def sent(self, request: Request) -> Sent | str | None:
        """What the request carries (None: no signature header; text: why it is malformed)."""
        for scheme in self.schemes:
            raw = request.header(scheme.header)
            if raw is None:
                continue
            value = raw.strip()
            if not value:
                return f"the {scheme.header} header is empty"
            has_prefix = value.startswith(scheme.prefix)
            if has_prefix:
                bare = value[len(scheme.prefix) :]
            else:
                label = _LABEL.match(value)
                bare = value[label.end() :] if label else value
            stamp = request.header(scheme.timestamp_header) if scheme.timestamp_header else None
            if scheme.timestamp_header and stamp is None:
                return f"the request has no {scheme.timestamp_header} header"
            if stamp is not None and not (stamp.isascii() and stamp.strip().isdigit()):
                return f"its {scheme.timestamp_header} {stamp!r} is not Unix seconds"
            ident = request.header(scheme.id_header) if scheme.id_header else None
            if ident is None and "{id}" in scheme.signed:
                return f"the request has no {scheme.id_header} header"
            return Sent(
                scheme,
                value,
                (bare,) if has_prefix else (),
                bare,
                None if stamp is None else stamp.strip(),
                ident,
            )
        return None

    # -- computing ------------------------------------------------------------------------

    def key(self, secret: str) -> bytes | None:
        """The HMAC key a stored secret stands for (None: the secret cannot be one)."""
        return secret.encode("utf-8")

    def content(
        self,
        request: Request,
        sent: Sent,
        *,
        body: bytes | None = None,
        timestamp: str | None = None,
    ) -> bytes:
        """The signed bytes: the scheme's template filled from the request (and `body` or
        `timestamp` in place of the sent ones, for forensics)."""
        values = {
            "body": request.body if body is None else body,
            "timestamp": _text(timestamp if timestamp is not None else sent.timestamp),
            "id": _text(sent.id),
            "method": _text(request.method),
            "path": _text(request.path),
        }
        template = sent.scheme.signed
        parts: list[bytes] = []
        last = 0
        for match in _FIELD.finditer(template):
            field = match.group(1)
            parts.append(template[last : match.start()].encode("utf-8"))
            if field.startswith("header:"):
                parts.append(_text(request.header(field.removeprefix("header:"))))
            else:
                parts.append(values.get(field, match.group(0).encode("utf-8")))
            last = match.end()
        parts.append(template[last:].encode("utf-8"))
        return b"".join(parts)

    def compute(
        self,
        request: Request,
        sent: Sent,
        key: bytes,
        *,
        body: bytes | None = None,
        timestamp: str | None = None,
        algorithm: str | None = None,
    ) -> bytes:
        message = self.content(request, sent, body=body, timestamp=timestamp)
        return hmac.new(key, message, getattr(hashlib, algorithm or sent.scheme.algorithm)).digest()

    def matches(self, request: Request, sent: Sent, key: bytes) -> bool:
        """True when one of the sent signatures is exactly the scheme's encoded HMAC."""
        expected = encode(self.compute(request, sent, key), sent.scheme.encoding)
        return any(same(signature, expected) for signature in sent.signatures)

    def signature_value(self, sent: Sent, digest: bytes) -> str:
        """The signature header's value for a digest (the prefix and the encoding)."""
        return sent.scheme.prefix + encode(digest, sent.scheme.encoding)

    # -- judging ----------------------------------------------------------------------------

    def usable(self, credential: Credential) -> bool:
        return bool(credential.secret)

    def verify(self, capture: Capture, context: VerifyContext) -> Verdict:
        report = Report(self.name, self.event(capture))
        request = capture.request
        sent = self.sent(request)
        header = self.scheme.header
        if sent is None:
            report.check(f"{header} header", "absent", False)
            others = forensics.present_headers(request, self.peers(context))
            note = f"; it carries {others} instead" if others else ""
            return report.verdict(
                "unsigned", f"A {self.title} request without a {header} signature{note}."
            )
        if isinstance(sent, str):
            report.check(f"{header} header", f"malformed: {sent}", False)
            stored = [c for c in context.of(self.name) if self.usable(c)]
            cause = forensics.other_schemes(self, request, stored, self.peers(context), report)
            return report.verdict("failed", cause or f"The {self.title} signature: {sent}.")
        report.check(f"{sent.scheme.header} header", self.describe(sent), None)
        stored = [c for c in context.of(self.name) if self.usable(c)]
        if not stored:
            report.check(f"stored {self.title} secrets", "none", False)
            return report.verdict(
                "no-secret", f"The request is signed but no {self.title} secret is stored."
            )
        for credential in stored:
            if self.attempt(request, sent, credential, report):
                return self.judge_time(report, context, sent, credential)
        cause = forensics.explain(
            self, request, sent, report, stored=stored, peers=self.peers(context)
        )
        tried = ", ".join(repr(c.name) for c in stored)
        return report.verdict(
            "failed",
            cause
            or (
                f"No stored {self.title} secret produces this signature (tried {tried}): the "
                "sender uses another secret, or the request was changed after signing."
            ),
        )

    def peers(self, context: VerifyContext) -> list[HmacProvider]:
        """The other HMAC schemes known to this verification (forensics ask them)."""
        return [p for p in context.others if isinstance(p, HmacProvider) and p.name != self.name]

    def describe(self, sent: Sent) -> str:
        count = len(sent.signatures)
        what = f"{count} signature{'s' if count != 1 else ''}"
        if not sent.signatures:
            what = f"no {sent.scheme.prefix!r} prefix"
        parts = [what]
        if sent.timestamp is not None:
            parts.append(f"timestamp {sent.timestamp}")
        if sent.id is not None:
            parts.append(f"id {sent.id}")
        return ", ".join(parts)

    def attempt(self, request: Request, sent: Sent, credential: Credential, report: Report) -> bool:
        """Whether `credential` made one of the signatures, recorded as a check."""
        step = f"HMAC-{sent.scheme.algorithm.upper()} with {credential.name!r}"
        key = self.key(credential.secret)
        if key is None:
            report.check(step, f"the secret is not {self.key_label}", False)
            return False
        ok = self.matches(request, sent, key)
        report.check(step, "match" if ok else "no match", ok)
        return ok

    def judge_time(
        self, report: Report, context: VerifyContext, sent: Sent, credential: Credential
    ) -> Verdict:
        """A matching signature is still stale outside the window, or a replay of its id."""
        tolerance = sent.scheme.tolerance
        now = context.now.timestamp()
        expires = now + tolerance
        if sent.timestamp is not None:
            seconds = int(sent.timestamp)
            skew = seconds - now
            window = f"±{tolerance} s"
            if abs(skew) > tolerance:
                way = "ahead of" if skew > 0 else "behind"
                report.check("timestamp window", f"{abs(skew):.0f} s {way} ({window})", False)
                unit = (
                    f" It has {len(sent.timestamp)} digits: milliseconds, where {self.title} "
                    "sends seconds."
                    if len(sent.timestamp) >= 13
                    else ""
                )
                return report.verdict(
                    "stale",
                    f"The signature matches {credential.name!r}, but its timestamp is "
                    f"{abs(skew):.0f} s {way} this machine's clock (tolerance {window}): clock "
                    f"skew, or a late replay.{unit}",
                )
            report.check("timestamp window", f"within {window} ({skew:+.0f} s)", True)
            expires = seconds + tolerance
        nonce = None
        if sent.id:
            assumed = sent.timestamp is None  # a window of our choosing
            if context.seen(self.name, sent.id):
                report.check("delivery id", f"{sent.id} already seen", False, assumed)
                return report.verdict(
                    "replayed",
                    f"The signature matches {credential.name!r}, but the delivery id "
                    f"{sent.id} was already seen within {tolerance} s: this is a replay.",
                )
            report.check("delivery id", f"{sent.id} is new", True, assumed)
            nonce = Nonce(self.name, sent.id, expires)
        return report.verdict(
            "verified", f"The signature matches the secret {credential.name!r}.", nonce
        )

    # -- signing ----------------------------------------------------------------------------

    def sign_headers(
        self,
        credential: Credential,
        *,
        method: str,
        path: str,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        now: float,
        delivery_id: str,
    ) -> list[tuple[str, str]]:
        scheme = self.scheme
        key = self.key(credential.secret)
        if key is None or not credential.secret:
            raise ValueError(f"The credential {credential.name!r} has no usable signing secret.")
        stamp = str(int(now))
        extra: list[tuple[str, str]] = []
        if scheme.timestamp_header:
            extra.append((scheme.timestamp_header, stamp))
        if scheme.id_header:
            extra.append((scheme.id_header, delivery_id))
        merged = Headers(headers)
        for name, value in extra:
            merged = merged.replaced(name, value)
        request = Request(method, path, merged, body)
        sent = Sent(
            scheme,
            "",
            (),
            "",
            stamp if scheme.timestamp_header or "{timestamp}" in scheme.signed else None,
            delivery_id,
        )
        digest = self.compute(request, sent, key)
        return [(scheme.header, self.signature_value(sent, digest)), *extra]

    def with_header(self, request: Request, value: str) -> Request:
        """The request with `value` in this scheme's signature header (forensics' question:
        was a value sent elsewhere made this scheme's way?)."""
        headers = request.headers.replaced(self.scheme.header, value)
        return dataclasses.replace(request, headers=headers)


def _text(value: str | None) -> bytes:
    # surrogateescape: header fields may carry any bytes; they are signed as received.
    return (value or "").encode("utf-8", "surrogateescape")
