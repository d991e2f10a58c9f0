"""Draw the app icon's SVG at every PNG size the package ships: `python packaging/render_icons.py`.

Run it after any change to `app/hookscope/resources/icons/hookscope.svg`; the packaging tests
re-render one size with `render()` and fail when the committed PNGs are out of date.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before Qt loads: rendering needs no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from hookscope.resources import ICON_NAME, ICON_SIZES

# The source tree's icons (the package is installed editable for development).
ICONS = Path(__file__).resolve().parent.parent / "app" / "hookscope" / "resources" / "icons"


def render(svg: bytes, size: int) -> QImage:
    """The SVG drawn antialiased onto a transparent `size` x `size` ARGB32 image."""
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError("the icon's SVG could not be parsed")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return image


def render_all(icons: Path = ICONS) -> list[Path]:
    """Write `{ICON_NAME}-{size}.png` beside the SVG for every size; the paths written."""
    svg = (icons / f"{ICON_NAME}.svg").read_bytes()
    written = []
    for size in ICON_SIZES:
        path = icons / f"{ICON_NAME}-{size}.png"
        if not render(svg, size).save(str(path)):  # PNG, from the suffix
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


def main() -> int:
    for path in render_all():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
