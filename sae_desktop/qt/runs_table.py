"""The Runs tab's table: a row per run, every column on screen where the window allows.

The run names and the settings give way (elided, whole in their tooltips) so that the figures'
columns fit; the rows are kept and rewritten in place when only a run's figures changed. A
right-click on the headers hides or shows columns (remembered across launches): at 1280×720 in
presentation mode not every column fits, and a lecture needs only some of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableWidget, QTableWidgetItem

from sae_desktop.qt.runs_cells import (LIVE_TEXTS, SHOWN_ROLE, Header, Number, ShownInBold, dense_cell, epochs_cell,
                                       time_cell)
from sae_desktop.qt.runs_folding import (FOLDABLE, SPARE_PX, ColumnFolding, DerivedColumns, HeaderBreaks,
                                         hidden_label)
from sae_desktop.qt.settings import app_settings
from sae_desktop.run_list import RunSummary, settings_text

COLUMNS = ("Run", "Dataset", "Penalty", "Settings", "Latents", "Epochs", "Status", "Test MSE", "FVU", "L0", "Dead",
           "Alive", "Dense", "Mean act.", "Time (s)")
COLUMN_TIPS = {"FVU": "fraction of variance unexplained: test MSE ÷ the test images' variance about their mean "
                      "(0 perfect, 1 no better than the mean image)",
               "Alive": "share of latents active on at least one test image",
               "Dense": "latents active on more than 10% of test images (counted as the Training header and "
                        "the Atlas count them; the share is each cell's tooltip)",
               "L0": "mean number of active latents per test image",
               "Time (s)": "time spent training and evaluating, summed over the epochs (and the part of one it "
                           "stopped in): without loading the data, starting up or pauses, so a few seconds less "
                           "than the progress panel's Elapsed"}
NAME_COLUMNS_PX = {"Run": 100, "Settings": 80}  # narrower, the names are unreadable: scroll sideways instead
STAMP_PADDING_PX = 9  # around the run's date and time: a cell's text margins (3 px a side), the grid's
# 1 px and 2 for the text's fractional width (with 6, a real X window elided it: "20261202-2020…")
SETTINGS_LEAST_PX = 60  # the settings wrap ("k=16 AuxK" / "0.03125"), elided beyond (full text in the tooltip),
# and are shown whole wherever that makes no sideways scroll of its own (settings_least)
MEASURED_ROWS = 40  # rows the table's columns are sized to (those in view first)
ALWAYS_SHOWN = ("Run",)  # the column that names a row cannot be hidden
HIDDEN_SETTING = "runs/hidden_columns"  # the hidden columns' names, comma-separated
COLUMNS_HINT = "Right-click a column's header to hide or show columns."
SHOWN_TIP = "Bold: the run shown in Probe and Atlas"


def settings_least(room: int, floor: int, whole: int) -> int:
    """The Settings column's least width, given the ``room`` the names' columns leave it: wide
    enough for its widest setting (``whole``: in presentation mode's text, ``floor`` cut every KL
    run's to "ρ=… β=…"), except where that alone would make the table scroll sideways (at 1440×900
    every column fits: there a setting is cut, whole in its tooltip)."""
    return max(floor, whole) if whole <= room or floor > room else floor


def breakable(settings: str) -> str:
    """One setting ("λ₀=0.0003") may wrap after its "=" in a narrow column, as two settings wrap
    between them: cut instead, two JumpReLU runs of a sweep both read "λ₀=0.0…"."""
    return settings if " " in settings else settings.replace("=", "=\u200b", 1)


class RunsTable(QTableWidget):
    foldingChanged = Signal(str)  # the line saying what the folded columns' runs share ("" for none)

    def __init__(self):
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeader(Header(Qt.Orientation.Horizontal, self))
        self.horizontalHeader().setSectionsClickable(True)
        self.setHorizontalHeaderLabels(COLUMNS)
        for column, name in enumerate(COLUMNS):
            tip = COLUMN_TIPS.get(name)
            self.horizontalHeaderItem(column).setToolTip(f"{tip}\n\n{COLUMNS_HINT}" if tip else COLUMNS_HINT)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # no row numbers: they follow the sort, so name nothing, and took 20-30 px of a narrow table
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the table for the buttons (it went from cell to cell, never out, and moved the
        # selection: two runs chosen with Shift+↓ could not reach "Compare" without the mouse)
        self.setTabKeyNavigation(False)
        self.setSortingEnabled(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # measured on the rows in view and up to MEASURED_ROWS in all, not Qt's 1000: with 150 runs each
        # pass re-measured 2400 cells (18 ms of a visit during training); the cells of a column are alike
        header.setResizeContentsPrecision(MEASURED_ROWS)
        self._fit_pending = False
        self.shown_folder: Path | None = None  # the run whose model Probe and Atlas show (resolved): its name bold
        self.folding = ColumnFolding(self, COLUMNS)
        self.breaks = HeaderBreaks(self, COLUMNS)
        self.derived = DerivedColumns(self, COLUMNS)
        self.setItemDelegateForColumn(0, ShownInBold(self))
        self._fit_row_height()
        # resized, or its other columns resized to new contents: the names' columns are fitted again
        header.sectionResized.connect(self._column_resized)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._columns_menu)
        saved = str(app_settings().value(HIDDEN_SETTING, "") or "")
        for name in saved.split(","):
            if name in COLUMNS and name not in ALWAYS_SHOWN:  # (a name from another version: ignored)
                self.setColumnHidden(COLUMNS.index(name), True)

    def hidden_columns(self) -> list[str]:
        """The columns the user hid (not those folded to fit: runs_folding.py)."""
        return [name for column, name in enumerate(COLUMNS)
                if self.isColumnHidden(column) and name not in self.folding.folded and name not in self.derived.hidden]

    def show_column(self, name: str, shown: bool = True) -> None:
        """Show or hide a column (not the run's name), and remember it."""
        if name in ALWAYS_SHOWN:
            return
        if name in self.folding.folded:  # the user's from now on
            self.folding.forget(name)
            self.foldingChanged.emit(self.folding.text())
        self.derived.forget(name)
        self.setColumnHidden(COLUMNS.index(name), not shown)
        app_settings().setValue(HIDDEN_SETTING, ",".join(self.hidden_columns()))
        self._schedule_fit()  # the names and settings take the room a hidden column leaves

    def columns_menu(self) -> QMenu:
        """A check per column, and "Show all columns"."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for column, name in enumerate(COLUMNS):
            if name in ALWAYS_SHOWN:
                continue
            folded, derived = name in self.folding.folded, name in self.derived.hidden
            action = menu.addAction(f"{name} (one value for every run: folded above)" if folded else
                                    hidden_label(name) if derived else name)
            action.setCheckable(True)
            action.setChecked(folded or derived or not self.isColumnHidden(column))
            action.setToolTip(COLUMN_TIPS.get(name, ""))
            action.toggled.connect(lambda on, name=name: self.show_column(name, on))
        menu.addSeparator()
        every = menu.addAction("Show all columns")
        every.setEnabled(bool(self.hidden_columns()))
        every.triggered.connect(lambda: [self.show_column(name) for name in self.hidden_columns()])
        return menu

    def _columns_menu(self, pos: QPoint) -> None:
        menu = self.columns_menu()
        menu.exec(self.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()

    def _cells(self, runs: list[RunSummary], index: int, status: Callable[[RunSummary], str]) -> list[QTableWidgetItem]:
        run = runs[index]
        c, said = run.config, status(run)
        live = said in LIVE_TEXTS  # (the run this window trains)
        cells = [QTableWidgetItem(run.name), QTableWidgetItem(c.get("dataset", "")),
                 QTableWidgetItem(c.get("penalty", "")), QTableWidgetItem(breakable(settings_text(c))),
                 Number(c.get("d_latent"), "d"), epochs_cell(run, live), QTableWidgetItem(said),
                 Number(run.test_mse, ".5f"), Number(run.fvu, ".3f"), Number(run.l0, ".2f"),
                 Number(run.dead_latents, "d"), Number(run.frac_alive, ".0%"), dense_cell(run),
                 Number(run.rho_hat_mean, ".4f"), time_cell(run, live)]
        cells[0].setData(Qt.ItemDataRole.UserRole, index)
        cells[0].setToolTip(str(run.folder))
        if self.shown_folder is not None and run.folder.resolve() == self.shown_folder:
            cells[0].setData(SHOWN_ROLE, True)
            cells[0].setToolTip(f"{run.folder}\n{SHOWN_TIP}")
        cells[3].setToolTip(settings_text(c))  # the column may be elided to fit the window
        return cells

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._schedule_fit()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode, a desktop's font
            self._fit_row_height()
            self._schedule_fit()

    def _fit_row_height(self) -> None:
        """Rows two lines high in the table's font: a run's name wraps after its date and time
        (Qt's default height held one line of a large font, and cut that line short: "2026…")."""
        self.verticalHeader().setDefaultSectionSize(2 * self.fontMetrics().lineSpacing() + 6)

    def _column_resized(self, column: int, _old: int, _new: int) -> None:
        if COLUMNS[column] not in NAME_COLUMNS_PX:
            self._schedule_fit()

    def _schedule_fit(self) -> None:
        if not self._fit_pending:
            self._fit_pending = True  # once, after Qt has sized the viewport and every column to its contents
            QTimer.singleShot(0, self, self._fit_name_columns)  # (not if the view is gone by then)

    def _fit_name_columns(self) -> None:
        """The long texts (run names, settings) give way, elided with the full text in the tooltip,
        so that every column fits; but the names never below their date and time, and neither
        below NAME_COLUMNS_PX's total (a narrow window scrolls)."""
        self._fit_pending = False
        header = self.horizontalHeader()
        others = sum(header.sectionSize(c) for c, name in enumerate(COLUMNS) if name not in NAME_COLUMNS_PX)
        bar = self.verticalScrollBar()  # room for it even before Qt shows it (the rows just came)
        room = self.viewport().width() - others - (0 if bar.isVisible() else bar.sizeHint().width())
        run = max(NAME_COLUMNS_PX["Run"], self._stamp_px())  # the settings give up what the names need
        floor = max(SETTINGS_LEAST_PX, sum(NAME_COLUMNS_PX.values()) - run, header.minimumSectionSize())
        names, settings = COLUMNS.index("Run"), COLUMNS.index("Settings")
        # columns of one value give way first (folded above the table), then the headers of two words
        # break (runs_folding.py), before the settings are cut
        whole = 0 if self.isColumnHidden(settings) else max(floor, self._widest_setting_px())
        overflow = run + whole - room
        # (while the headers are broken, they are mended before any folded column comes back; while a derived
        # column is hidden, columns of one value give way for it: a run that ended made its Status one value,
        # yet Alive, hidden while it trained, stayed hidden beside "completed" on every row)
        pressure = overflow + sum(self.derived.hidden.values()) + SPARE_PX if self.derived.hidden else overflow
        if self.folding.fit(max(pressure, 0) if self.breaks.broken else pressure):
            self.foldingChanged.emit(self.folding.text())
            self._schedule_fit()  # (once Qt has the columns' new widths)
            return
        # (while a derived column is hidden, the headers are mended only once it is back)
        if self.breaks.fit(max(overflow, 0) if self.derived.hidden else overflow):
            self._schedule_fit()
            return
        if (self.breaks.broken or not self.breaks.breakable()) and self.derived.fit(overflow):
            self.foldingChanged.emit(self.folding.text())  # (the line above names the columns hidden to fit)
            self._schedule_fit()
            return
        if self.isColumnHidden(settings):  # the names take all the room there is
            header.setSectionResizeMode(names, QHeaderView.ResizeMode.Stretch if room >= run
                                        else QHeaderView.ResizeMode.Interactive)
            header.resizeSection(names, max(run, room))
            return
        least = {"Run": run, "Settings": settings_least(room - run, floor, self._widest_setting_px())}
        extra = room - sum(least.values())
        header.setSectionResizeMode(names, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(names, run + max(extra, 0) // 2)  # half of any room left over
        if extra >= 0:  # the settings take the rest (and follow a scroll bar coming or going)
            header.setSectionResizeMode(settings, QHeaderView.ResizeMode.Stretch)
        else:
            header.setSectionResizeMode(settings, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(settings, least["Settings"])

    def _stamp_px(self) -> int:
        """Width the Run column needs to show the runs' date and time whole (the name wraps after
        them): "20261202-15…" on every row told no two runs of a day apart."""
        items = [item for row in range(self.rowCount()) if (item := self.item(row, 0)) is not None]
        stamps = {("-".join(item.text().split("-")[:2]) + "-", bool(item.data(SHOWN_ROLE))) for item in items}
        bold = self.font()
        bold.setBold(True)  # (the shown run's name: it read "20261204-161…")
        metrics = {False: self.fontMetrics(), True: QFontMetrics(bold)}
        return max((metrics[b].horizontalAdvance(stamp) for stamp, b in stamps), default=0) + STAMP_PADDING_PX

    def _widest_setting_px(self) -> int:
        """Width the Settings column needs to show each setting whole ("β=0.005"; they wrap between
        settings): in presentation mode's larger text, 60 px cut every KL run's to "ρ=… β=…", which
        told the runs of a sweep over β apart nowhere but in the tooltips."""
        column = COLUMNS.index("Settings")
        words = {word for row in range(self.rowCount()) if (item := self.item(row, column)) is not None
                 for word in re.split(r"[\s\u200b]+", item.text())}  # (the parts a cell's lines may hold)
        return max((self.fontMetrics().horizontalAdvance(word) for word in words), default=0) + STAMP_PADDING_PX

    def fill(self, runs: list[RunSummary], status: Callable[[RunSummary], str]) -> None:
        """One row per run, in new rows: replacing the items of existing rows one by one costs Qt
        ~15 ms per cell with columns sized to their contents (20 s for 150 runs). ``status``: the
        text of a run's Status cell."""
        self.setSortingEnabled(False)
        self.setRowCount(0)
        self.setRowCount(len(runs))
        for row in range(len(runs)):
            for column, item in enumerate(self._cells(runs, row, status)):
                self.setItem(row, column, item)
        self.setSortingEnabled(True)
        self._schedule_fit()  # (a new run's value may differ from a folded column's: runs_folding.py)

    def update_rows(self, runs: list[RunSummary], indices: list[int], status: Callable[[RunSummary], str]) -> None:
        """Rewrite the cells of these runs in place (their texts and sort values; no new items).
        Only changed texts are set, with the columns' sizing to contents held until the end: each
        change made Qt re-measure every column over every row (3 ms a cell with 150 runs, 45 ms
        for the row of the run in training at every visit, profiled)."""
        rows = {self.item(row, 0).data(Qt.ItemDataRole.UserRole): row for row in range(self.rowCount())}
        # the items themselves, taken before any edit: an edit in the sorted column moves its row
        cells = {index: [self.item(rows[index], column) for column in range(len(COLUMNS))] for index in indices}
        header = self.horizontalHeader()
        to_contents = QHeaderView.ResizeMode.ResizeToContents
        sized = [c for c in range(len(COLUMNS)) if header.sectionResizeMode(c) == to_contents]
        for column in sized:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        resort = False  # only when the sorted column changed (sorting 150 rows again took 6.5 ms)
        for index in indices:
            for column, (cell, fresh) in enumerate(zip(cells[index], self._cells(runs, index, status))):
                if cell.text() != fresh.text():
                    cell.setText(fresh.text())
                    resort |= column == header.sortIndicatorSection()
                    if COLUMNS[column] in FOLDABLE:  # its one value may be one no longer, or one now (a run
                        self._schedule_fit()  # ended: "completed" on every row, Alive hidden beside it)
                if cell.toolTip() != fresh.toolTip():
                    cell.setToolTip(fresh.toolTip())
                if cell.data(SHOWN_ROLE) != fresh.data(SHOWN_ROLE):  # (the shown run's name is bold: wider)
                    cell.setData(SHOWN_ROLE, fresh.data(SHOWN_ROLE))
                    self._schedule_fit()
                if isinstance(cell, Number) and cell.value != fresh.value:
                    cell.value = fresh.value
                    resort |= column == header.sortIndicatorSection()
        if resort:
            self.sortItems(header.sortIndicatorSection(), header.sortIndicatorOrder())
        for column in sized:  # one measuring pass for the lot
            header.setSectionResizeMode(column, to_contents)
