"""Stored credentials (secrets encrypted) and the Kudoz nonces already used."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from hookscope.core.model import Credential, CredentialInfo, iso_utc, parse_iso_utc, utc_now
from hookscope.core.vault import Vault, VaultError
from hookscope.storage.db import text_value, write_transaction
from hookscope.storage.keyfile import DamagedKeyError, KeyFileError, load_vault


class CredentialError(Exception):
    """A credential cannot be saved; the message is meant for the user."""


def add_credential(db: Database, vault: Vault, credential: Credential) -> int:
    try:
        with write_transaction(db):
            cursor = db.execute(
                "INSERT INTO credentials (provider, name, api_key, secret, template, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    credential.provider,
                    credential.name,
                    credential.api_key,
                    vault.encrypt(credential.secret),
                    credential.template,
                    iso_utc(utc_now()),
                ],
            )
    except sqlite3.IntegrityError as exc:
        raise CredentialError(f"A secret named {credential.name!r} already exists.") from exc
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def list_credentials(db: Database) -> list[CredentialInfo]:
    rows = db.execute(
        "SELECT id, provider, name, api_key, template, created_at FROM credentials ORDER BY id"
    ).fetchall()
    return [
        CredentialInfo(row[0], row[1], row[2], row[3], row[4], parse_iso_utc(row[5]))
        for row in rows
    ]


def count_credentials(db: Database) -> int:
    (count,) = db.execute("SELECT count(*) FROM credentials").fetchone()
    return int(count)


def load_credentials(db: Database, vault: Vault) -> list[Credential]:
    """Every credential with its secret decrypted, oldest first."""
    rows = db.execute(
        "SELECT id, provider, name, api_key, secret, template FROM credentials ORDER BY id"
    ).fetchall()
    return [
        Credential(
            id=row[0],
            provider=row[1],
            name=row[2],
            api_key=row[3],
            secret=vault.decrypt(bytes(row[4])),
            template=row[5],
        )
        for row in rows
    ]


def load_with_key(db: Database, key_file: Path) -> list[Credential]:
    """Every credential decrypted with the key in `key_file` (none stored: no key needed)."""
    if count_credentials(db) == 0:
        return []
    vault = load_vault(key_file, create=False)
    if vault is None:
        raise KeyFileError(
            f"The secrets key {key_file} is missing, so the stored secrets cannot be decrypted."
        )
    return load_credentials(db, vault)


def sealed(db: Database) -> tuple[int, bytes | None]:
    """How many stored secrets (credentials and target secrets) need the key, and one of them."""
    (count,) = db.execute(
        "SELECT (SELECT count(*) FROM credentials)"
        " + (SELECT count(*) FROM targets WHERE secret IS NOT NULL)"
    ).fetchone()
    row = db.execute(
        "SELECT secret FROM credentials UNION ALL"
        " SELECT secret FROM targets WHERE secret IS NOT NULL LIMIT 1"
    ).fetchone()
    return int(count), None if row is None else bytes(row[0])


def vault_for_new_secret(db: Database, key_file: Path) -> Vault:
    """The vault to encrypt a new secret with.

    A new key is made only when no stored secret was encrypted with another one: a missing,
    damaged or replaced key file otherwise makes every older secret unreadable for good, so
    KeyFileError says how to recover instead.
    """
    count, sample = sealed(db)
    try:
        vault = load_vault(key_file, create=False)
    except DamagedKeyError as exc:
        if count == 0:
            raise KeyFileError(
                f"The secrets key {key_file} is empty or damaged and no stored secret needs it:"
                " delete the file and try again."
            ) from exc
        raise KeyFileError(_recover(key_file, "is empty or damaged", count)) from exc
    if vault is None:
        if count:
            raise KeyFileError(_recover(key_file, "is missing", count))
        vault = load_vault(key_file, create=True)
        assert vault is not None  # create=True makes one or raises
        return vault
    if sample is not None:
        try:
            vault.decrypt(sample)
        except VaultError as exc:
            raise KeyFileError(_recover(key_file, "replaced", count)) from exc
    return vault


def _recover(key_file: Path, state: str, count: int) -> str:
    secrets = f"{count} stored secret{'s' if count > 1 else ''}"
    if state == "replaced":
        problem = f"The secrets key {key_file} cannot read the {secrets} (it was replaced)"
    else:
        problem = (
            f"The secrets key {key_file} {state}, and the {secrets} can only be read with the key"
            " they were encrypted with"
        )
    return (
        f"{problem}: restore that key file from a backup, or remove them (`hookscope secrets"
        " remove NAME`, `hookscope targets remove ID`) before adding a new secret."
    )


def remove_credential(db: Database, name: str) -> bool:
    with write_transaction(db):
        return db.execute("DELETE FROM credentials WHERE name = ?", [name]).rowcount > 0


def live_nonces(db: Database, now: float | None = None) -> list[tuple[str, str, float]]:
    """Nonces whose tokens could still be accepted: (api_key, uuid, expires)."""
    moment = time.time() if now is None else now
    rows = db.execute(
        "SELECT api_key, uuid, expires FROM nonces WHERE expires >= ?", [moment]
    ).fetchall()
    return [(text_value(row[0]), text_value(row[1]), float(row[2])) for row in rows]


def forget_nonces(db: Database, now: float | None = None) -> int:
    """Delete the nonces whose tokens can no longer be accepted; how many were deleted."""
    moment = time.time() if now is None else now
    with write_transaction(db):
        return db.execute("DELETE FROM nonces WHERE expires < ?", [moment]).rowcount
