"""Shell quoting: any bytes as one printable-ASCII word that dash and bash expand the same."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hookscope.core.shell import is_printable, printable, printf_format, sh_word

EVERY_ARGUMENT_BYTE = bytes(b for b in range(1, 256) if b != 0x0A)  # no NUL, no newline
HOSTILE = [
    b"",
    b"plain",
    b"it's",
    b"'",
    b"''",
    b"$(touch pwned)",
    b"`touch pwned`",
    b'"$HOME" \\ ; | & > < * ? [ ] { } ~ ! # =',
    b"\xff';touch pwned;#",
    b"\x1b[201~; touch pwned",
    b"\x15touch pwned\r",
    b"-n",
    b"%s %d %% \\c \\0",
    "caf\u00e9 \U0001f600".encode(),
    EVERY_ARGUMENT_BYTE,
]


def printable_ascii(text: str) -> bool:
    return all(0x20 <= ord(c) < 0x7F for c in text)


class TestShWord:
    @pytest.mark.parametrize("data", HOSTILE)
    def test_printable_ascii_only(self, data: bytes) -> None:
        assert printable_ascii(sh_word(data))

    def test_plain_words_stay_bare(self) -> None:
        assert sh_word("POST") == "POST"
        assert sh_word("a.b-c_1") == "a.b-c_1"

    def test_other_printable_text_is_single_quoted(self) -> None:
        assert sh_word("") == "''"
        assert sh_word("a b") == "'a b'"
        assert sh_word("it's") == "'it'\\''s'"
        assert sh_word("~x") == "'~x'"
        assert sh_word("=x") == "'=x'"

    def test_other_bytes_come_from_printf_octal_escapes_never_dollar_quotes(self) -> None:
        assert sh_word(b"a\xffb") == "'a'\"$(printf '\\377')\"'b'"
        assert sh_word(b"\x1b\x15") == "\"$(printf '\\033\\025')\""
        assert "$'" not in sh_word(EVERY_ARGUMENT_BYTE)

    def test_text_is_taken_as_utf8_with_escaped_bytes(self) -> None:
        assert sh_word("\u00e9\udcff") == sh_word(b"\xc3\xa9\xff")

    @pytest.mark.parametrize("data", [b"\0", b"a\nb", b"a\n"])
    def test_nul_and_newline_are_refused(self, data: bytes) -> None:
        with pytest.raises(ValueError, match="NUL byte or a newline"):
            sh_word(data)


class TestPrintfFormat:
    def test_escapes(self) -> None:
        assert printf_format(b"a%b\\c") == "a%%b\\\\c"
        assert printf_format(b"\x00\n\xff") == "\\000\\012\\377"
        assert printf_format(b"-x-") == "\\055x-"  # not an option to printf
        assert printf_format(b"\x001") == "\\0001"  # three digits: the 1 stays a 1

    def test_every_byte_gives_printable_ascii(self) -> None:
        assert printable_ascii(printf_format(bytes(range(256))))


def test_is_printable() -> None:
    assert is_printable(b" ~azAZ09")
    assert not is_printable(b"\t")
    assert not is_printable(b"\x7f")
    assert not is_printable(b"\x80")


def test_printable_for_messages() -> None:
    assert printable(b"/a\x1b[201~\x15\n\xff%") == "/a%1B[201~%15%0A%FF%"
    assert printable("caf\u00e9") == "caf%C3%A9"


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["dash", "bash"])
class TestInRealShells:
    def expand(self, shell: str, script: str, cwd: Path) -> bytes:
        done = subprocess.run(
            [shell, "-c", script], cwd=cwd, capture_output=True, timeout=30, check=True
        )
        assert list(cwd.iterdir()) == []  # nothing ran that wrote a file
        return done.stdout

    def test_each_word_expands_to_its_bytes_as_one_argument(
        self, shell: str, tmp_path: Path
    ) -> None:
        words = " ".join(sh_word(data) for data in HOSTILE)
        # One line per argument, each as hex, so the count of arguments shows too.
        script = (
            f"for a in {words}; do printf '%s' \"$a\" | od -An -v -tx1 | tr -d ' \\n'; echo; done"
        )
        out = self.expand(shell, script, tmp_path)
        assert out.decode().splitlines() == [data.hex() for data in HOSTILE]

    def test_printf_format_writes_exactly_the_bytes(self, shell: str, tmp_path: Path) -> None:
        data = bytes(range(256)) + b"\n\n"
        assert self.expand(shell, f"printf {sh_word(printf_format(data))}", tmp_path) == data
