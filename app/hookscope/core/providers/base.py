"""What every provider module offers, and what verification is given to work with."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hookscope.core.model import Capture, Check, Credential, Nonce, Verdict


class Provider(Protocol):
    """A webhook sender Hookscope understands. Adding one touches one module and its vectors."""

    name: str

    def detect_headers(self, capture: Capture) -> bool:
        """True when the request's headers say it is this provider's (a signature or token)."""
        ...

    def detect_body(self, capture: Capture) -> bool:
        """True when the body has this provider's shape."""
        ...

    def event(self, capture: Capture) -> str | None:
        """The event (or kind) the body names, if it can be read."""
        ...

    def verify(self, capture: Capture, context: VerifyContext) -> Verdict:
        """The verdict on this capture, with a detail sentence and every check tried."""
        ...

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
        """The headers to set (replacing any of the same name) so the request is signed this
        provider's way: `now` is the signing time (Unix seconds), `delivery_id` a fresh unique
        id (a UUID) for schemes that carry one, `headers` the request's other headers. The
        signature's own header comes first (the receiver scorecard alters or drops it)."""
        ...


NonceSeen = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class VerifyContext:
    """Everything verification may consult besides the capture itself.

    Attributes:
        now: the moment to judge timestamps against (arrival time when re-verifying).
        seen: whether (api_key, uuid) was already used within the window (for the HMAC
            schemes: (scheme name, delivery id)).
    """

    credentials: Sequence[Credential] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    seen: NonceSeen = lambda api_key, uuid: False
    tolerance: int = 300
    # Every provider the registry knows for this verification (built-in and custom): a scheme's
    # forensics ask the others whether the request was signed their way instead.
    others: Sequence[Provider] = ()

    def of(self, provider: str) -> list[Credential]:
        return [c for c in self.credentials if c.provider == provider]


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts, whatever characters the sender put in them."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


# Provider shapes are read from bodies up to this size. Parsing is done on the listener's loop
# and costs many times the body in memory: a stranger's 24 MB of JSON must not stall every
# other delivery (signatures are still checked over the raw bytes, whatever the size).
JSON_PARSE_LIMIT = 2 * 1024 * 1024

_last_parsed: tuple[bytes, Any] = (b"", None)


def json_value(body: bytes) -> Any:
    """The body parsed as JSON; None when it is not JSON or is too large to read here.

    The last result is kept: detection and verification ask for the same body several times.
    """
    global _last_parsed
    if len(body) > JSON_PARSE_LIMIT:
        return None
    last_body, last_value = _last_parsed
    if body is last_body:
        return last_value
    try:
        value = loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        value = None
    _last_parsed = (body, value)
    return value


_DECODER = json.JSONDecoder()


def loads(body: bytes) -> Any:
    """Exactly `json.loads(body)`, without its encoding detection when the answer is UTF-8.

    json.loads reads bytes as UTF-8 (with "surrogatepass") unless they start with a byte order
    mark or a NUL in the first two bytes (UTF-16 or UTF-32). A body that starts with an ASCII
    character and no NUL after it cannot be either, so it is decoded here and given to the same
    decoder: the same value or the same error, for a third less of the parse's cost on the
    listener's loop. Anything else goes to json.loads itself. (A scan for the event name alone
    was measured too: checking that the rest is valid JSON with regular expressions cost twice
    the C parser, and without that check the event of a broken body would differ.)
    """
    if len(body) >= 4 and 0 < body[0] < 0x80 and body[1]:
        return _DECODER.decode(body.decode("utf-8", "surrogatepass"))
    return json.loads(body)


def leading_text(body: bytes, key: str) -> str | None:
    """`key`'s value when the body is a JSON object that starts with it as a plain string and
    names it nowhere else: the same answer json.loads would give, without parsing the body.

    None when that cannot be told at a glance (another first key, an escape in the value, the
    key twice, a body past the parse limit): ask json_object then. Senders put the event
    first (Kardow does), and parsing the whole body for it was the largest part of judging a
    signed delivery. A body broken after that value still names its event this way.
    """
    if len(body) > JSON_PARSE_LIMIT or body[:1] != b"{":
        return None
    quoted = b'"' + key.encode() + b'"'
    match = _leading(quoted).match(body)
    if match is None or body.count(quoted) != 1:
        return None
    try:
        return match[1].decode("utf-8")
    except UnicodeDecodeError:
        return None


