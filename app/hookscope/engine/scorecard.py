"""The receiver scorecard: the battery for a stored credential, sent case after case, each
answer judged as it comes (core decides, net sends, this orchestrates)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from hookscope.core.checks import check_target_url
from hookscope.core.providers import names, provider
from hookscope.core.scoreboard import Answer, Outcome, Scorecard, judge, skipped
from hookscope.core.scorecard import DEFAULT_TIMEOUT, Battery, Case, cases
from hookscope.core.tasks import spawn
from hookscope.engine.config import Configuration
from hookscope.engine.runtime import EngineError
from hookscope.net.probe import Prober

log = logging.getLogger(__name__)

# Called on the engine loop with the outcomes so far and the battery's size.
ScorecardProgress = Callable[[tuple[Outcome, ...], int], None]
CANCEL_POLL = 0.1  # how often a request in flight looks at Cancel


class ScorecardError(EngineError):
    """The scorecard cannot run as asked: a bad URL, scheme or credential."""


class ReceiverUnreachable(ScorecardError):
    """No connection could be made to the receiver for the first case: nothing was judged."""


class Scorecards:
    """Runs receiver scorecards with the stored credentials.

    Attributes:
        clock: Unix seconds now, for signing (tests move it instead of sleeping).
    """

    def __init__(self, config: Configuration) -> None:
        self._config = config
        self.clock: Callable[[], float] = time.time

    async def choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The schemes a scorecard can use, and the stored credentials as (name, scheme)."""
        self._config.reload_if_changed()
        stored = [(c.name, c.provider) for c in self._config.credentials()]
        return names(self._config.schemes), stored

    def battery(self, url: str, scheme: str, credential: str) -> Battery:
        """The battery for these, or ScorecardError with one sentence saying what is wrong."""
        if problem := check_target_url(url):
            raise ScorecardError(f"The receiver URL {problem}.")
        self._config.reload_if_changed()  # a secret or scheme another process just added
        schemes = self._config.schemes
        found = provider(scheme, schemes)
        if found is None:
            known = ", ".join(names(schemes))
            raise ScorecardError(f"Unknown scheme {scheme!r}; use one of {known}.")
        chosen = next((c for c in self._config.credentials() if c.name == credential), None)
        if chosen is None:
            stored = [repr(c.name) for c in self._config.credentials() if c.provider == scheme]
            listed = f"stored: {', '.join(stored)}" if stored else "none is stored"
            raise ScorecardError(f"No {scheme} secret is called {credential!r} ({listed}).")
        if chosen.provider != scheme:
            raise ScorecardError(
                f"The secret {credential!r} is for {chosen.provider}, not {scheme}."
            )
        if not chosen.secret:
            raise ScorecardError(f"The secret {credential!r} has nothing to sign with.")
        return Battery(found, chosen, url, cases(found, chosen))

    async def run(
        self,
        url: str,
        scheme: str,
        credential: str,
        *,
        seconds: float = DEFAULT_TIMEOUT,
        progress: ScorecardProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> Scorecard:
        """Send the battery one case after another; the card. Raises ScorecardError before
        anything is judged when the arguments are wrong or the receiver cannot be reached.

        Each request may take `seconds`. `progress` is told after each case (on the engine
        loop); setting `cancel` (from any thread) stops the run, the request in flight included.
        """
        battery = self.battery(url, scheme, credential)
        stop = cancel or threading.Event()
        outcomes: list[Outcome] = []
        async with Prober(timeout=seconds) as prober:
            for case in battery.cases:
                if stop.is_set():
                    break
                outcome = await self._one(battery, case, prober, stop)
                if outcome is None:
                    break
                if not outcomes and outcome.answer is not None and outcome.answer.unreachable:
                    raise ReceiverUnreachable(
                        f"Cannot reach the receiver at {url}: {outcome.reason}"
                    )
                outcomes.append(outcome)
                _tell(progress, tuple(outcomes), len(battery.cases))
        total = len(battery.cases)
        return Scorecard(url, scheme, credential, tuple(outcomes), total, len(outcomes) < total)

    async def _one(
        self, battery: Battery, case: Case, prober: Prober, stop: threading.Event
    ) -> Outcome | None:
        """One case sent and judged; None when cancelled meanwhile."""
        if case.skipped:
            return skipped(case)
        try:
            request = battery.request(case, now=self.clock(), delivery_id=str(uuid.uuid4()))
        except ValueError as exc:  # a credential the scheme cannot sign with
            raise ScorecardError(str(exc)) from exc
        first = None
        if case.twice:
            first = await _cancellable(prober.send(request), stop)
            if first is None:
                return None
        answer = await _cancellable(prober.send(request), stop)
        if answer is None:
            return None
        if answer.unreachable:
            return Outcome(case, answer, False, f"{answer.error or 'no connection'}.", first)
        return judge(case, answer, first)


async def _cancellable(
    sending: Coroutine[Any, Any, Answer], stop: threading.Event
) -> Answer | None:
    """The answer, or None (the request abandoned) as soon as `stop` is set."""
    task = spawn(sending, name="scorecard-request")
    while not task.done():
        await asyncio.wait({task}, timeout=CANCEL_POLL)
        if stop.is_set() and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return None
    return task.result()


def _tell(progress: ScorecardProgress | None, outcomes: tuple[Outcome, ...], total: int) -> None:
    if progress is None:
        return
    try:
        progress(outcomes, total)
    except Exception:  # a broken listener must not stop the run
        log.exception("scorecard progress listener")
