"""A list's cells answer a view's questions in one call each, the same as role by role."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QModelRoleData, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from pytestqt.qtbot import QtBot

from hookscope.core.model import CaptureQuery, Verdict
from hookscope.storage.db import open_store
from hookscope.storage.writer import insert_captures
from hookscope.ui.captures.model import CaptureTableModel
from hookscope.ui.style import verdict_colour
from hookscope.ui.widgets.badges import VerdictDelegate
from hookscope.ui.widgets.records import RecordRole
from hookscope.ui.widgets.tables import list_table
from tests.conftest import make_capture

# Every role a view or a test asks of a cell.
ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole,
    RecordRole,
]


def at_once(index: QModelIndex) -> list[object]:
    """Each role's answer, asked the way Qt's item delegate asks: one multiData() call."""
    asked = [QModelRoleData(int(role)) for role in ROLES]
    model = index.model()
    for role_data in asked:  # a span of one role at a time is the binding's only span
        model.multiData(index, role_data)
    return [role_data.data() for role_data in asked]


def role_by_role(index: QModelIndex) -> list[object]:
    return [index.data(role) for role in ROLES]


def test_a_cell_answers_all_its_roles_at_once_as_it_does_one_by_one(
    qtbot: QtBot, tmp_path: Path
) -> None:
    db = open_store(tmp_path)
    try:
        insert_captures(
            db,
            [
                make_capture(path="/a", query="x=1", verdict=Verdict("failed", "no match")),
                make_capture(method="PUT", path="/b", note="seen", starred=True),
            ],
        )
        model = CaptureTableModel(db)
        model.set_query(CaptureQuery())
        assert model.rowCount() == 2
        for row in range(2):
            for column in range(model.columnCount()):
                index = model.index(row, column)
                assert at_once(index) == role_by_role(index), (row, column)
        assert at_once(model.index(0, model.VERDICT))[0] == "n/a"
        assert at_once(model.index(1, model.VERDICT))[0] == "failed"
        # Out of range: no index, and nothing answered.
        assert not model.index(2, 0).isValid()
        assert not model.index(0, model.columnCount()).isValid()
        assert not model.index(0, 0, model.index(0, 0)).isValid()
        nothing = QModelRoleData(int(Qt.ItemDataRole.DisplayRole))
        model.multiData(QModelIndex(), nothing)
        assert nothing.data() is None
        # A delegate reuses its role data from cell to cell: a role this cell has no value
        # for must not keep the previous cell's (a red forward state painted a whole list red).
        reused = QModelRoleData(int(Qt.ItemDataRole.ForegroundRole))
        reused.setData(QColor("red"))
        model.multiData(model.index(0, model.TIME), reused)
        assert reused.data() is None
        model.stop()
    finally:
        db.close()


def test_the_verdict_badge_is_drawn_in_its_colour_with_the_row_selected_or_not(
    qtbot: QtBot, tmp_path: Path
) -> None:
    db = open_store(tmp_path)
    try:
        insert_captures(db, [make_capture(verdict=Verdict("failed", "no match"))] * 3)
        model = CaptureTableModel(db)
        model.set_query(CaptureQuery())
        table = list_table(model)
        table.setItemDelegateForColumn(model.VERDICT, VerdictDelegate(table))
        table.resize(900, 200)
        qtbot.addWidget(table)
        table.show()
        table.selectRow(1)
        badge = verdict_colour("failed", table.palette())

        def badge_in(row: int) -> bool:
            rect = table.visualRect(model.index(row, model.VERDICT))
            image: QImage = table.viewport().grab(rect).toImage()
            y = image.height() // 2
            return any(QColor(image.pixel(x, y)) == badge for x in range(image.width()))

        # Drawn from one picture kept for the word: the same in every row, twice over.
        for _ in range(2):
            assert all(badge_in(row) for row in range(3))
        assert table.palette().color(QPalette.ColorRole.Highlight) != badge
        model.stop()
    finally:
        db.close()
