"""The "Runs" tab: every training run on disk, the MSE-vs-L0 frontier, and a comparison.

Pick one run to show it in the probe and atlas, or two to compare them on the same digits
(e.g. β = 0 against the tutorial's β).
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from sae_desktop.checkpoint import CheckpointError
from sae_desktop.qt.staggered_paint import StaggeredPaint
from sae_desktop.qt.compare_view import CompareView
from sae_desktop.qt.frontier_plot import FrontierPlot
from sae_desktop.qt.labels import ElidedLabel
from sae_desktop.qt.runs_cells import LIVE_STATUS
from sae_desktop.qt.runs_compare import RunsComparison
from sae_desktop.qt.runs_layout import RunsLayout
from sae_desktop.qt.runs_actions import RunsActions
from sae_desktop.qt.runs_table import RunsTable
from sae_desktop.qt.test_set import TestSetProvider
from sae_desktop.run_list import RunSummary, scan_runs
from sae_desktop.runs import CHECKPOINT, NO_EPOCH_FINISHED, RECORDS_LOST, RUNNING_OR_KILLED
from sae_desktop.snapshot import ModelSnapshot
from sae_desktop.words import counted

UNFINISHED = (RUNNING_OR_KILLED, NO_EPOCH_FINISHED, RECORDS_LOST)  # what the folders of a run still training say
# (continued in place from a stop before its first report: no record until its next one)
FOLDED_TIP = ("The columns that hold one value for every run are folded into this line where the table would "
              "scroll sideways, and then columns whose values follow from others', or are needed least, are hidden; "
              "they come back with room (or once a run differs), or from a header's right-click menu.")


class RunsView(QWidget):
    showRequested = Signal(object)  # ModelSnapshot to show in the probe and atlas
    failed = Signal(str, str)  # title, message
    said = Signal(str)  # a line for the status bar
    renamed = Signal(object, object)  # a run's folder, renamed: its old path, its new one
    trashed = Signal(object)  # list[Path]: run folders moved to the trash
    scanned = Signal()  # the table and the frontier show the run folders as just scanned

    def __init__(self, test_set: TestSetProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs: list[RunSummary] = []
        self._scans, self._started = 0, 0  # folder scans shown, and begun
        self._scanning, self._scan_again = False, False  # a background scan running; another asked for
        self.skipped: list[tuple[str, str]] = []  # (folder name, why) of run folders that could not be read
        self.table = RunsTable()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # (showing the tab: see focusInEvent)
        self.live_folder = None  # the run folder this window is training into (its status: "training")
        self.live_status = "running"  # …and the run's status (run_state.STATUSES): "paused" is said too
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
        self.comparison = RunsComparison(self)  # (which two runs it shows, loaded off the window's thread)
        buttons = QHBoxLayout()
        for widget in (self.refresh_button, self.show_button, self.compare_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        self.table.foldingChanged.connect(lambda _text: self._hint())
        # The table gets the tab's full width (all its columns fit at 1440×900, no sideways
        # scrolling beside empty space); the frontier sits beside the comparison below it.
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addLayout(buttons)
        # on a row of its own (beside the buttons at 1024×768 it was "All: mnist … · 3 columns hidde…"), cut to it,
        # never widening the window; hidden while it says nothing
        holder_layout.addWidget(self.hint)
        holder_layout.addWidget(self.skipped_label)
        holder_layout.addWidget(self.table, 1)
        self.compare_area = compare_area = QScrollArea()  # on a small screen it scrolls instead of squeezing
        compare_area.setWidgetResizable(True)
        compare_area.setFrameShape(QFrame.Shape.NoFrame)
        compare_area.setWidget(self.compare)
        self.splits = RunsLayout(self, holder, self.table, self.frontier, compare_area)
        self.compare.modelsShown.connect(self.splits.comparing)
        self.body, self.bottom, self.holder = self.splits.body, self.splits.bottom, holder
        QVBoxLayout(self).addWidget(self.body)
        # the keyboard's order: the table (Ctrl+4 gives it the focus), then the buttons acting on its
        # selection; the frontier is for the mouse (by Tab, focus on it showed nowhere and did nothing)
        self.frontier.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for before, after in ((self.table, self.refresh_button), (self.refresh_button, self.show_button),
                              (self.show_button, self.compare_button)):
            QWidget.setTabOrder(before, after)
        self.refresh_button.clicked.connect(self.refresh)
        self.show_button.clicked.connect(self._show_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()
        self.run_actions = RunsActions(self)  # (right-click a row: its folder, the trash; Delete)
        self.refresh_in_background()  # built before its first visit (after the first paint): ready by then
        self.staggered = StaggeredPaint([self.frontier], self)

    def focusInEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Showing the tab (Ctrl+4) gives the table the keyboard (↓ selected no row until two Tabs)."""
        super().focusInEvent(event)
        self.table.setFocus(event.reason())

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

    def up_to_date(self) -> RunsView:
        """The view with the run folders as they are now (an export of the frontier from another
        tab left out the runs trained since the last visit)."""
        self.refresh()
        return self

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
        chosen = {run.folder for run in self.selected_runs()}  # (by the old list's indices)
        self.runs, self.skipped = runs, skipped
        if same_rows:  # e.g. the run in training finished another epoch: rewrite its cells only
            self.table.update_rows(self.runs, changed, self.status_of)
        else:
            self.fill_table(chosen)
        self.frontier.set_runs(self.runs)
        self._hint()
        self.splits.schedule_table_fit()
        self.skipped_label.setText(self._skipped_text())
        self.skipped_label.setToolTip("\n".join(f"{name}: {why}" for name, why in self.skipped))
        self.skipped_label.setVisible(bool(self.skipped))
        self._selection_changed()
        self.comparison.again_if_changed()
        self.scanned.emit()

    def _hint(self) -> None:
        """Above the table: how to get runs, or what the runs in folded columns share, and which columns are
        hidden to fit."""
        folding, hidden = self.table.folding, self.table.derived.text()  # (and the columns hidden to fit: named,
        if self.runs or self.skipped:  # then counted, where the line is cut at the tab's width)
            forms = [folding.text(), *folding.shorter()] if folding.folded else [""]
            self.hint.setText(*[" · ".join(filter(None, (form, said))) for said in
                                dict.fromkeys((hidden, self.table.derived.text(short=True))) for form in forms])
        else:
            self.hint.setText("No runs yet: train one (Ctrl+Return).")
        if folding.folded or hidden:
            self.hint.setToolTip(f"{self.hint.text()}\n\n{FOLDED_TIP}")
        self.hint.setVisible(bool(self.hint.text()))

    def status_of(self, run: RunSummary) -> str:
        """Its status; a stopped run's, with the step its weights and figures are from (its Epochs
        count whole epochs: "1" beside the figures of step 757 read as one epoch's)."""
        live = self.live_folder is not None and run.status in UNFINISHED and run.folder == self.live_folder
        if live:
            return LIVE_STATUS.get(self.live_status, "training")
        return f"stopped at\nstep {run.step}" if run.status == "stopped" and run.step is not None else run.status

    def set_live(self, folder, status: str) -> None:
        """The run this window trains (``folder``, None when none) and its status ("running",
        "paused"…, run_state.STATUSES): its row says so at once, without reading the folders."""
        before = self.live_folder
        self.live_folder, self.live_status = folder, status
        self._rewrite_rows({before, folder})

    def set_shown(self, folder) -> None:
        """The run whose model Probe and Atlas show (None: another model): its name is bold."""
        before = self.table.shown_folder
        self.table.shown_folder = None if folder is None else folder.resolve()
        self._rewrite_rows({before, self.table.shown_folder})

    def _rewrite_rows(self, folders: set) -> None:
        """The rows of the runs in these folders, written again in place (their status, their bold)."""
        folders = {Path(f).resolve() for f in folders if f is not None}
        rows = [i for i, run in enumerate(self.runs) if run.folder.resolve() in folders]
        if rows and self.table.rowCount() == len(self.runs):
            self.table.update_rows(self.runs, rows, self.status_of)

    def fill_table(self, chosen: set | None = None) -> None:
        """The table anew, the runs in the ``chosen`` folders selected again (a run that ended
        refilled it: the selection, and the frontier's glow, went, beside a comparison of two)."""
        self.table.fill(self.runs, self.status_of)
        chosen = chosen or set()
        rows = [row for row in range(self.table.rowCount())
                if self.runs[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)].folder in chosen]
        if rows:
            selection = self.table.selectionModel()
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            with QSignalBlocker(self.table):  # (one selection change for the lot, below)
                for row in rows:
                    selection.select(self.table.model().index(row, 0), flags)
            self.table.scrollToItem(self.table.item(rows[0], 0))  # (out of view after a Refresh, glowing on the
            self._selection_changed()  # frontier all the same)

    def _skipped_text(self) -> str:
        """Which run folders were left out and why (all of them in the tooltip)."""
        n = len(self.skipped)
        shown = "; ".join(f"{name} ({why})" for name, why in self.skipped[:2])
        more = f"; and {n - 2} more (hover for all)" if n > 2 else ""
        return f"Skipped {counted(n, 'run folder')} that could not be read: {shown}{more}"

    @property
    def compared(self) -> list[RunSummary]:
        """The two runs the comparison shows, as they were then."""
        return self.comparison.compared

    def selected_runs(self) -> list[RunSummary]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)] for r in rows]

    def _selection_changed(self) -> None:
        chosen = self.selected_runs()
        has_checkpoint = [r.folder.joinpath(CHECKPOINT).is_file() for r in chosen]
        self.show_button.setEnabled(len(chosen) == 1 and all(has_checkpoint))
        self.compare_button.setEnabled(len(chosen) == 2 and all(has_checkpoint))
        self.frontier.mark(chosen)
        self.comparison.mark_selection(chosen)

    def select_folder(self, folder) -> None:
        """The row of the run in ``folder``, selected (none there: the selection as it is)."""
        index = next((i for i, run in enumerate(self.runs) if Path(run.folder) == Path(folder)), None)
        if index is not None:
            self._select_run(index)

    def _select_run(self, index: int) -> None:
        """A point clicked on the frontier: its run's row."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == index:
                self.table.selectRow(row)

    def _load(self, run: RunSummary) -> ModelSnapshot | None:
        try:
            return ModelSnapshot.load(run.folder / CHECKPOINT)
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
            self.comparison.start(chosen, same_digits=False)
