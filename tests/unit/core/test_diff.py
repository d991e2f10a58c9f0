"""Two captures compared: request line, headers in order, bodies by path, line or byte."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest

from hookscope.core import contentviews
from hookscope.core.contentviews import EncodingError, Superseded, decode_content
from hookscope.core.diff import CaptureDiff, HeaderChange, compare, diff_text, first_difference
from hookscope.core.http import Headers
from hookscope.core.jsondiff import MAX_CHANGES, json_changes
from hookscope.core.model import Verdict
from tests.conftest import make_capture

JSON = (("Content-Type", "application/json"),)


def json_capture(document: Any, **overrides: Any) -> Any:
    return make_capture(headers=JSON, body=json.dumps(document).encode(), **overrides)


def headers_diff(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    result = compare(make_capture(headers=Headers(a)), make_capture(headers=Headers(b)))
    return [(h.change, h.name, h.occurrence, h.a, h.b) for h in result.headers]


# -- identical and the request line -----------------------------------------------------------


def test_the_same_request_received_twice_is_identical() -> None:
    a = make_capture(id=1, remote="10.0.0.1:4000")
    b = make_capture(id=2, remote="10.0.0.2:5000")  # ids, times and remotes are not compared
    result = compare(a, b)
    assert result.identical
    assert result.summary() == "The two requests are identical."
    assert result.body.mode == "same"
    assert result.as_json()["identical"] is True


def test_identical_requests_with_different_verdicts_say_so() -> None:
    a = make_capture(verdict=Verdict("verified", "Matches kudoz-prod.", "kudoz"))
    b = make_capture(verdict=Verdict("replayed", "The nonce was seen before.", "kudoz"))
    result = compare(a, b)
    assert result.identical
    assert not result.same_verdict
    assert result.summary() == (
        "The two requests are identical; their verdicts differ (verified and replayed)."
    )
    shape = result.as_json()
    assert (shape["a"]["verdict"], shape["b"]["verdict"]) == ("verified", "replayed")
    assert shape["b"]["verdict_detail"] == "The nonce was seen before."


def test_request_line_parts_that_differ() -> None:
    a = make_capture(method="POST", path="/hooks/a", query="x=1", http_version="1.1")
    b = make_capture(method="PUT", path="/hooks/b", query="x=1", http_version="1.0")
    result = compare(a, b)
    assert [(c.part, c.a, c.b) for c in result.request_line] == [
        ("method", "POST", "PUT"),
        ("path", "/hooks/a", "/hooks/b"),
        ("http_version", "1.1", "1.0"),
    ]
    assert result.summary() == "The requests differ in the request line."


# -- headers ----------------------------------------------------------------------------------


def test_headers_added_removed_and_changed() -> None:
    a = [("Host", "h"), ("X-Old", "1"), ("X-Sig", "abc")]
    b = [("Host", "h"), ("X-Sig", "def"), ("X-New", "2")]
    assert headers_diff(a, b) == [
        ("removed", "X-Old", 1, "1", None),
        ("changed", "X-Sig", 1, "abc", "def"),
        ("added", "X-New", 1, None, "2"),
    ]


def test_a_header_in_another_place_is_reported_moved() -> None:
    a = [("Host", "h"), ("Content-Type", "application/json"), ("X-A", "1"), ("X-B", "2")]
    b = [("Host", "h"), ("X-A", "1"), ("X-B", "2"), ("Content-Type", "application/json")]
    result = compare(make_capture(headers=Headers(a)), make_capture(headers=Headers(b)))
    (moved,) = result.headers
    assert moved == HeaderChange(
        "moved",
        "Content-Type",
        1,
        "application/json",
        "application/json",
        "Content-Type",
        "Content-Type",
        1,
        3,
        moved=True,
    )
    assert not result.identical


def test_duplicate_headers_are_matched_by_position_among_their_name() -> None:
    a = [("Set-Cookie", "a=1"), ("X-Forwarded-For", "1.1.1.1"), ("Set-Cookie", "b=2")]
    b = [("Set-Cookie", "a=1"), ("X-Forwarded-For", "1.1.1.1"), ("Set-Cookie", "b=3")]
    assert headers_diff(a, b) == [("changed", "Set-Cookie", 2, "b=2", "b=3")]
    # A third one in B is an addition, the second of its name.
    c = [*a, ("X-Forwarded-For", "2.2.2.2")]
    assert headers_diff(a, c) == [("added", "X-Forwarded-For", 2, None, "2.2.2.2")]
    # Two swapped values of one name: each position changed, nothing moved.
    d = [("Set-Cookie", "b=2"), ("X-Forwarded-For", "1.1.1.1"), ("Set-Cookie", "a=1")]
    assert headers_diff(a, d) == [
        ("changed", "Set-Cookie", 1, "a=1", "b=2"),
        ("changed", "Set-Cookie", 2, "b=2", "a=1"),
    ]


def test_header_names_are_compared_ignoring_case_and_the_spelling_is_shown() -> None:
    result = compare(
        make_capture(headers=Headers([("Content-Type", "text/plain")])),
        make_capture(headers=Headers([("content-type", "text/plain")])),
    )
    (change,) = result.headers
    assert (change.change, change.a_name, change.b_name) == (
        "changed",
        "Content-Type",
        "content-type",
    )


def test_a_changed_header_that_also_moved_says_both() -> None:
    a = [("X-Sig", "abc"), ("Host", "h"), ("X-Id", "1")]
    b = [("Host", "h"), ("X-Id", "1"), ("X-Sig", "def")]
    result = compare(make_capture(headers=Headers(a)), make_capture(headers=Headers(b)))
    (change,) = result.headers
    assert (change.change, change.moved, change.a_index, change.b_index) == ("changed", True, 0, 2)


# -- JSON bodies ------------------------------------------------------------------------------


def test_json_bodies_are_compared_by_path() -> None:
    a = {"event": "job.updated", "data": {"title": "A", "items": [{"title": "x"}] * 3, "old": 1}}
    b = {"event": "job.updated", "data": {"title": "B", "items": [{"title": "x"}] * 3, "new": 2}}
    b["data"]["items"] = [{"title": "x"}, {"title": "x"}, {"title": "y"}]
    result = compare(json_capture(a), json_capture(b))
    assert result.body.mode == "json"
    assert [(c.change, c.path, c.a, c.b) for c in result.body.changes] == [
        ("changed", "data.title", '"A"', '"B"'),
        ("changed", "data.items[2].title", '"x"', '"y"'),
        ("removed", "data.old", "1", None),
        ("added", "data.new", None, "2"),
    ]
    assert result.summary() == "The requests differ in the body."


def test_a_type_change_is_shown_with_both_types() -> None:
    changes, _ = json_changes({"n": 1, "b": True, "z": None}, {"n": "1", "b": 1, "z": 0})
    assert [(c.path, c.a, c.b, c.a_type, c.b_type, c.type_changed) for c in changes] == [
        ("n", "1", '"1"', "number", "string", True),
        ("b", "true", "1", "boolean", "number", True),
        ("z", "null", "0", "null", "number", True),
    ]


def test_keys_that_are_not_names_are_quoted_and_the_root_has_a_name() -> None:
    changes, _ = json_changes({"a b": {"x.y": 1}}, {"a b": {"x.y": 2}})
    assert changes[0].path == '["a b"]["x.y"]'
    (root,) = json_changes({"a": 1}, [1])[0]
    assert (root.path, root.where, root.a_type, root.b_type) == (
        "",
        "(the whole body)",
        "object",
        "array",
    )


def test_an_item_inserted_at_the_front_of_an_array_is_one_addition() -> None:
    a = {"items": [{"id": n} for n in range(50)]}
    b = {"items": [{"id": -1}, *a["items"]]}
    changes, omitted = json_changes(a, b)
    assert [(c.change, c.path, c.b) for c in changes] == [("added", "items[0]", '{"id": -1}')]
    assert omitted == 0


def test_large_arrays_give_a_bounded_list_and_count_the_rest() -> None:
    a = {"items": list(range(10_000))}
    b = {"items": [n + 1 for n in range(10_000)]}  # longer than the matcher takes: by index
    changes, omitted = json_changes(a, b)
    assert len(changes) == MAX_CHANGES
    assert omitted == 10_000 - MAX_CHANGES
    assert changes[0].path == "items[0]"


def test_object_key_order_and_spacing_are_not_differences() -> None:
    a = make_capture(headers=JSON, body=b'{"a": 1, "b": [1, 2]}')
    b = make_capture(headers=JSON, body=b'{"b":[1,2],"a":1}')
    result = compare(a, b)
    assert result.body.mode == "json"
    assert result.body.changes == ()
    assert "The same JSON, written differently" in " ".join(result.body.notes)
    assert not result.identical  # the bytes differ, and a signature over them would too


def test_a_long_value_is_cut() -> None:
    changes, _ = json_changes({"t": "x" * 500}, {"t": "y" * 500})
    assert changes[0].a is not None
    assert len(changes[0].a) == 80
    assert changes[0].a.endswith("…")


def test_deep_documents_are_compared_without_recursion() -> None:
    a: Any = 1
    b: Any = 2
    for _ in range(5000):
        a, b = [a], [b]
    changes, _ = json_changes(a, b)
    assert changes[0].path == "[0]" * 5000


def test_comparing_stops_when_cancelled() -> None:
    with pytest.raises(Superseded):
        json_changes(list(range(100_000)), list(range(1, 100_001)), lambda: True)


# -- text and binary bodies -------------------------------------------------------------------


def test_text_bodies_are_compared_line_by_line() -> None:
    a_text = "\n".join(f"line {n}" for n in range(1, 21))
    b_text = a_text.replace("line 10", "line ten")
    a = make_capture(headers=(("Content-Type", "text/plain"),), body=a_text.encode())
    b = make_capture(headers=(("Content-Type", "text/plain"),), body=b_text.encode())
    body = compare(a, b).body
    assert body.mode == "text"
    assert [(line.op, line.text) for line in body.lines] == [
        ("@", "@@ -7,7 +7,7 @@"),
        (" ", "line 7"),
        (" ", "line 8"),
        (" ", "line 9"),
        ("-", "line 10"),
        ("+", "line ten"),
        (" ", "line 11"),
        (" ", "line 12"),
        (" ", "line 13"),
    ]


def test_a_long_text_diff_is_bounded() -> None:
    lines, omitted, _ = diff_text("a\n" * 1000, "b\n" * 1000)
    assert len(lines) == 400
    assert omitted == 2001 - 400  # one hunk head, 1000 removed, 1000 added


def test_texts_that_differ_only_in_line_endings_say_so() -> None:
    lines, omitted, notes = diff_text("a\r\nb\r\n", "a\nb\n")
    assert (lines, omitted) == ((), 0)
    assert notes == ["The same lines; the texts differ only in line endings or a last newline."]


def test_form_bodies_are_compared_by_their_decoded_fields() -> None:
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    a = make_capture(headers=form, body=b"name=Ada+Lovelace&role=engineer")
    b = make_capture(headers=form, body=b"name=Ada+Lovelace&role=poet")
    lines = [(line.op, line.text) for line in compare(a, b).body.lines]
    assert ("-", "role = engineer") in lines
    assert ("+", "role = poet") in lines


def test_binary_bodies_give_sizes_and_the_first_differing_byte() -> None:
    octets = (("Content-Type", "application/octet-stream"),)
    a_body = bytes(range(256)) * 4
    b_body = a_body[:700] + b"\xff" + a_body[701:] + b"\x00\x01"
    result = compare(
        make_capture(headers=octets, body=a_body), make_capture(headers=octets, body=b_body)
    )
    body = result.body
    assert (body.mode, body.a_size, body.b_size) == ("binary", 1024, 1026)
    assert body.binary is not None
    assert (body.binary.offset, body.binary.start) == (700, 692)
    assert body.binary.a_hex.split()[8] == f"{700 % 256:02x}"
    assert body.binary.b_hex.split()[8] == "ff"
    assert len(body.binary.a_hex.split()) == 24


def test_the_first_difference_of_a_prefix_is_where_the_shorter_ends() -> None:
    data = bytes(200_000)
    found = first_difference(data, data + b"\x01")
    assert found.offset == 200_000
    assert found.b_hex.split()[-1] == "01"
    assert first_difference(b"\x00" * 70_000 + b"\x01", b"\x00" * 70_001).offset == 70_000


# -- encodings --------------------------------------------------------------------------------


def gzipped(document: Any, level: int = 9) -> bytes:
    return gzip.compress(json.dumps(document).encode(), compresslevel=level, mtime=0)


def gzip_capture(document: Any, level: int = 9) -> Any:
    headers = (*JSON, ("Content-Encoding", "gzip"))
    return make_capture(headers=headers, body=gzipped(document, level))


def test_gzip_bodies_are_decoded_before_comparing() -> None:
    result = compare(gzip_capture({"data": {"title": "A"}}), gzip_capture({"data": {"title": "B"}}))
    assert result.body.mode == "json"
    assert result.body.encoding == "both gzip"
    assert [(c.path, c.a, c.b) for c in result.body.changes] == [("data.title", '"A"', '"B"')]


def test_one_gzip_body_against_a_plain_one() -> None:
    result = compare(gzip_capture({"id": 1}), json_capture({"id": 2}))
    assert result.body.encoding == "A is gzip, B is not"
    assert [(c.path, c.a, c.b) for c in result.body.changes] == [("id", "1", "2")]
    assert [h.change for h in result.headers] == ["removed"]  # Content-Encoding itself


def test_the_same_content_compressed_differently() -> None:
    result = compare(
        gzip_capture({"id": 1} | {"x": "y" * 99}, 1), gzip_capture({"id": 1} | {"x": "y" * 99}, 9)
    )
    assert result.body.mode == "json"
    assert result.body.notes == ("The same content, encoded differently.",)


def test_a_body_that_is_not_what_its_encoding_says_is_compared_as_received() -> None:
    headers = (*JSON, ("Content-Encoding", "gzip"))
    a = make_capture(headers=headers, body=b"not gzip at all")
    b = make_capture(headers=headers, body=b"not gzip either")
    body = compare(a, b).body
    assert body.mode == "text"
    assert any("A's body says gzip but it is not valid gzip data" in note for note in body.notes)


def test_decode_content_undoes_each_coding_in_turn() -> None:
    raw = b'{"hello": "world"}'
    assert decode_content(gzip.compress(raw), "gzip") == raw
    assert decode_content(zlib.compress(raw), "deflate") == raw
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode_content(raw_deflate.compress(raw) + raw_deflate.flush(), "deflate") == raw
    assert decode_content(gzip.compress(zlib.compress(raw)), "deflate, gzip") == raw
    assert decode_content(raw, "identity") == raw


def test_decode_content_refuses_bombs_cut_data_and_unknown_codings() -> None:
    bomb = gzip.compress(bytes(10 * contentviews.MB))
    with pytest.raises(EncodingError, match=r"inflates past 1\.0 MB"):
        decode_content(bomb, "gzip", limit=contentviews.MB)
    with pytest.raises(EncodingError, match="ends early"):
        decode_content(gzip.compress(b"x" * 1000)[:-10], "gzip")
    with pytest.raises(EncodingError, match="br is not an encoding Hookscope can decode"):
        decode_content(b"\x0b", "br")


def test_the_json_shape_is_stable() -> None:
    result: CaptureDiff = compare(json_capture({"a": 1}, id=3), json_capture({"a": 2}, id=4))
    shape = result.as_json()
    assert sorted(shape) == [
        "a",
        "b",
        "body",
        "headers",
        "identical",
        "request_line",
        "same_verdict",
        "summary",
    ]
    assert sorted(shape["body"]) == [
        "a_kind",
        "a_size",
        "b_kind",
        "b_size",
        "binary",
        "changes",
        "encoding",
        "lines",
        "mode",
        "notes",
        "omitted",
    ]
    assert (shape["a"]["id"], shape["b"]["id"]) == (3, 4)
    assert shape["body"]["changes"] == [
        {
            "change": "changed",
            "path": "a",
            "a": "1",
            "b": "2",
            "a_type": "number",
            "b_type": "number",
        }
    ]
    json.dumps(shape)  # plain JSON all the way down


def test_values_python_calls_equal_but_json_does_not_are_changes() -> None:
    # Python says True == 1 and 1 == 1.0, in a nested object and in a long array alike.
    changes, _ = json_changes({"job": {"on": True, "n": 1}}, {"job": {"on": 1, "n": 1.0}})
    assert [(c.path, c.a, c.b) for c in changes] == [("job.on", "true", "1"), ("job.n", "1", "1.0")]
    long_a = [{"on": True}] * 10_000
    long_b = [*long_a[:7000], {"on": 1}, *long_a[7001:]]
    changes, _ = json_changes(long_a, long_b)
    assert [(c.path, c.a_type, c.b_type) for c in changes] == [("[7000].on", "boolean", "number")]
