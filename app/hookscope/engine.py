"""The engine: a network thread with its own event loop, the listener, and the one DB writer."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from hookscope.core import catalogue, fire
from hookscope.core.model import (
    Attempt,
    Capture,
    Credential,
    ListenerSettings,
    Plan,
    ResponseRule,
    SendPolicy,
    Target,
    Verdict,
    utc_now,
)
from hookscope.core.providers import NonceMemory, Verifier
from hookscope.core.registration import Registration
from hookscope.core.rules import check_rule, match_rule
from hookscope.core.tasks import spawn
from hookscope.core.vault import Vault, VaultError
from hookscope.net.capture_server import CaptureServer, ListenError
from hookscope.net.kardow_api import KardowApi, same_key
from hookscope.net.runtime import fit_to_file_limit, run_network_loop
from hookscope.net.sender import Sender
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage import deliveries as delivery_store
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.db import StoreError, failure, open_store
from hookscope.storage.keyfile import KeyFileError, load_vault, signature
from hookscope.storage.paths import db_path, key_path
from hookscope.storage.writer import CaptureWriter

log = logging.getLogger(__name__)

T = TypeVar("T")

CapturesListener = Callable[[list[int]], None]
DeliveriesListener = Callable[[list[int]], None]
RELOAD_INTERVAL = 0.5


class EngineError(Exception):
    """The engine cannot start or do what was asked; the message is meant for the user."""


class Engine:
    """Owns the network thread, its loop, the capture listener and the single writer.

    The GUI and the CLI talk to it only through `call()` (a coroutine run on the engine loop,
    returning a concurrent future) and through listeners registered with `on_captures()`, which
    are called with the ids of newly committed captures on a background thread.

    Attributes:
        directory: the data directory.
        listener: the capture listener (None before `start`).
    """

    def __init__(
        self,
        directory: Path,
        *,
        overrides: dict[str, Any] | None = None,
        api_keys: list[str] | None = None,
    ) -> None:
        self.directory = directory
        self._overrides = overrides or {}
        self._api_keys = list(api_keys or [])  # this run's keys (serve --api-key), never stored
        self._key_digests: set[str] = set()
        self._targets: list[Target] = []
        self._delivery_listeners: list[DeliveriesListener] = []
        self.sender = Sender()
        self.api: KardowApi | None = None
        self.api_error = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writer: CaptureWriter | None = None
        self._reader: Database | None = None
        self._rules: list[ResponseRule] = []
        self._config_revision = -1
        self._key_seen: tuple[int, int, int, int] | None = None
        self._listeners: list[CapturesListener] = []
        self._reloader: asyncio.Task[None] | None = None
        self._credentials: list[Credential] = []
        self._provider_paths: dict[str, str] = {}
        self._nonces = NonceMemory()
        self._verifier = Verifier([], nonces=self._nonces)
        self.key_file = key_path(directory)
        self.warnings: list[str] = []
        self.listener: CaptureServer | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self, timeout: float = 15.0, *, listen: bool = True) -> None:
        """Open the store, start the network thread and (unless told not to) the listener.

        Raises EngineError, with a sentence for the user, when it cannot.
        """
        self._writer = CaptureWriter(self.directory, on_committed=self._committed)
        try:
            self._writer.start()
        except StoreError as exc:
            self._writer = None
            raise EngineError(str(exc)) from exc
        ready: Future[asyncio.AbstractEventLoop] = Future()
        self._thread = threading.Thread(
            target=run_network_loop, args=(ready,), name="hookscope-network", daemon=True
        )
        self._thread.start()
        self._loop = ready.result(timeout)
        try:
            self.call(self._startup(listen)).result(timeout)
        except (ListenError, StoreError) as exc:
            self.stop()
            raise EngineError(str(exc)) from exc
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, commit and answer what is in flight, then close everything."""
        if self._loop is not None and self._thread is not None:
            try:
                self.call(self._shutdown()).result(timeout)
            except Exception:
                log.exception("engine shutdown")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        if self._writer is not None:
            self._writer.close(timeout)
        self._loop = None
        self._thread = None
        self._writer = None

    def call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Run a coroutine on the engine loop, from any thread."""
        if self._loop is None:
            coro.close()
            raise EngineError("The engine is not running.")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def on_captures(self, listener: CapturesListener) -> None:
        """Call `listener(ids)` after each commit of new captures (on a background thread)."""
        self._listeners.append(listener)

    def on_deliveries(self, listener: DeliveriesListener) -> None:
        """Call `listener(ids)` after each outgoing attempt is logged (on the engine thread)."""
        self._delivery_listeners.append(listener)

    @property
    def url(self) -> str:
        return self.listener.url if self.listener and self.listener.running else ""

    @property
    def api_url(self) -> str:
        return self.api.url if self.api and self.api.running else ""

    # -- on the engine loop -----------------------------------------------------------------

    async def _startup(self, listen: bool) -> None:
        # The writer checked the store when it opened it; this second connection need not.
        self._reader = open_store(self.directory, check=False)
        try:
            for api_key, uuid, expires in credential_store.live_nonces(self._reader):
                self._nonces.remember(api_key, uuid, expires, time.time())
            self._reload()
        except sqlite3.DatabaseError as exc:  # damage the check at open did not reach
            raise StoreError(failure(db_path(self.directory), exc)) from exc
        if listen:
            await self.start_listener()
            await self.start_api()
        self._reloader = spawn(self._watch_store(), name="engine-store-watcher")

    async def _shutdown(self) -> None:
        if self._reloader is not None:
            self._reloader.cancel()
        await self.stop_listener()
        await self.stop_api()
        await self.sender.close()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def listener_settings(self, db: Database | None = None) -> ListenerSettings:
        """The saved listener settings with this run's overrides (command-line flags) applied.

        Other threads pass their own connection (the engine's is for the engine loop).
        """
        reader = db or self._reader
        assert reader is not None
        return replace(settings_store.load_listener_settings(reader), **self._overrides)

    def forget_overrides(self) -> None:
        """Use the saved settings from now on (the user saved new ones over the flags)."""
        self._overrides = {}

    async def start_listener(self, settings: ListenerSettings | None = None) -> str:
        """(Re)start the capture listener, with saved settings unless given; returns its URL.

        Raises ListenError (a sentence for the user) when the address cannot be bound.
        """
        await self.stop_listener()
        if settings is None:
            settings = self.listener_settings()
        assert self._writer is not None
        listener = CaptureServer(
            settings,
            store=self._writer.submit,
            rule_for=self._rule_for,
            verify=self._judge,
            spool_dir=self.directory / "spool",
        )
        await listener.start()
        self.listener = listener
        return listener.url

    async def stop_listener(self) -> None:
        if self.listener is not None:
            await self.listener.stop()

    async def start_api(self, port: int | None = None) -> str:
        """(Re)start the Kardow API emulator; its URL, or "" when it is turned off.

        `port` None: the saved (or overridden) `api_port`, where 0 means off. An explicit port
        is bound as given (0: any free port). Raises ListenError when it cannot bind.
        """
        await self.stop_api()
        settings = self.listener_settings()
        chosen = settings.api_port if port is None else port
        if port is None and chosen == 0:
            return ""
        caps = fit_to_file_limit(settings)
        api = KardowApi(settings.host, chosen, self, max_connections=caps.api_max_connections)
        try:
            await api.start()
        except ListenError as exc:
            self.api_error = str(exc)
            raise
        self.api_error = ""
        self.api = api
        return api.url

    async def stop_api(self) -> None:
        if self.api is not None:
            await self.api.stop()
            self.api = None

    def _rule_for(self, method: str, path: str) -> ResponseRule:
        return match_rule(self._rules, method, path)

    def _judge(self, capture: Capture) -> Verdict:
        """Verify on arrival, on the engine loop: a UUID is checked and remembered at once."""
        return self._verifier(capture)

    def _reload(self) -> None:
        """Re-read what other processes (or the GUI) may have changed.

        Everything is read first and swapped in at the end, so a failure keeps the previous
        caches whole and leaves the revision unchanged for the next tick to retry.
        """
        assert self._reader is not None
        revision = settings_store.config_revision(self._reader)
        key_seen = signature(self.key_file)  # before reading it: a change meanwhile reloads
        # A rule written around check_rule (by hand, by an old version) must never turn into a
        # malformed answer: it is skipped, and said so.
        rules: list[ResponseRule] = []
        for rule in settings_store.list_rules(self._reader):
            problem = check_rule(rule)
            if problem is None:
                rules.append(rule)
            else:
                log.warning("response rule %s skipped: %s", rule.id, problem)
        provider_paths = settings_store.provider_paths(self._reader)
        key_digests = {key.digest for key in target_store.list_api_keys(self._reader)}
        warnings: list[str] = []
        credentials = self._load_credentials(self._reader, warnings)
        targets = self._load_targets(self._reader, warnings)
        if self._config_revision != -1:  # at start the caller shows `warnings` itself
            for warning in warnings:
                if warning not in self.warnings:
                    log.warning("%s", warning)
        self._rules = rules
        self._provider_paths = provider_paths
        self._key_digests = key_digests
        self._credentials = credentials
        self._targets = targets
        self.warnings = warnings
        # The nonce memory outlives reloads: a new secret must not make a replay look new.
        self._verifier = Verifier(
            self._credentials + self._target_secrets(), self._provider_paths, self._nonces
        )
        self._config_revision = revision
        self._key_seen = key_seen

    def _load_credentials(self, db: Database, warnings: list[str]) -> list[Credential]:
        """The stored secrets; without a usable key none, with a warning (no-secret verdicts)."""
        try:
            return credential_store.load_with_key(db, self.key_file)
        except (KeyFileError, VaultError) as exc:
            warnings.append(f"{exc} Signed deliveries are recorded without verification.")
            return []

    def _load_targets(self, db: Database, warnings: list[str]) -> list[Target]:
        """Targets with their secrets; without the key, webhook targets with one stay sealed."""
        vault: Vault | None = None
        if target_store.has_secrets(db):
            try:
                vault = load_vault(self.key_file, create=False)
            except KeyFileError as exc:
                warnings.append(f"{exc} Targets with a secret are not sent to.")
        try:
            return target_store.list_targets(db, vault)
        except VaultError as exc:
            warnings.append(f"{exc} Targets with a secret are not sent to.")
            return target_store.list_targets(db, None)

    def _vault_for_new_secret(self) -> Vault:  # KeyFileError when no key may be made now
        return credential_store.vault_for_new_secret(self._reader, self.key_file)  # type: ignore[arg-type]

    def _target_secrets(self) -> list[Credential]:
        """A target's secret also verifies what arrives signed with it (a fire to ourselves)."""
        return [
            Credential("kardow", f"target {target.id[:8]}", target.secret)
            for target in self._targets
            if target.secret is not None and target.target_type == "webhook"
        ]

    def credentials(self) -> list[Credential]:
        """The stored secrets, decrypted (for signing fires and replays)."""
        return list(self._credentials)

    def credential(self, name: str, provider: str | None = None) -> Credential:
        """The stored secret called `name` (of `provider`); EngineError says what exists."""
        for credential in self._credentials:
            if credential.name == name and provider in (None, credential.provider):
                return credential
        known = [repr(c.name) for c in self._credentials if provider in (None, c.provider)]
        kind = f"{provider.capitalize()} " if provider else ""
        listed = f"stored: {', '.join(known)}" if known else "none is stored"
        raise EngineError(f"No {kind}secret is called {name!r} ({listed}).")

    def targets(self) -> list[Target]:
        return list(self._targets)

    # -- the Kardow API emulator's registry (net.kardow_api.Registry) -----------------------

    def api_key_state(self, key: str | None) -> str | None:
        if not self._api_keys and not self._key_digests:
            return "unconfigured"
        if not key:
            return "missing"
        if target_store.digest(key) in self._key_digests:
            return None
        if any(same_key(key, known) for known in self._api_keys):
            return None
        return "unknown"

    async def register(self, registration: Registration) -> tuple[Target, bool]:
        vault = self._vault_for_new_secret() if registration.secret else None
        result = await self._write(lambda db: target_store.register(db, registration, vault))
        self._reload_if_changed()  # a fire right after registering must see the new target
        return result

    async def list_targets(self) -> list[Target]:
        assert self._reader is not None
        return target_store.list_targets(self._reader)

    async def target(self, target_id: str) -> Target | None:
        assert self._reader is not None
        return target_store.get(self._reader, target_id)

    async def update_target(
        self, target_id: str, *, enabled: bool | None, secret: str | None, clear_secret: bool
    ) -> Target | None:
        vault = self._vault_for_new_secret() if secret else None

        def change(db: Database) -> Target | None:
            if target_store.get(db, target_id) is None:
                return None
            if enabled is not None:
                target_store.set_enabled(db, target_id, enabled)
            if secret is not None or clear_secret:
                target_store.set_secret(db, target_id, secret, vault)
            return target_store.get(db, target_id)

        result = await self._write(change)
        self._reload_if_changed()
        return result

    async def set_target_enabled(self, target_id: str, enabled: bool) -> Target | None:
        return await self.update_target(target_id, enabled=enabled, secret=None, clear_secret=False)

    async def remove_target(self, target_id: str) -> bool:
        removed = await self._write(lambda db: target_store.remove(db, target_id))
        self._reload_if_changed()
        return removed

    # -- firing -----------------------------------------------------------------------------

    async def send_policy(self) -> SendPolicy:
        """The saved timeouts and retries (read on the engine loop, with its connection)."""
        assert self._reader is not None
        return settings_store.load_send_policy(self._reader)

    async def plan_kardow(self, event: str, data: Any, org_id: int) -> Plan:
        """What firing `event` sends now (raises fire.FireError for an unusable event)."""
        self._reload_if_changed()
        return fire.plan_kardow(event, data, org_id=org_id, targets=self._targets, now=utc_now())

    async def plan_kudoz(self, kind: str, data: Any, url: str, credential: str) -> Plan:
        self._reload_if_changed()
        chosen = self.credential(credential, "kudoz")
        return fire.plan_kudoz(kind, data, url=url, credential=chosen, now=utc_now())

    async def plan_replay(
        self,
        capture_id: int,
        url: str,
        *,
        resign: bool = False,
        credential: str | None = None,
        body: bytes | None = None,
    ) -> Plan:
        assert self._reader is not None
        self._reload_if_changed()
        capture = capture_store.get_capture(self._reader, capture_id)
        if capture is None:
            raise EngineError(f"There is no capture {capture_id}.")
        signer: Credential | None = None
        provider = fire.provider_of(capture)
        if resign and provider is not None:
            if credential is not None:
                signer = self.credential(credential, provider)
            else:
                signer = self._default_signer(capture)
                mine = [repr(c.name) for c in self._credentials if c.provider == provider]
                if signer is None and len(mine) > 1:
                    raise EngineError(
                        f"Several {provider.capitalize()} secrets are stored; choose one"
                        f" (stored: {', '.join(mine)})."
                    )
        return fire.plan_replay(
            capture, url=url, now=utc_now(), resign=resign, resign_with=signer, body=body
        )

    def _default_signer(self, capture: Capture) -> Credential | None:
        """The secret that verified the capture, else the only one of its provider."""
        provider = fire.provider_of(capture)
        mine = [c for c in self._credentials if c.provider == provider]
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
        if not self.url:
            raise EngineError("The listener is not running, so there is nowhere to deliver to.")
        self._reload_if_changed()
        secret = next((c for c in self._credentials if c.provider == "kardow"), None)
        data = catalogue.fill(catalogue.template("kardow", "job.created").data, now=utc_now())
        plan = fire.plan_test_delivery(self.url, data, now=utc_now(), secret=secret)
        (attempt,) = await self.send(plan, SendPolicy(retries=0))
        try:
            capture_id = json.loads(attempt.response_body)["capture_id"]
        except (ValueError, KeyError, TypeError):
            capture_id = None  # a response rule changed the answer; the capture is still there
        return attempt, capture_id if isinstance(capture_id, int) else None

    async def send(self, plan: Plan, policy: SendPolicy | None = None) -> list[Attempt]:
        """Send a plan; every attempt is logged as it ends. The last attempt of each request."""
        chosen = policy or await self.send_policy()
        return await self.sender.send(plan, chosen, self._log_attempt)

    async def _log_attempt(self, attempt: Attempt) -> Attempt:
        ids = await self._write(lambda db: delivery_store.insert_attempts(db, [attempt]))
        for listener in self._delivery_listeners:
            try:
                listener(ids)
            except Exception:
                log.exception("deliveries listener")
        return replace(attempt, id=ids[0])

    async def clear_deliveries(self) -> int:
        return await self._write(delivery_store.delete_all)

    def _reload_if_changed(self) -> None:
        """Reload when the store's settings or the key file changed (restored, replaced)."""
        assert self._reader is not None
        if (
            settings_store.config_revision(self._reader) != self._config_revision
            or signature(self.key_file) != self._key_seen
        ):
            self._reload()

    async def reverify(self, ids: list[int] | None = None) -> dict[str, int]:
        """Judge stored captures again with the current secrets; counts per verdict."""
        assert self._writer is not None
        assert self._reader is not None
        judge = Verifier(self._load_credentials(self._reader, []), self._provider_paths)
        counts = await asyncio.wrap_future(
            self._writer.call(lambda db: capture_store.update_verdicts(db, judge, ids))
        )
        return dict(counts)

    # -- what the user says of captures (through the one writer) ----------------------------

    async def _write(self, fn: Callable[[Database], T]) -> T:
        assert self._writer is not None
        return await asyncio.wrap_future(self._writer.call(fn))

    async def set_starred(self, ids: list[int], starred: bool) -> None:
        await self._write(lambda db: capture_store.set_starred(db, ids, starred))

    async def set_note(self, capture_id: int, note: str) -> None:
        await self._write(lambda db: capture_store.set_note(db, capture_id, note))

    async def delete_captures(self, ids: list[int]) -> int:
        """Delete these captures; at most 500 per commit, so deliveries keep flowing between."""
        deleted = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            deleted += await self._write(partial(capture_store.delete_captures, ids=chunk))
        return deleted

    async def delete_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Delete every capture stored so far (not those arriving meanwhile), in batches.

        `progress(done, total)` is called on the engine loop after each batch.
        """
        upto, total = await self._write(capture_store.newest_and_count)
        deleted = 0
        while deleted < total:
            batch = await self._write(lambda db: capture_store.delete_oldest(db, upto, 2000))
            if batch == 0:  # someone else deleted some meanwhile
                break
            deleted += batch
            if progress is not None:
                progress(deleted, total)
        return deleted

    async def _watch_store(self) -> None:
        """Pick up rules, secrets and a changed key file, whatever other processes did.

        Never ends on an error: a reload that fails is said once in the log and tried again
        on the next tick, so the engine heals as soon as the cause is gone.
        """
        failing = ""
        while True:
            await asyncio.sleep(RELOAD_INTERVAL)
            try:
                self._reload_if_changed()
            except Exception as exc:
                if str(exc) != failing:
                    log.warning("settings not reloaded (retrying): %s", exc)
                failing = str(exc)
            else:
                failing = ""

    def _committed(self, ids: list[int]) -> None:
        for listener in self._listeners:
            try:
                listener(ids)
            except Exception:
                log.exception("captures listener")
