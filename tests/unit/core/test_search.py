"""The search language: words, phrases and field filters, and the decoded text search reads."""

from __future__ import annotations

import pytest

from hookscope.core.search import (
    UNCLOSED,
    FieldFilter,
    Search,
    SearchError,
    decoded_json,
    parse,
    problem,
)


@pytest.mark.parametrize(
    ("text", "texts"),
    [
        ("", ()),
        ("   ", ()),
        ("nich", ("nich",)),
        ("  two   words ", ("two", "words")),
        ('"a phrase"  word', ("a phrase", "word")),
        ('""', ()),  # an empty phrase asks for nothing
        ('"say \\"hi\\" \\\\o/"', ('say "hi" \\o/',)),
        ('fox", a"b c\\d', ('fox",', 'a"b', "c\\d")),  # quotes inside a word are characters
        ('"ab"cd', ("ab", "cd")),
        ("quick\x00", ("quick",)),
        # Colons that are not field filters.
        ("http://example.test/hook", ("http://example.test/hook",)),
        ("https://x", ("https://x",)),
        ("12:30", ("12:30",)),
        ("127.0.0.1:8787", ("127.0.0.1:8787",)),
        ("x-tenant:", ("x-tenant:",)),
        (":value", (":value",)),
        ('"data.status:active"', ("data.status:active",)),
        ("a..b:c", ("a..b:c",)),
        ("items[].id:7", ("items[].id:7",)),
        ('note":"x"', ('note":"x"',)),
    ],
)
def test_words_and_phrases(text: str, texts: tuple[str, ...]) -> None:
    assert parse(text) == Search(texts=texts)


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("data.status:active", ("data", "status"), "active"),
        ("items[0].id:7", ("items", 0, "id"), "7"),
        ("a[1][2].b:x", ("a", 1, 2, "b"), "x"),
        ("[0].id:7", (0, "id"), "7"),
        ('a.b:"two words"', ("a", "b"), "two words"),
        ('a.b:""', ("a", "b"), ""),
        ("x-tenant:acme", ("x-tenant",), "acme"),
        ("$schema:v1", ("$schema",), "v1"),
        ("@type:Event", ("@type",), "Event"),
        ("_id:1", ("_id",), "1"),
        ("données.statut:actif", ("données", "statut"), "actif"),
        ("list.0:a", ("list", "0"), "a"),  # a member named "0", not an index
        ("callback:http://x", ("callback",), "http://x"),
        ("a:b:c", ("a",), "b:c"),
    ],
)
def test_field_filters(text: str, path: tuple[str | int, ...], value: str) -> None:
    assert parse(text) == Search(fields=(FieldFilter(path, value),))


def test_words_and_filters_mix() -> None:
    assert parse('data.status:active "two words" munich a.b:"c d"') == Search(
        texts=("two words", "munich"),
        fields=(FieldFilter(("data", "status"), "active"), FieldFilter(("a", "b"), "c d")),
    )


@pytest.mark.parametrize(
    ("value", "number", "literal"),
    [
        ("3", 3, None),
        ("-3.5", -3.5, None),
        ("1e3", 1000.0, None),
        ("03", None, None),
        ("3.", None, None),
        ("12345678901234567890", 1.2345678901234567e19, None),
        ("TRUE", None, "true"),
        ("null", None, "null"),
        ("active", None, None),
    ],
)
def test_a_value_is_also_read_as_a_json_scalar(
    value: str, number: float | None, literal: str | None
) -> None:
    field = FieldFilter(("a",), value)
    assert field.number == number
    assert field.literal == literal


@pytest.mark.parametrize("text", ['"', '"open', 'a "b c', 'a.b:"two', '"a \\"'])
def test_an_unclosed_quote_is_the_one_mistake(text: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse(text)
    assert str(caught.value) == UNCLOSED
    assert problem(text) == UNCLOSED


def test_a_search_that_reads_has_no_problem() -> None:
    assert problem('a "b" c:d') is None


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ('{"a": "caf\\u00e9"}', '{"a": "café"}'),
        ('{"a":"x\\"y",  "b": [1, "\\n"]}', '{"a":"x"y",  "b": [1, "\n"]}'),  # layout kept
        ('{"\\u00e9": 1}', '{"é": 1}'),
        ('{"a": "\\ud83d\\ude00"}', '{"a": "😀"}'),
        ('{"a": "\\ud800"}', '{"a": "\\ud800"}'),  # no UTF-8 form: kept as written
        ('{"a": "x\\u0000y"}', '{"a": "x y"}'),
        ("caf\\u00e9 is not JSON", "caf\\u00e9 is not JSON"),
        ('{"a": "caf\\u00e9"', '{"a": "caf\\u00e9"'),  # cut short: not JSON
        ("plain text", "plain text"),
    ],
)
def test_decoded_json(text: str, decoded: str) -> None:
    assert decoded_json(text) == decoded
