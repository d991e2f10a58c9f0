"""What `hookscope` commands share when they run: the user error and the data folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from hookscope.storage.paths import data_dir

Command = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A mistake the user can fix: printed as one sentence, exit status 1."""


def directory(args: argparse.Namespace) -> Path:
    """The data folder of this run: --data-dir, else $HOOKSCOPE_DATA_DIR, else the user's."""
    return data_dir(getattr(args, "data_dir", None))
