"""Live forwarding: each committed capture sent on to the apps its forward rules name.

The capture listener stores through `Forwarding.store`: the capture's forwards (decided by
core/forwarding.py from the rules in force) are committed with it by the one writer, so none
can be lost between the acknowledgement and its sending. Then, on the engine loop:

- `async` forwards go in the background, with the sending policy's timeouts and retries, each
  attempt logged in the delivery log under the forward's id;
- a `proxy` forward is one attempt within the policy's timeouts whose answer is the sender's
  (502 or 504 with a JSON reason when the app gives none); the capture was stored with no
  answer, and the answer the sender gets is recorded with the attempt, in one commit, before
  it is sent.

A forward the engine could not finish (stopped, killed) stays "not sent yet" in the store; a
listening engine sends its background ones again when it starts (within RESUME_WINDOW), and
`retry` / `retry_failed` send any again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import formatdate

from sqlite_utils import Database

from hookscope.core import forwarding
from hookscope.core.checks import check_target_url
from hookscope.core.fire import FireError
from hookscope.core.forwarding import PROXY, Forward
from hookscope.core.http import Response
from hookscope.core.model import (
    Attempt,
    Capture,
    Outgoing,
    Plan,
    ResponseRule,
    SendPolicy,
    Stored,
    utc_now,
)
from hookscope.core.providers import provider
from hookscope.core.tasks import spawn
from hookscope.engine.config import Configuration
from hookscope.engine.runtime import EngineError, Runtime
from hookscope.engine.sending import Sending
from hookscope.storage import captures as capture_store
from hookscope.storage import deliveries as delivery_store
from hookscope.storage import forwards as forward_store
from hookscope.storage.db import write_transaction
from hookscope.storage.writer import judge_in_place

log = logging.getLogger(__name__)

# The most of an app's answer a proxied sender can be given (more: 502, said why); the delivery
# log keeps the policy's response limit of it, as for any attempt.
PROXY_ANSWER_LIMIT = 16 * 1024 * 1024
CONCURRENCY = 64  # forwards sending at once; the others wait their turn (their order kept)
RESUME_WINDOW = timedelta(hours=24)  # unsent forwards older than this are only listed
STOP_GRACE = 5.0  # seconds background forwards get to finish when the engine stops


class Forwarding:
    """Sends captures on to apps, live or again.

    Attributes:
        forward_to: this run's base URLs every capture goes to as well (`serve --forward-to`):
            not stored, so they end with the run.
    """

    def __init__(self, runtime: Runtime, config: Configuration, sending: Sending) -> None:
        self._runtime = runtime
        self._config = config
        self._sending = sending
        self.forward_to: tuple[str, ...] = ()
        self._sending_now: dict[int, asyncio.Task[Attempt | None]] = {}
        self._slots: asyncio.Semaphore | None = None  # made on the engine loop

    def set_forward_to(self, urls: Sequence[str]) -> None:
        """Forward every capture to each of `urls` too, for this run only (EngineError: a URL
        that cannot be sent to, in one sentence)."""
        for url in urls:
            if problem := check_target_url(url):
                raise EngineError(f"The forward URL {url!r} {problem}.")
        self.forward_to = tuple(urls)

    # -- live: the capture listener's store -----------------------------------------------------

    def store(self, capture: Capture, rule: ResponseRule) -> Awaitable[Stored]:
        """Commit `capture` with its forwards; its id and the answer its sender gets."""
        rules = self._config.forward_rules()
        if rules or self.forward_to:
            # The rules choose by provider and event, and a forward names the provider: the
            # verdict is needed now. Else the writer judges the capture with its group.
            judge_in_place(capture, self._config.judge)
            forwards = forwarding.plan_forwards(rules, capture, self.forward_to)
            if forwards:
                return self._store_and_forward(capture, rule, forwards)
            return self._runtime.writer.submit(capture, rule)
        return self._runtime.writer.submit(capture, rule, judge=self._config.judge)

    async def _store_and_forward(
        self, capture: Capture, rule: ResponseRule, forwards: tuple[Forward, ...]
    ) -> Stored:
        stored = await self._runtime.writer.submit(capture, rule, forwards)
        kept = replace(capture, id=stored.id)
        proxy: Forward | None = None
        for planned, forward_id in zip(forwards, stored.forwards, strict=True):
            forward = replace(planned, id=forward_id, capture_id=stored.id)
            if forward.mode == PROXY:
                proxy = forward
            else:
                self._start(forward, kept)
        if proxy is None:
            return stored
        return Stored(stored.id, await self._proxy(kept, proxy))

    async def _proxy(self, capture: Capture, forward: Forward) -> Response:
        """One attempt whose answer is the sender's, recorded before it is sent. Never raises:
        the capture is stored, and a failure here must not read as "not stored"."""
        assert capture.id is not None
        policy = self._config.send_policy()
        wide = replace(policy, response_limit=max(policy.response_limit, PROXY_ANSWER_LIMIT))
        attempt = await self._attempt(forward, capture, wide)
        answer = forwarding.proxied_answer(
            attempt,
            capture.request,
            capture.id,
            limit=wide.response_limit,
            date=formatdate(usegmt=True),
        )
        logged = _cut(attempt, policy.response_limit)
        answer_ms = (utc_now() - capture.received_at).total_seconds() * 1000
        answer_ms -= capture.receive_ms or 0.0

        def record(db: Database) -> list[int]:
            with write_transaction(db):
                forward_store.set_answer(db, forward.capture_id or 0, answer, max(0.0, answer_ms))
                return delivery_store.insert_attempts(db, [logged])

        try:
            self._sending.announce(await self._runtime.write(record))
        except Exception:  # the capture is kept; only the record of the answer is missing
            log.exception("the answer of a proxied capture was not recorded")
        return answer

    async def _attempt(self, forward: Forward, capture: Capture, policy: SendPolicy) -> Attempt:
        request = forwarding.forward_request(capture, forward)
        try:
            ready = self._prepare(forward)(request)
        except FireError as exc:
            return Attempt(forward.fire_id, request, error=f"not sent: {exc}")
        return await self._sending.sender.attempt(forward.fire_id, ready, policy)

    def _prepare(self, forward: Forward) -> Callable[[Outgoing], Outgoing]:
        """What each attempt of `forward` is made ready with: signed again when it says so."""
        name = forward.resign
        if name is None:
            return _as_is

        def resign(request: Outgoing) -> Outgoing:
            try:
                credential = self._config.credential(name)
            except EngineError:
                raise FireError(f"the secret {name!r} is no longer stored") from None
            return forwarding.resigned(
                request,
                credential,
                provider(credential.provider, self._config.schemes),
                now=time.time(),
                delivery_id=str(uuid.uuid4()),
            )

        return resign

    # -- in the background ------------------------------------------------------------------------

    def _start(self, forward: Forward, capture: Capture | None = None) -> None:
        assert forward.id is not None
        task = spawn(self._deliver(forward, capture), name=f"forward-{forward.id}")
        self._sending_now[forward.id] = task
        task.add_done_callback(lambda _done: self._sending_now.pop(forward.id or 0, None))

    async def _deliver(
        self,
        forward: Forward,
        capture: Capture | None = None,
        cancel: threading.Event | None = None,
    ) -> Attempt | None:
        """Send `forward` by the policy (retries included); its last attempt, or None when its
        capture was deleted meanwhile or `cancel` was set before its turn came."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(CONCURRENCY)
        async with self._slots:
            if cancel is not None and cancel.is_set():
                return None
            if capture is None:  # read now, not while waiting: memory holds only what is sent
                capture = capture_store.get_capture(self._config.reader, forward.capture_id or 0)
                if capture is None:
                    return None
            request = forwarding.forward_request(capture, forward)
            provider_name = capture.verdict.provider or ""
            plan = Plan(forward.fire_id, provider_name, "forward", capture.body, (request,))
            policy = self._config.send_policy()
            sent = await self._sending.sender.send(
                plan, policy, self._sending.log_attempt, self._prepare(forward)
            )
            return sent[0]

    def resume(self) -> int:
        """Send again what an earlier run left unsent (call before the listener starts, so
        no forward of this run is among them); how many."""
        since = utc_now() - RESUME_WINDOW
        left = forward_store.unfinished_forwards(self._config.reader, since)
        for forward in left:
            self._start(forward)
        if left:
            log.info("sending %d forwards an earlier run left unsent", len(left))
        return len(left)

    async def stop(self) -> None:
        """Give background forwards STOP_GRACE seconds, then stop them: what is cut off stays
        unsent in the store, and is sent when a listening engine starts again."""
        tasks = list(self._sending_now.values())
        if not tasks:
            return
        await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- sending again ----------------------------------------------------------------------------

    async def retry(self, forward_ids: list[int]) -> list[Attempt]:
        """Send these forwards again (in the background mode, by the policy); the last attempt
        of each. EngineError, before anything is sent, for an unknown or busy forward or one
        whose capture was deleted."""
        self._config.reload_if_changed()
        reader = self._config.reader
        forwards: list[Forward] = []
        for forward_id in dict.fromkeys(forward_ids):
            state = forward_store.get_forward(reader, forward_id)
            if state is None:
                raise EngineError(f"There is no forward {forward_id}.")
            if forward_id in self._sending_now:
                raise EngineError(f"Forward {forward_id} is being sent right now.")
            capture_id = state.forward.capture_id or 0
            if not capture_store.summaries_of(reader, [capture_id]):
                raise EngineError(
                    f"Capture {capture_id} of forward {forward_id} was deleted;"
                    " there is nothing to send."
                )
            forwards.append(state.forward)
        return await self._again(forwards)

    async def retry_failed(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Attempt]:
        """Send again every forward made in [since, until) whose last attempt failed or that
        was never sent (not those being sent now); the last attempt of each, oldest first.

        `progress(done, total)` is called on the engine loop as each ends (and once at the
        start); once `cancel` is set, the forwards not started yet are left as they were.
        """
        self._config.reload_if_changed()
        failed = forward_store.failed_forwards(self._config.reader, since, until)
        forwards = [f for f in failed if f.id not in self._sending_now]
        return await self._again(forwards, progress, cancel)

    async def _again(
        self,
        forwards: list[Forward],
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Attempt]:
        done = 0

        async def one(forward: Forward) -> Attempt | None:
            nonlocal done
            attempt = await self._deliver(forward, cancel=cancel)
            done += 1
            if progress is not None:
                progress(done, len(forwards))
            return attempt

        if progress is not None:
            progress(0, len(forwards))
        sent = await asyncio.gather(*(one(forward) for forward in forwards))
        return [attempt for attempt in sent if attempt is not None]


def _as_is(request: Outgoing) -> Outgoing:
    return request


def _cut(attempt: Attempt, limit: int) -> Attempt:
    """The attempt as the delivery log keeps it: the answer's body cut at `limit`."""
    response = attempt.response
    if response is None or len(response.body) <= limit:
        return attempt
    kept = Response(response.status, response.headers, response.body[:limit])
    return replace(attempt, response=kept, response_truncated=True)
