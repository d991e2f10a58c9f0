"""`hookscope backup FILE`: a consistent copy of the store, safe while Hookscope runs."""

from __future__ import annotations

import argparse
import os
import sqlite3
from pathlib import Path

from hookscope.cli.args import Commands, Parser
from hookscope.cli.common import UserError, directory
from hookscope.storage import private
from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path, key_path


def register(commands: Commands, common: Parser) -> None:
    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="write a consistent copy of the store to FILE (safe while Hookscope runs)",
    )
    backup.add_argument("file", metavar="FILE", help="the copy to write (must not exist)")
    backup.set_defaults(run=cmd_backup)


def cmd_backup(args: argparse.Namespace) -> int:
    folder = directory(args)
    target = Path(args.file)
    if target.exists():
        raise UserError(f"{target} already exists; choose a new file name.")
    if not db_path(folder).exists():
        raise UserError(f"There is no store in {folder} to back up.")
    partial = target.with_name(target.name + ".part")
    try:
        os.close(private.open_private(partial))  # owner-only and empty, even if it was left over
        with open_store(folder) as db, sqlite3.connect(partial) as copy:
            # SQLite's online backup: a consistent snapshot while the engine keeps writing.
            db.conn.backup(copy)
        copy.close()
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"Cannot write {target}: {exc}") from exc
    print(f"store copied to {target}")
    key = key_path(folder)
    if key.exists():
        print(
            f"the secrets key is not in the copy: keep {key} safely and separately; without it "
            "the stored secrets cannot be read, and with it anyone holding both can read them."
        )
    return 0
