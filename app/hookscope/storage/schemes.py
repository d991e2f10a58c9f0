"""Custom signing schemes: the user's descriptions of how a sender signs, beside the secrets.

Any process may write them (a CLI beside a running app), each change in a `BEGIN IMMEDIATE`
transaction; the engine reloads them with the secrets. Every write is checked with
`check_scheme` (the scheme's own problems, and a name no other scheme has) inside the
transaction that makes it, so two writers cannot both take one name.
"""

from __future__ import annotations

from sqlite_utils import Database

from hookscope.core.checks import built_in_schemes, check_scheme
from hookscope.core.model import iso_utc, utc_now
from hookscope.core.providers.scheme import Scheme
from hookscope.storage.db import write_transaction
from hookscope.storage.settings import provider_paths

_COLUMNS = (
    "name, header, prefix, algorithm, encoding, signed, timestamp_header, tolerance, id_header"
)


class SchemeError(Exception):
    """A scheme cannot be stored or removed; the message is meant for the user."""


def list_schemes(db: Database) -> list[Scheme]:
    """Every custom scheme, oldest first, as stored (a hand-edited one may have problems)."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM schemes ORDER BY id").fetchall()
    return [
        Scheme(
            name=str(row[0]),
            header=str(row[1]),
            prefix=str(row[2]),
            algorithm=str(row[3]),
            encoding=str(row[4]),
            signed=str(row[5]),
            timestamp_header=None if row[6] is None else str(row[6]),
            tolerance=row[7] if isinstance(row[7], int) else 0,
            id_header=None if row[8] is None else str(row[8]),
        )
        for row in rows
    ]


def usable_schemes(db: Database) -> tuple[list[Scheme], list[str]]:
    """The custom schemes verification can use, and a sentence for each one skipped (a hand
    edit, or a name a newer version made built-in)."""
    usable: list[Scheme] = []
    skipped: list[str] = []
    for scheme in list_schemes(db):
        if problem := check_scheme(scheme, [s.name for s in usable]):
            skipped.append(f"The custom scheme {scheme.name!r} is not used: {problem}")
        else:
            usable.append(scheme)
    return usable, skipped


def scheme_names(db: Database) -> list[str]:
    """Every name a secret or a path override may give: built-in schemes, then custom ones."""
    custom = [row[0] for row in db.execute("SELECT name FROM schemes ORDER BY id").fetchall()]
    return [*built_in_schemes(), *custom]


def _values(scheme: Scheme) -> list[object]:
    return [
        scheme.header,
        scheme.prefix,
        scheme.algorithm,
        scheme.encoding,
        scheme.signed,
        scheme.timestamp_header,
        scheme.tolerance,
        scheme.id_header,
    ]


def add_scheme(db: Database, scheme: Scheme) -> None:
    """Store a new custom scheme (SchemeError: its problem, or its name is taken)."""
    with write_transaction(db):
        taken = [s.name for s in list_schemes(db)]
        if problem := check_scheme(scheme, taken):
            raise SchemeError(problem)
        db.execute(
            f"INSERT INTO schemes ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [scheme.name, *_values(scheme), iso_utc(utc_now())],
        )


def update_scheme(db: Database, scheme: Scheme) -> None:
    """Replace the description of the custom scheme of that name (its secrets stay its own)."""
    with write_transaction(db):
        if problem := check_scheme(scheme):
            raise SchemeError(problem)
        cursor = db.execute(
            "UPDATE schemes SET header = ?, prefix = ?, algorithm = ?, encoding = ?, signed = ?,"
            " timestamp_header = ?, tolerance = ?, id_header = ? WHERE name = ?",
            [*_values(scheme), scheme.name],
        )
        if cursor.rowcount == 0:
            raise SchemeError(f"No custom scheme is named {scheme.name!r}: it was removed.")


def remove_scheme(db: Database, name: str) -> None:
    """Remove a custom scheme, refused while a secret or a path override still names it.

    Removing those silently would lose secrets the user may still want (another scheme can
    verify with them only once they are added again), so the sentence names them and says how
    to remove them first.
    """
    with write_transaction(db):
        if name in built_in_schemes():
            raise SchemeError(f"{name!r} is a built-in scheme; only custom schemes can be removed.")
        if not db.execute("SELECT 1 FROM schemes WHERE name = ?", [name]).fetchone():
            raise SchemeError(f"No custom scheme is named {name!r}.")
        if users := scheme_users(db, name):
            raise SchemeError(users)
        db.execute("DELETE FROM schemes WHERE name = ?", [name])


def scheme_users(db: Database, name: str) -> str | None:
    """Why the scheme `name` cannot be removed now (the secrets and path overrides that name
    it, and how to remove them), or None."""
    secrets = [
        repr(row[0])
        for row in db.execute(
            "SELECT name FROM credentials WHERE provider = ? ORDER BY id", [name]
        ).fetchall()
    ]
    paths = [repr(glob) for glob, scheme in provider_paths(db).items() if scheme == name]
    if not secrets and not paths:
        return None
    used = []
    how = []
    if secrets:
        used.append(f"{_plural(len(secrets), 'secret')} {', '.join(secrets)}")
        how.append("`hookscope secrets remove NAME`")
    if paths:
        used.append(f"{_plural(len(paths), 'path override')} {', '.join(paths)}")
        how.append("`hookscope paths clear GLOB`")
    them = "it" if len(secrets) + len(paths) == 1 else "them"
    return (
        f"The scheme {name!r} is still used by the {' and the '.join(used)}: remove {them}"
        f" first ({', '.join(how)})."
    )


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"
