"""The PyInstaller bundle: its spec checked without building, and one real build when asked."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hookscope import __version__, cli, resources

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "hookscope.spec"
SCRIPT = ROOT / "packaging" / "build-bundle.sh"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def _assigned(tree: ast.Module, name: str) -> Any:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"the spec assigns no {name}")


def _keyword(call: ast.Call, name: str) -> ast.expr:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    raise AssertionError(f"{ast.unparse(call.func)}() has no {name}=")


def _shipped() -> set[tuple[str, str]]:
    """Every resource file as (name, the bundle folder importlib.resources looks in)."""
    found = {
        (template.name, f"hookscope/resources/events/{provider.name}")
        for provider in resources.resource("events").iterdir()
        if provider.is_dir()
        for template in provider.iterdir()
        if template.name.endswith(".json")
    }
    icons = ["hookscope.svg", *(f"hookscope-{size}.png" for size in resources.ICON_SIZES)]
    return found | {(name, "hookscope/resources/icons") for name in icons}


def test_the_spec_collects_the_resources_and_the_metadata() -> None:
    tree = _spec_tree()
    collected = _calls(tree, "collect_data_files")
    assert [ast.literal_eval(call.args[0]) for call in collected] == ["hookscope"]
    metadata = {ast.literal_eval(call.args[0]) for call in _calls(tree, "copy_metadata")}
    assert "hookscope" in metadata  # else --version says 0+unknown and the self-check fails
    assert len(_shipped()) == 13 + 1 + len(resources.ICON_SIZES)


def test_the_spec_s_data_collection_puts_every_resource_where_importlib_finds_it() -> None:
    hooks = pytest.importorskip("PyInstaller.utils.hooks", reason="PyInstaller is not installed")
    (call,) = _calls(_spec_tree(), "collect_data_files")
    arguments = [ast.literal_eval(argument) for argument in call.args]
    options = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
    collected = hooks.collect_data_files(*arguments, **options)
    landed = {(Path(source).name, dest.replace(os.sep, "/")) for source, dest in collected}
    assert landed == _shipped()
    assert hooks.copy_metadata("hookscope")  # the installed distribution's metadata is there


def test_the_spec_builds_one_folder_named_hookscope_from_the_package_entry_points() -> None:
    tree = _spec_tree()
    assert _assigned(tree, "NAME") == "hookscope"
    (collect,) = _calls(tree, "COLLECT")
    assert ast.unparse(_keyword(collect, "name")) == "NAME"
    (exe,) = _calls(tree, "EXE")
    assert ast.literal_eval(_keyword(exe, "exclude_binaries")) is True  # one folder, not one file
    consoles = {
        ast.literal_eval(call.args[1]): ast.literal_eval(_keyword(call, "console"))
        for call in _calls(tree, "executable")
    }
    assert consoles == {"hookscope": True, "hookscope-gui": False}

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {**scripts["scripts"], **scripts["gui-scripts"]}
    entry_points = _assigned(tree, "ENTRY_POINTS")
    assert {name: f"hookscope.cli:{function}" for name, function in entry_points.items()} == (
        declared
    )
    assert all(callable(getattr(cli, function)) for function in entry_points.values())
    hidden = _assigned(tree, "hiddenimports")
    assert "hookscope.ui.app" in hidden  # imported lazily by the CLI: invisible to the analysis
    assert "qasync" in hidden


def test_the_spec_keeps_the_qt_the_app_needs() -> None:
    tree = _spec_tree()
    dropped: tuple[str, ...] = _assigned(tree, "DROPPED_PLUGINS")
    for needed in (
        "platforms/libqoffscreen",
        "platforms/libqxcb",
        "platforms/libqwayland",
        "imageformats/libqsvg",
        "iconengines/libqsvgicon",
        "platformthemes/libqxdgdesktopportal",
    ):
        assert not any(needed.startswith(prefix) for prefix in dropped), needed
    (excludes,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "QT_EXCLUDES" for t in node.targets)
    ]
    # ["PySide6." + module for module in (...)]: the module names are the literal tuple.
    assert isinstance(excludes, ast.ListComp)
    excluded = {"PySide6." + name for name in ast.literal_eval(excludes.generators[0].iter)}
    assert {"PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtQuick"} <= excluded
    used = {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"}
    assert not used & excluded
    assert (ROOT / "app" / "hookscope" / "resources" / "icons" / "hookscope-256.png").is_file()


@pytest.mark.slow
def test_the_build_script_is_strict_and_smoke_tests_the_bundle() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert "packaging/hookscope.spec" in text
    for check in ("--version", "selfcheck --gui", "--noconfirm --clean", "du -sh"):
        assert check in text, check
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash on this machine")
    syntax = subprocess.run([bash, "-n", str(SCRIPT)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    shellcheck = shutil.which("shellcheck")
    if shellcheck is not None:
        lint = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(
    os.environ.get("HOOKSCOPE_BUILD_BUNDLE") != "1",
    reason="builds a 170 MB bundle (about 20 s): set HOOKSCOPE_BUILD_BUNDLE=1 (CI does)",
)
def test_the_bundle_builds_and_passes_its_self_check(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "DIST_DIR": str(tmp_path / "dist"),
        "WORK_DIR": str(tmp_path / "work"),
        "TMPDIR": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1700
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (tmp_path / "dist" / "hookscope" / "hookscope").is_file()
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("your data is not touched)"))
    end = lines.index("self-check passed", start)
    steps = lines[start + 1 : end]
    assert {"version", "event templates", "icons", "engine", "window"} <= {
        line[4:].strip().split(":")[0] for line in steps
    }
    assert all(line.startswith("ok ") for line in steps), "\n".join(steps)
    assert f"hookscope {__version__}" in lines
    assert any(line.endswith('-> {"ok": true, "capture_id": 1}') for line in lines), output
    assert "SIGTERM -> exit 0" in lines
