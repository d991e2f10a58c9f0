"""The app under a real X server and window manager, as a user starts it the first time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOOLS = ("Xvfb", "openbox", "xdotool")


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh X server with openbox on it (without a window manager, X drops keyboard focus
    when a dialog closes, which is not what a user sees)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        if os.environ.get("HOOKSCOPE_REQUIRE_TOOLS"):
            pytest.fail(
                f"not installed: {', '.join(missing)} (apt-get install xvfb openbox xdotool)"
            )
        pytest.skip(f"not installed: {', '.join(missing)}")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as announced:
        number = announced.readline().strip()
    name = f":{number}"
    manager = subprocess.Popen(
        ["openbox"], env={**os.environ, "DISPLAY": name}, stderr=subprocess.DEVNULL
    )
    try:
        yield name
    finally:
        for process in (manager, server):
            process.terminate()
            process.wait(10)


def window_named(display: str, name: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--name", name],
            capture_output=True,
            text=True,
            env={**os.environ, "DISPLAY": display},
        ).stdout.split()
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no window named {name!r} appeared")


def test_first_start_with_the_welcome_open_ctrl_q_on_the_window_exits_0(
    display: str, tmp_path: Path
) -> None:
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    env["DISPLAY"] = display
    data = str(tmp_path / "data")
    command = [sys.executable, "-m", "hookscope", "--data-dir", data, "--port", "0"]
    app = subprocess.Popen(
        [*command, "--api-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        main = window_named(display, "Webhook inspector")
        window_named(display, "Welcome")  # a fresh data folder: the welcome is open
        on_display = {**os.environ, "DISPLAY": display}
        for action in (["windowactivate", "--sync", main], ["key", "--clearmodifiers", "ctrl+q"]):
            subprocess.run(["xdotool", *action], env=on_display, check=True, timeout=30)
        assert app.wait(30) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
    _, errors = app.communicate()
    assert "Traceback" not in errors
