"""The receiver scorecard's battery (pure): what is sent to a receiver to see whether it accepts
what it must and refuses what a safe receiver refuses.

Every case starts from one valid delivery (a realistic body for the scheme, signed by the
scheme's own `sign_headers` with the user's credential) and changes exactly one thing. The
requests are made as each case is sent (`Battery.request`), so the valid ones carry the time
of sending. Judging the answers is in scoreboard.py.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from hookscope.core import catalogue
from hookscope.core.fire import USER_AGENT, encode, kardow_envelope, kudoz_envelope
from hookscope.core.http import Header, Headers, Request
from hookscope.core.model import Credential, Outgoing
from hookscope.core.providers import HmacProvider, Provider, kardow, kudoz

ACCEPT = "accept"  # any 2xx
REJECT = "reject"  # any 4xx (413 included); a 5xx is a crash the sender retries, not a refusal
SCORECARD_HEADER = "X-Hookscope-Scorecard"  # the case's key, for the receiver's logs

# The oversized body: one byte over what a sender of the scheme may send. No event of these
# schemes comes near 10 MiB; GitHub documents a 25 MB cap on its payloads, so its probe is one
# byte over 25 MiB. The body is a valid JSON event, correctly signed, so only a size limit
# refuses it.
OVERSIZE = 10 * 1024 * 1024 + 1
OVERSIZES = {"github": 25 * 1024 * 1024 + 1}
# How long a sender waits for the acknowledgement before it gives up and retries: Slack 3 s,
# Shopify 5 s, GitHub 10 s as they document it; 10 s for the others (our choice).
ACK_DEADLINE = 10.0
ACK_DEADLINES = {"slack": 3.0, "shopify": 5.0, "github": 10.0}
KUDOZ_TOLERANCE = 300  # docs/protocols.md: assumed, ±300 s

# A label the scheme does not use, for each prefix it does ("" is no prefix).
_FOREIGN_PREFIX = {"": "sha256=", "sha256=": "sha1=", "v1=": "v0=", "v0=": "v1=", "v1,": "v2,"}

DEFAULT_TIMEOUT = 15.0  # seconds per request: above every sender's ack deadline


@dataclass(frozen=True, slots=True)
class Case:
    """One delivery of the battery and what a safe receiver does with it.

    Attributes:
        key: a stable name (`valid`, `tampered-body`, ...), also sent in SCORECARD_HEADER.
        title: what is sent, in a few words.
        expect: ACCEPT (a 2xx) or REJECT (a 4xx).
        why: one line on why the case matters.
        hole: what accepting it would reveal (reject cases), for the failure's sentence.
        skipped: why the case does not apply to the scheme ("" when it does).
        twice: the same request is sent twice; the first must be accepted, the second judged.
        size: the body's size in bytes when it is made that large (0: the usual body).
        within: seconds the answer may take (the slow-ack probe), None: any time.
    """

    key: str
    title: str
    expect: str
    why: str
    hole: str = ""
    skipped: str = ""
    twice: bool = False
    size: int = 0
    within: float | None = None

    @property
    def expected(self) -> str:
        return "accept (2xx)" if self.expect == ACCEPT else "reject (4xx)"


def title_of(provider: Provider) -> str:
    """The sender's name in sentences ("Standard Webhooks")."""
    return provider.title if isinstance(provider, HmacProvider) else provider.name.capitalize()


def tolerance_of(provider: Provider) -> int | None:
    """The scheme's time window (seconds), None when it signs no time."""
    if provider.name == kudoz.name:
        return KUDOZ_TOLERANCE
    if isinstance(provider, HmacProvider):
        scheme = provider.scheme
        if scheme.timestamp_header is not None or "{timestamp}" in scheme.signed:
            return scheme.tolerance
    return None


def has_id(provider: Provider) -> bool:
    """Whether the scheme carries a delivery id or nonce a receiver can remember."""
    if provider.name == kudoz.name:
        return True
    return isinstance(provider, HmacProvider) and provider.scheme.id_header is not None


def signs_body(provider: Provider, credential: Credential) -> bool:
    """Whether the signature covers the body (a Kudoz template may leave it out)."""
    if provider.name == kudoz.name:
        template = credential.template or kudoz.DEFAULT_TEMPLATE
        return "{body}" in template or "{body_sha256}" in template
    return True


