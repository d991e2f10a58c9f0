"""Why an HMAC signature matches no stored secret: each likely cause tried, named in one sentence.

Each cause is one more computation with one thing changed (the encoding, the algorithm, how the
secret becomes a key, the timestamp's unit, the body's bytes, the scheme). The work is bounded:
it runs on the listener's loop, so it hashes at most `BUDGET` bytes in all, whatever the body,
and never loops over the body itself.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hookscope.core.http import Request
from hookscope.core.model import Credential
from hookscope.core.providers.base import Report, json_value, reserialised

if TYPE_CHECKING:
    from hookscope.core.providers.hmacs import HmacProvider, Sent

BUDGET = 16 * 1024 * 1024  # bytes hashed by one explanation, at most
SECRETS = 4  # stored secrets tried by the forensics, at most
ALGORITHMS = ("sha1", "sha256", "sha512")


class Budget:
    """How many more bytes the forensics may hash for this request."""

    def __init__(self, limit: int = BUDGET) -> None:
        self.left = limit

    def spend(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


@dataclass(frozen=True, slots=True)
class Case:
    """One request under inquiry: who judges it, what it carries, where the findings go."""

    provider: HmacProvider
    request: Request
    sent: Sent
    budget: Budget
    report: Report

    def parts(self) -> tuple[HmacProvider, Request, Sent, Budget, Report]:
        return self.provider, self.request, self.sent, self.budget, self.report


Cause = Callable[[Case, Credential], "str | None"]


def explain(
    provider: HmacProvider,
    request: Request,
    sent: Sent,
    report: Report,
    *,
    stored: Sequence[Credential],
    peers: Sequence[HmacProvider],
) -> str | None:
    """The likely cause of a mismatch, recorded as checks; None when nothing explains it."""
    budget = Budget()
    case = Case(provider, request, sent, budget, report)
    causes: tuple[Cause, ...] = (_encoding, _algorithm, _key, _timestamp_unit, _body)
    for cause in causes:
        for credential in stored[:SECRETS]:
            found = cause(case, credential)
            if found:
                return found
            if budget.left < 0:
                report.check("other causes", "not tried: the body is too large to re-hash here")
                return None
    return other_schemes(provider, request, stored, peers, report)


def _digests(
    provider: HmacProvider,
    request: Request,
    sent: Sent,
    key: bytes,
    budget: Budget,
    *,
    timestamp: str | None = None,
    algorithm: str | None = None,
) -> bytes | None:
    """The HMAC with one thing changed, if the budget allows one more."""
    if not budget.spend(len(request.body)):
        return None
    return provider.compute(request, sent, key, timestamp=timestamp, algorithm=algorithm)


def _given(sent: Sent) -> Iterator[tuple[str, bytes]]:
    """Every reading of the sent signatures as bytes: (how it is encoded, the bytes)."""
    values = sent.signatures or (sent.bare,)
    for value in values:
        if value.isascii() and value == value.lower():
            found = _decode_hex(value)
            if found is not None:
                yield "lowercase hex", found
        elif value.isascii() and value.upper() == value:
            found = _decode_hex(value)
            if found is not None:
                yield "uppercase hex", found
        padded = value + "=" * (-len(value) % 4)
        with contextlib.suppress(binascii.Error, ValueError):
            yield "base64", base64.b64decode(padded, validate=True)


def _decode_hex(value: str) -> bytes | None:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _matches_given(sent: Sent, digest: bytes | None) -> str | None:
    if digest is None:
        return None
    for encoding, given in _given(sent):
        if hmac.compare_digest(given, digest):
            return encoding
    return None


def _expected(sent: Sent) -> str:
    return "lowercase hex" if sent.scheme.encoding == "hex" else "base64"


def _encoding(case: Case, credential: Credential) -> str | None:
    """The right HMAC, written another way (another encoding, another case, no prefix)."""
    provider, request, sent, budget, report = case.parts()
    key = provider.key(credential.secret)
    if key is None:
        return None
    encoding = _matches_given(sent, _digests(provider, request, sent, key, budget))
    if encoding is None:
        return None
    scheme = sent.scheme
    right = f"The signature is the right HMAC-{scheme.algorithm.upper()} with {credential.name!r}"
    if not sent.signatures:
        report.check("same HMAC without the prefix", f"match with {credential.name!r}")
        return (
            f"{right}, but without the {scheme.prefix!r} prefix {provider.title} puts before it "
            f"in {scheme.header}."
        )
    if encoding == "uppercase hex" and scheme.encoding == "hex":
        report.check("same HMAC in uppercase hex", f"match with {credential.name!r}")
        return f"{right}, but in uppercase hex; {provider.title} sends lowercase hex."
    if (encoding == "base64") == (scheme.encoding == "base64"):
        return None  # the same encoding written differently (base64 padding): not a cause
    report.check(f"same HMAC, {encoding}", f"match with {credential.name!r}")
    return f"{right}, but {encoding}-encoded; {provider.title} sends {_expected(sent)}."


def _algorithm(case: Case, credential: Credential) -> str | None:
    """The HMAC of the same content with another hash (GitHub's legacy sha1 value, say)."""
    provider, request, sent, budget, report = case.parts()
    key = provider.key(credential.secret)
    if key is None:
        return None
    scheme = sent.scheme
    for algorithm in ALGORITHMS:
        if algorithm == scheme.algorithm:
            continue
        digest = _digests(provider, request, sent, key, budget, algorithm=algorithm)
        if _matches_given(sent, digest) is not None:
            report.check(f"HMAC-{algorithm.upper()} instead", f"match with {credential.name!r}")
            return (
                f"The value in {scheme.header} is the HMAC-{algorithm.upper()} of the same content "
                f"with {credential.name!r} ({len(digest or b'')} bytes), but {scheme.header} "
                f"carries HMAC-{scheme.algorithm.upper()}: a value made for another header "
                "(such as GitHub's legacy sha1 X-Hub-Signature) was put in this one."
            )
    return None


def key_variants(secret: str) -> Iterator[tuple[str, bytes]]:
    """Other keys a sender may have made from the same secret: (what it is, the key)."""
    bare = secret
    for prefix in ("whsec_", "v1,", "whpk_"):
        if secret.startswith(prefix):
            bare = secret[len(prefix) :]
            yield f"the secret without its {prefix} prefix, as text", bare.encode("utf-8")
    yield "the whole secret as text", secret.encode("utf-8")
    try:
        decoded = base64.b64decode(bare, validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded:
        yield "the base64-decoded secret", decoded


def _key(case: Case, credential: Credential) -> str | None:
    """The right HMAC keyed with the secret read another way (prefix kept, base64 decoded)."""
    provider, request, sent, budget, report = case.parts()
    own = provider.key(credential.secret)
    for label, key in key_variants(credential.secret):
        if key == own:
            continue
        digest = _digests(provider, request, sent, key, budget)
        if digest is not None and _matches_given(sent, digest) is not None:
            report.check(f"HMAC keyed with {label}", f"match with {credential.name!r}")
            return (
                f"The signature matches {credential.name!r} keyed with {label}, but "
                f"{provider.title} keys the HMAC with {provider.key_label}."
            )
    return None


def _timestamp_unit(case: Case, credential: Credential) -> str | None:
    """Signed over the time in milliseconds while the header says seconds, or the reverse."""
    provider, request, sent, budget, report = case.parts()
    stamp = sent.timestamp
    key = provider.key(credential.secret)
    if stamp is None or key is None or "{timestamp}" not in sent.scheme.signed:
        return None
    if len(stamp) >= 13:
        other, unit, sent_unit = stamp[:-3], "seconds", "milliseconds"
    else:
        other, unit, sent_unit = stamp + "000", "milliseconds", "seconds"
    digest = _digests(provider, request, sent, key, budget, timestamp=other)
    if _matches_given(sent, digest) is None:
        return None
    report.check(f"timestamp as {unit}", f"match with {credential.name!r}")
    return (
        f"The signature was computed over the timestamp in {unit} ({other}) while the request "
        f"carries {stamp} in {sent_unit}: the sender mixes seconds and milliseconds."
    )


def body_variants(body: bytes) -> Iterator[tuple[str, bytes]]:
    """The body as a framework may have changed it: a newline added or removed, the JSON
    written again by a serialiser. (What was received vs what was signed: the label says.)"""
    if body.endswith(b"\r\n"):
        yield "without the trailing CRLF it arrived with (one was added after signing)", body[:-2]
    if body.endswith(b"\n"):
        yield (
            "without the trailing newline it arrived with (one was added after signing)",
            body[:-1],
        )
    else:
        yield "with a trailing newline (it was removed after signing)", body + b"\n"
    data = json_value(body)
    if data is None:
        return
    for label, variant in reserialised(data):
        if variant != body:
            yield f"as the same JSON {label} (it was re-serialised after signing)", variant


def _body(case: Case, credential: Credential) -> str | None:
    provider, request, sent, budget, report = case.parts()
    key = provider.key(credential.secret)
    if key is None:
        return None
    for label, body in body_variants(request.body):
        if not budget.spend(len(body)):
            return None
        digest = provider.compute(request, sent, key, body=body)
        if _matches_given(sent, digest) is not None:
            report.check("HMAC over a changed body", f"{label}: match with {credential.name!r}")
            return (
                f"The body was changed after signing: the signature matches {credential.name!r} "
                f"over the body {label}."
            )
    report.check("HMAC over a changed body", "no match (newline, re-serialised JSON)")
    return None


def present_headers(request: Request, peers: Sequence[HmacProvider]) -> str:
    """The other schemes' signature headers this request carries, named for a sentence."""
    found = [
        f"{other.title}'s {header}"
        for other in peers
        for header in other.signature_headers()
        if request.header(header) is not None
    ]
    return ", ".join(found)


def other_schemes(
    provider: HmacProvider,
    request: Request,
    stored: Sequence[Credential],
    peers: Sequence[HmacProvider],
    report: Report,
) -> str | None:
    """A signature made another scheme's way, in this header or in the other's own header."""
    secrets = stored[:SECRETS]
    value = request.header(provider.scheme.header)
    for other in peers:
        if value is not None and other.scheme.header.lower() != provider.scheme.header.lower():
            found = _signed_by(other, other.with_header(request, value.strip()), secrets)
            if found is not None:
                report.check(f"{other.title}'s way", f"match with {found.name!r}")
                return (
                    f"The {provider.scheme.header} header holds a signature made the "
                    f"{other.title} way ({_shape(other)}) with {found.name!r}: the sender "
                    f"signs for {other.title}, not {provider.title}."
                )
        if any(request.header(h) is not None for h in other.signature_headers()):
            found = _signed_by(other, request, secrets)
            if found is not None:
                report.check(f"{other.title}'s header", f"match with {found.name!r}")
                return (
                    f"The request also carries {other.title}'s {other.scheme.header}, which "
                    f"matches {found.name!r} the {other.title} way: the sender signs for "
                    f"{other.title}, not {provider.title}."
                )
    return None


def _signed_by(
    other: HmacProvider, request: Request, secrets: Sequence[Credential]
) -> Credential | None:
    sent = other.sent(request)
    if sent is None or isinstance(sent, str):
        return None
    for credential in secrets:
        key = other.key(credential.secret)
        if key is not None and other.matches(request, sent, key):
            return credential
    return None


def _shape(provider: HmacProvider) -> str:
    scheme = provider.scheme
    prefix = f"{scheme.prefix}" if scheme.prefix else ""
    return f"{prefix}<{scheme.encoding}> HMAC-{scheme.algorithm.upper()} of {scheme.signed}"
