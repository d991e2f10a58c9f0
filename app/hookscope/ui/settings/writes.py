"""Every change the settings dialog makes, in one place: listener, rules, secrets, schemes, keys,
policy.

Each tab saves through a SettingsWrites and nothing else. Every write goes to the engine, which
makes it with its one writer, applies it at once and announces it (the other panels refresh on
that announcement). The calls are coroutines awaited on the GUI loop, so a save never holds up
the window; errors (EngineError with the check's sentence, sqlite3.Error, the credential and
key file errors, TimeoutError) are raised to the caller, which says them in the dialog.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from typing import Any, TypeVar

from hookscope.core.forwarding import ForwardRule
from hookscope.core.model import (
    Credential,
    ListenerSettings,
    ResponseRule,
    RetentionPolicy,
    SendPolicy,
)
from hookscope.core.providers.scheme import Scheme
from hookscope.engine import Engine, EngineError
from hookscope.storage.reads import ApiKeyInfo
from hookscope.ui.client import EngineClient

T = TypeVar("T")

WRITE_TIMEOUT = 30.0  # seconds: the writer's busy timeout is 10 s; past this, something is wrong
# What a write may fail with, beyond the credential and key errors some writes have.
WRITE_ERRORS = (sqlite3.Error, EngineError, TimeoutError)


class SettingsWrites:
    """The settings dialog's one way to save: through the engine, awaited on the GUI loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._client = EngineClient(engine)

    @staticmethod
    async def _done(change: Awaitable[T]) -> T:
        return await asyncio.wait_for(change, WRITE_TIMEOUT)

    async def save_listener(self, settings: ListenerSettings) -> None:
        await self._done(self._client.save_listener_settings(settings))

    async def save_rule(self, rule: ResponseRule) -> int:
        """Add or update a response rule; its id."""
        return await self._done(self._client.save_rule(rule))

    async def delete_rule(self, rule_id: int) -> bool:
        """Remove a response rule; False when it was already gone."""
        return await self._done(self._client.delete_rule(rule_id))

    async def save_forward_rule(self, rule: ForwardRule) -> int:
        """Add or update a forward rule; its id (EngineError: why it cannot forward)."""
        return await self._done(self._client.save_forward_rule(rule))

    async def delete_forward_rule(self, rule_id: int) -> bool:
        """Remove a forward rule; False when it was already gone."""
        return await self._done(self._client.delete_forward_rule(rule_id))

    async def add_credential(self, credential: Credential) -> int:
        """Encrypt a secret with the data directory's key (made if needed) and store it."""
        return await self._done(self._client.add_credential(credential))

    async def remove_credential(self, name: str) -> bool:
        """Remove a stored secret; False when it was already gone."""
        return await self._done(self._client.remove_credential(name))

    async def add_scheme(self, scheme: Scheme) -> None:
        """Store a custom scheme (SchemeError: its problem, or its name is taken)."""
        await self._done(self._client.add_scheme(scheme))

    async def update_scheme(self, scheme: Scheme) -> None:
        """Replace a custom scheme's description (SchemeError: why not)."""
        await self._done(self._client.update_scheme(scheme))

    async def remove_scheme(self, name: str) -> None:
        """Remove a custom scheme (SchemeError: what still uses it, or it is gone)."""
        await self._done(self._client.remove_scheme(name))

    async def add_api_key(self, key: str) -> ApiKeyInfo:
        """Accept one more key at the Kardow API emulator (only its digest is kept)."""
        return await self._done(self._client.add_api_key(key))

    async def remove_api_key(self, key_digest: str) -> bool:
        """Stop accepting a key; False when it was already gone."""
        return await self._done(self._client.remove_api_key(key_digest))

    async def save_send_policy(self, policy: SendPolicy) -> None:
        await self._done(self._client.save_send_policy(policy))

    async def save_retention(self, policy: RetentionPolicy) -> None:
        await self._done(self._client.save_retention(policy))

    async def set_setting(self, key: str, value: Any) -> None:
        """One of the window's own values (the welcome's "show at start", notifications)."""
        await self._done(self._client.set_setting(key, value))

    def set_setting_now(self, key: str, value: Any) -> None:
        """Write a value and wait for it: only for the window's layout as the app closes.

        Then nothing is left on screen to keep responsive, and the value must be committed
        before the engine stops.
        """
        self._engine.call(self._engine.config.set_setting(key, value)).result(WRITE_TIMEOUT)
