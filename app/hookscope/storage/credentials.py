"""Stored credentials (secrets encrypted) and the Kudoz nonces already used."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from hookscope.core.model import Credential, CredentialInfo, iso_utc, parse_iso_utc, utc_now
from hookscope.core.vault import Vault
from hookscope.storage.db import text_value
from hookscope.storage.keyfile import KeyFileError, load_vault


class CredentialError(Exception):
    """A credential cannot be saved; the message is meant for the user."""


def add_credential(db: Database, vault: Vault, credential: Credential) -> int:
    try:
        with db.atomic():
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


def remove_credential(db: Database, name: str) -> bool:
    with db.atomic():
        return db.execute("DELETE FROM credentials WHERE name = ?", [name]).rowcount > 0


def live_nonces(db: Database, now: float | None = None) -> list[tuple[str, str, float]]:
    """Nonces whose tokens could still be accepted: (api_key, uuid, expires)."""
    moment = time.time() if now is None else now
    rows = db.execute(
        "SELECT api_key, uuid, expires FROM nonces WHERE expires >= ?", [moment]
    ).fetchall()
    return [(text_value(row[0]), text_value(row[1]), float(row[2])) for row in rows]


def forget_nonces(db: Database, now: float | None = None) -> int:
    moment = time.time() if now is None else now
    with db.atomic():
        return db.execute("DELETE FROM nonces WHERE expires < ?", [moment]).rowcount
