"""The desktop integration: menu entry, AppStream metainfo, app icon and the per-user installer."""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage

import hookscope
from hookscope import resources

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.hookscope.Hookscope"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
INSTALL = PACKAGING / "install-desktop.sh"
SVG_NS = "{http://www.w3.org/2000/svg}"


def tool(name: str) -> str:
    """The path of a validator; skipped when absent, unless CI demands it."""
    found = shutil.which(name)
    if found is None:
        package = {"desktop-file-validate": "desktop-file-utils", "appstreamcli": "appstream"}
        reason = f"{name} is not installed (Debian: apt-get install {package.get(name, name)})"
        if os.environ.get("HOOKSCOPE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{reason}, and HOOKSCOPE_REQUIRE_TOOLS=1 requires it")
        pytest.skip(reason)
    return found


def run(
    *command: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=60, env=env
    )


def desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.RawConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def assert_desktop_file_valid(path: Path) -> None:
    result = run(tool("desktop-file-validate"), path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- the menu entry and the metainfo -------------------------------------------------------------


@pytest.mark.slow
def test_desktop_entry_passes_the_validator_without_a_remark() -> None:
    assert_desktop_file_valid(DESKTOP)


@pytest.mark.slow
def test_metainfo_passes_the_validator_without_warnings() -> None:
    result = run(tool("appstreamcli"), "validate", "--no-net", METAINFO)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"^[EW]: ", output, re.MULTILINE), output


def test_entry_metainfo_and_icon_name_the_same_app() -> None:
    entry = desktop_entry(DESKTOP)
    component = ET.parse(METAINFO).getroot()
    launchable = component.find("launchable")

    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert launchable is not None
    assert launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    assert entry["Icon"] == APP_ID
    assert entry["Exec"] == entry["TryExec"] == "hookscope-gui"
    assert "hookscope" in [binary.text for binary in component.iter("binary")]


def test_newest_release_is_the_package_version() -> None:
    releases = ET.parse(METAINFO).getroot().findall("releases/release")
    assert releases, "the metainfo lists no release"
    assert releases[0].get("version") == version("hookscope") == hookscope.__version__


# --- the icon ------------------------------------------------------------------------------------


