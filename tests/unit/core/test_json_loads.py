"""Bodies are read as JSON by a shortcut past json.loads' encoding detection: same answers.

Identity against json.loads itself over the test vectors' bodies and a fuzzed set (duplicate
keys, escaped key names, nested "event" keys, whitespace, byte order marks, UTF-16, broken and
huge bodies), and identical verdicts for every vector.
"""

from __future__ import annotations

import codecs
import json
import random
from typing import Any

import pytest

from hookscope.core.model import Credential
from hookscope.core.providers import Verifier, base
from hookscope.core.providers.base import json_object, leading_text
from tests.conftest import make_capture
from tests.unit.core.test_vectors import KARDOW, KUDOZ, _body


def _fuzzed() -> list[bytes]:
    base_bodies = [_body(case) for case in KARDOW + KUDOZ]
    shaped = [
        b'{"event": "job.created", "event": "job.deleted", "organization_id": 1, "data": {}}',
        b'{"\\u0065vent": "job.created", "organization_id": 1, "data": {}}',
        b'{"event": "job.created", "data": {"event": "job.deleted"}, "organization_id": 1}',
        b'{"data": {"event": "job.deleted"}, "organization_id": 1}',
        b' \t\r\n{ "event" : "job.created" , "organization_id" : 1 , "data" : { } } \n',
        codecs.BOM_UTF8 + b'{"event": "job.created"}',
        '{"event": "job.created", "kind": "x"}'.encode("utf-16-le"),
        '{"event": "job.created"}'.encode("utf-16"),
        '{"event": "job.created"}'.encode("utf-32"),
        b'{"event": "job.created"',
        b'{"event": "job.created"} trailing',
        b'{"event": "\xed\xa0\x80 lone surrogate"}',
        b'{"event": "\xff not utf-8"}',
        b'{"event": "\\ud800"}',
        b'{"event": "NaN", "n": NaN, "i": -Infinity}',
        b'{"e\x00": 1}',
        b"{\x00",
        b"{}",
        b"{",
        b"[1, 2]",
        b'"event"',
        b"",
        b"\x00\x00\x00{",
        b'{"kind": "job_application", "id": "a", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"event": "job.created", "data": "' + b"x" * 3_000_000 + b'"}',
    ]
    rng = random.Random(14)
    mutated = []
    for body in base_bodies:
        for _ in range(20):
            data = bytearray(body)
            for _ in range(rng.randint(1, 3)):
                if not data:
                    break
                at = rng.randrange(len(data))
                choice = rng.random()
                if choice < 0.4:
                    data[at] = rng.choice(b'{}[]",:\\ \x00\xff\xc3eu0')
                elif choice < 0.7:
                    del data[at]
                else:
                    data[at:at] = rng.choice([b'"event": "x", ', b"\\u0065", b"\xef\xbb\xbf", b","])
            mutated.append(bytes(data))
    return base_bodies + shaped + mutated


FUZZED = _fuzzed()


def _outcome(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "value", parse(body)
    except RecursionError:
        return "error", RecursionError
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        return "error", type(exc)


def test_the_fuzzed_set_is_large_and_mixed() -> None:
    outcomes = [_outcome(json.loads, body)[0] for body in FUZZED]
    assert len(FUZZED) > 500
    assert outcomes.count("value") > 50
    assert outcomes.count("error") > 50


@pytest.mark.parametrize("index", range(len(FUZZED)))
def test_loads_answers_exactly_as_json_loads(index: int) -> None:
    body = FUZZED[index]
    assert _outcome(base.loads, body) == _outcome(json.loads, body)


def test_verdicts_are_the_same_as_with_json_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = [Credential("kardow", f"k{n}", case["secret"]) for n, case in enumerate(KARDOW)]
    cases: list[tuple[bytes, list[tuple[str, str]]]] = []
    for case in KARDOW:
        signature = case.get("signature") or case.get("expected")
        headers = [("Content-Type", "application/json")]
        if isinstance(signature, str):
            headers.append(("X-Kardow-Signature", signature))
        cases.append((_body(case), headers))
    cases += [(body, [("X-Kardow-Signature", "0" * 64)]) for body in FUZZED[:-1]]
    cases += [(body, []) for body in FUZZED[:-1]]

    def verdicts() -> list[Any]:
        base._last_parsed = (b"", None)
        verify = Verifier(secrets)
        return [verify(make_capture(body=body, headers=headers)) for body, headers in cases]

    fast = verdicts()
    monkeypatch.setattr(base, "loads", json.loads)
    assert verdicts() == fast
    assert sum(v.event is not None for v in fast) > 20


LEADING_BODIES = [
    b'{"event": "job.created", "organization_id": 42, "data": {}}',
    b'{"event":"job.created","data":{"title":"Welder"}}',
    b'{ \n\t"event" :\r "application.received" }',
    b'{"event": "job.created", "data": {"event": "nested"}}',  # named twice: parsed
    b'{"event": "job.created", "event": "job.updated"}',  # a duplicate: json keeps the last
    b'{"event": "caf\\u00e9", "data": {}}',  # an escape: parsed
    '{"event": "café ✓", "data": {}}'.encode(),
    b'{"event": "", "data": {}}',
    b'{"event": 42, "data": {}}',
    b'{"data": {}, "event": "job.created"}',  # not first: parsed
    b'{"event": "job.created"',  # broken inside the first member: parsed (and fails)
    b'{"event": "job.created", "data": {',  # broken after a complete value (see below)
    b'{"event": "job\x01created"}',
    b'{"event": "\xed\xa0\x80"}',  # an encoded surrogate: parsed (surrogatepass)
    b'{"event": "\xff"}',
    b'[{"event": "job.created"}]',
    b"",
]


@pytest.mark.parametrize("body", LEADING_BODIES)
def test_the_leading_event_is_what_parsing_gives(body: bytes) -> None:
    quick = leading_text(body, "event")
    data = json_object(body)
    parsed = data.get("event") if data is not None else None
    if quick is None:
        return  # the caller parses instead
    if data is None:
        # Broken JSON after a complete leading value: the body still names its event.
        assert body.startswith(b'{"event": "job.created"')
        assert quick == "job.created"
        return
    assert quick == parsed


def test_the_leading_event_is_read_without_a_parse_for_senders_that_put_it_first() -> None:
    assert leading_text(b'{"event": "job.created", "data": {"x": [1, 2]}}', "event") == (
        "job.created"
    )
    assert leading_text(b'{"event": "a", "data": {"event": "b"}}', "event") is None
    assert (
        leading_text(b'{"event": "job.created", "x": "' + b"x" * (3 << 20) + b'"}', "event") is None
    )
