"""The engine's configuration: what the listener and the sender use, kept in memory, changed
only through the one writer, and announced as events when it changes.

Changes made in this process (the window, through the engine) are applied and announced at
once. Changes made by other processes (a CLI beside a running app) are noticed in one place:
a watcher that reads SQLite's `PRAGMA data_version` (it moves when another connection commits)
and the key file's signature, and reloads only when the configuration revision moved.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from hookscope.core.checks import check_api_key, check_retention, check_rule
from hookscope.core.forwarding import ForwardRule, check_forward_rule
from hookscope.core.model import (
    Capture,
    Credential,
    ListenerSettings,
    ResponseRule,
    RetentionPolicy,
    SendPolicy,
    Target,
    Verdict,
    verifying_secrets,
)
from hookscope.core.providers import NonceMemory, Verifier, names
from hookscope.core.providers.scheme import Scheme
from hookscope.core.rules import match_rule
from hookscope.core.vault import Vault, VaultError
from hookscope.engine.runtime import EngineError, Runtime
from hookscope.storage import credentials as credential_store
from hookscope.storage import forwards as forward_store
from hookscope.storage import schemes as scheme_store
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.keyfile import KeyFileError, load_vault, signature
from hookscope.storage.targets import ApiKeyInfo

log = logging.getLogger(__name__)

T = TypeVar("T")

WATCH_INTERVAL = 0.5  # seconds between two looks at what other processes committed

# What changed, as announced to listeners.
RULES = "rules"
CREDENTIALS = "credentials"
SCHEMES = "schemes"  # the user's custom signing schemes
TARGETS = "targets"
API_KEYS = "api_keys"
SETTINGS = "settings"  # listener settings, the send policy, provider paths, retention
LISTENERS = "listeners"  # the capture listener or the emulator started or stopped
FORWARDS = "forwards"  # the forward rules
DAMAGE = "damage"  # the background check found the store damaged: capture stopped
ConfigListener = Callable[[frozenset[str]], None]


@dataclass(frozen=True)
class Snapshot:
    """Everything the configuration holds, read at one moment."""

    revision: int = -1
    key_seen: tuple[int, int, int, int] | None = None
    rules: tuple[ResponseRule, ...] = ()
    forward_rules: tuple[ForwardRule, ...] = ()
    provider_paths: dict[str, str] = field(default_factory=dict)
    key_digests: frozenset[str] = frozenset()
    credentials: tuple[Credential, ...] = ()
    schemes: tuple[Scheme, ...] = ()
    targets: tuple[Target, ...] = ()
    listener: ListenerSettings = field(default_factory=ListenerSettings)
    send_policy: SendPolicy = field(default_factory=SendPolicy)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    warnings: tuple[str, ...] = ()

    def changes(self, old: Snapshot) -> frozenset[str]:
        kinds = set()
        if self.rules != old.rules:
            kinds.add(RULES)
        if self.forward_rules != old.forward_rules:
            kinds.add(FORWARDS)
        if self.credentials != old.credentials:
            kinds.add(CREDENTIALS)
        if self.schemes != old.schemes:
            kinds.add(SCHEMES)
        if self.targets != old.targets:
            kinds.add(TARGETS)
        if self.key_digests != old.key_digests:
            kinds.add(API_KEYS)
        if (self.listener, self.send_policy, self.provider_paths, self.retention) != (
            old.listener,
            old.send_policy,
            old.provider_paths,
            old.retention,
        ):
            kinds.add(SETTINGS)
        return frozenset(kinds)


class Configuration:
    """Rules, secrets, targets, API keys and settings, as the engine uses them.

    Attributes:
        key_file: the secrets key.
        nonces: the Kudoz UUIDs seen (outlives reloads: a new secret must not make a replay
            look new).
    """

    def __init__(self, runtime: Runtime, key_file: Path) -> None:
        self._runtime = runtime
        self.key_file = key_file
        self.nonces = NonceMemory()
        self._now = Snapshot()
        self._verifier = Verifier([], nonces=self.nonces)
        self._judging = threading.Lock()
        self._listeners: list[ConfigListener] = []
        self._data_version = -1

    # -- reading ------------------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        return list(self._now.warnings)

    @property
    def key_digests(self) -> frozenset[str]:
        return self._now.key_digests

    @property
    def provider_paths(self) -> dict[str, str]:
        return dict(self._now.provider_paths)

    @property
    def schemes(self) -> list[Scheme]:
        """The user's custom signing schemes that verification uses."""
        return list(self._now.schemes)

    def verifier(self, nonces: NonceMemory | None = None) -> Verifier:
        """A verifier with everything in force: secrets, path overrides, custom schemes.

        Without `nonces`, a fresh memory: for judging stored or imported captures anew.
        """
        return Verifier(
            self.verifying_secrets(),
            dict(self._now.provider_paths),
            nonces,
            schemes=self._now.schemes,
        )

    def rule_for(self, method: str, path: str) -> ResponseRule:
        return match_rule(list(self._now.rules), method, path)

    def forward_rules(self) -> tuple[ForwardRule, ...]:
        """The enabled forward rules, in the order they are tried."""
        return self._now.forward_rules

    def judge(self, capture: Capture) -> Verdict:
        """Verify on arrival: a UUID is checked and remembered at once. Called on the writer
        thread for most captures, on the engine loop for those forwarding must choose by
        verdict: one at a time, so the nonces remembered are never read half-written."""
        with self._judging:
            return self._verifier(capture)

    def credentials(self) -> list[Credential]:
        """The stored secrets, decrypted (for signing fires and replays)."""
        return list(self._now.credentials)

    def credential(self, name: str, provider: str | None = None) -> Credential:
        """The stored secret called `name` (of `provider`); EngineError says what exists."""
        for credential in self._now.credentials:
            if credential.name == name and provider in (None, credential.provider):
                return credential
        known = [repr(c.name) for c in self._now.credentials if provider in (None, c.provider)]
        kind = f"{provider.capitalize()} " if provider else ""
        listed = f"stored: {', '.join(known)}" if known else "none is stored"
        raise EngineError(f"No {kind}secret is called {name!r} ({listed}).")

    def targets(self) -> list[Target]:
        return list(self._now.targets)

    def send_policy(self) -> SendPolicy:
        return self._now.send_policy

    def saved_listener_settings(self) -> ListenerSettings:
        return self._now.listener

    def saved_retention(self) -> RetentionPolicy:
        return self._now.retention

    def load_credentials(self, db: Database, warnings: list[str]) -> list[Credential]:
        """The stored secrets; without a usable key none, with a warning (no-secret verdicts)."""
        try:
            return credential_store.load_with_key(db, self.key_file)
        except (KeyFileError, VaultError) as exc:
            warnings.append(f"{exc} Signed deliveries are recorded without verification.")
            return []

    def vault_for_new_secret(self) -> Vault:
        """The key to encrypt a new secret with (KeyFileError: none may be made now)."""
        return credential_store.vault_for_new_secret(self.reader, self.key_file)

    @property
    def reader(self) -> Database:
        """The engine loop's read connection (use it on the engine loop only)."""
        reader = self._runtime.reader
        assert reader is not None, "the engine is not running"
        return reader

    # -- loading and announcing ---------------------------------------------------------------

    def on_change(self, listener: ConfigListener) -> None:
        """Call `listener(kinds)` on the engine thread after each change of the configuration."""
        self._listeners.append(listener)

    def reload(self) -> frozenset[str]:
        """Read everything again, swap it in, and announce what changed.

        Everything is read first and swapped in at the end, so a failure keeps the previous
        configuration whole and leaves the revision unchanged for the next look to retry.
        """
        db = self.reader
        revision = settings_store.config_revision(db)
        key_seen = signature(self.key_file)  # before reading it: a change meanwhile reloads
        warnings: list[str] = []
        fresh = Snapshot(
            revision=revision,
            key_seen=key_seen,
            rules=tuple(self._valid_rules(db)),
            forward_rules=tuple(r for r in forward_store.list_rules(db) if r.enabled),
            provider_paths=settings_store.provider_paths(db),
            key_digests=frozenset(key.digest for key in target_store.list_api_keys(db)),
            credentials=tuple(self.load_credentials(db, warnings)),
            schemes=tuple(self._load_schemes(db, warnings)),
            targets=tuple(self._load_targets(db, warnings)),
            listener=settings_store.load_listener_settings(db),
            send_policy=settings_store.load_send_policy(db),
            retention=settings_store.load_retention(db),
            warnings=tuple(warnings),
        )
        if self._now.revision != -1:  # at start the caller shows the warnings itself
            for warning in warnings:
                if warning not in self._now.warnings:
                    log.warning("%s", warning)
        old, self._now = self._now, fresh
        self._verifier = self.verifier(self.nonces)
        changed = fresh.changes(old) if old.revision != -1 else frozenset()
        if changed:
            self.announce(changed)
        return changed

    def reload_if_changed(self) -> frozenset[str]:
        """Reload when the store's configuration or the key file changed (restored, replaced)."""
        if (
            settings_store.config_revision(self.reader) != self._now.revision
            or signature(self.key_file) != self._now.key_seen
        ):
            return self.reload()
        return frozenset()

    async def watch(self) -> None:
        """Notice what other processes committed: SQLite's data_version, then the revision.

        Never ends on an error: a reload that fails is said once in the log and tried again
        on the next look, so the engine heals as soon as the cause is gone.
        """
        failing = ""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                (version,) = self.reader.execute("PRAGMA data_version").fetchone()
                key_moved = signature(self.key_file) != self._now.key_seen
                if version != self._data_version or key_moved:
                    self._data_version = version
                    self.reload_if_changed()
            except Exception as exc:
                if str(exc) != failing:
                    log.warning("settings not reloaded (retrying): %s", exc)
                failing = str(exc)
            else:
                failing = ""

    def remember_live_nonces(self) -> None:
        for api_key, uuid, expires in credential_store.live_nonces(self.reader):
            self.nonces.remember(api_key, uuid, expires, time.time())

    def announce(self, kinds: frozenset[str]) -> None:
        """Tell every listener that these kinds of things changed."""
        for listener in self._listeners:
            try:
                listener(kinds)
            except Exception:
                log.exception("configuration listener")

    def _valid_rules(self, db: Database) -> list[ResponseRule]:
        # A rule written around check_rule (by hand, by an old version) must never turn into a
        # malformed answer: it is skipped, and said so.
        rules = []
        for rule in settings_store.list_rules(db):
            problem = check_rule(rule)
            if problem is None:
                rules.append(rule)
            else:
                log.warning("response rule %s skipped: %s", rule.id, problem)
        return rules

    def _load_schemes(self, db: Database, warnings: list[str]) -> list[Scheme]:
        # A scheme written around the checks (by hand, or a name a newer version made
        # built-in) is skipped, and said so.
        usable, skipped = scheme_store.usable_schemes(db)
        warnings.extend(skipped)
        return usable

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

    def verifying_secrets(self) -> list[Credential]:
        """What verifies a delivery: the stored secrets and the webhook targets' secrets."""
        return verifying_secrets(list(self._now.credentials), list(self._now.targets))

    # -- changing (through the one writer; applied and announced at once) ---------------------

    async def change(self, fn: Callable[[Database], T]) -> T:
        """Write through the engine's writer, then apply and announce the change at once."""
        result = await self._runtime.write(fn)
        self.reload_if_changed()
        return result

    async def save_listener_settings(self, settings: ListenerSettings) -> None:
        await self.change(lambda db: settings_store.save_listener_settings(db, settings))

    async def save_send_policy(self, policy: SendPolicy) -> None:
        await self.change(lambda db: settings_store.save_send_policy(db, policy))

    async def save_retention(self, policy: RetentionPolicy) -> None:
        """Keep at most this many captures, for this many days (EngineError: out of range)."""
        if problem := check_retention(policy.max_captures, policy.max_days):
            raise EngineError(problem)
        await self.change(lambda db: settings_store.save_retention(db, policy))

    async def save_rule(self, rule: ResponseRule) -> int:
        """Add or replace a rule; its id. Raises EngineError for a rule that cannot answer."""
        if problem := check_rule(rule):
            raise EngineError(problem)
        return await self.change(lambda db: settings_store.save_rule(db, rule))

    async def delete_rule(self, rule_id: int) -> bool:
        return await self.change(lambda db: settings_store.delete_rule(db, rule_id))

    async def save_forward_rule(self, rule: ForwardRule) -> int:
        """Add or replace a forward rule; its id. EngineError (one sentence) for a rule that
        cannot forward: a bad URL, an unknown mode or provider, a secret that is not stored."""
        if problem := self.check_forward_rule(rule):
            raise EngineError(problem)
        return await self.change(lambda db: forward_store.save_rule(db, rule))

    def check_forward_rule(self, rule: ForwardRule) -> str | None:
        """Why `rule` cannot forward, or None (the secrets as stored now, by name)."""
        stored = {c.name: c.provider for c in credential_store.list_credentials(self.reader)}
        return check_forward_rule(rule, stored, names(self._now.schemes))

    async def delete_forward_rule(self, rule_id: int) -> bool:
        return await self.change(lambda db: forward_store.delete_rule(db, rule_id))

    async def add_credential(self, credential: Credential) -> int:
        """Store a secret, encrypted (KeyFileError or CredentialError say why it cannot be)."""
        vault = self.vault_for_new_secret()
        return await self.change(lambda db: credential_store.add_credential(db, vault, credential))

    async def remove_credential(self, name: str) -> bool:
        return await self.change(lambda db: credential_store.remove_credential(db, name))

    async def add_scheme(self, scheme: Scheme) -> None:
        """Store a custom scheme (SchemeError says why it cannot be)."""
        await self.change(lambda db: scheme_store.add_scheme(db, scheme))

    async def update_scheme(self, scheme: Scheme) -> None:
        """Replace the description of the custom scheme of that name (SchemeError: why not)."""
        await self.change(lambda db: scheme_store.update_scheme(db, scheme))

    async def remove_scheme(self, name: str) -> None:
        """Remove a custom scheme no secret or path override names (SchemeError: which do)."""
        await self.change(lambda db: scheme_store.remove_scheme(db, name))

    async def add_api_key(self, key: str) -> ApiKeyInfo:
        """Accept `key` on the emulator from now on (only its digest is stored)."""
        if problem := check_api_key(key):
            raise EngineError(problem)
        return await self.change(lambda db: target_store.add_api_key(db, key))

    async def remove_api_key(self, key_digest: str) -> bool:
        return await self.change(lambda db: target_store.remove_api_key(db, key_digest))

    async def set_setting(self, key: str, value: Any) -> None:
        """A value of the window's own (its layout, what it last showed)."""
        await self.change(lambda db: settings_store.set_setting(db, key, value))
