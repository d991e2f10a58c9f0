"""`hookscope captures diff A B [--json]` over captures committed to a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookscope.cli import main
from hookscope.core.model import Verdict
from tests.conftest import make_capture
from tests.unit.test_cli import store

JSON = (("Host", "127.0.0.1"), ("Content-Type", "application/json"))


def kardow(title: str, **data: Any) -> bytes:
    envelope = {"event": "job.updated", "organization_id": 42, "data": {"title": title, **data}}
    return json.dumps(envelope).encode()


def diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["captures", "diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_identical_requests_exit_0(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = store(data_dir, make_capture(body=kardow("A")), make_capture(body=kardow("A")))
    code, out, err = diff(capsys, str(a), str(b))
    assert (code, err) == (0, "")
    assert "The two requests are identical." in out
    assert f"A #{a}  POST /hooks/kardow HTTP/1.1" in out
    assert f"B #{b}  POST /hooks/kardow HTTP/1.1" in out


def test_different_requests_exit_1_and_show_each_difference(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_headers = (*JSON, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
    b_headers = (*JSON, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=3"), ("X-Retry", "1"))
    a, b = store(
        data_dir,
        make_capture(
            headers=a_headers,
            body=kardow("A", count=1),
            verdict=Verdict("verified", "Matches prod.", "kardow", "job.updated"),
        ),
        make_capture(
            headers=b_headers,
            path="/hooks/other",
            body=kardow("B", count="1"),
            verdict=Verdict("failed", "No stored secret matches.", "kardow", "job.updated"),
        ),
    )
    code, out, _ = diff(capsys, str(a), str(b))
    assert code == 1
    assert "The requests differ in the request line, 2 headers and the body." in out
    assert "  ~ path: /hooks/kardow -> /hooks/other" in out
    assert "  ~ Set-Cookie (#2): b=2 -> b=3" in out
    assert "  + X-Retry: 1" in out
    assert '  ~ data.title: "A" -> "B"' in out
    assert '  ~ data.count: 1 -> "1"  (number -> string)' in out
    assert "  A verified   Matches prod." in out
    assert "  B failed     No stored secret matches." in out


def test_json_output_has_the_documented_shape(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = store(data_dir, make_capture(body=kardow("A")), make_capture(body=kardow("B")))
    code, out, _ = diff(capsys, str(a), str(b), "--json")
    assert code == 1
    shape = json.loads(out)
    assert shape["identical"] is False
    assert (shape["a"]["id"], shape["b"]["id"]) == (a, b)
    assert shape["a"]["verdict"] == "n/a"
    assert shape["headers"] == []
    assert shape["body"]["mode"] == "json"
    assert shape["body"]["changes"] == [
        {
            "change": "changed",
            "path": "data.title",
            "a": '"A"',
            "b": '"B"',
            "a_type": "string",
            "b_type": "string",
        }
    ]


def test_a_missing_capture_is_one_sentence_and_exit_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (a,) = store(data_dir, make_capture())
    code, out, err = diff(capsys, str(a), "999")
    assert (code, out) == (2, "")
    assert err == "hookscope: No capture with id 999.\n"
    code, _, err = diff(capsys, "998", "999")
    assert (code, err) == (2, "hookscope: No capture with id 998 or 999.\n")


def test_a_bad_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["captures", "diff", "1", "x"])
    assert exited.value.code == 2
    assert "'x' is not a whole number" in capsys.readouterr().err


def test_control_characters_never_reach_the_terminal(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (("Content-Type", "text/plain"),)
    a, b = store(
        data_dir,
        make_capture(headers=text, body=b"line one\n"),
        make_capture(headers=text, body=b"line \x1b]0;pwned\x07 two\n"),
    )
    code, out, _ = diff(capsys, str(a), str(b))
    assert code == 1
    assert "\x1b" not in out
    assert "\\x1b]0;pwned\\x07" in out
