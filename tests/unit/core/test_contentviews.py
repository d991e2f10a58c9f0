"""Content views: pure, bounded, and the same for the window and the command line."""

from __future__ import annotations

import pytest

from hookscope.core import contentviews
from hookscope.core.contentviews import (
    VIEWS,
    Superseded,
    analyse,
    hex_row,
    hexdump,
    pretty_view,
    render,
    show,
)


@pytest.mark.parametrize(
    ("body", "content_type", "kind", "view"),
    [
        (b"", "", "empty", "binary"),
        (b'{"a": 1}', "", "json", "json"),
        (b"[1, 2]", "application/json", "json", "json"),
        (b"a=1&b=2", "application/x-www-form-urlencoded", "form", "form"),
        (b"hello", "text/plain", "text", "text"),
        (b"{not json", "application/json", "text", "text"),
        (b"\x00\x01\xff", "application/octet-stream", "binary", "binary"),
        ("caf\u00e9".encode("latin-1"), "text/plain; charset=latin-1", "text", "text"),
    ],
)
def test_each_kind_of_body_gets_its_pretty_view(
    body: bytes, content_type: str, kind: str, view: str
) -> None:
    analysis = analyse(body, content_type)
    assert analysis.kind == kind
    assert pretty_view(analysis).name == view


def test_invalid_json_says_where_and_is_shown_as_text() -> None:
    analysis = analyse(b'{"a": }', "application/json")
    assert analysis.notice.startswith("Not valid JSON (Expecting value at line 1 column 7)")


def test_repeated_keys_are_noticed() -> None:
    assert "repeat a key" in analyse(b'{"a": 1, "a": 2}').notice


def test_a_text_body_in_its_own_charset() -> None:
    body = "Grüße".encode("latin-1")
    text, cut = VIEWS["text"].render(body, analyse(body, "text/plain; charset=latin-1"), None, bool)
    assert (text, cut) == ("Grüße", False)


def test_pretty_json_is_cut_on_a_whole_line() -> None:
    document = {"items": list(range(1000))}
    text, cut = contentviews.pretty_json(document, limit=100)
    assert cut
    assert len(text) <= 100
    assert text.endswith("\n    10,")  # the last line is whole, never half a number
    assert text.startswith('{\n  "items": [\n    0,')


def test_render_gives_the_text_views_the_window_shows() -> None:
    body = b'{"event": "job.created"}'
    rendering = render(body, analyse(body), text_limit=None)
    assert rendering.pretty == '{\n  "event": "job.created"\n}'
    assert rendering.raw == body.decode()
    assert (rendering.pretty_cut, rendering.raw_cut) == (False, False)


def test_a_hex_row_is_the_matching_line_of_the_whole_dump() -> None:
    body = bytes(range(256)) * 3 + b"tail"
    lines = hexdump(body).split("\n")
    assert [hex_row(body, offset) for offset in range(0, len(body), 16)] == lines
    assert hex_row(body, 768) == "00000300  74 61 69 6c" + " " * 37 + "  |tail|"


def test_render_stops_when_the_work_is_no_longer_wanted() -> None:
    body = b"[" + b"1," * 100_000 + b"1]"
    with pytest.raises(Superseded):
        render(body, analyse(body), None, cancelled=lambda: True)


def test_show_is_bounded_and_says_what_it_left_out() -> None:
    body = b"x" * (3 * 1024 * 1024)
    text, note = show(body, "text/plain", "raw")
    assert len(text) == contentviews.TEXT_LIMIT
    assert "the first 1,048,576 characters of a 3.0 MB body" in note
    hexed, note = show(body, "", "hex")
    assert hexed.count("\n") + 1 == contentviews.HEX_LIMIT // 16
    assert "the first 65,536 bytes" in note


def test_show_hands_on_the_analysis_notice() -> None:
    text, note = show(b'{"a": }', "application/json", "pretty")
    assert text == '{"a": }'
    assert note.startswith("Not valid JSON")


def test_a_registered_view_is_used_by_name() -> None:
    class Shout:
        name = "shout"
        kinds: tuple[contentviews.Kind, ...] = ()

        def render(
            self,
            body: bytes,
            analysis: contentviews.Analysis,
            limit: int | None,
            cancelled: contentviews.Cancelled,
        ) -> tuple[str, bool]:
            return body.decode().upper(), False

    VIEWS["shout"] = Shout()
    try:
        assert show(b"quiet", "", "shout") == ("QUIET", "")
    finally:
        del VIEWS["shout"]
