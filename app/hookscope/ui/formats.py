"""Sizes, times and counts as the windows write them: pure text, no Qt."""

from __future__ import annotations

from datetime import datetime

from hookscope.core.contentviews import human_size as human_size  # re-exported


def local_time(moment: datetime, *, date: bool = False) -> str:
    """A capture time in the user's time zone, to the millisecond."""
    local = moment.astimezone()
    text = local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    return f"{local:%Y-%m-%d} {text}" if date else text


def targets_phrase(count: int) -> str:
    """ "1 target", "3 targets"."""
    return "1 target" if count == 1 else f"{count} targets"


def captures_phrase(count: int) -> str:
    """ "1 capture", "1,204 captures"."""
    return "1 capture" if count == 1 else f"{count:,} captures"
