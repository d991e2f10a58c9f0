"""Secrets at rest: Fernet (AES-128-CBC with HMAC-SHA256), with a key kept outside the store."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class VaultError(Exception):
    """A secret cannot be decrypted; the message is meant for the user."""


class Vault:
    """Encrypts and decrypts secrets with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise VaultError("The secrets key is not a valid Fernet key.") from exc

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise VaultError(
                "A stored secret cannot be decrypted with this secrets key: the key file was "
                "replaced or belongs to another data directory."
            ) from exc
