"""What Hookscope sends and how each try went: the outgoing request and its attempts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hookscope.core.http import NO_HEADERS, Header, Headers, Request, Response

OUTGOING_KINDS = ("webhook", "discord", "slack", "kudoz", "replay", "forward")


@dataclass(frozen=True, slots=True)
class Signing:
    """How a request is signed again right before each attempt leaves (the engine holds the
    secret: a plan never carries one).

    Attributes:
        scheme: the provider that signs, by name: "kardow" (`X-Kardow-Signature` over the body
            as sent), "kudoz" (an `Authorization` token with a new UUID and the current
            timestamp), or any other scheme, built-in or the user's (its signature headers,
            with a new delivery id and the current time where the scheme carries them).
        credential: the stored secret that signs, by name; None: the Kardow target's own.
        made: what signing makes afresh, in words for the preview ("" for Kardow and Kudoz,
            which are named by their own words).
    """

    scheme: str
    credential: str | None = None
    made: str = ""


@dataclass(frozen=True, slots=True)
class Recipe:
    """What a fire's event is made from, so its time-bound values are made as it is sent.

    Attributes:
        data: the event's `data` as written (compact JSON, placeholders not filled), or None
            for a Kudoz callback without data.
        org_id: the Kardow envelope's `organization_id` (None for Kudoz).
        callback_id: the Kudoz envelope's `id` (it names the callback: kept as previewed).
    """

    data: bytes | None
    org_id: int | None = None
    callback_id: str | None = None


@dataclass(frozen=True, slots=True, init=False)
class Outgoing(Request):
    """One request Hookscope is about to send: exactly these bytes and headers, to `url`.

    A `Request` whose target is the whole URL (absolute form), and what it was made for.

    Attributes:
        kind: "webhook", "discord", "slack" (a Kardow target), "kudoz", "replay" or "forward".
        note: how it was made, for the user ("signed with the target's secret", ...).
        replay_of: the capture this request re-sends (a replay's or a forward's).
        forward_id: the forward this request is an attempt of (core/forwarding.py).
        signing: how its signature is made again as each attempt leaves (None: sent as is).
            Not part of what the request is: a logged request compares equal without it.
    """

    kind: str = "webhook"
    target_id: str | None = None
    event: str | None = None
    note: str = ""
    replay_of: int | None = None
    forward_id: int | None = None
    signing: Signing | None = field(default=None, compare=False)

    def __init__(
        self,
        url: str | None = None,
        body: bytes = b"",
        headers: Iterable[Header] = (),
        method: str = "POST",
        kind: str = "webhook",
        target_id: str | None = None,
        event: str | None = None,
        note: str = "",
        replay_of: int | None = None,
        *,
        target: str | None = None,
        http_version: str = "1.1",
        signing: Signing | None = None,
        forward_id: int | None = None,
    ) -> None:
        # Callers name the URL `url`; dataclasses.replace() passes it as the field, `target`.
        where = url if url is not None else target
        if where is None:
            raise TypeError("an outgoing request needs a url")
        Request.__init__(self, method, where, Headers(headers), body, http_version)
        _set(self, kind=kind, target_id=target_id, event=event, note=note, replay_of=replay_of)
        _set(self, signing=signing, forward_id=forward_id)

    @property
    def url(self) -> str:
        return self.target


def _set(record: object, **values: object) -> None:
    """Set the fields of a frozen record from its own __init__."""
    for name, value in values.items():
        object.__setattr__(record, name, value)


@dataclass(frozen=True, slots=True, init=False)
class Attempt:
    """One try at sending an `Outgoing`, as it went: the request and the response, if any.

    The response's parts read as the attempt's own (`status`, `response_headers`,
    `response_body`: None, () and b"" without a response); they may also be given instead of
    `response` when making one.

    Attributes:
        number: 1 for the first try, 2 for the first retry, ...
        response: the receiver's answer (its body cut at the policy's limit), None when none came.
        response_truncated: the answer's body was longer than the part kept.
        final: no retry follows this attempt.
        error: why no HTTP answer came (refused, timed out, TLS, ...), None when one came.
    """

    fire_id: str
    request: Outgoing
    number: int
    started_at: datetime
    latency_ms: float
    response: Response | None
    response_truncated: bool
    error: str | None
    final: bool
    id: int | None

    def __init__(
        self,
        fire_id: str,
        request: Outgoing,
        number: int = 1,
        started_at: datetime | None = None,
        latency_ms: float = 0.0,
        status: int | None = None,
        response_headers: Iterable[Header] = (),
        response_body: bytes = b"",
        response_truncated: bool = False,
        error: str | None = None,
        final: bool = True,
        id: int | None = None,
        *,
        response: Response | None = None,
    ) -> None:
        if status is not None:
            if response is not None:
                raise TypeError("give an attempt a response or its parts, not both")
            response = Response(status, Headers(response_headers), response_body)
        elif response is None and (response_headers or response_body):
            raise TypeError("a response without a status")
        _set(
            self,
            fire_id=fire_id,
            request=request,
            number=number,
            started_at=datetime.now(UTC) if started_at is None else started_at,
            latency_ms=latency_ms,
            response=response,
            response_truncated=response_truncated,
            error=error,
            final=final,
            id=id,
        )

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status

    @property
    def response_headers(self) -> Headers:
        return NO_HEADERS if self.response is None else self.response.headers

    @property
    def response_body(self) -> bytes:
        return b"" if self.response is None else self.response.body

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def outcome(self) -> str:
        """One short phrase: "delivered (200)", "HTTP 500", "redirected (301)", the error."""
        if self.error is not None:
            return self.error
        assert self.response is not None
        status = self.response.status
        if self.ok:
            return f"delivered ({status})"
        if 300 <= status < 400:
            location = self.response.header("location")
            where = f" to {location}" if location else ""
            return f"redirected ({status}){where}, not followed"
        return f"HTTP {status}"


# -- bulk replay ----------------------------------------------------------------------------------

MAX_CONCURRENCY = 32  # a replay run is a test, not a load generator: a few at a time is plenty


@dataclass(frozen=True, slots=True)
class BulkReplay:
    """Many captures sent again to one URL, in the order they arrived, `concurrency` at a time.

    Attributes:
        capture_ids: the captures, in any order and possibly repeated (each is sent once).
        resign: sign each again with a secret of its provider instead of as captured.
        credential: the stored secret to re-sign with (None: the one that verified each).
        concurrency: how many requests may be in flight at once (1: strictly one by one).
    """

    capture_ids: tuple[int, ...]
    url: str
    resign: bool = False
    credential: str | None = None
    concurrency: int = 1

    @property
    def order(self) -> tuple[int, ...]:
        """Arrival order: capture ids are given out as captures are committed."""
        return tuple(sorted(set(self.capture_ids)))


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """How far a bulk replay got: `done` of `total` sent, `ok` delivered, `failed` not."""

    done: int
    total: int
    ok: int = 0
    failed: int = 0

    @property
    def text(self) -> str:
        """ "7 of 20 sent, 1 failed"."""
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.done} of {self.total} sent{failed}"


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What became of one capture of a bulk replay: its last attempt, or why none was made.

    The attempt's request is kept without its body (the capture's own; the delivery log has it).
    """

    capture_id: int
    attempt: Attempt | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.attempt is not None and self.attempt.ok

    @property
    def outcome(self) -> str:
        return self.problem if self.attempt is None else self.attempt.outcome


@dataclass(frozen=True, slots=True)
class BulkResult:
    """A finished (or cancelled) bulk replay; every attempt is logged under `fire_id`.

    Attributes:
        outcomes: one per capture that was started, in capture id order.
        total: how many captures were to be sent.
        cancelled: Cancel stopped it before every capture was started.
    """

    fire_id: str
    outcomes: tuple[BulkOutcome, ...]
    total: int
    cancelled: bool = False

    @property
    def progress(self) -> BulkProgress:
        ok = sum(1 for outcome in self.outcomes if outcome.ok)
        return BulkProgress(len(self.outcomes), self.total, ok, len(self.outcomes) - ok)

    @property
    def summary(self) -> str:
        """ "12 delivered, 1 failed", and how many were not sent when cancelled."""
        tally = self.progress
        text = f"{tally.ok} delivered, {tally.failed} failed"
        left = self.total - tally.done
        return f"{text}, {left} not sent (cancelled)" if left else text
