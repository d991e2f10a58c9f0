"""Every change the settings dialog makes, in one place: listener, rules, secrets, keys, policy.

Each tab and editor saves through a SettingsWrites and nothing else, so how the dialog writes
is decided here alone. Today every write goes to the GUI's own store connection, at once (the
engine notices by its config revision); errors (sqlite3.Error, the credential and key file
errors) are raised to the caller, which says them in the dialog.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from hookscope.core.model import Credential, ListenerSettings, ResponseRule, SendPolicy
from hookscope.storage import credentials as credential_store
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.targets import ApiKeyInfo


class SettingsWrites:
    """The settings dialog's one way to save."""

    def __init__(self, db: Database, key_file: Path) -> None:
        self._db = db
        self._key_file = key_file

    def save_listener(self, settings: ListenerSettings) -> None:
        settings_store.save_listener_settings(self._db, settings)

    def save_rule(self, rule: ResponseRule) -> int:
        """Add or update a response rule; its id."""
        return settings_store.save_rule(self._db, rule)

    def delete_rule(self, rule_id: int) -> bool:
        """Remove a response rule; False when it was already gone."""
        return settings_store.delete_rule(self._db, rule_id)

    def add_credential(self, credential: Credential) -> None:
        """Encrypt a secret with the data directory's key (made if needed) and store it."""
        vault = credential_store.vault_for_new_secret(self._db, self._key_file)
        credential_store.add_credential(self._db, vault, credential)

    def remove_credential(self, name: str) -> bool:
        """Remove a stored secret; False when it was already gone."""
        return credential_store.remove_credential(self._db, name)

    def add_api_key(self, key: str) -> ApiKeyInfo:
        """Accept one more key at the Kardow API emulator (only its digest is kept)."""
        return target_store.add_api_key(self._db, key)

    def remove_api_key(self, key_digest: str) -> bool:
        """Stop accepting a key; False when it was already gone."""
        return target_store.remove_api_key(self._db, key_digest)

    def save_send_policy(self, policy: SendPolicy) -> None:
        settings_store.save_send_policy(self._db, policy)
