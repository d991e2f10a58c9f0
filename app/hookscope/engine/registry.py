"""The Kardow API emulator's registry: API keys and the targets table (net.kardow_api.Registry)."""

from __future__ import annotations

from sqlite_utils import Database

from hookscope.core.model import Target
from hookscope.core.registration import Registration
from hookscope.engine.config import Configuration
from hookscope.net.kardow_api import same_key
from hookscope.storage import targets as target_store


class EmulatorRegistry:
    """What the emulator (and the Targets panel) read and change; writes go through the
    configuration, so they are applied and announced at once.

    Attributes:
        api_keys: this run's keys (`serve --api-key`), never stored.
    """

    def __init__(self, config: Configuration, api_keys: list[str]) -> None:
        self._config = config
        self.api_keys = list(api_keys)

    def api_key_state(self, key: str | None) -> str | None:
        """None when `key` is accepted, else "unconfigured", "missing" or "unknown"."""
        digests = self._config.key_digests
        if not self.api_keys and not digests:
            return "unconfigured"
        if not key:
            return "missing"
        if target_store.digest(key) in digests:
            return None
        if any(same_key(key, known) for known in self.api_keys):
            return None
        return "unknown"

    async def register(self, registration: Registration) -> tuple[Target, bool]:
        vault = self._config.vault_for_new_secret() if registration.secret else None
        return await self._config.change(lambda db: target_store.register(db, registration, vault))

    async def list_targets(self) -> list[Target]:
        """As stored, secrets sealed (what the emulator shows never carries one)."""
        return target_store.list_targets(self._config.reader)

    async def target(self, target_id: str) -> Target | None:
        return target_store.get(self._config.reader, target_id)

    async def update_target(
        self, target_id: str, *, enabled: bool | None, secret: str | None, clear_secret: bool
    ) -> Target | None:
        vault = self._config.vault_for_new_secret() if secret else None

        def change(db: Database) -> Target | None:
            if target_store.get(db, target_id) is None:
                return None
            if enabled is not None:
                target_store.set_enabled(db, target_id, enabled)
            if secret is not None or clear_secret:
                target_store.set_secret(db, target_id, secret, vault)
            return target_store.get(db, target_id)

        return await self._config.change(change)

    async def set_target_enabled(self, target_id: str, enabled: bool) -> Target | None:
        return await self.update_target(target_id, enabled=enabled, secret=None, clear_secret=False)

    async def remove_target(self, target_id: str) -> bool:
        return await self._config.change(lambda db: target_store.remove(db, target_id))
