"""The Runs tab's two splits: the table's height above, and below it the frontier beside the
comparison. Each is fitted to what it shows until the user drags it; a dragged split is kept."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QSplitter, QWidget

from sae_desktop.qt.frontier_plot import FrontierPlot
from sae_desktop.qt.runs_table import RunsTable

# The comparison's share of the width below the table: a third while it shows only its hint (the
# frontier had a third, half of it its legend, beside 870 px holding one line of text at 1280×720),
# two thirds once it compares two models (its digits and codes need the room).
COMPARE_EMPTY_SHARE, COMPARE_SHARE = 1 / 3, 2 / 3
# The table's height: its runs, up to this many rows, without scrolling, in up to this share of the
# tab (at 1280×720 in presentation mode it showed 2.7 rows of 11 above a frontier of 330 px)
TABLE_ROWS, TABLE_SHARE = 6, 0.5
LEGEND_SHARE = 0.45  # of the frontier's height: a legend taller than this takes three columns where they fit


class RunsLayout(QObject):
    def __init__(self, view: QWidget, holder: QWidget, table: RunsTable, frontier: FrontierPlot,
                 compare_area: QWidget):
        super().__init__(view)
        self.view, self.holder, self.table, self.frontier = view, holder, table, frontier
        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.addWidget(frontier)
        self.bottom.addWidget(compare_area)
        self.width_by_user = False
        self.bottom.splitterMoved.connect(lambda *_: setattr(self, "width_by_user", True))
        self.split(COMPARE_EMPTY_SHARE)  # the frontier has the room until a comparison needs it
        self.body = QSplitter(Qt.Orientation.Vertical)
        self.body.addWidget(holder)
        self.body.addWidget(self.bottom)
        self.body.setSizes([300, 550])
        self.height_by_user = False
        self.body.splitterMoved.connect(lambda *_: setattr(self, "height_by_user", True))
        self._fit_pending = False
        view.installEventFilter(self)  # shown, resized, its font changed (presentation mode): fitted again
        # …and when the sideways scroll bar comes or goes (columns shown or hidden, resized): it had covered
        # half of the sixth row, or left half of a seventh in view
        table.horizontalScrollBar().rangeChanged.connect(lambda *_: self.schedule_table_fit())
        # …and when the header grows a line (its two-word headers broken to fit: runs_folding.py)
        table.horizontalHeader().geometriesChanged.connect(self.schedule_table_fit)

    def split(self, compare_share: float) -> None:
        """The frontier and the comparison side by side, the comparison with this share of the
        width (and of any width the tab gains)."""
        # (the sizes as they are: from a made-up 1000 px, Qt scaled the frontier's to 962 px, under its legend's)
        whole = sum(self.bottom.sizes()) or 1000
        self.bottom.setStretchFactor(0, round(100 * (1 - compare_share)))
        self.bottom.setStretchFactor(1, round(100 * compare_share))
        # up to half the width, as wide as two columns of its legend need; three, in up to 55 %, where two
        # would take over LEGEND_SHARE of its height (beside a comparison in presentation mode, one column
        # covered 85 % of the plot, and two took 60 %)
        half = whole // 2
        widths = {c: self.frontier.wanted_width(c) for c in (2, 3)}
        tall = widths[2] > half or self.frontier.legend_share(2) > LEGEND_SHARE
        legend = widths[3] if tall and widths[3] <= whole * 0.55 else min(widths[2], half)
        frontier = max(round(whole * (1 - compare_share)), legend)
        self.bottom.setSizes([frontier, whole - frontier])

    def comparing(self) -> None:
        """Two models compared: the comparison takes its share, unless the user chose a split."""
        if not self.width_by_user:
            self.split(COMPARE_SHARE)

    def fit_table_height(self) -> None:
        """The table as tall as its runs need, up to TABLE_ROWS rows and TABLE_SHARE of the tab;
        the frontier and the comparison take the rest."""
        self._fit_pending = False
        total = sum(self.body.sizes())
        if self.height_by_user or total <= 0 or not self.view.isVisible():
            return
        chrome = self.holder.height() - self.table.viewport().height()  # buttons, header, frame, scroll bar
        row = self.table.verticalHeader().defaultSectionSize()
        # whole rows (capped, the share had cut the last one in view in half at 1024×768)
        rows = max(min(self.table.rowCount(), TABLE_ROWS, (round(total * TABLE_SHARE) - chrome) // max(row, 1)), 1)
        table = chrome + rows * row
        self.body.setSizes([table, total - table])

    def schedule_table_fit(self) -> None:
        if not self._fit_pending:
            self._fit_pending = True  # once, after the layouts have settled
            QTimer.singleShot(0, self, self.fit_table_height)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Resize, QEvent.Type.FontChange):
            self.schedule_table_fit()
        return False
