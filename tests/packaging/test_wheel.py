"""The wheel as users get it: built, installed into a clean venv, run from outside the tree."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from hookscope import __version__, resources

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("hookscope-*.whl")
    return built


def test_the_wheel_carries_every_resource(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "hookscope/py.typed" in names
    shipped = {n for n in names if n.startswith("hookscope/resources/")}
    events = resources.resource("events")
    for provider in events.iterdir():
        if provider.is_dir():
            for template in provider.iterdir():
                assert f"hookscope/resources/events/{provider.name}/{template.name}" in shipped
    assert "hookscope/resources/icons/hookscope.svg" in shipped
    for size in resources.ICON_SIZES:
        assert f"hookscope/resources/icons/hookscope-{size}.png" in shipped
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "hookscope = hookscope.cli:main" in text
    assert "[gui_scripts]" in text
    assert "hookscope-gui = hookscope.cli:gui_main" in text


def test_installed_in_a_clean_venv_it_runs_and_passes_its_self_check(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean["QT_QPA_PLATFORM"] = "offscreen"
    # Without the caller's PYTHONPATH: a source tree on it would look installed to pip.
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=900,
        env=clean,
    )

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120
        )

    assert run(str(bin_dir / "hookscope"), "--version").stdout.strip() == (
        f"hookscope {__version__}"
    )
    where = run(str(bin_dir / "python"), "-c", "import hookscope; print(hookscope.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(env_dir)  # not this source tree
    check = run(str(bin_dir / "hookscope"), "selfcheck", "--gui")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "self-check passed" in check.stdout
    assert "FAIL" not in check.stdout
    assert (bin_dir / "hookscope-gui").exists()
