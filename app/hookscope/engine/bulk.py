"""Bulk replay: many captures to one URL, in arrival order, a few at a time, cancellable."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from hookscope.core.checks import check_concurrency, check_target_url
from hookscope.core.fire import FireError, new_fire_id
from hookscope.core.model import Attempt, Plan
from hookscope.core.sending import BulkOutcome, BulkProgress, BulkReplay, BulkResult
from hookscope.core.tasks import spawn
from hookscope.engine.runtime import EngineError

log = logging.getLogger(__name__)

BulkListener = Callable[[BulkProgress], None]  # called on the engine loop
PlanOne = Callable[[int], Awaitable[Plan]]  # the replay of one capture, planned now
SendOne = Callable[[Plan], Awaitable[list[Attempt]]]  # sent, every attempt logged


def check_job(job: BulkReplay, existing: Sequence[int]) -> None:
    """Raise EngineError (one sentence) when the job cannot run; `existing`: the ids found."""
    if not job.capture_ids:
        raise EngineError("Choose at least one capture to replay.")
    if problem := check_concurrency(job.concurrency):
        raise EngineError(problem)
    if problem := check_target_url(job.url):
        raise EngineError(f"The replay URL {problem}.")
    missing = sorted(set(job.order) - set(existing))
    if len(missing) == 1:
        raise EngineError(f"There is no capture {missing[0]}.")
    if missing:
        shown = ", ".join(str(capture_id) for capture_id in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise EngineError(f"There are no captures {shown}{more}.")


class BulkRun:
    """One bulk replay: each capture planned just before it is sent, its attempts logged.

    Requests start in capture id order; with a concurrency of 1 each waits for the previous
    one to end. Cancel (the `cancel` event, set from any thread) stops new requests from
    starting; those in flight end normally (bounded by the send policy's timeouts) and are
    logged like any other, so the delivery log never holds half an attempt.
    """

    def __init__(self, job: BulkReplay, plan: PlanOne, send: SendOne) -> None:
        self.job = job
        self.fire_id = new_fire_id()  # one fire for the run: the Deliveries tab lists it whole
        self._plan = plan
        self._send = send
        self._outcomes: list[BulkOutcome] = []

    async def check_resigning(self) -> None:
        """Plan each re-signed replay once, so a capture that cannot be re-signed is said
        before anything is sent."""
        if not self.job.resign:
            return
        for capture_id in self.job.order:
            try:
                await self._plan(capture_id)
            except (EngineError, FireError) as exc:
                raise EngineError(f"Capture #{capture_id}: {exc}") from exc
            await asyncio.sleep(0)  # many captures: let deliveries be answered meanwhile

    async def run(
        self, progress: BulkListener | None = None, cancel: threading.Event | None = None
    ) -> BulkResult:
        """Send every capture (or until cancelled); the outcomes in capture id order."""
        order = self.job.order
        queue = iter(order)
        stop = cancel or threading.Event()

        async def worker() -> None:
            for capture_id in queue:  # shared: each id goes to the first free worker
                if stop.is_set():
                    return
                self._outcomes.append(await self._one(capture_id))
                self._tell(progress)

        self._tell(progress)
        width = min(self.job.concurrency, len(order))
        workers = [spawn(worker(), name=f"bulk-replay-{n}") for n in range(width)]
        try:
            await asyncio.gather(*workers)
        except BaseException:  # aborted (or a store failure): stop the others, then say so
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        outcomes = tuple(sorted(self._outcomes, key=lambda outcome: outcome.capture_id))
        return BulkResult(self.fire_id, outcomes, len(order), len(outcomes) < len(order))

    async def _one(self, capture_id: int) -> BulkOutcome:
        try:
            plan = await self._plan(capture_id)
        except (EngineError, FireError) as exc:  # deleted meanwhile, a secret removed, ...
            return BulkOutcome(capture_id, None, f"not sent: {exc}")
        attempts = await self._send(replace(plan, fire_id=self.fire_id))
        if not attempts:
            return BulkOutcome(capture_id, None, "not sent")
        # The result of a long run must not hold every body sent: each is the capture's own,
        # and the delivery log keeps it with the attempt.
        (last,) = attempts
        return BulkOutcome(capture_id, replace(last, request=replace(last.request, body=b"")))

    def _tell(self, progress: BulkListener | None) -> None:
        if progress is None:
            return
        ok = sum(1 for outcome in self._outcomes if outcome.ok)
        done = len(self._outcomes)
        try:
            progress(BulkProgress(done, len(self.job.order), ok, done - ok))
        except Exception:  # a broken listener must not stop the replays
            log.exception("bulk replay progress listener")
