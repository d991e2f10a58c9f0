"""The look every long list shares (captures, targets, deliveries): rows, no grid, fixed height."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from hookscope.ui.widgets.rowstable import RowsTable

Selection = QAbstractItemView.SelectionMode


def list_table(
    model: QAbstractItemModel,
    *,
    selection: Selection = Selection.ExtendedSelection,
    per_pixel: bool = True,
    live: bool = False,
) -> QTableView:
    """A read-only table of whole rows over `model`: alternating colours, long text elided in
    the middle, rows of one fixed height (`per_pixel`: scrolled by pixels, not by rows).

    `live`: rows keep arriving while the engine is busy (captures, delivery attempts): the
    table paints its rows itself, in one pass (see RowsTable).
    """
    table = RowsTable() if live else QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    if per_pixel:
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    table.setWordWrap(False)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    vertical = table.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(False)
    return table
