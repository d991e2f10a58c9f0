"""`hookscope targets`, `fire`, `replay`, `deliveries` and `captures export`, as users run them."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookscope.cli import main
from tests.integration.conftest import Serve, http, wait_for
from tests.integration.receiver import Receiver, running_receiver

SECRET = "cli-secret-0123456789"
pytestmark = pytest.mark.usefixtures("data_dir")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def add_target(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, "targets", "add", "--json", *argv)
    assert code == 0, err
    return str(json.loads(out)["id"])


class TestTargets:
    def test_add_list_disable_enable_remove(self, capsys: pytest.CaptureFixture[str]) -> None:
        target_id = add_target(
            capsys, "--event", "job.created", "--type", "webhook", "--url",
            "https://example.com/h", "--secret", SECRET,
        )  # fmt: skip
        _, out, _ = run(capsys, "targets", "list", "--json")
        (listed,) = json.loads(out)
        assert listed["id"] == target_id
        assert listed["has_secret"] is True
        assert "secret" not in listed
        assert run(capsys, "targets", "disable", target_id[:6])[0] == 0
        assert json.loads(run(capsys, "targets", "list", "--json")[1])[0]["is_enabled"] is False
        assert run(capsys, "targets", "enable", target_id)[0] == 0
        assert json.loads(run(capsys, "targets", "list", "--json")[1])[0]["is_enabled"] is True
        _code, out, _ = run(capsys, "targets", "list")
        assert target_id in out
        assert "https://example.com/h" in out
        assert run(capsys, "targets", "remove", target_id)[0] == 0
        assert "No targets" in run(capsys, "targets", "list")[1]

    def test_adding_the_same_target_twice_keeps_one(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        args = ("--event", "*", "--type", "slack", "--url", "https://hooks.example/s")
        assert add_target(capsys, *args) == add_target(capsys, *args)
        _code, out, _ = run(capsys, "targets", "add", *args)
        assert "already exists" in out

    def test_adding_it_again_with_another_secret_says_the_secret_was_kept(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        args = ("--event", "*", "--type", "webhook", "--url", "https://hooks.example/w")
        run(capsys, "targets", "add", *args, "--secret", "first-secret-0123456")
        code, out, err = run(capsys, "targets", "add", *args, "--secret", "other-secret-0123456")
        assert code == 0
        assert "already exists (unchanged)" in out
        assert "it keeps its secret; the one given was not stored" in err

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--event", "job.nope", "--type", "webhook", "--url", "https://e.x/"], "--event"),
            (["--event", "*", "--type", "webhook", "--url", "e.x/hook"], "--url must be an"),
            (["--event", "*", "--type", "webhook", "--url", "https://e.x/", "--secret", "x"],
             "--secret must be at least 16"),
        ],
    )  # fmt: skip
    def test_invalid_targets_are_one_sentence_and_exit_1(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        code, _out, err = run(capsys, "targets", "add", *argv)
        assert code == 1
        assert message in err
        assert json.loads(run(capsys, "targets", "list", "--json")[1]) == []

    @pytest.mark.parametrize("verb", ["remove", "enable", "disable"])
    def test_an_unknown_id_is_explained(
        self, capsys: pytest.CaptureFixture[str], verb: str
    ) -> None:
        code, _, err = run(capsys, "targets", verb, "deadbeef")
        assert code == 1
        assert "No target has the id deadbeef" in err


class TestFire:
    def test_fire_kardow_sends_the_template_signed_and_logs_it(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver
    ) -> None:
        add_target(
            capsys, "--event", "job.created", "--type", "webhook", "--url",
            receiver.url("/ok/cli"), "--secret", SECRET,
        )  # fmt: skip
        code, out, err = run(capsys, "fire", "kardow", "job.created", "--org-id", "7")
        assert code == 0, err
        assert "delivered (200)" in out
        (got,) = receiver.of("/ok/cli")
        body = json.loads(got.body)
        assert body["organization_id"] == 7
        assert body["data"]["job_id"]
        assert "{{" not in got.body.decode()
        expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.header("X-Kardow-Signature") == expected
        code, out, _ = run(capsys, "deliveries", "list", "--json")
        (attempt,) = json.loads(out)
        assert attempt["status"] == 200
        assert attempt["request_body"] == got.body.decode()
        assert run(capsys, "deliveries", "show", str(attempt["id"]))[1].startswith("Attempt ")

    def test_two_fires_have_fresh_ids_and_timestamps(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver
    ) -> None:
        add_target(capsys, "--event", "*", "--type", "webhook", "--url", receiver.url("/ok/2"))
        for _ in range(2):
            assert run(capsys, "fire", "kardow", "application.received")[0] == 0
        first, second = (json.loads(r.body) for r in receiver.of("/ok/2"))
        assert first["data"]["application_id"] != second["data"]["application_id"]
        assert first["timestamp"] <= second["timestamp"]

    def test_data_from_a_file_with_placeholders(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver, tmp_path: Path
    ) -> None:
        add_target(capsys, "--event", "*", "--type", "webhook", "--url", receiver.url("/ok/f"))
        data = tmp_path / "data.json"
        data.write_text('{"job_id": "{{uuid}}", "title": "Café ☕", "n": "{{int}}"}')
        assert run(capsys, "fire", "kardow", "job.updated", "--data", str(data))[0] == 0
        sent = json.loads(receiver.of("/ok/f")[0].body)["data"]
        assert sent["title"] == "Café ☕"
        assert len(sent["job_id"]) == 36
        assert isinstance(sent["n"], int)

    def test_dry_run_prints_the_exact_request_and_sends_nothing(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver
    ) -> None:
        add_target(
            capsys, "--event", "*", "--type", "webhook", "--url", receiver.url("/ok/dry"),
            "--secret", SECRET,
        )  # fmt: skip
        code, out, _ = run(capsys, "fire", "kardow", "job.deleted", "--dry-run")
        assert code == 0
        assert f"POST {receiver.url('/ok/dry')}" in out
        assert "X-Kardow-Signature: " in out
        assert f"Host: 127.0.0.1:{receiver.port}" in out
        assert (
            "# Made as it is sent (shown here with sample values): the envelope's timestamp,"
            " {{uuid}} and X-Kardow-Signature.\n"
        ) in out
        assert receiver.received == []

    def test_failures_exit_1_and_name_the_fire(
        self, capsys: pytest.CaptureFixture[str], receiver: Receiver
    ) -> None:
        add_target(capsys, "--event", "*", "--type", "webhook", "--url", receiver.url("/ok/y"))
        add_target(
            capsys, "--event", "*", "--type", "webhook", "--url", receiver.url("/status/500")
        )
        code, out, err = run(capsys, "fire", "kardow", "user.created", "--timeout", "2")
        assert code == 1
        assert "HTTP 500" in out
        assert "1 of 2 deliveries failed" in err

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["fire", "kardow", "job.exploded"], "Unknown Kardow event"),
            (["fire", "kardow", "job.created"], "No enabled target is subscribed"),
            (["fire", "kardow", "job.created", "--data", "missing.json"], "Cannot read"),
            (["fire", "kudoz", "job_application", "--to", "http://127.0.0.1:9/",
              "--credential", "nope"], "No Kudoz secret is called 'nope'"),
            (["fire", "kudoz", "offer", "--to", "http://x.example/", "--credential", "c"],
             "Unknown Kudoz kind"),
            (["replay", "999", "--to", "http://127.0.0.1:9/"], "There is no capture 999"),
            (["replay", "1", "--to", "not a url"], "replay URL"),
        ],
    )  # fmt: skip
    def test_mistakes_are_one_sentence(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        if argv[0] == "replay" and argv[1] == "1":
            from tests.conftest import make_capture
            from tests.unit.test_cli import store

            store(Path(__import__("os").environ["HOOKSCOPE_DATA_DIR"]), make_capture())
        code, _, err = run(capsys, *argv)
        assert code == 1
        assert message in err

    def test_broken_data_json_is_explained(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        bad = tmp_path / "bad.json"
        bad.write_text("{nope")
        code, _, err = run(capsys, "fire", "kardow", "job.created", "--data", str(bad))
        assert code == 1
        assert "is not valid JSON" in err
        bad.write_text("[1]")
        assert (
            "must hold a JSON object"
            in run(capsys, "fire", "kardow", "job.created", "--data", str(bad))[2]
        )

    @pytest.mark.parametrize("flag", ["--retries=-1", "--timeout=0", "--connect-timeout=abc"])
    def test_bad_policy_flags_are_usage_errors(
        self, capsys: pytest.CaptureFixture[str], flag: str
    ) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["fire", "kardow", "job.created", flag])
        assert exited.value.code == 2


@pytest.mark.slow
def test_serve_runs_the_emulator_with_its_key_and_fires_land_verified(
    data_dir: Path, serve: type[Serve], capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    api_port = probe.getsockname()[1]
    probe.close()
    child = serve("--port", "0", "--api-port", str(api_port), "--api-key", "kd_serve-key-1")
    assert child.first_line.startswith("listening on http://127.0.0.1:")
    assert child.process.stdout is not None
    assert child.process.stdout.readline().strip() == f"kardow api on http://127.0.0.1:{api_port}"
    register = json.dumps(
        {
            "event": "*",
            "target_type": "webhook",
            "target_url": f"http://127.0.0.1:{child.port}/kardow",
            "secret": SECRET,
        }
    ).encode()
    headers = [("Content-Type", "application/json"), ("x-api-key", "kd_serve-key-1")]
    assert http(api_port, "POST", "/webhooks", headers, register).status == 201
    assert http(api_port, "POST", "/webhooks", headers[:1], register).status == 401

    code, _out, err = run(capsys, "fire", "kardow", "payment.received")
    assert code == 0, err
    listed = wait_for(lambda: json.loads(run(capsys, "captures", "list", "--json")[1]), 5)
    assert [(c["event"], c["verdict"]) for c in listed] == [("payment.received", "verified")]
    assert child.stop() == 0


def test_replay_and_export_from_the_command_line(
    capsys: pytest.CaptureFixture[str], receiver: Receiver, data_dir: Path, tmp_path: Path
) -> None:
    from tests.conftest import make_capture
    from tests.unit.test_cli import store

    (capture_id,) = store(
        data_dir,
        make_capture(headers=(("Host", "hooks.example"), ("X-Kardow-Signature", "0" * 64))),
    )
    assert run(capsys, "secrets", "add", "kardow", "main", "--secret", SECRET)[0] == 0
    assert run(capsys, "replay", str(capture_id), "--to", receiver.url("/ok/r"))[0] == 0
    assert run(capsys, "replay", str(capture_id), "--to", receiver.url("/ok/r"), "--resign")[0] == 0
    as_is, resigned = receiver.of("/ok/r")
    assert as_is.body == resigned.body == make_capture().body
    assert as_is.header("X-Kardow-Signature") == "0" * 64
    assert resigned.header("X-Kardow-Signature") == (
        hmac.new(SECRET.encode(), as_is.body, hashlib.sha256).hexdigest()
    )
    assert resigned.header("X-Hookscope-Replay-Of") == str(capture_id)

    out_file = tmp_path / "captures.har"
    assert run(capsys, "captures", "export", "--format", "har", "--out", str(out_file))[0] == 0
    har = json.loads(out_file.read_text())
    assert [e["_hookscope"]["id"] for e in har["log"]["entries"]] == [capture_id]
    code, out, _ = run(capsys, "captures", "export", "--format", "ndjson", str(capture_id))
    assert json.loads(out.splitlines()[0])["id"] == capture_id
    code, out, _ = run(capsys, "captures", "export", "--format", "curl", "--base-url",
                       receiver.url(""))  # fmt: skip
    assert f"curl -sS -X POST '{receiver.url('/hooks/kardow')}'" in out
    code, _, err = run(capsys, "captures", "export", "--format", "curl", "12345")
    assert code == 1
    assert "No capture with id 12345" in err


# `{"x": "\ud800"}`: JSON allows the escape; json.loads makes a lone surrogate of it.
LONE_SURROGATE_DATA = '{"x": "\\ud800", "y": "café"}'


def test_fire_sends_a_lone_surrogate_as_its_escape_and_signs_those_bytes(
    capsys: pytest.CaptureFixture[str], receiver: Receiver, tmp_path: Path
) -> None:
    add_target(
        capsys, "--event", "*", "--type", "webhook", "--url", receiver.url("/ok/lone"),
        "--secret", SECRET,
    )  # fmt: skip
    data = tmp_path / "data.json"
    data.write_text(LONE_SURROGATE_DATA, encoding="utf-8")
    code, out, err = run(capsys, "fire", "kardow", "job.created", "--data", str(data))

    assert code == 0, err
    assert "delivered (200)" in out
    (got,) = receiver.of("/ok/lone")
    assert b'"data":{"x":"\\ud800","y":"caf\xc3\xa9"}' in got.body
    assert json.loads(got.body)["data"] == json.loads(LONE_SURROGATE_DATA)
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.header("X-Kardow-Signature") == expected


def test_replay_with_data_holding_a_lone_surrogate_sends_it(
    capsys: pytest.CaptureFixture[str], receiver: Receiver, data_dir: Path, tmp_path: Path
) -> None:
    from tests.conftest import make_capture
    from tests.unit.test_cli import store

    (capture_id,) = store(data_dir, make_capture())
    data = tmp_path / "data.json"
    data.write_text(LONE_SURROGATE_DATA, encoding="utf-8")
    code, _, err = run(
        capsys, "replay", str(capture_id), "--to", receiver.url("/ok/rl"), "--data", str(data)
    )

    assert code == 0, err
    (got,) = receiver.of("/ok/rl")
    assert json.loads(got.body) == json.loads(LONE_SURROGATE_DATA)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{nope", "is not valid JSON: Expecting property name enclosed in double quotes"),
        (b"", "is empty"),
        (b'{"x": "\xff"}', "is not UTF-8 text (byte 0xff at offset 7)"),
        (b'{"x": NaN}', "is not valid JSON: NaN is not a JSON value"),
        (b'{"x": ' + b"1" * 5000 + b"}", "is not valid JSON: Exceeds the limit"),
        (b"[" * 100_000, "is nested more than 100 levels deep"),
        (b'{"a": ' * 500 + b"1" + b"}" * 500, "is nested more than 100 levels deep"),
        (b"[1]", "--data must hold a JSON object"),
    ],
    ids=["broken", "empty", "not-utf8", "nan", "long-int", "deep", "deep-loadable", "list"],
)
@pytest.mark.parametrize("command", ["fire", "replay"])
def test_bad_data_files_are_one_sentence(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
    content: bytes,
    message: str,
) -> None:
    data = tmp_path / "data.json"
    data.write_bytes(content)
    argv = ["fire", "kardow", "job.created"] if command == "fire" else ["replay", "1", "--to"]
    if command == "replay":
        argv.append("http://127.0.0.1:9/")
    code, _, err = run(capsys, *argv, "--data", str(data))

    assert code == 1
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("kind", ["directory", "missing", "huge"])
def test_data_paths_that_are_no_usable_file_are_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    path = tmp_path / kind
    if kind == "directory":
        path.mkdir()
    elif kind == "huge":
        with path.open("wb") as handle:  # sparse: no disk used, still read as 26 MB
            handle.truncate(26 * 1024 * 1024)
    code, _, err = run(capsys, "fire", "kardow", "job.created", "--data", str(path))

    assert code == 1
    expected = {
        "directory": "Is a directory",
        "missing": "No such file or directory",
        "huge": "is over the 25 MB limit for --data",
    }[kind]
    assert expected in err
    assert err.count("\n") == 1
