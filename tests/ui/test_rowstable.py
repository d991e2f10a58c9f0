"""The live lists paint their rows themselves: what they draw must be what Qt's table draws."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from hookscope.ui.style import verdict_colour
from hookscope.ui.widgets.badges import VerdictDelegate
from hookscope.ui.widgets.records import RecordTableModel
from hookscope.ui.widgets.rowstable import RowsTable
from hookscope.ui.widgets.tables import list_table
from tests.ui.palettes import dark_palette

RED = QColor(220, 20, 20)


@dataclass(frozen=True)
class Row:
    path: str
    verdict: str
    size: str
    warn: bool = False


class Rows(RecordTableModel[Row]):
    COLUMNS = ("Path", "Verdict", "Size")
    RIGHT = frozenset({2})

    def _text(self, item: Row, column: int) -> str:
        return (item.path, item.verdict, item.size)[column]

    def _foreground(self, item: Row, column: int) -> QColor | None:
        return RED if column == 0 and item.warn else None


ROWS = [
    Row("/hooks/kardow", "verified", "1.2 KB", warn=True),
    Row("/hooks/kudoz", "failed", "66 B"),
    Row("/a/" + "very-long-segment/" * 20 + "end", "unsigned", "10.0 MB"),
    Row("/health?probe=1", "n/a", "0 B", warn=True),
    Row("", "", ""),
]


def table_of(qtbot: QtBot, live: bool, rows: list[Row] = ROWS) -> QTableView:
    model = Rows()
    model.set_rows(rows)
    table = list_table(model, live=live)
    table.setItemDelegateForColumn(1, VerdictDelegate(table))
    qtbot.addWidget(table)
    table.resize(560, 220)
    table.setColumnWidth(0, 260)
    table.setColumnWidth(1, 110)
    table.setColumnWidth(2, 90)
    table.show()
    qtbot.waitExposed(table)
    table.selectRow(1)
    return table


def painted(table: QTableView) -> QImage:
    return table.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def differing(a: QImage, b: QImage) -> float:
    """The share of pixels that differ by more than a little (text antialiasing aside)."""
    assert a.size() == b.size()
    differ = 0
    for y in range(a.height()):
        for x in range(a.width()):
            pa, pb = QColor(a.pixel(x, y)), QColor(b.pixel(x, y))
            if (
                max(
                    abs(pa.red() - pb.red()),
                    abs(pa.green() - pb.green()),
                    abs(pa.blue() - pb.blue()),
                )
                > 24
            ):
                differ += 1
    return differ / (a.width() * a.height())


def colours_in(image: QImage, x0: int, y0: int, x1: int, y1: int) -> list[QColor]:
    return [QColor(image.pixel(x, y)) for y in range(y0, y1) for x in range(x0, x1)]


def near(colour: QColor, wanted: QColor, tolerance: int = 40) -> bool:
    return (
        abs(colour.red() - wanted.red()) <= tolerance
        and abs(colour.green() - wanted.green()) <= tolerance
        and abs(colour.blue() - wanted.blue()) <= tolerance
    )


@pytest.fixture(params=["light", "dark"])
def shade(request: pytest.FixtureRequest, qapp: QApplication) -> object:
    before = QGuiApplication.palette()
    if request.param == "dark":
        qapp.setPalette(dark_palette())
    yield request.param
    qapp.setPalette(before)


def test_the_rows_look_as_qt_paints_them(qtbot: QtBot, shade: object) -> None:
    ours = painted(table_of(qtbot, live=True))
    qts = painted(table_of(qtbot, live=False))
    # Backgrounds, selection, badges, colours, alignment and elision all agree; only the
    # edges of a few glyphs may be drawn a shade apart.
    assert differing(ours, qts) < 0.005


def test_each_cell_is_drawn_as_the_model_says(qtbot: QtBot) -> None:
    table = table_of(qtbot, live=True)
    image = painted(table)
    palette = table.palette()
    height = table.rowHeight(0)

    def cell(row: int, column: int) -> tuple[int, int, int, int]:
        left = table.columnViewportPosition(column)
        top = table.rowViewportPosition(row)
        return left, top, left + table.columnWidth(column), top + height

    # Row 0 says its path in the model's colour; the selected row in the highlighted text's.
    assert any(near(c, RED) for c in colours_in(image, *cell(0, 0)))
    selected = colours_in(image, *cell(1, 0))
    assert not any(near(c, RED) for c in selected)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    assert sum(near(c, highlight, 8) for c in selected) > len(selected) // 2
    # A badge in the verdict column, in the verdict's colour.
    badge = verdict_colour("verified", palette)
    assert any(near(c, badge, 8) for c in colours_in(image, *cell(0, 1)))
    # Sizes are right-aligned: nothing drawn in the left half of their cell.
    left, top, right, bottom = cell(0, 2)
    base = palette.color(QPalette.ColorRole.Base)
    assert all(near(c, base, 8) for c in colours_in(image, left, top, (left + right) // 2, bottom))
    assert not all(
        near(c, base, 8) for c in colours_in(image, (left + right) // 2, top, right, bottom)
    )
    # Alternate rows on their own colour.
    alternate = palette.color(QPalette.ColorRole.AlternateBase)
    x = table.columnViewportPosition(0) + table.columnWidth(0) - 3
    assert near(QColor(image.pixel(x, table.rowViewportPosition(3) + 2)), alternate, 2)
    assert near(QColor(image.pixel(x, table.rowViewportPosition(2) + 2)), base, 2)


def test_a_long_value_stays_inside_its_cell(qtbot: QtBot) -> None:
    table = table_of(qtbot, live=True)
    image = painted(table)
    # Row 2's path is far wider than its column: elided, so the verdict cell beside it
    # shows only its badge and the gap before it stays the row's colour.
    gap_left = table.columnViewportPosition(1)
    top = table.rowViewportPosition(2)
    base = table.palette().color(QPalette.ColorRole.Base)
    assert all(
        near(c, base, 8) for c in colours_in(image, gap_left, top + 2, gap_left + 3, top + 10)
    )


def test_an_empty_list_paints_nothing_and_a_row_without_words_only_its_background(
    qtbot: QtBot,
) -> None:
    empty = table_of(qtbot, live=True, rows=[])
    base = empty.palette().color(QPalette.ColorRole.Base)
    image = painted(empty)
    assert all(near(c, base, 2) for c in colours_in(image, 0, 0, image.width(), image.height()))
    table = table_of(qtbot, live=True)
    assert isinstance(table, RowsTable)
    image = painted(table)
    top = table.rowViewportPosition(4)
    background = QColor(image.pixel(3, top + 2))
    row = colours_in(image, 0, top, table.viewport().width(), top + table.rowHeight(4))
    assert all(near(c, background, 2) for c in row)


def test_the_current_cell_shows_its_focus_after_a_key(qtbot: QtBot) -> None:
    table = table_of(qtbot, live=True)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)  # from row 1 to row 2
    assert table.currentIndex().row() == 2
    assert table.selectionModel().isRowSelected(2, QModelIndex())
    ours = painted(table)
    qts = table_of(qtbot, live=False)
    qts.setFocus()
    qtbot.keyClick(qts, Qt.Key.Key_Down)
    assert differing(ours, painted(qts)) < 0.005