def encoding_of(provider: Provider) -> str:
    if provider.name == kudoz.name:
        return "base64"
    if isinstance(provider, HmacProvider):
        return provider.scheme.encoding
    return "hex"


def cases(provider: Provider, credential: Credential) -> tuple[Case, ...]:
    """The battery for a scheme and credential, in the order it is sent; cases that do not
    apply are kept, with why they are skipped."""
    title = title_of(provider)
    window = tolerance_of(provider)
    encoding = encoding_of(provider)
    other = "base64" if encoding == "hex" else "hex"
    deadline = ACK_DEADLINES.get(provider.name, ACK_DEADLINE)
    size = OVERSIZES.get(provider.name, OVERSIZE)
    no_time = f"{title} signs no time, so a receiver cannot tell an old delivery by its stamp."
    return (
        Case(
            "valid",
            "Valid delivery",
            ACCEPT,
            "A receiver that refuses a correctly signed delivery loses real events; the other "
            "cases mean little until this one passes.",
        ),
        Case(
            "tampered-body",
            "Body changed by one byte",
            REJECT,
            "The signature must cover the exact bytes received: checking it over re-parsed "
            "JSON, or not at all, lets edited events in.",
            "it accepts a body changed after signing",
            ""
            if signs_body(provider, credential)
            else f"{title}'s token, as this credential's template makes it, does not cover the "
            "body: an edited body cannot be told apart.",
        ),
        Case(
            "unsigned",
            "No signature",
            REJECT,
            "Anyone who finds the URL can post to it; a missing signature must be a refusal, "
            "not a skipped check.",
            "it accepts deliveries without a signature",
        ),
        Case(
            "wrong-secret",
            "Signed with a wrong secret",
            REJECT,
            "A forger does not have the secret; accepting any well-formed signature verifies "
            "nothing.",
            "it accepts a signature made with another secret",
        ),
        Case(
            "other-encoding",
            f"Right signature in {other} instead of {encoding}",
            REJECT,
            f"{title} never sends {other}; accepting it means the comparison is loose, and "
            "loose parsing is where signature bypasses hide.",
            f"it accepts the signature in {other}",
        ),
        Case(
            "foreign-prefix",
            "Signature with a prefix the scheme does not use",
            REJECT,
            "A receiver that strips whatever label it finds, or reads only part of the header, "
            "takes signatures meant for another scheme.",
            "it accepts a signature under another scheme's label",
        ),
        Case(
            "stale",
            f"Timestamp {window + 1 if window else 301} s old",
            REJECT,
            "Without a time window a delivery seen once (a log, a proxy) can be replayed forever.",
            "it accepts a delivery signed outside the time window",
            "" if window else no_time,
        ),
        Case(
            "future",
            f"Timestamp {window + 1 if window else 301} s ahead",
            REJECT,
            "The window must hold both ways: deliveries stamped ahead of the clock stay "
            "replayable for as long as their stamp says.",
            "it accepts a delivery stamped ahead of the time window",
            "" if window else no_time,
        ),
        Case(
            "replay",
            "The same valid delivery sent twice",
            REJECT,
            "Whoever saw one delivery can send it again, signature and all; only a remembered "
            "id or nonce stops that (the first copy must be accepted, the second refused).",
            "it accepts the same delivery id a second time",
            "" if has_id(provider) else _no_id(provider, title),
            twice=True,
        ),
        Case(
            "malformed",
            "Malformed signature (cut short, a stray character)",
            REJECT,
            "A signature of the wrong length must get a clean 4xx: comparing unequal lengths "
            "crashes some code (Node's timingSafeEqual throws), and a 5xx makes senders retry.",
            "it accepts a signature that is not even well-formed",
        ),
        Case(
            "oversized",
            f"Body of {_size(size)}, correctly signed",
            REJECT,
            "The whole body is read before its signature can be checked, so without a size "
            "limit anyone can make the receiver buffer any amount (413 or any 4xx passes).",
            f"it takes in a body of {_size(size)}",
            size=size,
        ),
        Case(
            "slow-ack",
            f"Valid delivery answered within {deadline:g} s",
            ACCEPT,
            f"Senders give up and retry when the answer is slow ({deadline:g} s here): "
            "acknowledge first, work after, or every slow event arrives twice.",
            within=deadline,
        ),
    )


