"""The emulator's registry of targets (secrets encrypted) and its accepted API keys."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from hookscope.core.checks import check_api_key as check_api_key  # re-exported
from hookscope.core.model import Target, iso_utc, parse_iso_utc, utc_now
from hookscope.core.registration import Registration
from hookscope.core.vault import Vault
from hookscope.storage.db import write_transaction

COLUMNS = "id, event, target_type, target_url, secret, is_enabled, created_at, updated_at"


class TargetError(Exception):
    """A target cannot be found or saved; the message is meant for the user."""


def _target(row: tuple[Any, ...], vault: Vault | None) -> Target:
    sealed = row[4] is not None
    secret = None
    if sealed and vault is not None:
        secret = vault.decrypt(bytes(row[4]))
        sealed = False
    return Target(
        id=row[0],
        event=row[1],
        target_type=row[2],
        target_url=row[3],
        secret=secret,
        is_enabled=bool(row[5]),
        created_at=parse_iso_utc(row[6]),
        updated_at=parse_iso_utc(row[7]),
        sealed=sealed,
    )


def register(
    db: Database, registration: Registration, vault: Vault | None, now: datetime | None = None
) -> tuple[Target, bool]:
    """Add a subscription, or find the same (event, type, url): (target, newly created).

    An existing subscription is returned unchanged, as Kardow documents ("Existing
    subscription returned"); its secret is not replaced.
    """
    existing = find(db, registration.event, registration.target_type, registration.target_url)
    if existing is not None:
        return _reread(db, existing, vault), False
    if registration.secret is not None and vault is None:
        raise TargetError("A secret needs the secrets key, which is not available.")
    moment = iso_utc(now or utc_now())
    target_id = str(uuid.uuid4())
    secret = vault.encrypt(registration.secret) if vault and registration.secret else None
    try:
        with write_transaction(db):
            db.execute(
                f"INSERT INTO targets ({COLUMNS}) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                [
                    target_id,
                    registration.event,
                    registration.target_type,
                    registration.target_url,
                    secret,
                    moment,
                    moment,
                ],
            )
    except sqlite3.IntegrityError:  # another process registered the same one meanwhile
        again = find(db, registration.event, registration.target_type, registration.target_url)
        if again is None:
            raise
        return _reread(db, again, vault), False
    created = get(db, target_id, vault)
    assert created is not None
    return created, True


def _reread(db: Database, target_id: str, vault: Vault | None) -> Target:
    target = get(db, target_id, vault)
    assert target is not None
    return target


def find(db: Database, event: str, target_type: str, target_url: str) -> str | None:
    row = db.execute(
        "SELECT id FROM targets WHERE event = ? AND target_type = ? AND target_url = ?",
        [event, target_type, target_url],
    ).fetchone()
    return str(row[0]) if row else None


def get(db: Database, target_id: str, vault: Vault | None = None) -> Target | None:
    row = db.execute(f"SELECT {COLUMNS} FROM targets WHERE id = ?", [target_id]).fetchone()
    return _target(row, vault) if row else None


def list_targets(db: Database, vault: Vault | None = None) -> list[Target]:
    """Every target, oldest first; secrets decrypted only when `vault` is given."""
    rows = db.execute(f"SELECT {COLUMNS} FROM targets ORDER BY created_at, id").fetchall()
    return [_target(row, vault) for row in rows]


def has_secrets(db: Database) -> bool:
    return (
        db.execute("SELECT 1 FROM targets WHERE secret IS NOT NULL LIMIT 1").fetchone() is not None
    )


def resolve(db: Database, ref: str) -> str:
    """The id of the one target whose id is `ref` or starts with it (as git takes a prefix)."""
    ref = ref.strip().lower()
    if not ref:
        raise TargetError("Name a target by its id (or the first characters of it).")
    pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.execute(
        "SELECT id FROM targets WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 3", [pattern]
    ).fetchall()
    if not rows:
        raise TargetError(f"No target has the id {ref}; `hookscope targets list` shows them.")
    if len(rows) > 1 and rows[0][0] != ref:
        raise TargetError(f"More than one target id starts with {ref}; give more characters.")
    return str(rows[0][0])


def set_enabled(db: Database, target_id: str, enabled: bool, now: datetime | None = None) -> bool:
    """Turn a target on or off; False when there is no such target."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE targets SET is_enabled = ?, updated_at = ? WHERE id = ?",
            [int(enabled), iso_utc(now or utc_now()), target_id],
        ).rowcount
    return changed > 0


def set_secret(
    db: Database,
    target_id: str,
    secret: str | None,
    vault: Vault | None,
    now: datetime | None = None,
) -> bool:
    if secret is not None and vault is None:
        raise TargetError("A secret needs the secrets key, which is not available.")
    sealed = vault.encrypt(secret) if vault and secret is not None else None
    with write_transaction(db):
        changed = db.execute(
            "UPDATE targets SET secret = ?, updated_at = ? WHERE id = ?",
            [sealed, iso_utc(now or utc_now()), target_id],
        ).rowcount
    return changed > 0


def remove(db: Database, target_id: str) -> bool:
    with write_transaction(db):
        return db.execute("DELETE FROM targets WHERE id = ?", [target_id]).rowcount > 0


# -- the emulator's API keys -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown of an accepted API key: its digest and last characters."""

    digest: str
    hint: str
    created_at: datetime


def digest(key: str) -> str:
    # surrogatepass: a key presented in a header may hold any bytes (kept as surrogate escapes);
    # it must hash (to a digest no valid key has), not fail. UTF-8 keys hash as they always did.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def hint(key: str) -> str:
    return "…" + key[-4:] if len(key) > 8 else "…"


def add_api_key(db: Database, key: str) -> ApiKeyInfo:
    problem = check_api_key(key)
    if problem:
        raise TargetError(problem)
    info = ApiKeyInfo(digest(key), hint(key), utc_now())
    with write_transaction(db):
        db.execute(
            "INSERT INTO api_keys (digest, hint, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT(digest) DO NOTHING",
            [info.digest, info.hint, iso_utc(info.created_at)],
        )
    return info


def list_api_keys(db: Database) -> list[ApiKeyInfo]:
    rows = db.execute(
        "SELECT digest, hint, created_at FROM api_keys ORDER BY created_at"
    ).fetchall()
    return [ApiKeyInfo(row[0], row[1], parse_iso_utc(row[2])) for row in rows]


def remove_api_key(db: Database, key_digest: str) -> bool:
    with write_transaction(db):
        return db.execute("DELETE FROM api_keys WHERE digest = ?", [key_digest]).rowcount > 0
