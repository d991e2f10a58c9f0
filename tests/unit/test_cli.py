"""The `hookscope` command in-process: its contract (docs/architecture.md), exit codes, messages."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest

from hookscope import __version__
from hookscope.cli import main
from hookscope.core.model import DEFAULT_RULE, Capture, Verdict
from hookscope.core.rules import render
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store
from hookscope.storage.writer import CaptureWriter
from tests.conftest import make_capture


def store(directory: Path, *captures: Capture) -> list[int]:
    """Commit captures through the real writer, as `serve` does; return their ids."""
    writer = CaptureWriter(directory)
    writer.start()
    try:

        async def submit_all() -> list[int]:
            futures = [writer.submit(capture, DEFAULT_RULE) for capture in captures]
            results = await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
            return [result.id for result in results]

        return asyncio.run(submit_all())
    finally:
        writer.close()


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run a command that must be refused by argument parsing; return its stderr."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert "hookscope: error:" in err
    return err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"hookscope {__version__}\n"


# -- user mistakes in arguments: exit 2, a message, no traceback --------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--port", "70000"], "70000 is not a port number"),
        (["serve", "--port", "-1"], "is not a port number"),
        (["serve", "--port", "abc"], "'abc' is not a port number"),
        (["captures", "show", "abc"], "'abc' is not a whole number"),
        (["captures", "show", "0"], "0 must be 1 or more"),
        (["captures", "list", "--limit", "0"], "0 must be 1 or more"),
        (["captures", "list", "--limit", "ten"], "'ten' is not a whole number"),
        (["captures", "show", "1", "--json", "--body"], "not allowed with"),
        (["captures"], "required"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["captures", "frobnicate"], "invalid choice: 'frobnicate'"),
        (["rules", "add", "*", "--status", "ok"], "invalid int value: 'ok'"),
        (["rules", "remove", "x"], "'x' is not a whole number"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    assert says in usage_error(argv, capsys)
    assert not data_dir.exists()  # refused before touching the store


# -- captures -----------------------------------------------------------------------------------


def test_show_unknown_capture(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["captures", "show", "999"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "hookscope: No capture with id 999.\n"


def test_list_empty_store(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["captures", "list"]) == 0
    assert capsys.readouterr().out == "No captures.\n"


def test_list_with_a_filter_matching_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store(data_dir, make_capture())
    assert main(["captures", "list", "--provider", "kudoz"]) == 0
    assert capsys.readouterr().out == "No captures match.\n"


def test_list_json_empty_store(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["captures", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_list_shows_captures_newest_first(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = store(
        data_dir, make_capture(path="/first"), make_capture(path="/second", query="x=1")
    )
    assert main(["captures", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = ["ID", "RECEIVED", "(UTC)", "METHOD", "STATUS", "SIZE", "PROVIDER", "EVENT"]
    header += ["VERDICT", "PATH"]
    assert lines[0].split() == header
    assert lines[1].split()[0] == str(second)
    assert lines[1].endswith("/second?x=1")
    assert lines[2].split()[0] == str(first)
    assert lines[2].endswith("/first")
    assert len(lines) == 3


def test_list_json_contract(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kardow = Verdict("verified", "Signature matches 'prod'.", "kardow", "job.created")
    first, second = store(
        data_dir,
        make_capture(verdict=kardow, body=b"12345"),
        make_capture(method="GET", path="/ping", query="a=b", body=b""),
    )
    assert main(["captures", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in rows] == [second, first]
    newest, oldest = rows
    assert {
        key: newest[key] for key in ("method", "path", "query", "provider", "event", "verdict")
    } == {
        "method": "GET",
        "path": "/ping",
        "query": "a=b",
        "provider": None,
        "event": None,
        "verdict": "n/a",
    }
    assert oldest["provider"] == "kardow"
    assert oldest["event"] == "job.created"
    assert oldest["verdict_detail"] == "Signature matches 'prod'."
    assert oldest["body_size"] == 5
    assert oldest["response_status"] == 200
    assert oldest["remote"] == "127.0.0.1:50000"
    assert oldest["received_at"].endswith("Z")


def test_list_filters_and_limit(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kardow = Verdict("verified", "ok", "kardow", "job.created")
    a, b, c = store(
        data_dir,
        make_capture(verdict=kardow, body=b"otter"),
        make_capture(body=b"otter"),
        make_capture(method="GET", body=b"badger"),
    )

    def listed(*extra: str) -> list[int]:
        assert main(["captures", "list", "--json", *extra]) == 0
        return [row["id"] for row in json.loads(capsys.readouterr().out)]

    assert listed("--limit", "2") == [c, b]
    assert listed("--provider", "kardow") == [a]
    assert listed("--provider", "none") == [c, b]
    assert listed("--verdict", "verified") == [a]
    assert listed("--method", "get") == [c]
    assert listed("--search", "otter") == [b, a]
    assert listed("--search", '"otter" OR (') == []


def test_data_dir_option_wins_over_the_environment(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    (capture_id,) = store(other, make_capture())
    for argv in (
        ["--data-dir", str(other), "captures", "list", "--json"],
        ["captures", "list", "--json", "--data-dir", str(other)],
    ):
        assert main(argv) == 0
        assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [capture_id]
    assert main(["captures", "list", "--json"]) == 0  # $HOOKSCOPE_DATA_DIR: still empty
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"event": "job.created"}\n',
        "crème brûlée ✓".encode(),
        b"\xff\xfe\x00\x01\r\n\x1a binary",
        bytes(range(256)) * 4096,
    ],
    ids=["empty", "json", "utf8", "binary", "1mb"],
)
def test_show_body_writes_the_exact_bytes(
    data_dir: Path, capsysbinary: pytest.CaptureFixture[bytes], body: bytes
) -> None:
    (capture_id,) = store(data_dir, make_capture(body=body))
    assert main(["captures", "show", str(capture_id), "--body"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == body
    assert err == b""


def test_show_json_keeps_binary_bodies_exact(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"\x00\xffsig\x80"
    headers = (("X-Sig", "a"), ("x-sig", "b"), ("Host", "h"))
    (capture_id,) = store(data_dir, make_capture(body=body, headers=headers))
    assert main(["captures", "show", str(capture_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == capture_id
    assert base64.b64decode(shown["body_base64"]) == body
    assert shown["body_text"] is None
    assert shown["headers"] == [list(pair) for pair in headers]
    assert shown["response"]["status"] == 200
    assert json.loads(shown["response"]["body_text"]) == {"ok": True, "capture_id": capture_id}


def test_show_describes_the_request(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (capture_id,) = store(
        data_dir, make_capture(path="/hooks", query="a=1", headers=(("X-Trace", "abc"),))
    )
    assert main(["captures", "show", str(capture_id)]) == 0
    out = capsys.readouterr().out
    assert "POST /hooks?a=1 HTTP/1.1" in out
    assert "X-Trace: abc" in out
    assert '{"event": "job.created", "organization_id": 42}' in out
    assert "Verdict: n/a" in out


# -- rules --------------------------------------------------------------------------------------


def test_rules_list_empty(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    assert capsys.readouterr().out.startswith("No rules: every request is answered 200")
    assert main(["rules", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_rules_add_list_remove_round_trip(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["rules", "add", "/kardow/*", "--method", "post", "--status", "202"]
    argv += ["--header", "X-Mode: test", "--header", "Retry-After:5"]
    argv += ["--body", '{"id": {capture_id}}', "--delay-ms", "250", "--position", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("rule ")
    assert out.endswith(" added\n")
    rule_id = int(out.split()[1])

    assert main(["rules", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "id": rule_id,
            "position": 2,
            "pattern": "/kardow/*",
            "method": "POST",
            "status": 202,
            "headers": [["X-Mode", "test"], ["Retry-After", "5"]],
            "body": '{"id": {capture_id}}',
            "delay_ms": 250,
            "enabled": True,
        }
    ]
    assert main(["rules", "list"]) == 0
    line = capsys.readouterr().out
    assert "/kardow/*" in line
    assert "POST" in line
    assert "-> 202 after 250 ms" in line

    # What the listener will answer with it.
    db = open_store(data_dir)
    try:
        (saved,) = settings_store.list_rules(db)
    finally:
        db.close()
    assert render(saved, 7).body == b'{"id": 7}'

    assert main(["rules", "remove", str(rule_id)]) == 0
    assert capsys.readouterr().out == f"rule {rule_id} removed\n"
    assert main(["rules", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_rules_add_defaults_answer_like_the_default_rule(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "add", "*"]) == 0
    capsys.readouterr()
    assert main(["rules", "list", "--json"]) == 0
    (rule,) = json.loads(capsys.readouterr().out)
    assert rule["status"] == 200
    assert rule["method"] is None
    assert rule["headers"] == [["Content-Type", "application/json"]]
    assert rule["body"] == DEFAULT_RULE.body


def test_rules_remove_unknown(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "remove", "42"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "hookscope: No rule with id 42.\n"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--status", "700"], "Status 700 is not an HTTP status a rule can answer with (200 to"),
        (["--status", "99"], "Status 99 is not an HTTP status"),
        (["--status", "101"], "Status 101 is informational: the sender would keep waiting"),
        (["--header", "Connection: close"], "Connection describes the connection"),
        (["--header", "X-A: a\x00b"], "'X-A' is not a valid header line"),
        (["--header", "X-\u00e9: v"], "'X-é' is not a valid header line"),
        (["--body", "caf\udce9"], "The body holds text that is not valid Unicode"),
        (["--delay-ms", "-5"], "The delay must be between 0 and 600000 ms."),
        (["--header", "NoColonHere"], "--header 'NoColonHere' is not NAME:VALUE."),
        (["--header", ": value"], "is not a valid header line"),
        (["--header", "X Bad: value"], "'X Bad' is not a valid header line"),
        (["--header", "X-A: one\r\nSet-Cookie: x=1"], "'X-A' is not a valid header line"),
    ],
)
def test_rules_add_refuses_invalid_rules(
    extra: list[str], says: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "add", "*", *extra]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("hookscope: ")
    assert says in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert main(["rules", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was saved


def test_rules_add_refuses_an_empty_pattern(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "add", ""]) == 1
    assert "pattern is empty" in capsys.readouterr().err


# -- the store cannot be opened -----------------------------------------------------------------


def test_unusable_data_dir_is_one_sentence_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["captures", "list", "--data-dir", str(blocker)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("hookscope: Cannot open the data directory")
    assert "Traceback" not in err


def test_backup_writes_a_consistent_copy_and_names_the_key(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    (capture_id,) = store(data_dir, make_capture(body=b'{"backed": "up"}'))
    assert main(["secrets", "add", "kardow", "k", "--secret", "0123456789abcdef"]) == 0
    copy = tmp_path / "backup.db"
    assert main(["backup", str(copy)]) == 0
    out = capsys.readouterr().out
    assert f"store copied to {copy}" in out
    assert "secrets key is not in the copy" in out
    with sqlite3.connect(copy) as raw:
        (body,) = raw.execute("SELECT body FROM captures WHERE id = ?", [capture_id]).fetchone()
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert bytes(body) == b'{"backed": "up"}'
    assert not (tmp_path / "backup.db.part").exists()


def test_backup_refuses_to_overwrite(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store(data_dir, make_capture())
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"precious")
    assert main(["backup", str(existing)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert existing.read_bytes() == b"precious"


def test_backup_of_an_empty_data_dir_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "copy.db"
    assert main(["--data-dir", str(tmp_path / "nothing"), "backup", str(target)]) == 1
    assert "There is no store" in capsys.readouterr().err
    assert not target.exists()


def test_bench_in_a_bundle_says_why_it_cannot_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert main(["bench"]) == 1
    assert "pip or pipx install" in capsys.readouterr().err
