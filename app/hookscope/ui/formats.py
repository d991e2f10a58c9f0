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


def clipboard_body(body: bytes, what: str) -> tuple[str, str]:
    """A body as clipboard text, and the sentence that says what was copied.

    The clipboard holds text: a body that is not UTF-8 is copied with replacement characters,
    and the sentence says so (its bytes are whole in a saved file or a curl command).
    """
    try:
        return body.decode("utf-8"), f"Copied the body of {what}."
    except UnicodeDecodeError:
        return body.decode("utf-8", "replace"), (
            f"Copied the body of {what} as text; it is not UTF-8, so some bytes became �."
        )
