"""What `hookscope` commands share when they run: the user error and the data folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from hookscope.storage.paths import data_dir

Command = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A mistake the user can fix: printed as one sentence, exit status 1."""


class UsageError(UserError):
    """An argument no parser could refuse alone (it needs the store, or several arguments
    together): printed as one sentence, exit status 2, like argparse's own refusals."""


def directory(args: argparse.Namespace) -> Path:
    """The data folder of this run: --data-dir, else $HOOKSCOPE_DATA_DIR, else the user's."""
    return data_dir(getattr(args, "data_dir", None))
