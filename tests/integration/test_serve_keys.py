"""`hookscope serve` takes emulator keys from a file or the environment, out of `ps`'s sight."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Serve, http

pytestmark = pytest.mark.slow

StartServe = Callable[..., Serve]
REGISTER = json.dumps(
    {"event": "*", "target_type": "slack", "target_url": "https://hooks.example/s"}
).encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def start_with_api(serve: StartServe, *args: str) -> tuple[Serve, int]:
    """`serve` with the emulator on a free port; returns once both listeners are up."""
    api_port = free_port()
    child = serve("--port", "0", "--api-port", str(api_port), *args)
    assert child.first_line.startswith("listening on "), child.stderr()
    assert child.process.stdout is not None
    assert child.process.stdout.readline().strip() == f"kardow api on http://127.0.0.1:{api_port}"
    return child, api_port


def register(api_port: int, key: str) -> int:
    headers = [("Content-Type", "application/json"), ("x-api-key", key)]
    return http(api_port, "POST", "/webhooks", headers, REGISTER).status


def test_keys_from_a_file_are_accepted_and_stay_out_of_the_command_line(
    serve: StartServe, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("# keys for the local emulator\n\nkd_file-key-one\n   kd_file-key-two  \r\n")
    child, api_port = start_with_api(serve, "--api-key-file", str(keys))

    assert register(api_port, "kd_file-key-one") == 201
    assert register(api_port, "kd_file-key-two") == 200  # the same subscription again
    assert register(api_port, "# keys for the local emulator") == 401
    assert register(api_port, "kd_not-in-the-file") == 401
    cmdline = Path(f"/proc/{child.process.pid}/cmdline")
    if cmdline.exists():  # what `ps` shows, on Linux
        assert b"kd_file-key" not in cmdline.read_bytes()
    assert child.stop() == 0


def test_keys_from_the_environment_are_accepted(
    serve: StartServe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKSCOPE_API_KEYS", "kd_env-key-one, kd_env-key-two\tkd_env-key-3,")
    _child, api_port = start_with_api(serve, "--api-key", "kd_flag-key-0")

    assert [register(api_port, key) for key in ("kd_env-key-one", "kd_env-key-two")] == [201, 200]
    assert register(api_port, "kd_env-key-3") == 200
    assert register(api_port, "kd_flag-key-0") == 200
    assert register(api_port, "kd_env-key-one, kd_env-key-two") == 401


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read the API key file {path}: No such file or directory."),
        ("dir", "Cannot read the API key file {path}: Is a directory."),
        (b"", "The API key file {path} holds no key: put one a line (# starts a comment)."),
        (b"# only a comment\n\n  \n", "The API key file {path} holds no key"),
        (
            b"kd_good-key-1\nkd bad key\n",
            "An API key must not contain spaces or control characters (it travels in a header)"
            " (line 2 of {path}).",
        ),
        (b"kd_caf\xe9\n", "An API key must be ASCII (it travels in a header) (line 1 of {path})."),
    ],
    ids=["missing", "directory", "empty", "comments-only", "space", "not-utf8"],
)
def test_an_unusable_key_file_is_one_sentence(
    data_dir: Path, tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "keys.txt"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "hookscope", "serve", "--data-dir", str(data_dir),
         "--port", "0", "--api-key-file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"hookscope: {message.format(path=path)}")
    assert result.stderr.count("\n") == 1


def test_a_bad_key_in_the_environment_names_the_variable(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKSCOPE_API_KEYS", "kd_fine-key-1 kd_é")
    result = subprocess.run(
        [sys.executable, "-m", "hookscope", "serve", "--data-dir", str(data_dir), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr == (
        "hookscope: An API key must be ASCII (it travels in a header) ($HOOKSCOPE_API_KEYS).\n"
    )
