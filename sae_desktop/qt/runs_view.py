"""The "Runs" tab: every training run on disk, the MSE-vs-L0 frontier, and a comparison.

Pick one run to show it in the probe and atlas, or two to compare them on the same digits
(e.g. β = 0 against the tutorial's β).
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QPushButton, QScrollArea,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from sae_desktop.checkpoint import CheckpointError
from sae_desktop.qt.staggered_paint import StaggeredPaint
from sae_desktop.qt.compare_view import CompareView
from sae_desktop.qt.frontier_plot import FrontierPlot
from sae_desktop.qt.labels import ElidedLabel
from sae_desktop.qt.test_set import TestSetProvider
from sae_desktop.run_list import RunSummary, scan_runs, settings_text
from sae_desktop.runs import RUNNING_OR_KILLED
from sae_desktop.snapshot import ModelSnapshot

COLUMNS = ("Run", "Dataset", "Penalty", "Settings", "Latents", "Epochs", "Status", "Test MSE", "FVU", "L0", "Dead",
           "Alive", "Dense", "Mean act.", "Time (s)")
COLUMN_TIPS = {"FVU": "fraction of variance unexplained: test MSE ÷ the test images' variance about their mean "
                      "(0 perfect, 1 no better than the mean image)",
               "Alive": "share of latents active on at least one test image",
               "Dense": "share of latents active on more than 10% of test images",
               "L0": "mean number of active latents per test image",
               "Time (s)": "the epochs' time (training and evaluation), summed: without loading the data or "
                           "starting up, so a few seconds less than the progress panel's Elapsed"}
NAME_COLUMNS_PX = {"Run": 100, "Settings": 80}  # narrower, the names are unreadable: scroll sideways instead
STAMP_PADDING_PX = 9  # around the run's date and time: a cell's text margins (3 px a side), the grid's
# 1 px and 2 for the text's fractional width (with 6, a real X window elided it: "20261202-2020…")
SETTINGS_LEAST_PX = 60  # the settings wrap ("k=16 AuxK" / "0.03125"), elided beyond (full text in the tooltip)
MEASURED_ROWS = 40  # rows the table's columns are sized to (those in view first)


class _Number(QTableWidgetItem):
    """Sorts by value, shows formatted text, blank when unknown."""

    def __init__(self, value: float | None, fmt: str):
        super().__init__("" if value is None else format(value, fmt))
        self.value = -np.inf if value is None else float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        return self.value < other.value if isinstance(other, _Number) else super().__lt__(other)


class RunsView(QWidget):
    showRequested = Signal(object)  # ModelSnapshot to show in the probe and atlas
    failed = Signal(str, str)  # title, message
    scanned = Signal()  # the table and the frontier show the run folders as just scanned

    def __init__(self, test_set: TestSetProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs: list[RunSummary] = []
        self.compared: list[RunSummary] = []  # the two runs the comparison shows, as they were then
        self._scans, self._started = 0, 0  # folder scans shown, and begun
        self._scanning, self._scan_again = False, False  # a background scan running; another asked for
        self.skipped: list[tuple[str, str]] = []  # (folder name, why) of run folders that could not be read
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, name in enumerate(COLUMNS):
            if name in COLUMN_TIPS:
                self.table.horizontalHeaderItem(column).setToolTip(COLUMN_TIPS[name])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # measured on the rows in view and up to MEASURED_ROWS in all, not Qt's 1000: with 150 runs each
        # pass re-measured 2400 cells (18 ms of a visit during training); the cells of a column are alike
        header.setResizeContentsPrecision(MEASURED_ROWS)
        self._fit_row_height()
        self.table.installEventFilter(self)  # resized, or its other columns resized to new contents: the
        header.sectionResized.connect(self._column_resized)  # names' columns are fitted again
        self._fit_pending = False
        self.live_folder = None  # the run folder this window is training into (its status: "training")
        self.frontier = FrontierPlot()
        self.frontier.runClicked.connect(self._select_run)
        self.refresh_button, self.show_button = QPushButton("Refresh"), QPushButton("Show in probe and atlas")
        self.compare_button = QPushButton("Compare the two selected runs")
        self.hint = ElidedLabel(None, elide=Qt.TextElideMode.ElideRight)
        self.skipped_label = QLabel()  # on its own row, wrapped: a long reason never widens the window
        self.skipped_label.setWordWrap(True)
        self.skipped_label.setStyleSheet("color: #a03000;")
        self.skipped_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.skipped_label.hide()
        self.compare = CompareView(test_set)
        buttons = QHBoxLayout()
        for widget in (self.refresh_button, self.show_button, self.compare_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.hint, 1)  # the rest of the row (cut to it: it never widens the window)
        # The table gets the tab's full width (all its columns fit at 1440×900, no sideways
        # scrolling beside empty space); the frontier sits beside the comparison below it.
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addLayout(buttons)
        holder_layout.addWidget(self.skipped_label)
        holder_layout.addWidget(self.table, 1)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.frontier)
        self.compare_area = compare_area = QScrollArea()  # on a small screen it scrolls instead of squeezing
        compare_area.setWidgetResizable(True)
        compare_area.setFrameShape(QFrame.Shape.NoFrame)
        compare_area.setWidget(self.compare)
        bottom.addWidget(compare_area)
        bottom.setStretchFactor(1, 2)
        bottom.setSizes([380, 760])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(holder)
        body.addWidget(bottom)
        body.setSizes([300, 550])
        QVBoxLayout(self).addWidget(body)
        self.refresh_button.clicked.connect(self.refresh)
        self.show_button.clicked.connect(self._show_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()
        self.refresh_in_background()  # built before its first visit (after the first paint): ready by then
        self.staggered = StaggeredPaint([self.frontier], self)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """A visit shows the table as it was and rescans the folders in the background (during
        training each file check waits for the interpreter, which the training thread holds:
        50-300 ms of a frozen window per visit, measured); only a first visit before any scan
        came back fills the table at once."""
        super().showEvent(event)
        self.staggered.hold()
        if self._scans:
            self.refresh_in_background()
        else:
            self.refresh()

    def refresh(self) -> None:
        self._started += 1  # a background scan begun before this one is out of date when it returns
        self._show_scan(*scan_runs())  # a malformed run folder is skipped and named, never fatal

    def refresh_in_background(self) -> None:
        if self._scanning:
            self._scan_again = True  # something may have changed after that scan began
            return
        from superqt.utils import create_worker

        self._scanning, self._scan_again = True, False
        self._started += 1
        started = self._started
        worker = create_worker(scan_runs, _start_thread=False)
        worker.returned.connect(lambda result: self._scan_returned(result, started))
        worker.errored.connect(lambda _: self._scan_returned(None, started))  # (scan_runs reports, never raises)
        worker.start()

    def _scan_returned(self, result, started: int) -> None:
        if not shiboken6.isValid(self):
            return  # the window closed meanwhile
        self._scanning = False
        if self._scan_again:
            self.refresh_in_background()
        elif isinstance(result, tuple) and started == self._started:
            self._show_scan(*result)

    def _show_scan(self, runs: list[RunSummary], skipped: list[tuple[str, str]]) -> None:
        self._scans += 1
        # (the first scan always shows: with no runs it matched the empty start, and the frontier
        # kept the five penalties pyqtgraph named at creation, and no "No runs yet" hint)
        if self._scans > 1 and (runs, skipped) == (self.runs, self.skipped) and self.table.rowCount() == len(runs):
            self.scanned.emit()
            return  # nothing changed since the last visit: the table and the frontier stay as they are
        same_rows = [r.folder for r in runs] == [r.folder for r in self.runs] and self.table.rowCount() == len(runs)
        changed = [i for i, (old, new) in enumerate(zip(self.runs, runs)) if old != new] if same_rows else []
        self.runs, self.skipped = runs, skipped
        if same_rows:  # e.g. the run in training finished another epoch: rewrite its cells only
            self._update_rows(changed)
        else:
            self._fill_table()
        self.frontier.set_runs(self.runs)
        self.hint.setText("" if self.runs or self.skipped else "No runs yet: train one (Ctrl+Return).")
        self.skipped_label.setText(self._skipped_text())
        self.skipped_label.setToolTip("\n".join(f"{name}: {why}" for name, why in self.skipped))
        self.skipped_label.setVisible(bool(self.skipped))
        self._selection_changed()
        self._compare_again_if_changed()
        self.scanned.emit()

    def _status(self, run: RunSummary) -> str:
        """Its status; a stopped run's, with the step its weights and figures are from (its Epochs
        count whole epochs: "1" beside the figures of step 757 read as one epoch's)."""
        live = self.live_folder is not None and run.status == RUNNING_OR_KILLED and run.folder == self.live_folder
        if live:
            return "training"
        return f"stopped\nat step {run.step}" if run.status == "stopped" and run.step is not None else run.status

    def _cells(self, index: int) -> list[QTableWidgetItem]:
        run = self.runs[index]
        c = run.config
        cells = [QTableWidgetItem(run.name), QTableWidgetItem(c.get("dataset", "")),
                 QTableWidgetItem(c.get("penalty", "")), QTableWidgetItem(settings_text(c)),
                 _Number(c.get("d_latent"), "d"), _Number(run.epochs_done, "d"), QTableWidgetItem(self._status(run)),
                 _Number(run.test_mse, ".5f"), _Number(run.fvu, ".4f"), _Number(run.l0, ".2f"),
                 _Number(run.dead_latents, "d"), _Number(run.frac_alive, ".0%"), _Number(run.frac_dense, ".0%"),
                 _Number(run.rho_hat_mean, ".4f"), _Number(run.seconds, ".1f")]
        cells[0].setData(Qt.ItemDataRole.UserRole, index)
        cells[0].setToolTip(str(run.folder))
        cells[3].setToolTip(cells[3].text())  # the column may be elided to fit the window
        return cells

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if obj is self.table and event.type() == QEvent.Type.Resize:
            self._schedule_fit()
        elif obj is self.table and event.type() == QEvent.Type.FontChange:  # presentation mode, a desktop's font
            self._fit_row_height()
            self._schedule_fit()
        return False

    def _fit_row_height(self) -> None:
        """Rows two lines high in the table's font: a run's name wraps after its date and time
        (Qt's default height held one line of a large font, and cut that line short: "2026…")."""
        self.table.verticalHeader().setDefaultSectionSize(2 * self.table.fontMetrics().lineSpacing() + 6)

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
        header = self.table.horizontalHeader()
        others = sum(header.sectionSize(c) for c, name in enumerate(COLUMNS) if name not in NAME_COLUMNS_PX)
        bar = self.table.verticalScrollBar()  # room for it even before Qt shows it (the rows just came)
        room = self.table.viewport().width() - others - (0 if bar.isVisible() else bar.sizeHint().width())
        run = max(NAME_COLUMNS_PX["Run"], self._stamp_px())  # the settings give up what the names need
        settings_least = max(SETTINGS_LEAST_PX, header.minimumSectionSize())  # a stretched column's floor
        least = {"Run": run, "Settings": max(sum(NAME_COLUMNS_PX.values()) - run, settings_least)}
        extra = room - sum(least.values())
        names, settings = COLUMNS.index("Run"), COLUMNS.index("Settings")
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
        metrics = self.table.fontMetrics()
        stamps = {"-".join(run.name.split("-")[:2]) + "-" for run in self.runs}
        return max((metrics.horizontalAdvance(stamp) for stamp in stamps), default=0) + STAMP_PADDING_PX

    def _fill_table(self) -> None:
        """One row per run, in new rows: replacing the items of existing rows one by one costs Qt
        ~15 ms per cell with columns sized to their contents (20 s for 150 runs)."""
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        self.table.setRowCount(len(self.runs))
        for row in range(len(self.runs)):
            for column, item in enumerate(self._cells(row)):
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)

    def _update_rows(self, indices: list[int]) -> None:
        """Rewrite the cells of these runs in place (their texts and sort values; no new items).
        Only changed texts are set, with the columns' sizing to contents held until the end: each
        change made Qt re-measure every column over every row (3 ms a cell with 150 runs, 45 ms
        for the row of the run in training at every visit, profiled)."""
        rows = {self.table.item(row, 0).data(Qt.ItemDataRole.UserRole): row for row in range(self.table.rowCount())}
        # the items themselves, taken before any edit: an edit in the sorted column moves its row
        cells = {index: [self.table.item(rows[index], column) for column in range(len(COLUMNS))] for index in indices}
        header = self.table.horizontalHeader()
        to_contents = QHeaderView.ResizeMode.ResizeToContents
        sized = [c for c in range(len(COLUMNS)) if header.sectionResizeMode(c) == to_contents]
        for column in sized:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        resort = False  # only when the sorted column changed (sorting 150 rows again took 6.5 ms)
        for index in indices:
            for column, (cell, fresh) in enumerate(zip(cells[index], self._cells(index))):
                if cell.text() != fresh.text():
                    cell.setText(fresh.text())
                    resort |= column == header.sortIndicatorSection()
                if cell.toolTip() != fresh.toolTip():
                    cell.setToolTip(fresh.toolTip())
                if isinstance(cell, _Number) and cell.value != fresh.value:
                    cell.value = fresh.value
                    resort |= column == header.sortIndicatorSection()
        if resort:
            self.table.sortItems(header.sortIndicatorSection(), header.sortIndicatorOrder())
        for column in sized:  # one measuring pass for the lot
            header.setSectionResizeMode(column, to_contents)

    def _skipped_text(self) -> str:
        """Which run folders were left out and why (all of them in the tooltip)."""
        n = len(self.skipped)
        shown = "; ".join(f"{name} ({why})" for name, why in self.skipped[:2])
        more = f"; and {n - 2} more (hover for all)" if n > 2 else ""
        return f"Skipped {n} run folder{'s' * (n > 1)} that could not be read: {shown}{more}"

    def selected_runs(self) -> list[RunSummary]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)] for r in rows]

    def _selection_changed(self) -> None:
        chosen = self.selected_runs()
        has_checkpoint = [r.folder.joinpath("checkpoint.safetensors").is_file() for r in chosen]
        self.show_button.setEnabled(len(chosen) == 1 and all(has_checkpoint))
        self.compare_button.setEnabled(len(chosen) == 2 and all(has_checkpoint))
        self.frontier.mark(chosen)

    def _select_run(self, index: int) -> None:
        """A point clicked on the frontier: its run's row."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == index:
                self.table.selectRow(row)

    def _load(self, run: RunSummary) -> ModelSnapshot | None:
        try:
            return ModelSnapshot.load(run.folder / "checkpoint.safetensors")
        except CheckpointError as exc:
            self.failed.emit("Could not open the run's model", str(exc))
            return None

    def _show_selected(self) -> None:
        chosen = self.selected_runs()
        if len(chosen) == 1 and (snap := self._load(chosen[0])) is not None:
            self.showRequested.emit(snap)

    def compare_selected(self) -> None:
        chosen = self.selected_runs()
        if len(chosen) == 2:
            models = [self._load(run) for run in chosen]
            if all(m is not None for m in models):
                self.compared = chosen
                self.compare.set_models(*models)
                self.compare_area.verticalScrollBar().setValue(0)  # a new comparison from its header

    def _compare_again_if_changed(self) -> None:
        """A compared run that changed since (continued, or trained another epoch) is compared
        again, on the same digits: the comparison kept a stopped run's figures beside the
        table's "completed"."""
        now = {run.folder: run for run in self.runs}
        if not self.compared or all(now.get(run.folder) == run for run in self.compared):
            return
        if any(run.folder not in now for run in self.compared):  # (a folder deleted: left as it was)
            return
        training = [letter for letter, run in zip("AB", self.compared) if self._status(now[run.folder]) == "training"]
        if training:  # each epoch: said, and compared again once the run ends
            return self.compare.mark_training(" and ".join(training))
        models = [self._load(now[run.folder]) for run in self.compared]
        if all(m is not None for m in models):
            self.compared = [now[run.folder] for run in self.compared]
            self.compare.set_models(*models, same_digits=True)
