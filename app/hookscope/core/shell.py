"""POSIX shell quoting that writes any bytes as printable ASCII, safe to run and to paste."""

from __future__ import annotations

import re

# shlex.quote is not enough: it leaves every byte inside single quotes as it is, control
# characters included, and it takes text, not bytes.
# Bytes written as themselves: printable ASCII. Everything else (control characters such as
# ESC, Ctrl-U or CR, DEL, bytes above 0x7F) is written as an escape, so no byte can act on a
# terminal it is pasted into (ESC [201~ ends a bracketed paste, Ctrl-U erases the line) and no
# shell has to agree on how to read it.
PRINTABLE = frozenset(range(0x20, 0x7F))

_RUNS = re.compile(rb"[\x20-\x7e]+|[^\x20-\x7e]+")
# Words that mean the same to every shell without quotes (`=` and `~` can start expansions).
_PLAIN = re.compile(rb"[A-Za-z0-9_.-]+")


def is_printable(data: bytes) -> bool:
    """True when every byte is printable ASCII (space to tilde)."""
    return all(byte in PRINTABLE for byte in data)


def printf_format(data: bytes) -> str:
    """A printf format, in printable ASCII, that makes `printf` write exactly these bytes.

    Other bytes become three-digit octal escapes (`\\ooo`, which POSIX printf reads in its format;
    always three digits, so a digit that follows stays a digit); `%` and `\\` are doubled; a
    leading `-` is escaped too, or printf could take the format for an option.
    """
    out = []
    for index, byte in enumerate(data):
        if byte == 0x25:  # %
            out.append("%%")
        elif byte == 0x5C:  # backslash
            out.append("\\\\")
        elif byte in PRINTABLE and not (index == 0 and byte == 0x2D):  # leading -
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def sh_word(data: bytes | str) -> str:
    """One POSIX shell word, in printable ASCII, that expands to exactly these bytes.

    Printable ASCII goes in single quotes (nothing is special inside them but the quote itself,
    written `'\\''`); every other byte comes from `"$(printf '\\ooo')"`, which any POSIX sh
    (dash) and bash read the same way. Bash's `$'...'` is not used: dash reads it as `$`
    followed by a quoted string, which let a crafted header end the quote and run commands.

    Text is taken as UTF-8. Raises ValueError for a NUL byte (no command argument can hold one)
    and for a newline (a command substitution drops trailing newlines, so it could not be
    written exactly; a newline is never needed in one argument of a one-line command).
    """
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if b"\0" in raw or b"\n" in raw:
        raise ValueError("a shell argument cannot hold a NUL byte or a newline")
    if not raw:
        return "''"
    if _PLAIN.fullmatch(raw):
        return raw.decode("ascii")
    parts = []
    for run in _RUNS.findall(raw):
        if is_printable(run):
            parts.append("'" + run.decode("ascii").replace("'", "'\\''") + "'")
        else:
            parts.append("\"$(printf '" + printf_format(run) + "')\"")
    return "".join(parts)


def printable(data: bytes | str) -> str:
    """The bytes for a comment or a message: printable ASCII as is, any other byte as %XX."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return "".join(chr(byte) if byte in PRINTABLE else f"%{byte:02X}" for byte in raw)