def _no_id(provider: Provider, title: str) -> str:
    if provider.name == kardow.name:
        return "Kardow signs no delivery id or time: a receiver cannot tell a replay apart."
    if tolerance_of(provider) is not None:
        return f"{title} carries no delivery id; its time window is what limits replays."
    return f"{title} carries no delivery id to remember."


def _size(size: int) -> str:
    mib, extra = divmod(size, 1024 * 1024)
    return f"{mib} MiB + {extra} byte{'s' if extra != 1 else ''}" if extra else f"{mib} MiB"


@dataclass(frozen=True, slots=True)
class Battery:
    """The cases for one receiver, scheme and credential, and the requests they send.

    Attributes:
        provider: the scheme (built-in or custom), whose `sign_headers` signs every case.
        credential: the stored secret the receiver is configured with.
        url: the receiver.
        cases: the battery, in the order it is sent.
    """

    provider: Provider
    credential: Credential
    url: str
    cases: tuple[Case, ...]

    @property
    def scheme(self) -> str:
        return self.provider.name

    def case(self, key: str) -> Case:
        return next(case for case in self.cases if case.key == key)

    def request(self, case: Case, *, now: float, delivery_id: str) -> Outgoing:
        """What `case` sends when sent at `now` (Unix seconds) with `delivery_id` as the
        delivery's id or nonce. The same arguments give the same bytes."""
        path = urlsplit(self.url).path or "/"
        body = base_body(self.provider.name, now, delivery_id, size=case.size)
        headers = Headers(
            [
                ("Content-Type", "application/json"),
                ("User-Agent", USER_AGENT),
                *_markers(self.provider.name),
                (SCORECARD_HEADER, case.key),
            ]
        )
        window = tolerance_of(self.provider) or 0
        signed_at = {"stale": now - window - 1, "future": now + window + 1}.get(case.key, now)
        signer = self.credential
        if case.key == "wrong-secret":
            signer = dataclasses.replace(signer, secret=wrong_secret(signer.secret))
        signature, *others = self.provider.sign_headers(
            signer,
            method="POST",
            path=path,
            body=body,
            headers=headers,
            now=signed_at,
            delivery_id=delivery_id,
        )
        for name, value in others:
            headers = headers.replaced(name, value)
        name, value = signature
        if case.key == "unsigned":
            headers = headers.without(name)
        else:
            headers = headers.replaced(name, self._altered(case.key, name, value, body, headers))
        if case.key == "tampered-body":
            body = one_byte_changed(body)
        return Outgoing(url=self.url, body=body, headers=headers, kind="scorecard", note=case.key)

    def _altered(self, key: str, name: str, value: str, body: bytes, headers: Headers) -> str:
        """The signature header's value as the case sends it."""
        if key not in ("other-encoding", "foreign-prefix", "malformed"):
            return value
        if key == "foreign-prefix" and self.provider.name == kudoz.name:
            return "Bearer " + value.removeprefix("TOKEN ")
        signature, encoding, prefix = self._signature(name, value, body, headers)
        head, _, tail = value.rpartition(prefix + signature)
        if key == "other-encoding":
            new = prefix + reencoded(signature, encoding)
        elif key == "foreign-prefix":
            new = _FOREIGN_PREFIX.get(prefix, "sha256=") + signature
        else:
            new = prefix + signature[: len(signature) // 2] + "!"
        return head + new + tail

    def _signature(
        self, name: str, value: str, body: bytes, headers: Headers
    ) -> tuple[str, str, str]:
        """The encoded signature inside the header value, its encoding and its prefix."""
        provider = self.provider
        if provider.name == kudoz.name:
            return value.rpartition(":")[2], "base64", ""
        if isinstance(provider, HmacProvider):
            request = Request("POST", "/", headers.replaced(name, value), body)
            sent = provider.sent(request)
            if sent is None or isinstance(sent, str) or not sent.signatures:
                raise ValueError(f"{provider.title} signed a header its own reader cannot read.")
            signature = sent.signatures[0]
            prefix = sent.scheme.prefix if f"{sent.scheme.prefix}{signature}" in value else ""
            return signature, sent.scheme.encoding, prefix
        return value, "hex", ""


def wrong_secret(secret: str) -> str:
    """A secret of the same kind that is not `secret` (a `whsec_` one stays base64 after it)."""
    digest = hashlib.sha256(b"hookscope-scorecard-wrong:" + secret.encode("utf-8")).digest()
    if secret.startswith("whsec_"):
        return "whsec_" + base64.b64encode(digest).decode("ascii")
    return "wrong-" + digest.hex()


def reencoded(signature: str, encoding: str) -> str:
    """The same signature bytes in the other encoding (hex <-> base64)."""
    try:
        if encoding == "hex":
            return base64.b64encode(bytes.fromhex(signature)).decode("ascii")
        return base64.b64decode(signature, validate=True).hex()
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"The signature is not {encoding}: {exc}") from exc


