"""Firing and replaying: plans built from the configuration, sent, every attempt logged."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from hookscope.core import catalogue, fire, fresh, schemefire
from hookscope.core.model import (
    Attempt,
    Capture,
    Credential,
    Outgoing,
    Plan,
    SendPolicy,
    utc_now,
)
from hookscope.core.providers import Scheme
from hookscope.core.sending import BulkReplay, BulkResult
from hookscope.engine.bulk import BulkListener, BulkRun, check_job
from hookscope.engine.config import Configuration
from hookscope.engine.runtime import EngineError, Runtime
from hookscope.net.sender import Sender
from hookscope.storage import captures as capture_store
from hookscope.storage import deliveries as delivery_store

log = logging.getLogger(__name__)

DeliveriesListener = Callable[[list[int]], None]


class Sending:
    """Builds what a fire or a replay sends, sends it, and logs each attempt.

    Plans carry sample values; what is bound to the time is made as the plan is sent (its
    recipe, filled at that moment) and as each attempt leaves (signatures, Kudoz tokens).

    Attributes:
        sender: the HTTP client side.
        clock: the time now, for plans and sends (tests move it instead of sleeping).
    """

    def __init__(self, runtime: Runtime, config: Configuration, url: Callable[[], str]) -> None:
        self._runtime = runtime
        self._config = config
        self._url = url
        self.sender = Sender()
        self.clock: Callable[[], datetime] = utc_now
        self._listeners: list[DeliveriesListener] = []

    def on_deliveries(self, listener: DeliveriesListener) -> None:
        """Call `listener(ids)` after each outgoing attempt is logged (on the engine thread)."""
        self._listeners.append(listener)

    async def send_policy(self) -> SendPolicy:
        """The saved timeouts and retries."""
        self._config.reload_if_changed()
        return self._config.send_policy()

    async def plan_kardow(self, event: str, data: Any, org_id: int) -> Plan:
        """What firing `event` sends now (raises fire.FireError for an unusable event)."""
        self._config.reload_if_changed()  # a target a CLI just added is fired to
        targets = self._config.targets()
        return fire.plan_kardow(event, data, org_id=org_id, targets=targets, now=self.clock())

    async def plan_kudoz(self, kind: str, data: Any, url: str, credential: str) -> Plan:
        """What sending a Kudoz callback sends (its token is made again as it leaves)."""
        self._config.reload_if_changed()
        chosen = self._config.credential(credential, "kudoz")
        return fire.plan_kudoz(kind, data, url=url, credential=chosen, now=self.clock())

    async def signing_schemes(self) -> list[Scheme]:
        """The user's custom schemes, as stored now (the composer offers them)."""
        self._config.reload_if_changed()
        return self._config.schemes

    async def plan_scheme(
        self, scheme: str, body: bytes, url: str, credential: str, event: str | None = None
    ) -> Plan:
        """What firing `body` signed the way `scheme` signs sends (a built-in scheme other than
        Kardow's and Kudoz's, or a custom one); its signature is made again as it leaves."""
        self._config.reload_if_changed()
        schemes = self._config.schemes
        if why := schemefire.firable(scheme, schemes):
            raise fire.FireError(why)
        # By name alone: a secret of another scheme is named as such by the plan.
        named = [c for c in self._config.credentials() if c.name == credential]
        chosen = named[0] if named else self._config.credential(credential, scheme)
        return schemefire.plan_scheme(
            scheme,
            body,
            url=url,
            credential=chosen,
            now=self.clock(),
            event=event,
            schemes=schemes,
        )

    async def plan_replay(
        self,
        capture_id: int,
        url: str,
        *,
        resign: bool = False,
        credential: str | None = None,
        body: bytes | None = None,
    ) -> Plan:
        self._config.reload_if_changed()
        capture = capture_store.get_capture(self._config.reader, capture_id)
        if capture is None:
            raise EngineError(f"There is no capture {capture_id}.")
        signer: Credential | None = None
        schemes = self._config.schemes
        provider = fire.provider_of(capture, schemes)
        if resign and provider is not None:
            if credential is not None:
                signer = self._config.credential(credential, provider)
            else:
                signer = self._default_signer(capture, provider)
                mine = [repr(c.name) for c in self._config.credentials() if c.provider == provider]
                if signer is None and len(mine) > 1:
                    raise EngineError(
                        f"Several {fire.title(provider, schemes)} secrets are stored; choose one"
                        f" (stored: {', '.join(mine)})."
                    )
        return fire.plan_replay(
            capture,
            url=url,
            now=self.clock(),
            resign=resign,
            resign_with=signer,
            body=body,
            schemes=schemes,
        )

    def _default_signer(self, capture: Capture, provider: str) -> Credential | None:
        """The secret that verified the capture, else the only one of its provider."""
        mine = [c for c in self._config.credentials() if c.provider == provider]
        for check in capture.verdict.checks:
            for credential in mine:
                if check.ok and repr(credential.name) in f"{check.step} {check.outcome}":
                    return credential
        return mine[0] if len(mine) == 1 else None

    async def test_delivery(self) -> tuple[Attempt, int | None]:
        """Send a Kardow event to our own listener; the attempt and the new capture's id.

        Signed with the first stored Kardow secret, so it arrives verified; unsigned when there
        is none. Raises EngineError when the listener is not running.
        """
        url = self._url()
        if not url:
            raise EngineError("The listener is not running, so there is nowhere to deliver to.")
        self._config.reload_if_changed()
        secret = next((c for c in self._config.credentials() if c.provider == "kardow"), None)
        now = self.clock()
        data = catalogue.fill(catalogue.template("kardow", "job.created").data, now=now)
        plan = fire.plan_test_delivery(url, data, now=now, secret=secret)
        (attempt,) = await self.send(plan, SendPolicy(retries=0))
        try:
            capture_id = json.loads(attempt.response_body)["capture_id"]
        except (ValueError, KeyError, TypeError):
            capture_id = None  # a response rule changed the answer; the capture is still there
        return attempt, capture_id if isinstance(capture_id, int) else None

    async def send(self, plan: Plan, policy: SendPolicy | None = None) -> list[Attempt]:
        """Send a plan; every attempt is logged as it ends. The last attempt of each request.

        The plan's event is made again now (fresh placeholders, Kardow's timestamp) and each
        attempt is signed as it leaves; the log and the attempts hold exactly what left.
        """
        chosen = policy or await self.send_policy()
        self._config.reload_if_changed()  # a secret changed since the preview signs with the new
        ready = fresh.refill(plan, self.clock())
        return await self.sender.send(ready, chosen, self._log_attempt, self._sign)

    def _sign(self, request: Outgoing) -> Outgoing:
        """`request` signed as it leaves, with its secret as stored now."""
        if request.signing is None:
            return request
        return fresh.signed(request, self._signer(request), self.clock(), self._config.schemes)

    def _signer(self, request: Outgoing) -> Credential:
        """The secret `request` is signed with; FireError (a phrase for the log) if it is gone."""
        assert request.signing is not None
        scheme, name = request.signing.scheme, request.signing.credential
        if name is not None:
            try:
                return self._config.credential(name, scheme)
            except EngineError:
                named = fire.title(scheme, self._config.schemes)
                raise fire.FireError(f"the {named} secret {name!r} is no longer stored") from None
        target = next((t for t in self._config.targets() if t.id == request.target_id), None)
        if target is None:
            raise fire.FireError("the target was removed since the preview")
        if target.secret is None:
            if target.sealed:
                raise fire.FireError("the target's secret cannot be decrypted without the key")
            raise fire.FireError("the target no longer has a secret")
        return Credential(scheme, f"target {target.id[:8]}", target.secret)

    async def _log_attempt(self, attempt: Attempt) -> Attempt:
        ids = await self._runtime.write(lambda db: delivery_store.insert_attempts(db, [attempt]))
        self.announce(ids)
        return replace(attempt, id=ids[0])

    async def log_attempt(self, attempt: Attempt) -> Attempt:
        """Store an attempt made elsewhere (a forward's) and tell the listeners; with its id."""
        return await self._log_attempt(attempt)

    def announce(self, ids: list[int]) -> None:
        """Tell the deliveries listeners of these newly logged attempts (engine thread)."""
        for listener in self._listeners:
            try:
                listener(ids)
            except Exception:
                log.exception("deliveries listener")

    async def replay_many(
        self,
        job: BulkReplay,
        policy: SendPolicy | None = None,
        progress: BulkListener | None = None,
        cancel: threading.Event | None = None,
    ) -> BulkResult:
        """Replay many captures to one URL in arrival order, `job.concurrency` at a time.

        Each is planned as `plan_replay` plans one, just before it is sent, and each attempt is
        logged as a single replay's is, all under one fire id. Raises EngineError (one
        sentence) before anything is sent when an id is unknown or the job is impossible.
        `progress` is called on the engine loop; setting `cancel` (from any thread) stops new
        requests from starting.
        """
        self._config.reload_if_changed()
        found = capture_store.summaries_of(self._config.reader, list(job.order))
        check_job(job, [summary.id for summary in found])
        chosen = policy or await self.send_policy()

        async def plan(capture_id: int) -> Plan:
            return await self.plan_replay(
                capture_id, job.url, resign=job.resign, credential=job.credential
            )

        async def send(plan: Plan) -> list[Attempt]:
            return await self.send(plan, chosen)

        run = BulkRun(job, plan, send)
        await run.check_resigning()
        return await run.run(progress, cancel)

    async def clear_deliveries(self) -> int:
        return await self._runtime.write(delivery_store.delete_all)