_LEADING: dict[bytes, re.Pattern[bytes]] = {}


def _leading(quoted: bytes) -> re.Pattern[bytes]:
    pattern = _LEADING.get(quoted)
    if pattern is None:
        space = rb"[ \t\r\n]*"
        pattern = _LEADING[quoted] = re.compile(
            rb"\{"
            + space
            + re.escape(quoted)
            + space
            + rb":"
            + space
            + rb'"([^"\\\x00-\x1f]{1,256})"'
            + space
            + rb"[,}]"
        )
    return pattern


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    if not body or body[:1] not in (b"{", b" ", b"\n", b"\r", b"\t"):
        return None
    value = json_value(body)
    return value if isinstance(value, dict) else None


class NonceMemory:
    """Which (api_key, uuid) pairs were used; each is kept until its token could no longer
    be accepted anyway (its timestamp plus the tolerance)."""

    def __init__(self) -> None:
        self._expires: dict[tuple[str, str], float] = {}
        self._pruned = 0.0

    def seen(self, api_key: str, uuid: str, now: float | None = None) -> bool:
        """Used before, and (given `now`) still within the window that makes a reuse a replay."""
        expires = self._expires.get((api_key, uuid))
        return expires is not None and (now is None or expires >= now)

    def remember(self, api_key: str, uuid: str, expires: float, now: float) -> None:
        self._expires[(api_key, uuid)] = expires
        if now - self._pruned > 30:
            self._pruned = now
            for key in [k for k, t in self._expires.items() if t < now]:
                del self._expires[key]

    def __len__(self) -> int:
        return len(self._expires)


# The same few checks come back delivery after delivery ("64 hex characters", a match with
# the same secret): a Check is immutable, so one object each is shared instead of built anew.
_CHECKS: dict[tuple[str, str, bool | None, bool], Check] = {}
_CHECKS_KEPT = 512


@dataclass(slots=True)
class Report:
    """The checks of one verification as they happen, and the verdict they end in."""

    provider: str
    event: str | None
    checks: list[Check] = field(default_factory=list)

    def check(self, step: str, outcome: str, ok: bool | None = None, assumed: bool = False) -> None:
        key = (step, outcome, ok, assumed)
        found = _CHECKS.get(key)
        if found is None:
            if len(_CHECKS) >= _CHECKS_KEPT:
                _CHECKS.clear()
            found = _CHECKS[key] = Check(step, outcome, ok, assumed)
        self.checks.append(found)

    def verdict(self, kind: str, detail: str, nonce: Nonce | None = None) -> Verdict:
        return Verdict(kind, detail, self.provider, self.event, tuple(self.checks), nonce)


def reserialised(data: Any) -> Iterator[tuple[str, bytes]]:
    """The same JSON as the usual serialisers would write it."""
    styles: list[tuple[str, dict[str, Any]]] = [
        ("in compact form", {"separators": (",", ":"), "ensure_ascii": False}),
        ("with spaces after separators", {"ensure_ascii": False}),
        ("with non-ASCII escaped", {"separators": (",", ":")}),
        ("with Python's default spacing", {}),
        ("indented by 2", {"indent": 2, "ensure_ascii": False}),
    ]
    for sort in (False, True):
        keys = " with sorted keys" if sort else ""
        for label, options in styles:
            try:
                variant = json.dumps(data, sort_keys=sort, **options).encode("utf-8")
            except (UnicodeEncodeError, RecursionError):
                # A lone surrogate ("\ud800" in the body) has no UTF-8 form unescaped, and a
                # serialiser that cannot write it cannot have produced what was signed.
                continue
            yield f"{label}{keys}", variant
