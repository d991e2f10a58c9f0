"""The GUI's one way to ask the engine for something: typed coroutines to await on Qt's loop.

Each method runs the engine's coroutine on the engine loop and awaits its result from the GUI
(qasync) loop, so call sites read `await client.save_rule(rule)` instead of wrapping futures.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from hookscope.core.forwarding import ForwardRule
from hookscope.core.model import (
    Attempt,
    Credential,
    ListenerSettings,
    Plan,
    ResponseRule,
    RetentionPolicy,
    SendPolicy,
    Target,
)
from hookscope.core.providers.scheme import Scheme
from hookscope.core.registration import Registration
from hookscope.core.scoreboard import Scorecard
from hookscope.core.sending import BulkProgress, BulkReplay, BulkResult
from hookscope.engine import Engine
from hookscope.engine.scorecard import ScorecardProgress
from hookscope.storage.reads import ApiKeyInfo

T = TypeVar("T")


class EngineClient:
    """The engine's API as the GUI uses it (every call is a coroutine on the GUI loop).

    Attributes:
        engine: the engine asked (for what is not a request: URLs, warnings, settings read).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def _ask(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(self.engine.call(coro))

    # -- the listeners ------------------------------------------------------------------------

    async def start_listener(self) -> str:
        return await self._ask(self.engine.start_listener())

    async def stop_listener(self) -> None:
        await self._ask(self.engine.stop_listener())

    async def start_api(self) -> str:
        return await self._ask(self.engine.start_api())

    # -- configuration: applied by the engine at once, announced as config_changed ------------

    async def save_listener_settings(self, settings: ListenerSettings) -> None:
        await self._ask(self.engine.config.save_listener_settings(settings))

    async def save_send_policy(self, policy: SendPolicy) -> None:
        await self._ask(self.engine.config.save_send_policy(policy))

    async def save_retention(self, policy: RetentionPolicy) -> None:
        await self._ask(self.engine.config.save_retention(policy))

    async def save_rule(self, rule: ResponseRule) -> int:
        return await self._ask(self.engine.config.save_rule(rule))

    async def delete_rule(self, rule_id: int) -> bool:
        return await self._ask(self.engine.config.delete_rule(rule_id))

    async def add_credential(self, credential: Credential) -> int:
        return await self._ask(self.engine.config.add_credential(credential))

    async def remove_credential(self, name: str) -> bool:
        return await self._ask(self.engine.config.remove_credential(name))

    async def add_scheme(self, scheme: Scheme) -> None:
        await self._ask(self.engine.config.add_scheme(scheme))

    async def update_scheme(self, scheme: Scheme) -> None:
        await self._ask(self.engine.config.update_scheme(scheme))

    async def remove_scheme(self, name: str) -> None:
        await self._ask(self.engine.config.remove_scheme(name))

    async def add_api_key(self, key: str) -> ApiKeyInfo:
        return await self._ask(self.engine.config.add_api_key(key))

    async def remove_api_key(self, key_digest: str) -> bool:
        return await self._ask(self.engine.config.remove_api_key(key_digest))

    async def set_setting(self, key: str, value: Any) -> None:
        await self._ask(self.engine.config.set_setting(key, value))

    # -- forwarding ----------------------------------------------------------------------------
    # Rules are read through storage/reads.py (`list_forward_rules`); a change is announced as
    # config_changed with "forwards". What became of each capture's forwards is read with
    # `forwards_of(db, capture_ids, bodies=...)` (each a ForwardState: the forward, its last
    # attempt with the app's answer, how many attempts); every attempt logged is announced
    # through the engine's deliveries listeners, as for fires and replays.

    async def save_forward_rule(self, rule: ForwardRule) -> int:
        """Add (`rule.id` None) or replace a forward rule; its id. EngineError carries the one
        sentence to show when the rule cannot forward (check it first with
        `engine.config.check_forward_rule(rule)` on the engine loop, or the same sentence comes
        back here)."""
        return await self._ask(self.engine.save_forward_rule(rule))

    async def delete_forward_rule(self, rule_id: int) -> bool:
        """Remove a forward rule; False when there was none with that id."""
        return await self._ask(self.engine.delete_forward_rule(rule_id))

    async def check_forward_rule(self, rule: ForwardRule) -> str | None:
        """Why `rule` cannot forward (a field error or a disabled Save button's tooltip), or
        None: the same sentence `save_forward_rule` and `hookscope forward add` give."""
        return await self._ask(self._check_forward_rule(rule))

    async def _check_forward_rule(self, rule: ForwardRule) -> str | None:
        return self.engine.config.check_forward_rule(rule)

    async def retry_forwards(self, forward_ids: list[int]) -> list[Attempt]:
        """Send these forwards again ("Send again" on a failed one); the last attempt of each.
        EngineError (one sentence) for an unknown forward, one being sent right now, or one
        whose capture was deleted; nothing is sent then."""
        return await self._ask(self.engine.retry_forwards(forward_ids))

    async def retry_failed_forwards(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Attempt]:
        """Send again every forward made in [since, until) (UTC; None: no bound) whose last
        attempt failed or that was never sent; the last attempt of each, oldest first.
        `progress(done, total)` is called on the engine loop; `cancel` leaves the forwards not
        started yet as they were."""
        return await self._ask(self.engine.retry_failed_forwards(since, until, progress, cancel))

    async def set_forward_to(self, urls: list[str]) -> None:
        """Forward every capture to these URLs too, until the app quits or this is called
        again ([] stops it): "Forward to…" without storing a rule. EngineError for a bad URL."""
        await self._ask(self._set_forward_to(urls))

    async def _set_forward_to(self, urls: list[str]) -> None:
        self.engine.forwarding.set_forward_to(urls)

    # -- targets --------------------------------------------------------------------------------

    async def register(self, registration: Registration) -> tuple[Target, bool]:
        return await self._ask(self.engine.register(registration))

    async def set_target_enabled(self, target_id: str, enabled: bool) -> Target | None:
        return await self._ask(self.engine.set_target_enabled(target_id, enabled))

    async def remove_target(self, target_id: str) -> bool:
        return await self._ask(self.engine.remove_target(target_id))

    # -- firing and replaying -------------------------------------------------------------------

    async def plan_kardow(self, event: str, data: Any, org_id: int) -> Plan:
        return await self._ask(self.engine.plan_kardow(event, data, org_id))

    async def plan_kudoz(self, kind: str, data: Any, url: str, credential: str) -> Plan:
        return await self._ask(self.engine.plan_kudoz(kind, data, url, credential))

    async def plan_scheme(
        self, scheme: str, body: bytes, url: str, credential: str, event: str | None = None
    ) -> Plan:
        return await self._ask(self.engine.plan_scheme(scheme, body, url, credential, event))

    async def signing_schemes(self) -> list[Scheme]:
        """The user's custom signing schemes (the built-in ones are the registry's)."""
        return await self._ask(self.engine.signing_schemes())

    async def plan_replay(
        self,
        capture_id: int,
        url: str,
        *,
        resign: bool = False,
        credential: str | None = None,
        body: bytes | None = None,
    ) -> Plan:
        return await self._ask(
            self.engine.plan_replay(
                capture_id, url, resign=resign, credential=credential, body=body
            )
        )

    async def send(self, plan: Plan, policy: SendPolicy | None = None) -> list[Attempt]:
        return await self._ask(self.engine.send(plan, policy))

    async def replay_many(
        self,
        job: BulkReplay,
        progress: Callable[[BulkProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> BulkResult:
        """Replay many captures; `progress` is called on the engine loop, `cancel` stops it."""
        return await self._ask(self.engine.replay_many(job, None, progress, cancel))

    async def test_delivery(self) -> tuple[Attempt, int | None]:
        return await self._ask(self.engine.test_delivery())

    async def clear_deliveries(self) -> int:
        return await self._ask(self.engine.clear_deliveries())

    # -- captures -------------------------------------------------------------------------------

    async def set_starred(self, ids: list[int], starred: bool) -> None:
        await self._ask(self.engine.set_starred(ids, starred))

    async def set_note(self, capture_id: int, note: str) -> None:
        await self._ask(self.engine.set_note(capture_id, note))

    async def reverify(self, ids: list[int] | None = None) -> dict[str, int]:
        return await self._ask(self.engine.reverify(ids))

    async def delete_captures(self, ids: list[int]) -> int:
        return await self._ask(self.engine.delete_captures(ids))

    async def delete_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        return await self._ask(self.engine.delete_all(progress))

    async def import_har(self, path: Path) -> list[int]:
        return await self._ask(self.engine.import_har(path))

    # -- the receiver scorecard -------------------------------------------------------------------

    async def scorecard_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The schemes, and the stored credentials as (name, scheme), without their secrets."""
        return await self._ask(self.engine.scorecard_choices())

    async def scorecard(
        self,
        url: str,
        scheme: str,
        credential: str,
        progress: ScorecardProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> Scorecard:
        """Run a receiver scorecard; `progress` is called on the engine loop."""
        return await self._ask(
            self.engine.scorecard(url, scheme, credential, progress=progress, cancel=cancel)
        )
