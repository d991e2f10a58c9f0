"""`hookscope captures show ID --view pretty|raw|hex`: the same views the window shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookscope.cli import main
from tests.conftest import make_capture
from tests.unit.test_cli import store


def show(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["captures", "show", *args]) == 0
    return capsys.readouterr().out


def test_pretty_indents_a_json_body(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (capture_id,) = store(data_dir, make_capture(body=b'{"event":"job.created","data":{"id":7}}'))
    out = show(data_dir, capsys, str(capture_id), "--view", "pretty")
    assert '{\n  "event": "job.created",\n  "data": {\n    "id": 7\n  }\n}' in out


def test_pretty_decodes_a_form_body(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    headers = (("Content-Type", "application/x-www-form-urlencoded"),)
    body = b"name=Ada+Lovelace&role=engineer%20%26%20poet&empty="
    (capture_id,) = store(data_dir, make_capture(headers=headers, body=body))
    out = show(data_dir, capsys, str(capture_id), "--view", "pretty")
    assert "name = Ada Lovelace\nrole = engineer & poet\nempty = " in out


def test_hex_dumps_the_bytes(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (capture_id,) = store(data_dir, make_capture(body=bytes(range(20))))
    out = show(data_dir, capsys, str(capture_id), "--view", "hex")
    assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|" in out
    assert "00000010  10 11 12 13" in out


def test_raw_shows_the_body_as_received(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (capture_id,) = store(data_dir, make_capture(body=b'{"compact":true}'))
    assert '{"compact":true}' in show(data_dir, capsys, str(capture_id), "--view", "raw")


def test_a_25_mb_body_is_shown_bounded_and_says_so(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.dumps({"blob": ["x" * 100] * 250_000}).encode()
    assert len(body) > 25_000_000
    (capture_id,) = store(data_dir, make_capture(body=body))
    for view, bound in (("pretty", 1_200_000), ("raw", 1_200_000), ("hex", 400_000)):
        out = show(data_dir, capsys, str(capture_id), "--view", view)
        assert len(out) < bound, view
        assert "`--body` writes all of it" in out


def test_views_never_send_control_characters_to_the_terminal(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An escape sequence in a header or a body could retitle the terminal or fake a prompt.
    headers = (("X-Evil", "\x1b]0;pwned\x07\x1b[2J"),)
    (capture_id,) = store(data_dir, make_capture(headers=headers, body=b"a\x1b[31mred\x9b"))
    for args in ((), ("--view", "raw"), ("--view", "pretty")):
        out = show(data_dir, capsys, str(capture_id), *args)
        assert "\x1b" not in out
        assert "\x07" not in out
        assert "\\x1b]0;pwned" in out


def test_a_view_name_that_does_not_exist_is_a_usage_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["captures", "show", "1", "--view", "tree"])
    assert exit_.value.code == 2
    assert "invalid choice: 'tree'" in capsys.readouterr().err


def test_timeouts_the_settings_refuse_are_refused_by_the_cli_with_the_same_sentence(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fire", "kardow", "job.created", "--timeout", "1", "--connect-timeout", "5"])
    assert code == 1
    err = capsys.readouterr().err
    assert "The total timeout (1 s) must be at least the connect timeout (5 s)" in err
