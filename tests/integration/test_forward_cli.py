"""`hookscope forward` and `serve --forward-to`, as users run them (and kill them)."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hookscope.cli import main
from tests.conftest import running_engine
from tests.integration.apps import App, free_port, kardow_signature, running_app
from tests.integration.conftest import Serve, hookscope, http, listener_port, wait_for

SECRET = "the-senders-secret-0123"
EVENT = b'{"event":"job.created","organization_id":42,"data":{"id":7}}'
pytestmark = pytest.mark.usefixtures("data_dir")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def app() -> Iterator[App]:
    with running_app(SECRET) as running:
        yield running


def signed(port: int, path: str) -> int:
    headers = [("X-Kardow-Signature", kardow_signature(SECRET, EVENT))]
    reply = http(port, "POST", path, headers, EVENT)
    assert reply.status == 200, reply
    return int(reply.json()["capture_id"])


def show(data_dir: Path, capture_id: int) -> dict[str, Any]:
    """`captures show ID --json` (in this process: the children are the servers)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            main(["captures", "show", str(capture_id), "--json", "--data-dir", str(data_dir)]) == 0
        )
    return dict(json.loads(out.getvalue()))


class TestRules:
    def test_add_list_remove(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(
            capsys, "forward", "add", "/kardow/*", "http://localhost:3000/hooks",
            "--mode", "proxy", "--provider", "kardow", "--event", "job.*",
            "--strip-prefix", "/kardow",
        )  # fmt: skip
        assert code == 0
        assert out == "forward rule 1 added: /kardow/* -> http://localhost:3000/hooks (proxy)\n"
        _, out, _ = run(capsys, "forward", "list", "--json")
        assert json.loads(out) == [
            {
                "id": 1,
                "position": 0,
                "pattern": "/kardow/*",
                "url": "http://localhost:3000/hooks",
                "mode": "proxy",
                "provider": "kardow",
                "event": "job.*",
                "strip_prefix": "/kardow",
                "resign": None,
                "enabled": True,
            }
        ]
        _, out, _ = run(capsys, "forward", "list")
        assert "proxy /kardow/* -> http://localhost:3000/hooks" in out
        assert "provider kardow, event job.*, strip /kardow" in out
        assert run(capsys, "forward", "remove", "1")[:2] == (0, "forward rule 1 removed\n")
        assert "No forward rules" in run(capsys, "forward", "list")[1]
        code, _, err = run(capsys, "forward", "remove", "1")
        assert (code, err) == (1, "hookscope: No forward rule with id 1.\n")

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["ftp://x/"], "The forward URL must use http or https, not ftp."),
            (["http://x/", "--mode", "mirror"], "Unknown mode 'mirror'; use async or proxy."),
            (["http://x/", "--resign", "local"], "No secret is called 'local' (none is stored)."),
            (["http://x/", "--provider", "acme"], "Unknown provider 'acme'; use one of kardow,"),
            (["http://x/", "--strip-prefix", "k"], "The prefix to strip must start with /"),
        ],
    )
    def test_bad_arguments_are_one_sentence_and_exit_2(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        code, out, err = run(capsys, "forward", "add", "*", *argv)
        assert code == 2
        assert out == ""
        assert err.startswith(f"hookscope: error: {message}")
        assert err.count("\n") == 1

    def test_re_signing_needs_a_secret_of_the_rules_provider(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert run(capsys, "secrets", "add", "kardow", "local", "--secret", "s" * 20)[0] == 0
        code, _, err = run(
            capsys, "forward", "add", "*", "http://x/", "--resign", "local", "--provider", "kudoz"
        )
        assert code == 2
        assert "The secret 'local' is a kardow secret, but the rule forwards kudoz" in err
        assert run(capsys, "forward", "add", "*", "http://x/", "--resign", "local")[0] == 0

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            ([], "Give forward ids to send again, or --failed (not both)."),
            (["3", "--failed"], "Give forward ids to send again, or --failed (not both)."),
            (["3", "--since", "2h"], "--since and --until go with --failed."),
        ],
    )
    def test_retry_needs_ids_or_failed(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        assert run(capsys, "forward", "retry", *argv)[::2] == (2, f"hookscope: error: {message}\n")

    def test_a_time_that_is_not_one_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["forward", "retry", "--failed", "--since", "yesterday"])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "argument --since: 'yesterday' is not a time: use 2h, 3d, 45m (ago) or an" in err

    def test_retrying_an_unknown_forward_says_so(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert run(capsys, "forward", "retry", "5")[::2] == (
            1,
            "hookscope: There is no forward 5.\n",
        )

    def test_serve_refuses_a_bad_forward_to(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "serve", "--port", "0", "--forward-to", "localhost:3000")
        assert code == 2
        assert err == (
            "hookscope: error: The --forward-to URL 'localhost:3000' must use http or https,"
            " not localhost.\n"
        )


@pytest.mark.slow
def test_serve_forwards_by_a_rule_added_beside_it_and_shows_the_answer(
    serve: Callable[..., Serve], data_dir: Path, app: App
) -> None:
    server = serve("--port", "0")
    added = hookscope(data_dir, "forward", "add", "/k/*", app.url("/app"), "--strip-prefix", "/k")
    assert added.returncode == 0, added.stderr

    def forwarded() -> tuple[int, list[dict[str, Any]]] | None:
        capture_id = signed(server.port, "/k/x")  # the running serve reloads the rules itself
        found = wait_for(lambda: show(data_dir, capture_id)["forwards"], timeout=1)
        return (capture_id, found) if found else None

    capture_id, (forward,) = wait_for(forwarded, timeout=15)
    assert forward["url"] == app.url("/app/x")
    assert forward["mode"] == "async"
    assert forward["status"] == 200
    assert forward["state"] == "delivered"
    assert forward["error"] is None
    assert forward["latency_ms"] > 0
    text = hookscope(data_dir, "captures", "show", str(capture_id)).stdout
    assert f"Forward {forward['id']}: forwarded to {app.url('/app/x')}: delivered (200) in" in text
    assert server.stop() == 0


@pytest.mark.slow
def test_serve_forward_to_is_for_the_run_only(
    serve: Callable[..., Serve], data_dir: Path, app: App
) -> None:
    server = serve("--port", "0", "--forward-to", app.url())
    capture_id = signed(server.port, "/anything")
    assert wait_for(lambda: show(data_dir, capture_id)["forwards"][0]["status"] == 200, 10)
    assert server.stop() == 0
    assert "forwarding every capture to" in server.stderr()
    listed = hookscope(data_dir, "forward", "list", "--json")
    assert json.loads(listed.stdout) == []


def unanswered(port: int, path: str) -> None:
    with contextlib.suppress(OSError):  # the connection dies with the server
        http(port, "POST", path, body=b"{}")
        raise AssertionError("a proxied request was answered while the app held it")


@pytest.mark.slow
def test_killed_while_forwards_are_in_flight_nothing_acknowledged_is_lost(
    serve: Callable[..., Serve], data_dir: Path
) -> None:
    port = free_port()
    slow = f"http://127.0.0.1:{port}/slow"
    for argv in (["/async/*", slow], ["/proxy/*", slow, "--mode", "proxy"]):
        assert hookscope(data_dir, "forward", "add", *argv).returncode == 0
    with running_app(SECRET, port) as app:  # holds every forward open until released
        server = serve("--port", "0")
        acknowledged = [signed(server.port, f"/async/{n}") for n in range(5)]
        proxied = threading.Thread(  # never answered: the app holds it, then serve dies
            target=unanswered, args=(server.port, "/proxy/1"), daemon=True
        )
        proxied.start()
        assert wait_for(lambda: len(app.requests()) == 6, timeout=10), app.requests()
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        proxied.join(10)

    # Every acknowledged capture is stored; each forward shows as not sent yet.
    for capture_id in acknowledged:
        capture = show(data_dir, capture_id)
        assert capture["response_status"] == 200
        (forward,) = capture["forwards"]
        assert (forward["state"], forward["status"], forward["mode"]) == (
            "not sent yet",
            None,
            "async",
        )
    (proxy_id,) = set(range(1, 7)) - set(acknowledged)
    proxy = show(data_dir, proxy_id)
    assert proxy["response"] is None  # the sender got no answer, and none is claimed
    assert proxy["forwards"][0]["state"] == "not sent yet"

    # A new run sends the background ones again by itself; the proxied one waits for a retry.
    with running_app(SECRET, port) as app:
        app.release.set()
        server = serve("--port", "0")
        for capture_id in acknowledged:
            assert wait_for(lambda c=capture_id: show(data_dir, c)["forwards"][0]["status"], 15)
        assert sorted(r.path for r in app.requests()) == [f"/slow/async/{n}" for n in range(5)]
        retried = hookscope(data_dir, "forward", "retry", "--failed", "--since", "1h")
        assert retried.returncode == 0, retried.stderr
        assert retried.stdout.startswith(f"forward {proxy['forwards'][0]['id']}: ok")
        assert server.stop() == 0


def test_retry_sends_failed_forwards_again_and_says_what_failed_again(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    port = free_port()
    assert run(capsys, "forward", "add", "*", f"http://127.0.0.1:{port}")[0] == 0
    with running_engine(data_dir) as engine:
        capture_id = signed(listener_port(engine), "/hook")
        assert wait_for(lambda: show(data_dir, capture_id)["forwards"][0]["state"] == "failed")
    capsys.readouterr()

    code, out, err = run(capsys, "forward", "retry", "1")
    assert code == 1
    assert out.startswith("forward 1: FAIL forward ")
    assert "connection refused" in out
    assert err == "hookscope: 1 of 1 forwards failed again.\n"

    with running_app(SECRET, port):
        code, out, _ = run(capsys, "forward", "retry", "--failed", "--since", "1h", "--json")
    assert code == 0
    (attempt,) = json.loads(out)
    assert (attempt["ok"], attempt["status"], attempt["kind"]) == (True, 200, "forward")
    assert attempt["replay_of"] == capture_id
    assert run(capsys, "forward", "retry", "--failed")[1] == "No failed forwards to send again.\n"
