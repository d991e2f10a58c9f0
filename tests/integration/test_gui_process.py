"""`hookscope` with no command: the desktop app as a user starts it, in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import http, stored

# What the console-less launcher (`hookscope-gui`) runs.
GUI_MAIN = "import sys; from hookscope.cli import gui_main; sys.exit(gui_main())"


@pytest.mark.slow
def test_the_app_starts_captures_and_stops_cleanly_on_sigterm(data_dir: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hookscope",
            "--data-dir",
            str(data_dir),
            "--port",
            "0",
            "--api-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        reply = http(port, "POST", "/from-the-app", body=b'{"hello": "window"}')
        assert reply.status == 200
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
        assert child.stderr is not None
        assert "Traceback" not in child.stderr.read()
        assert stored(data_dir, reply.json()["capture_id"]).body == b'{"hello": "window"}'
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.slow
def test_bad_arguments_to_the_app_are_refused_before_any_window(data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hookscope", "gui", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 2
    assert "99999 is not a port number" in result.stderr


@pytest.mark.slow
def test_a_store_that_cannot_open_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("a file where the data directory should be")
    result = subprocess.run(
        [sys.executable, "-m", "hookscope", "--data-dir", str(not_a_directory)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("hookscope: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("launcher", [["-m", "hookscope"], ["-c", GUI_MAIN]])
def test_without_a_display_the_app_says_so_and_points_at_serve(
    data_dir: Path, launcher: list[str]
) -> None:
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {name: value for name, value in os.environ.items() if name not in hidden}
    result = subprocess.run(
        [sys.executable, *launcher, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "There is no display to open the window on" in result.stderr
    assert "hookscope serve" in result.stderr
    assert "libxcb" not in result.stderr
