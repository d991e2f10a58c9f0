"""The engine: a network thread with its own event loop, the listeners, and the one DB writer.

`Engine` is the composition root and the one API the GUI and the CLI use. It is split by
responsibility into collaborators, each in its own module: the runtime (thread, loop, writer),
the configuration (what is in force, changed through the writer, announced as events), the
emulator's registry, sending, and capture edits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from hookscope.core.model import ListenerSettings, RetentionPolicy
from hookscope.core.tasks import spawn
from hookscope.engine.config import DAMAGE, LISTENERS, SETTINGS, ConfigListener, Configuration
from hookscope.engine.edits import CaptureEdits
from hookscope.engine.forwarding import Forwarding
from hookscope.engine.imports import CaptureImports
from hookscope.engine.registry import EmulatorRegistry
from hookscope.engine.runtime import CapturesListener, EngineError, Runtime
from hookscope.engine.scorecard import Scorecards
from hookscope.engine.sending import DeliveriesListener, Sending
from hookscope.net.capture_server import CaptureServer, ListenError
from hookscope.net.kardow_api import KardowApi
from hookscope.net.runtime import fit_to_file_limit
from hookscope.storage import settings as settings_store
from hookscope.storage.db import StoreError, failure, open_store
from hookscope.storage.paths import db_path, key_path

__all__ = ["Engine", "EngineError"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Engine:
    """Owns the network thread, its loop, the listeners and the single writer.

    The GUI and the CLI talk to it only through `call()` (a coroutine run on the engine loop,
    returning a concurrent future) and through listeners: `on_captures()` (ids of newly
    committed captures, on the writer thread), `on_deliveries()` (ids of logged attempts) and
    `on_config()` (what kinds of configuration changed), both on the engine thread.

    Attributes:
        directory: the data directory.
        key_file: the secrets key.
        config: what is in force, and the one way to change it.
        registry: the Kardow API emulator's registry.
        sending: fires and replays.
        scorecards: receiver scorecards.
        forwarding: captures sent on to apps, live (forward rules, `forward_to`) or again.
        edits: changes to stored captures.
        imports: captures brought in from HAR files.
        listener: the capture listener (None before `start`).
        api: the Kardow API emulator (None when off).
        api_error: why the emulator could not start, or "".
        damage: the sentence for the damage the background check of a large store found
            ("" while none was found); once set, capture stays stopped.
    """

    def __init__(
        self,
        directory: Path,
        *,
        overrides: dict[str, Any] | None = None,
        api_keys: list[str] | None = None,
        watch: bool = True,
        retention: dict[str, int] | None = None,
        forward_to: list[str] | None = None,
    ) -> None:
        self.directory = directory
        self.key_file = key_path(directory)
        self._overrides = overrides or {}
        self._retention_overrides = retention or {}
        self._watch = watch
        self._runtime = Runtime(directory)
        self.config = Configuration(self._runtime, self.key_file)
        self.registry = EmulatorRegistry(self.config, api_keys or [])
        self.sending = Sending(self._runtime, self.config, lambda: self.url)
        self.edits = CaptureEdits(self._runtime, self.config)
        self.imports = CaptureImports(self._runtime, self.config)
        self.scorecards = Scorecards(self.config)
        self.forwarding = Forwarding(self._runtime, self.config, self.sending)
        self.forwarding.set_forward_to(forward_to or [])
        self.listener: CaptureServer | None = None
        self.api: KardowApi | None = None
        self.api_error = ""
        self.damage = ""
        self._watcher: asyncio.Task[None] | None = None
        self._expose_parts()
        self.config.on_change(self._config_changed)

    def _expose_parts(self) -> None:
        """The collaborators' API, under the names the GUI and the CLI call it by."""
        self.credentials = self.config.credentials
        self.credential = self.config.credential
        self.targets = self.config.targets
        self.api_key_state = self.registry.api_key_state
        self.register = self.registry.register
        self.list_targets = self.registry.list_targets
        self.target = self.registry.target
        self.update_target = self.registry.update_target
        self.set_target_enabled = self.registry.set_target_enabled
        self.remove_target = self.registry.remove_target
        self.send_policy = self.sending.send_policy
        self.plan_kardow = self.sending.plan_kardow
        self.plan_kudoz = self.sending.plan_kudoz
        self.plan_scheme = self.sending.plan_scheme
        self.signing_schemes = self.sending.signing_schemes
        self.plan_replay = self.sending.plan_replay
        self.test_delivery = self.sending.test_delivery
        self.send = self.sending.send
        self.replay_many = self.sending.replay_many
        self.clear_deliveries = self.sending.clear_deliveries
        self.set_starred = self.edits.set_starred
        self.set_note = self.edits.set_note
        self.delete_captures = self.edits.delete_captures
        self.delete_all = self.edits.delete_all
        self.reverify = self.edits.reverify
        self.import_har = self.imports.import_har
        self.scorecard = self.scorecards.run
        self.scorecard_choices = self.scorecards.choices
        self.save_retention = self.config.save_retention
        self.save_forward_rule = self.config.save_forward_rule
        self.delete_forward_rule = self.config.delete_forward_rule
        self.retry_forwards = self.forwarding.retry
        self.retry_failed_forwards = self.forwarding.retry_failed

    # -- life cycle (any thread) ------------------------------------------------------------

    def start(self, timeout: float = 15.0, *, listen: bool = True) -> None:
        """Open the store, start the network thread and (unless told not to) the listeners.

        Raises EngineError, with a sentence for the user, when it cannot. A large store is
        checked whole only now, in the background: damage found stops capture (`damage`).
        """
        self._runtime.start(timeout)
        try:
            self.call(self._startup(listen)).result(timeout)
        except (EngineError, StoreError) as exc:
            self.stop()
            raise EngineError(str(exc)) from exc
        except BaseException:
            self.stop()
            raise
        self._runtime.writer.check_pages(self._damage_found)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, commit and answer what is in flight, then close everything."""
        if self._runtime.running:
            self._runtime.writer.stop_page_check()  # it would report to a loop that is gone
        self._runtime.stop(self._shutdown() if self._runtime.running else None, timeout)

    def call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Run a coroutine on the engine loop, from any thread."""
        return self._runtime.call(coro)

    def on_captures(self, listener: CapturesListener) -> None:
        self._runtime.on_captures(listener)

    def on_pruned(self, listener: CapturesListener) -> None:
        """Call `listener(ids)` with the captures retention deleted, batch by batch."""
        self._runtime.on_pruned(listener)

    def on_deliveries(self, listener: DeliveriesListener) -> None:
        self.sending.on_deliveries(listener)

    def on_config(self, listener: ConfigListener) -> None:
        self.config.on_change(listener)

    @property
    def url(self) -> str:
        return self.listener.url if self.listener and self.listener.running else ""

    @property
    def api_url(self) -> str:
        return self.api.url if self.api and self.api.running else ""

    @property
    def warnings(self) -> list[str]:
        return [*self.config.warnings, *([self.damage] if self.damage else [])]

    # -- on the engine loop -----------------------------------------------------------------

    async def _startup(self, listen: bool) -> None:
        # The writer checked the store when it opened it; this second connection need not.
        self._runtime.reader = open_store(self.directory, check=False)
        try:
            self.config.remember_live_nonces()
            self.config.reload()
            self._runtime.writer.set_retention(self.retention())
        except sqlite3.DatabaseError as exc:  # damage the check at open did not reach
            raise StoreError(failure(db_path(self.directory), exc)) from exc
        if listen:
            self.forwarding.resume()  # before the listener: none of this run's are among them
            await self.start_listener()
            await self.start_api()
        if self._watch:
            self._watcher = spawn(self.config.watch(), name="engine-store-watcher")

    async def _shutdown(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        await self.stop_listener()
        await self.stop_api()
        await self.forwarding.stop()
        await self.sending.sender.close()
        if self._runtime.reader is not None:
            self._runtime.reader.close()
            self._runtime.reader = None

    def _damage_found(self, problem: str) -> None:
        """The background check's report (on its thread)."""
        with contextlib.suppress(EngineError, RuntimeError):  # the engine stopped meanwhile
            self.call(self._stop_capturing(problem))

    def _damage_now(self) -> str:
        """`damage` as it is now (another task may have set it during an await)."""
        return self.damage

    async def _stop_capturing(self, problem: str) -> None:
        """The store is damaged: stop the listener, so senders are refused rather than
        answered 2xx for a capture written into a damaged file, and say so."""
        self.damage = problem
        log.error("capture stopped: %s", problem)
        await self.stop_listener()
        self.config.announce(frozenset({DAMAGE}))

    def listener_settings(self, db: Database | None = None) -> ListenerSettings:
        """The saved listener settings with this run's overrides (command-line flags) applied.

        Other threads pass their own connection (the engine's is for the engine loop).
        """
        if db is not None:
            return replace(settings_store.load_listener_settings(db), **self._overrides)
        self.config.reload_if_changed()  # settings another process saved just now
        return replace(self.config.saved_listener_settings(), **self._overrides)

    def retention(self) -> RetentionPolicy:
        """The saved retention policy with this run's overrides (`serve --keep-...`) applied."""
        return replace(self.config.saved_retention(), **self._retention_overrides)

    def _config_changed(self, kinds: frozenset[str]) -> None:
        if SETTINGS in kinds and self._runtime.running:
            self._runtime.writer.set_retention(self.retention())

    def forget_overrides(self) -> None:
        """Use the saved settings from now on (the user saved new ones over the flags)."""
        self._overrides = {}

    async def start_listener(self, settings: ListenerSettings | None = None) -> str:
        """(Re)start the capture listener, with saved settings unless given; returns its URL.

        Raises EngineError (a sentence for the user) when the address cannot be bound, or
        when the store was found damaged.
        """
        await self.stop_listener()
        if self.damage:
            raise EngineError(self.damage)
        if settings is None:
            settings = self.listener_settings()
        listener = CaptureServer(
            settings,
            store=self.forwarding.store,
            rule_for=self.config.rule_for,
            spool_dir=self.directory / "spool",
        )
        try:
            await listener.start()
        except ListenError as exc:
            raise EngineError(str(exc)) from exc
        if damage := self._damage_now():  # found while it was starting
            await listener.stop()
            raise EngineError(damage)
        self.listener = listener
        self.config.announce(frozenset({LISTENERS}))
        return listener.url

    async def stop_listener(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
            self.config.announce(frozenset({LISTENERS}))

    async def start_api(self, port: int | None = None) -> str:
        """(Re)start the Kardow API emulator; its URL, or "" when it is turned off.

        `port` None: the saved (or overridden) `api_port`, where 0 means off. An explicit port
        is bound as given (0: any free port). Raises EngineError when it cannot bind.
        """
        await self.stop_api()
        settings = self.listener_settings()
        chosen = settings.api_port if port is None else port
        if port is None and chosen == 0:
            return ""
        caps = fit_to_file_limit(settings)
        api = KardowApi(
            settings.host, chosen, self.registry, max_connections=caps.api_max_connections
        )
        try:
            await api.start()
        except ListenError as exc:
            self.api_error = str(exc)
            self.config.announce(frozenset({LISTENERS}))
            raise EngineError(str(exc)) from exc
        self.api_error = ""
        self.api = api
        self.config.announce(frozenset({LISTENERS}))
        return api.url

    async def stop_api(self) -> None:
        if self.api is not None:
            await self.api.stop()
            self.api = None
            self.config.announce(frozenset({LISTENERS}))
