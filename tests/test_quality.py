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


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "app", "tests", "packaging"),
        ("ruff", "format", "--check", "app", "tests", "packaging"),
        ("mypy",),
        ("lint-imports",),
        # Dead code; its settings and the names it cannot see used are in pyproject.toml.
        ("vulture",),
    ],
    ids=["ruff", "format", "mypy", "layers", "dead-code"],
)
def test_code_passes(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


MAX_LINES = 600


def module_sizes() -> dict[str, int]:
    return {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "app" / "hookscope").rglob("*.py"))
    }


def test_no_module_passes_600_lines() -> None:
    over = {path: lines for path, lines in module_sizes().items() if lines > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines (split them by responsibility): {over}"
