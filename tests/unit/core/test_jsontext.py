"""JSON from outside: every way it can be wrong is one sentence; anything loaded can be sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookscope.core import jsontext
from hookscope.core.fire import encode


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "The body is empty; it must hold a JSON object."),
        (b" \n", "The body is empty; it must hold a JSON object."),
        (b'{"a": "\xe9"}', "The body is not UTF-8 text (byte 0xe9 at offset 7)."),
        (b"{", "The body is not valid JSON: Expecting property name enclosed in double quotes"),
        (b"[NaN]", "The body is not valid JSON: NaN is not a JSON value."),
        (b"-Infinity", "The body is not valid JSON: -Infinity is not a JSON value."),
        (b"9" * 5000, "The body is not valid JSON: Exceeds the limit (4300 digits)"),
        (b"[" * 100_000, "The body is nested more than 100 levels deep."),
        (json.dumps(nested(101)).encode(), "The body is nested more than 100 levels deep."),
    ],
)
def test_each_fault_is_one_sentence(raw: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=r"^The body is ") as raised:
        jsontext.parse(raw, "The body")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_the_deepest_accepted_value_and_a_byte_order_mark() -> None:
    assert jsontext.parse(json.dumps(nested(100)).encode(), "x") == nested(100)
    assert jsontext.parse(b'\xef\xbb\xbf{"a": 1}', "x") == {"a": 1}


def test_depth_counts_objects_and_arrays_alike() -> None:
    value: Any = {"a": [{"b": []}]}
    assert not jsontext.too_deep(value, 4)
    assert jsontext.too_deep(value, 3)
    assert not jsontext.too_deep("text", 0)


def test_a_lone_surrogate_is_written_as_its_escape_and_reads_back_the_same() -> None:
    value = json.loads('{"x": "\\ud800", "y": "café \\udcff", "z": "\\ud83d\\ude00"}')
    written = encode(value)
    assert written == '{"x":"\\ud800","y":"café \\udcff","z":"😀"}'.encode()
    assert json.loads(written) == value
    assert jsontext.dumps_utf8({"k\udc80": 1}) == b'{"k\\udc80": 1}'


def test_encodable() -> None:
    assert jsontext.encodable("café 😀")
    assert not jsontext.encodable("a\ud800")