def load_render_icons() -> ModuleType:
    """packaging/render_icons.py (packaging/ is not a package: its name is taken on PyPI)."""
    spec = importlib.util.spec_from_file_location("render_icons", PACKAGING / "render_icons.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rgba(image: QImage) -> bytes:
    """Unpremultiplied RGBA bytes, whatever format the image was read in."""
    converted = image.convertToFormat(QImage.Format.Format_RGBA8888)
    assert converted.bytesPerLine() == converted.width() * 4
    return bytes(converted.constBits())[: converted.sizeInBytes()]


def close_enough(left: bytes, right: bytes) -> bool:
    """At most 1% of pixels differ by more than 2 in any channel (antialiasing drift)."""
    assert len(left) == len(right)
    off = [abs(a - b) > 2 for a, b in zip(left, right, strict=True)]
    differing = sum(any(off[pixel : pixel + 4]) for pixel in range(0, len(off), 4))
    return differing <= len(left) // 4 // 100


def test_svg_is_self_contained_with_a_square_view_box() -> None:
    root = ET.fromstring(resources.icon_svg())
    assert root.tag == f"{SVG_NS}svg"
    _, _, width, height = (
        float(part) for part in root.get("viewBox", "").replace(",", " ").split()
    )
    assert width == height > 0
    for element in root.iter():
        assert element.tag != f"{SVG_NS}script"
        for name, value in element.attrib.items():
            if name.endswith("href"):
                assert value.startswith("#"), f"external reference {value!r}"
            assert "url(" not in value or "url(#" in value, f"external reference {value!r}"


@pytest.mark.parametrize("size", resources.ICON_SIZES)
def test_png_has_its_size_and_something_drawn(size: int) -> None:
    data = resources.icon_png(size)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (size, size)

    alpha = rgba(QImage.fromData(data))[3::4]
    assert len(alpha) - alpha.count(0) > len(alpha) // 10


def test_pngs_are_rendered_from_the_current_svg() -> None:
    rendered = load_render_icons().render(resources.icon_svg(), 64)
    committed = QImage.fromData(resources.icon_png(64))
    assert close_enough(rgba(rendered), rgba(committed)), (
        "the PNGs are older than hookscope.svg: run python packaging/render_icons.py"
    )


def test_the_sync_check_notices_a_changed_svg() -> None:
    svg = resources.icon_svg()
    changed = svg.replace(b"#ffffff", b"#ffd43b")
    assert changed != svg
    render = load_render_icons().render
    assert not close_enough(rgba(render(changed, 64)), rgba(render(svg, 64)))


# --- the per-user installer ----------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def data_home(tmp_path: Path) -> Path:
    return tmp_path / "xdg data"


@pytest.fixture
def env(home: Path, data_home: Path) -> dict[str, str]:
    """The environment of a user whose home and data directory are under tmp_path."""
    home.mkdir()
    path = os.pathsep.join(
        folder
        for folder in os.environ.get("PATH", os.defpath).split(os.pathsep)
        if folder and not (Path(folder) / "hookscope-gui").exists()
    )
    return {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(data_home), "PATH": path}


def make_launcher(folder: Path, interpreter: str = sys.executable) -> Path:
    """A stand-in for pip's `hookscope-gui` console script, run by `interpreter`."""
    folder.mkdir(parents=True, exist_ok=True)
    launcher = folder / "hookscope-gui"
    launcher.write_text(f"#!{interpreter}\nraise SystemExit('not started in tests')\n")
    launcher.chmod(0o755)
    return launcher


@pytest.fixture
def launcher(tmp_path: Path) -> Path:
    return make_launcher(tmp_path / "bin")


def installed_icons(data_home: Path) -> dict[Path, bytes]:
    hicolor = data_home / "icons" / "hicolor"
    icons = {hicolor / "scalable" / "apps" / f"{APP_ID}.svg": resources.icon_svg()}
    for size in resources.ICON_SIZES:
        icons[hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = resources.icon_png(size)
    return icons


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder (None) under `folder`."""
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def install(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run(INSTALL, *args, env=env)


@pytest.mark.slow
def test_install_puts_the_entry_icons_and_metainfo_in_the_data_home(
    env: dict[str, str], launcher: Path, data_home: Path, home: Path
) -> None:
    result = install(env, launcher)

    assert result.returncode == 0, result.stderr
    entry_path = data_home / "applications" / f"{APP_ID}.desktop"
    entry = desktop_entry(entry_path)
    assert entry["Exec"] == entry["TryExec"] == str(launcher)
    assert entry["Icon"] == APP_ID
    if shutil.which("desktop-file-validate") or os.environ.get("HOOKSCOPE_REQUIRE_TOOLS") == "1":
        assert_desktop_file_valid(entry_path)
    for path, content in installed_icons(data_home).items():
        assert path.read_bytes() == content, path
    assert (data_home / "metainfo" / METAINFO.name).read_bytes() == METAINFO.read_bytes()
    assert str(entry_path) in result.stdout
    assert list(home.iterdir()) == []


@pytest.mark.slow
def test_install_twice_then_uninstall_leaves_the_data_home_as_it_was(
    env: dict[str, str], launcher: Path, data_home: Path
) -> None:
    other_entry = data_home / "applications" / "org.example.Other.desktop"
    other_icon = data_home / "icons" / "hicolor" / "48x48" / "apps" / "org.example.Other.png"
    for path in (other_entry, other_icon):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"someone else's")
    before = snapshot(data_home)

    first = install(env, launcher)
    installed = snapshot(data_home)
    second = install(env, launcher)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert snapshot(data_home) == installed
    assert "up to date" in second.stdout

    removed = install(env, "--uninstall")

    assert removed.returncode == 0, removed.stderr
    assert snapshot(data_home) == before
    for path in installed_icons(data_home):
        assert str(path) in removed.stdout


@pytest.mark.slow
def test_launcher_found_on_path_when_none_is_given(
    env: dict[str, str], launcher: Path, data_home: Path
) -> None:
    env["PATH"] = f"{launcher.parent}{os.pathsep}{env['PATH']}"

    result = install(env)

    assert result.returncode == 0, result.stderr
    entry = desktop_entry(data_home / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == str(launcher)


@pytest.mark.slow
def test_launcher_path_with_spaces_is_quoted_in_exec(
    env: dict[str, str], tmp_path: Path, data_home: Path
) -> None:
    launcher = make_launcher(tmp_path / "my tools" / "bin")

    result = install(env, launcher)

    assert result.returncode == 0, result.stderr
    entry_path = data_home / "applications" / f"{APP_ID}.desktop"
    entry = desktop_entry(entry_path)
    assert entry["Exec"] == f'"{launcher}"'
    assert entry["TryExec"] == str(launcher)
    if shutil.which("desktop-file-validate") or os.environ.get("HOOKSCOPE_REQUIRE_TOOLS") == "1":
        assert_desktop_file_valid(entry_path)


@pytest.mark.slow
def test_missing_launcher_is_explained_and_installs_nothing(
    env: dict[str, str], data_home: Path
) -> None:
    result = install(env)

    assert result.returncode != 0
    assert "hookscope-gui" in result.stderr
    assert "pipx install" in result.stderr
    assert "Traceback" not in result.stderr
    assert not data_home.exists()


@pytest.mark.slow
def test_launcher_whose_python_lacks_hookscope_installs_nothing(
    env: dict[str, str], tmp_path: Path, data_home: Path
) -> None:
    not_python = tmp_path / "not-python"
    not_python.write_text("#!/bin/sh\nexit 0\n")
    not_python.chmod(0o755)
    launcher = make_launcher(tmp_path / "bin", interpreter=str(not_python))

    result = install(env, launcher)

    assert result.returncode != 0
    assert "hookscope" in result.stderr
    assert not data_home.exists()