def one_byte_changed(body: bytes) -> bytes:
    """`body` with one letter or digit inside its last JSON string changed, so it is still the
    same JSON shape (a receiver that parses first still gets to the signature)."""
    inside = False
    escaped = False
    last = -1
    for index, byte in enumerate(body):
        if escaped:
            escaped = False
        elif byte == 0x5C and inside:  # backslash
            escaped = True
        elif byte == 0x22:  # quote
            inside = not inside
        elif inside and (0x30 <= byte <= 0x39 or 0x61 <= byte <= 0x7A or 0x41 <= byte <= 0x5A):
            last = index
    if last < 0:
        raise ValueError("The body has no letter or digit inside a string to change.")
    byte = body[last]
    changed = byte - 1 if byte in b"9zZ" else byte + 1
    return body[:last] + bytes([changed]) + body[last + 1 :]


def _markers(scheme: str) -> list[Header]:
    """Headers a sender of the scheme always adds (not signed), so the receiver routes it."""
    if scheme == "github":
        return [("X-GitHub-Event", "issues")]
    if scheme == "shopify":
        return [
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Shop-Domain", "example.myshopify.com"),
        ]
    return []


def base_body(scheme: str, now: float, delivery_id: str, *, size: int = 0) -> bytes:
    """A realistic event for the scheme, compact JSON; `size` > 0 pads it to exactly that many
    bytes (a `padding` string at its end). The same arguments give the same bytes."""
    moment = datetime.fromtimestamp(now, UTC)
    rng = random.Random(delivery_id)
    body = encode(_event(scheme, moment, delivery_id, rng))
    if size <= 0:
        return body
    opening = b',"padding":"'
    fill = size - len(body) - len(opening) - 1  # body minus "}", the field, the filler, '"}'
    if fill < 0:
        raise ValueError(f"An event of {size} bytes is too small to hold the scheme's body.")
    return b"".join((body[:-1], opening, b"x" * fill, b'"}'))


def _event(scheme: str, moment: datetime, delivery_id: str, rng: random.Random) -> object:
    stamp = int(moment.timestamp())
    short = delivery_id.replace("-", "")[:24]
    if scheme == kardow.name:
        data = catalogue.fill(catalogue.template("kardow", "job.created").data, now=moment, rng=rng)
        return kardow_envelope("job.created", data, 42, moment)
    if scheme == kudoz.name:
        template = catalogue.template("kudoz", "job_application").data
        return kudoz_envelope(
            delivery_id, "job_application", catalogue.fill(template, now=moment, rng=rng)
        )
    if scheme == "stripe":
        return {
            "id": f"evt_{short}",
            "object": "event",
            "created": stamp,
            "livemode": False,
            "type": "customer.created",
            "data": {"object": {"id": f"cus_{short[:14]}", "email": "ada@example.com"}},
        }
    if scheme == "github":
        return {
            "action": "opened",
            "issue": {"number": 42, "title": "Receiver scorecard"},
            "repository": {"full_name": "octo-org/hooks"},
            "sender": {"login": "octocat"},
        }
    if scheme == "slack":
        return {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": f"Ev{short[:10].upper()}",
            "event_time": stamp,
            "event": {"type": "app_mention", "user": "U0001", "text": "scorecard"},
        }
    if scheme == "shopify":
        return {"id": rng.randint(10**15, 10**16), "email": "ada@example.com", "note": "scorecard"}
    return {
        "type": "invoice.paid",
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {"id": f"inv_{short[:14]}", "amount": 4200, "currency": "EUR"},
    }
