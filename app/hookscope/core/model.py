"""The records every layer passes around: frozen dataclasses, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Header = tuple[str, str]

# A header name or value is kept as text decoded from UTF-8 with "surrogateescape": every byte
# sequence round-trips exactly (`header_bytes`), and valid UTF-8 reads naturally.
HEADER_ENCODING = "utf-8"
HEADER_ERRORS = "surrogateescape"

VERDICTS = ("verified", "failed", "unsigned", "no-secret", "stale", "replayed", "n/a")


def decode_header(raw: bytes) -> str:
    """Turn raw header bytes into lossless text."""
    return raw.decode(HEADER_ENCODING, HEADER_ERRORS)


def header_bytes(text: str) -> bytes:
    """Turn header text made by `decode_header` back into the exact bytes received."""
    return text.encode(HEADER_ENCODING, HEADER_ERRORS)


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


@dataclass(frozen=True, slots=True)
class Nonce:
    """A Kudoz token's nonce: unique per API key until `expires` (Unix seconds)."""

    api_key: str
    uuid: str
    expires: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying one capture; see DESIGN.md for the meaning of each value."""

    verdict: str = "n/a"
    detail: str = "No provider recognised."
    provider: str | None = None
    event: str | None = None
    checks: tuple[Check, ...] = ()
    nonce: Nonce | None = None  # a verified Kudoz token's (api_key, uuid), to remember

    def checks_json(self) -> str:
        if not self.checks:
            return "[]"
        return json.dumps([[c.step, c.outcome, c.ok, c.assumed] for c in self.checks])

    @staticmethod
    def checks_from_json(text: str) -> tuple[Check, ...]:
        return tuple(Check(*item) for item in json.loads(text))


@dataclass(frozen=True, slots=True)
class Response:
    """What the listener answers (or answered) to one request."""

    status: int
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    delay_ms: int = 0


PROVIDERS = ("kardow", "kudoz")


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
    """What a request learns once its capture is committed: its id and the answer to send."""

    id: int
    response: Response


@dataclass(frozen=True, slots=True)
class Capture:
    """One request as received: the raw body and the ordered header pairs are the truth.

    Attributes:
        id: the store's id, None until committed.
        body_truncated: True when the body was cut at the size limit (the request was refused).
    """

    method: str
    path: str
    query: str = ""
    http_version: str = "1.1"
    remote: str = ""
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    received_at: datetime = field(default_factory=utc_now)
    body_truncated: bool = False
    verdict: Verdict = field(default_factory=Verdict)
    response: Response | None = None
    replay_of: int | None = None
    id: int | None = None
    starred: bool = False
    note: str = ""

    @property
    def body_size(self) -> int:
        return len(self.body)

    @property
    def content_type(self) -> str:
        return self.header("content-type") or ""

    @property
    def target(self) -> str:
        """The request target as sent: path plus query."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

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
        """The JSON shape of `captures list --json` (a CLI contract, see DESIGN.md)."""
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


@dataclass(frozen=True, slots=True)
class CaptureQuery:
    """A filter over the store, newest first, one keyset page at a time.

    Attributes:
        provider: a provider name, or "none" for captures no provider recognised.
        search: full-text words (each matched as a prefix, all required).
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
