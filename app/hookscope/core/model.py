"""The records every layer passes around: frozen dataclasses, no I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _ascii
from typing import Any

# The message types live in core/http.py; these names stay importable from here.
from hookscope.core.http import Header as Header
from hookscope.core.http import Headers, Request
from hookscope.core.http import Response as Response
from hookscope.core.http import decode_header as decode_header
from hookscope.core.http import first_header as first_header
from hookscope.core.http import header_bytes as header_bytes
from hookscope.core.sending import OUTGOING_KINDS as OUTGOING_KINDS
from hookscope.core.sending import Attempt as Attempt
from hookscope.core.sending import Outgoing as Outgoing
from hookscope.core.sending import Recipe as Recipe
from hookscope.core.sending import Signing as Signing

_JSON_FLAG = {True: "true", False: "false", None: "null"}

VERDICTS = ("verified", "failed", "unsigned", "no-secret", "stale", "replayed", "n/a")


# Any UTF-16 surrogate: a byte kept by surrogateescape, or a lone "\ud800" a JSON body spelled.
_SURROGATE = re.compile("[\ud800-\udfff]")


def display_text(text: str) -> str:
    """Text for showing and storing: every surrogate becomes U+FFFD, so it always encodes.

    For derived text only (a verdict's detail, an event name read from a body): the raw
    bytes stay the truth, kept elsewhere without loss.
    """
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a `Z`, sortable as text."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_iso_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Check:
    """One step of a verification, shown to the user as it happened.

    Attributes:
        ok: True passed, False failed, None informational.
        assumed: the step rests on our assumption, not on the provider's documentation.
    """

    step: str
    outcome: str
    ok: bool | None = None
    assumed: bool = False

    def __post_init__(self) -> None:
        # Steps quote what the sender sent (a header field, a key): keep them displayable.
        object.__setattr__(self, "step", display_text(self.step))
        object.__setattr__(self, "outcome", display_text(self.outcome))


@dataclass(frozen=True, slots=True)
class Nonce:
    """A Kudoz token's nonce: unique per API key until `expires` (Unix seconds)."""

    api_key: str
    uuid: str
    expires: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying one capture; the README's Verification table says each value."""

    verdict: str = "n/a"
    detail: str = "No provider recognised."
    provider: str | None = None
    event: str | None = None
    checks: tuple[Check, ...] = ()
    nonce: Nonce | None = None  # a verified Kudoz token's (api_key, uuid), to remember

    def __post_init__(self) -> None:
        # The event comes from the body and the detail quotes the sender: a lone surrogate in
        # either (valid in JSON, "\ud800") must not stop the capture from being stored.
        object.__setattr__(self, "detail", display_text(self.detail))
        if self.event is not None:
            object.__setattr__(self, "event", display_text(self.event))

    def checks_json(self) -> str:
        if not self.checks:
            return "[]"
        # As json.dumps writes it, from the C string encoder (this runs for every capture).
        items = ", ".join(
            f"[{_ascii(c.step)}, {_ascii(c.outcome)}, {_JSON_FLAG[c.ok]}, {_JSON_FLAG[c.assumed]}]"
            for c in self.checks
        )
        return f"[{items}]"

    @staticmethod
    def checks_from_json(text: str) -> tuple[Check, ...]:
        return tuple(Check(*item) for item in json.loads(text))


@dataclass(frozen=True, slots=True)
class Credential:
    """A stored secret, decrypted (it only lives in memory like this).

    Kardow: `secret` is the webhook secret. Kudoz: `api_key` identifies the pair, `secret` is
    the API secret, `template` the signed string (None: the assumed default).

    Attributes:
        name: the user's name for it, unique across providers.
    """

    provider: str
    name: str
    secret: str
    api_key: str = ""
    template: str | None = None
    id: int | None = None

    def __repr__(self) -> str:  # never let a secret reach a log or a traceback
        return f"Credential({self.provider!r}, {self.name!r}, api_key={self.api_key!r})"


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """What may be shown of a stored credential: everything but the secret."""

    id: int
    provider: str
    name: str
    api_key: str
    template: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "name": self.name,
            "api_key": self.api_key or None,
            "template": self.template,
            "created_at": iso_utc(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Stored:
    """What a request learns once its capture is committed: its id and the answer to send.

    Attributes:
        delay_ms: how long to wait before answering (a rule's delay; spent, not stored).
        forwards: the ids of the forwards stored with the capture, in the order given.
    """

    id: int
    response: Response
    delay_ms: int = 0
    forwards: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Capture:
    """One request as received, and what we answered: the raw bytes are the truth.

    The request's parts read as the capture's own (`capture.method`, `capture.headers`, ...).

    Attributes:
        request: the request exactly as it arrived (target, ordered header pairs, raw body).
        response: our answer, None until the store has decided it.
        id: the store's id, None until committed.
        body_truncated: True when the body was cut at the size limit (the request was refused).
        imported_from: the file this capture was imported from (None: it arrived live).
        receive_ms: how long the request took to arrive, from its head to its whole body.
        answer_ms: from the whole request to our answer: judging, committing, a rule's delay.
    """

    request: Request
    remote: str = ""
    received_at: datetime = field(default_factory=utc_now)
    body_truncated: bool = False
    verdict: Verdict = field(default_factory=Verdict)
    response: Response | None = None
    replay_of: int | None = None
    id: int | None = None
    starred: bool = False
    note: str = ""
    imported_from: str | None = None
    receive_ms: float | None = None
    answer_ms: float | None = None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def query(self) -> str:
        return self.request.query

    @property
    def target(self) -> str:
        """The request target as sent: path plus query."""
        return self.request.target

    @property
    def http_version(self) -> str:
        return self.request.http_version

    @property
    def headers(self) -> Headers:
        return self.request.headers

    @property
    def body(self) -> bytes:
        return self.request.body

    @property
    def body_size(self) -> int:
        return self.request.body_size

    @property
    def content_type(self) -> str:
        return self.request.content_type

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        return self.request.headers.get(name)

    def header_values(self, name: str) -> list[str]:
        return self.request.headers.get_all(name)

    def summary(self) -> CaptureSummary:
        return CaptureSummary(
            id=self.id or 0,
            received_at=self.received_at,
            method=self.method,
            path=self.path,
            query=self.query,
            remote=self.remote,
            verdict=self.verdict.verdict,
            verdict_detail=self.verdict.detail,
            provider=self.verdict.provider,
            event=self.verdict.event,
            body_size=self.body_size,
            body_truncated=self.body_truncated,
            content_type=self.content_type,
            response_status=self.response.status if self.response else None,
            starred=self.starred,
            note=self.note,
        )


@dataclass(frozen=True, slots=True)
class CaptureSummary:
    """A capture without its body and headers: what lists show."""

    id: int
    received_at: datetime
    method: str
    path: str
    query: str
    remote: str
    verdict: str
    verdict_detail: str
    provider: str | None
    event: str | None
    body_size: int
    body_truncated: bool
    content_type: str
    response_status: int | None
    starred: bool = False
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of `captures list --json` (a CLI contract: docs/architecture.md)."""
        return {
            "id": self.id,
            "received_at": iso_utc(self.received_at),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "remote": self.remote,
            "provider": self.provider,
            "event": self.event,
            "verdict": self.verdict,
            "verdict_detail": self.verdict_detail,
            "body_size": self.body_size,
            "body_truncated": self.body_truncated,
            "content_type": self.content_type,
            "response_status": self.response_status,
            "starred": self.starred,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """How the listener answers requests whose path matches `pattern` (a glob).

    `body` may contain `{capture_id}`, replaced by the new capture's id.
    """

    pattern: str
    status: int = 200
    headers: tuple[Header, ...] = (("Content-Type", "application/json"),)
    body: str = '{"ok": true, "capture_id": {capture_id}}'
    delay_ms: int = 0
    method: str | None = None
    enabled: bool = True
    position: int = 0
    id: int | None = None


DEFAULT_RULE = ResponseRule(pattern="*")


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    """The capture listener's configuration and limits."""

    host: str = "127.0.0.1"
    port: int = 8787
    body_limit: int = 25 * 1024 * 1024
    max_field_size: int = 16 * 1024
    max_headers: int = 200
    max_connections: int = 512
    header_timeout: float = 30.0  # seconds a connection may stay without a full request head
    body_timeout: float = 30.0  # seconds a body upload may stall between two reads
    body_deadline: float = 120.0  # seconds a whole body may take to arrive (then 408, kept cut)
    idle_timeout: float = 15.0  # seconds a keep-alive connection may wait for its next request
    memory_budget: int = 128 * 1024 * 1024  # body bytes held in memory at once, all senders
    spool_threshold: int = 1024 * 1024  # a body past this goes to a temporary file
    memory_wait: float = 30.0  # seconds a received body may wait for memory (then 503)
    api_port: int = 8788  # the Kardow API emulator, on the same host; 0: not started
    api_max_connections: int = 128


@dataclass(frozen=True, slots=True)
class CaptureQuery:
    """A filter over the store, newest first, one keyset page at a time.

    Attributes:
        provider: a provider name, or "none" for captures no provider recognised.
        search: words, "phrases" and path.to.field:value filters, all required (core.search).
        before_id: only captures older than this id (the keyset cursor).
        after_id: only captures newer than this id (what arrived since a page was read).
        starred: only starred captures.
    """

    provider: str | None = None
    verdict: str | None = None
    method: str | None = None
    search: str = ""
    before_id: int | None = None
    after_id: int | None = None
    starred: bool = False
    limit: int = 100


TARGET_TYPES = ("webhook", "discord", "slack")
ANY_EVENT = "*"


@dataclass(frozen=True, slots=True)
class Target:
    """A subscription in the emulator's registry: where a Kardow event is fanned out to.

    Attributes:
        id: a UUID, as Kardow's API returns it.
        event: a Kardow event, or "*" for every event.
        secret: signs `webhook` deliveries; None sends them unsigned. Unused for chat targets.
    """

    id: str
    event: str
    target_type: str
    target_url: str
    secret: str | None = None
    is_enabled: bool = True
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    sealed: bool = False  # a secret is stored but was not decrypted (read without the key)

    @property
    def has_secret(self) -> bool:
        return self.secret is not None or self.sealed

    def matches(self, event: str) -> bool:
        return self.is_enabled and self.event in (event, ANY_EVENT)

    def as_json(self) -> dict[str, Any]:
        """Kardow's response shape, plus what our extensions show; never the secret itself."""
        return {
            "id": self.id,
            "event": self.event,
            "target_type": self.target_type,
            "target_url": self.target_url,
            "has_secret": self.has_secret,
            "is_enabled": self.is_enabled,
            "created_at": iso_millis(self.created_at),
            "updated_at": iso_millis(self.updated_at),
        }

    def __repr__(self) -> str:  # never let a secret reach a log or a traceback
        return f"Target({self.id!r}, {self.event!r}, {self.target_type!r}, {self.target_url!r})"


def verifying_secrets(credentials: list[Credential], targets: list[Target]) -> list[Credential]:
    """The secrets a delivery may be signed with: the stored ones, and each webhook target's
    (a fire to our own listener arrives signed with the target's secret)."""
    return credentials + [
        Credential("kardow", f"target {target.id[:8]}", target.secret)
        for target in targets
        if target.secret is not None and target.target_type == "webhook"
    ]


def iso_millis(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, as Kardow writes its timestamps."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@dataclass(frozen=True, slots=True)
class Plan:
    """What one fire will send: the requests, so a preview is what goes out.

    A fire's time-bound values (placeholders, Kardow's timestamp) are made again from `recipe`
    as it is sent, and each request with a `signing` is signed again as each attempt leaves:
    the preview shows them with sample values, everything else goes out as shown.

    Attributes:
        fire_id: names the fire; every attempt of its requests is logged under it.
        payload: the event as the provider would send it (before chat formatting or signing).
        problems: why some targets get nothing, or why nothing is sent at all.
        recipe: what the event is made from (None: the bodies go out exactly as planned).
    """

    fire_id: str
    provider: str
    event: str
    payload: bytes
    requests: tuple[Outgoing, ...] = ()
    problems: tuple[str, ...] = ()
    recipe: Recipe | None = None


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """Timeouts and retries for outgoing requests (seconds).

    `retries` is how many more tries follow a failed one (0: none, the default for manual
    fires). Connection errors, timeouts, 429 and 5xx answers are retried; other answers are not.
    The wait before retry n (1-based) is `backoff * 2**(n-1)`, at most `max_backoff`, scaled
    by a random factor in [1 - jitter, 1].
    """

    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    retries: int = 0
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: float = 0.5
    response_limit: int = 64 * 1024

    def delay(self, retry: int, rand: float) -> float:
        """The wait before retry `retry` (1-based); `rand` is uniform in [0, 1)."""
        base: float = min(self.max_backoff, self.backoff * 2.0 ** (retry - 1))
        return base * (1.0 - self.jitter * rand)


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    """A filter over the delivery log, newest first, one keyset page at a time."""

    fire_id: str | None = None
    target_id: str | None = None
    failed: bool = False
    before_id: int | None = None
    after_id: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many captures to keep, and for how long (0: no limit; both 0, the default: all).

    The oldest captures past either limit are deleted in the background; starred ones never
    are (they count toward `max_captures`, so a store may hold more starred ones than that).
    """

    max_captures: int = 0
    max_days: int = 0

    @property
    def active(self) -> bool:
        return self.max_captures > 0 or self.max_days > 0
