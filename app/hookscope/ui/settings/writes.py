"""Every change the settings dialog makes, in one place: listener, rules, secrets, keys, policy.

Each tab and editor saves through a SettingsWrites and nothing else. Every write goes to the
engine, which makes it with its one writer, applies it at once and announces it (the other
panels refresh on that announcement). The call waits for the engine's answer, a commit of a
few rows; errors (EngineError with the check's sentence, sqlite3.Error, the credential and key
file errors) are raised to the caller, which says them in the dialog.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Coroutine
from typing import Any, TypeVar

from hookscope.core.model import Credential, ListenerSettings, ResponseRule, SendPolicy
from hookscope.engine import Engine, EngineError
from hookscope.storage.reads import ApiKeyInfo

T = TypeVar("T")

WRITE_TIMEOUT = 30.0  # seconds: the writer's busy timeout is 10 s; past this, something is wrong
# What a write may fail with, beyond the credential and key errors some writes have.
WRITE_ERRORS = (sqlite3.Error, EngineError, TimeoutError)


class SettingsWrites:
    """The settings dialog's one way to save: through the engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _done(self, change: Coroutine[Any, Any, T]) -> T:
        return self._engine.call(change).result(WRITE_TIMEOUT)

    def save_listener(self, settings: ListenerSettings) -> None:
        self._done(self._engine.config.save_listener_settings(settings))

    def save_rule(self, rule: ResponseRule) -> int:
        """Add or update a response rule; its id."""
        return self._done(self._engine.config.save_rule(rule))

    def delete_rule(self, rule_id: int) -> bool:
        """Remove a response rule; False when it was already gone."""
        return self._done(self._engine.config.delete_rule(rule_id))

    def add_credential(self, credential: Credential) -> None:
        """Encrypt a secret with the data directory's key (made if needed) and store it."""
        self._done(self._engine.config.add_credential(credential))

    def remove_credential(self, name: str) -> bool:
        """Remove a stored secret; False when it was already gone."""
        return self._done(self._engine.config.remove_credential(name))

    def add_api_key(self, key: str) -> ApiKeyInfo:
        """Accept one more key at the Kardow API emulator (only its digest is kept)."""
        return self._done(self._engine.config.add_api_key(key))

    def remove_api_key(self, key_digest: str) -> bool:
        """Stop accepting a key; False when it was already gone."""
        return self._done(self._engine.config.remove_api_key(key_digest))

    def save_send_policy(self, policy: SendPolicy) -> None:
        self._done(self._engine.config.save_send_policy(policy))

    def set_setting(self, key: str, value: Any) -> None:
        """One of the window's own values (its layout, the welcome's "show at start")."""
        self._done(self._engine.config.set_setting(key, value))
