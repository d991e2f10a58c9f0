"""`hookscope selfcheck`: every step passes on a good install, and a broken one is named."""

from __future__ import annotations

import pytest

from hookscope import resources
from hookscope.cli import main


def test_every_step_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck"]) == 0
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if line.startswith(("ok", "FAIL"))]
    assert [line.split(":")[0] for line in steps] == [
        "ok   version",
        "ok   event templates",
        "ok   icons",
        "ok   capture and verification",
        "ok   emulator and fan-out",
        "ok   engine",
    ]
    assert "verified" in out
    assert out.rstrip().endswith("self-check passed")


def test_a_missing_resource_fails_its_step_and_the_others_still_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(size: int) -> bytes:
        raise FileNotFoundError(f"hookscope-{size}.png")

    monkeypatch.setattr(resources, "icon_png", gone)
    assert main(["selfcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL icons: FileNotFoundError: hookscope-16.png" in out
    assert "ok   emulator and fan-out" in out
    assert out.rstrip().endswith("self-check FAILED")


def test_the_gui_check_draws_the_window(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck", "--gui"]) == 0
    out = capsys.readouterr().out
    assert "ok   window: Qt " in out
    assert "4 tabs" in out
