"""The checks every change must pass, run with the tests so CI runs them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    tool = BIN / command[0]
    if not tool.exists():
        found = shutil.which(command[0])
        if found is None:
            pytest.fail(f"{command[0]} is not installed: install the package with its [test] extra")
        tool = Path(found)
    return subprocess.run(
        [str(tool), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "app", "tests", "packaging"),
        ("ruff", "format", "--check", "app", "tests", "packaging"),
        ("mypy",),
        ("lint-imports",),
    ],
    ids=["ruff", "format", "mypy", "layers"],
)
def test_code_passes(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr
