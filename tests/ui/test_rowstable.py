"""The live lists paint their rows themselves: what they draw must be what Qt's table draws."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QTableView, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from hookscope.ui.style import verdict_colour
from hookscope.ui.widgets.badges import VerdictDelegate
from hookscope.ui.widgets.records import RecordTableModel
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
    Row("/hooks/kudoz", "failed", "66 B", warn=True),
    Row("/a/" + "very-long-segment/" * 20 + "end", "unsigned", "10.0 MB"),
    Row("/health?probe=1", "n/a", "0 B", warn=True),
    Row("", "", ""),
    Row("order.created\nsecond line\tand a tab", "stale", "3 B"),
]


def table_of(
    qtbot: QtBot, live: bool, rows: list[Row] = ROWS, *, parent: QWidget | None = None
) -> QTableView:
    model = Rows()
    model.set_rows(rows)
    table = list_table(model, live=live)
    table.setItemDelegateForColumn(1, VerdictDelegate(table))
    if parent is None:
        qtbot.addWidget(table)
    else:
        parent.layout().addWidget(table)
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


def differing(a: QImage, b: QImage, within: QRect | None = None) -> float:
    """The share of pixels (in `within`, or all) that differ at all beyond rounding."""
    assert a.size() == b.size()
    area = (within or a.rect()).intersected(a.rect())
    differ = 0
    for y in range(area.top(), area.bottom() + 1):
        for x in range(area.left(), area.right() + 1):
            pa, pb = QColor(a.pixel(x, y)), QColor(b.pixel(x, y))
            if (
                max(
                    abs(pa.red() - pb.red()),
                    abs(pa.green() - pb.green()),
                    abs(pa.blue() - pb.blue()),
                )
                > 2
            ):
                differ += 1
    return differ / (area.width() * area.height())


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
    # Backgrounds, selection, badges, colours, alignment, elision and the cut after a line
    # break all agree, pixel for pixel (a few glyph edges may round differently).
    assert differing(ours, qts) < 0.0005


def test_each_cell_is_drawn_as_the_model_says(qtbot: QtBot) -> None:
    table = table_of(qtbot, live=True)
    image = painted(table)
    palette = table.palette()
    height = table.rowHeight(0)

    def cell(row: int, column: int) -> tuple[int, int, int, int]:
        left = table.columnViewportPosition(column)
        top = table.rowViewportPosition(row)
        return left, top, left + table.columnWidth(column), top + height

    # Row 0 says its path in the model's colour; the selected row 1, coloured the same by
    # the model, in the highlighted text's colour on the highlight.
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
    middle = (left + right) // 2
    assert all(near(c, base, 8) for c in colours_in(image, left, top, middle, bottom))
    assert not all(near(c, base, 8) for c in colours_in(image, middle, top, right, bottom))
    # Alternate rows on their own colour.
    alternate = palette.color(QPalette.ColorRole.AlternateBase)
    x = table.columnViewportPosition(0) + table.columnWidth(0) - 3
    assert near(QColor(image.pixel(x, table.rowViewportPosition(3) + 2)), alternate, 2)
    assert near(QColor(image.pixel(x, table.rowViewportPosition(2) + 2)), base, 2)


def cell_area(table: QTableView, row: int, column: int) -> QRect:
    return table.visualRect(table.model().index(row, column)).adjusted(-2, -2, 2, 2)


def test_a_long_value_and_a_line_break_are_cut_as_qt_cuts_them(qtbot: QtBot) -> None:
    ours, qts = table_of(qtbot, live=True), table_of(qtbot, live=False)
    ours_image, qts_image = painted(ours), painted(qts)
    long_path = cell_area(ours, 2, 0)  # elided in the middle
    assert differing(ours_image, qts_image, long_path) < 0.002
    broken = cell_area(ours, 5, 0)  # "order.created" then a newline: one line, cut
    assert differing(ours_image, qts_image, broken) < 0.002
    # Drawn at all: a cell of text is not its background alone.
    blank = painted(table_of(qtbot, live=True, rows=[Row("", "", "")] * 6))
    assert differing(ours_image, blank, broken) > 0.02


def with_a_field(
    qtbot: QtBot, live: bool, palette: QPalette
) -> tuple[QWidget, QTableView, QLineEdit]:
    """A window with a text field above the table, under `palette`."""
    window = QWidget()
    window.setPalette(palette)
    layout = QVBoxLayout(window)
    field = QLineEdit()
    layout.addWidget(field)
    qtbot.addWidget(window)
    table = table_of(qtbot, live=live, parent=window)
    window.resize(600, 300)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window, table, field


def test_the_selection_turns_inactive_when_the_list_loses_the_focus(qtbot: QtBot) -> None:
    palette = QPalette(QGuiApplication.palette())
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight, QColor(0, 160, 0))
    images = []
    windows: list[QWidget] = []  # kept: a window let go takes its children with it
    for live in (True, False):
        window, table, field = with_a_field(qtbot, live, palette)
        field.setFocus()
        qtbot.waitUntil(field.hasFocus)
        images.append((table, painted(table)))
        windows.append(window)
    (ours, ours_image), (_, qts_image) = images
    assert differing(ours_image, qts_image) < 0.0005
    row = colours_in(ours_image, *cell_area(ours, 1, 0).adjusted(2, 2, -2, -2).getCoords())
    assert sum(near(c, QColor(0, 160, 0), 8) for c in row) > len(row) // 2


def test_the_current_cell_shows_its_focus_after_a_key(qtbot: QtBot) -> None:
    images = []
    windows: list[QWidget] = []
    for live in (True, False):
        window, table, field = with_a_field(qtbot, live, QGuiApplication.palette())
        windows.append(window)
        field.setFocus()
        qtbot.waitUntil(field.hasFocus)
        unfocused = painted(table)
        table.setFocus()
        qtbot.waitUntil(table.hasFocus)
        qtbot.keyClick(table, Qt.Key.Key_Down)  # from row 1 to row 2
        assert table.currentIndex().row() == 2
        assert table.selectionModel().isRowSelected(2, QModelIndex())
        images.append((table, unfocused, painted(table)))
    (ours, ours_before, ours_after), (_, _, qts_after) = images
    current = cell_area(ours, 2, 0)
    assert differing(ours_after, qts_after, current) < 0.002  # the frame Qt's style draws
    assert differing(ours_after, ours_before, current) > 0.05  # and it is drawn at all
