"""Data files shipped with Hookscope (event templates, icons), found the same way everywhere.

Installed, editable, zipped or bundled by PyInstaller: `importlib.resources` finds them next to
this package in every case, so nothing here builds a path from `__file__`.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

ICON_NAME = "hookscope"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource(*parts: str) -> Traversable:
    """A shipped file or folder, e.g. `resource("icons", "hookscope.svg")`."""
    return files(__name__).joinpath(*parts)


def read_bytes(*parts: str) -> bytes:
    return resource(*parts).read_bytes()


def icon_svg() -> bytes:
    """The app icon as SVG (what a desktop scales freely)."""
    return read_bytes("icons", f"{ICON_NAME}.svg")


def icon_png(size: int) -> bytes:
    """The app icon drawn at `size` x `size` pixels (one of ICON_SIZES)."""
    if size not in ICON_SIZES:
        raise ValueError(f"no {size} px icon; sizes: {', '.join(map(str, ICON_SIZES))}")
    return read_bytes("icons", f"{ICON_NAME}-{size}.png")
