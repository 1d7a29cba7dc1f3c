"""What a run in the Runs table can be asked besides being shown or compared: its folder opened
in the file manager, renamed (F2), or moved to the desktop's trash (Delete, or the table's right-click menu).
A lecture's rehearsal leaves a dozen trial runs on the frontier; nothing is deleted outright: a
run moved to the trash is restored from there. The run this window trains is never moved nor renamed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox, QWidget

from sae_desktop.run_list import RunSummary
from sae_desktop.runs import rename_problem
from sae_desktop.safe_write import describe_os_error
from sae_desktop.words import counted

if TYPE_CHECKING:
    from sae_desktop.qt.runs_view import RunsView


def trash_question(runs: list[RunSummary], shown: RunSummary | None = None) -> str:
    """What the question says: the runs (at most eight named), where they go, and that the model
    Probe and Atlas show is one of them, if it is (it stays shown, its files gone)."""
    names = "\n".join(run.name for run in runs[:8]) + (f"\n… and {len(runs) - 8} more" if len(runs) > 8 else "")
    where = ("Its folder (model, metrics, settings) goes to the desktop's trash, where it can be restored."
             if len(runs) == 1 else
             "Their folders (model, metrics, settings) go to the desktop's trash, where they can be restored.")
    text = f"Move {counted(len(runs), 'run')} to the trash?\n\n{names}\n\n{where}"
    if shown is not None:
        text += (f"\n\n{'It' if len(runs) == 1 else shown.name} is the model Probe and Atlas show: it stays "
                 "shown until you open another (File ▸ Save model as keeps a copy).")
    return text


def ask_to_trash(parent, runs: list[RunSummary], shown: RunSummary | None = None) -> bool:
    """The user's yes to moving ``runs`` to the trash."""
    box = QMessageBox(QMessageBox.Icon.Question, "Move to trash", trash_question(runs, shown),
                      QMessageBox.StandardButton.Cancel, parent)
    move = box.addButton("Move to Trash", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is move


def ask_new_name(parent: QWidget, current: str) -> str | None:
    """The name the user gives the run (its folder's), None when cancelled."""
    name, ok = QInputDialog.getText(parent, "Rename run", "The run's new name (its folder's):", text=current)
    return name if ok else None


def move_to_trash(folder: Path) -> bool:
    from PySide6.QtCore import QFile

    return bool(QFile.moveToTrash(str(folder)))


class RunsActions(QObject):
    def __init__(self, view: RunsView):
        super().__init__(view)
        self.view = view
        self.ask: Callable[..., bool] = ask_to_trash  # (a test answers for the user)
        self.trash: Callable[[Path], bool] = move_to_trash
        self.ask_name: Callable[[QWidget, str], str | None] = ask_new_name
        table = view.table
        self.open_action = QAction("Open run folder", table)
        self.open_action.setToolTip("The run's folder (model, metrics, settings) in the file manager")
        self.open_action.triggered.connect(self.open_folder)
        self.trash_action = QAction("Move to trash…", table)
        self.trash_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.trash_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # (the table's key only)
        self.trash_action.triggered.connect(self.move_selected_to_trash)
        table.addAction(self.trash_action)
        self.rename_action = QAction("Rename…", table)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.rename_action.triggered.connect(self.rename_selected)
        table.addAction(self.rename_action)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._menu)
        table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def menu(self) -> QMenu:
        """The selected runs' menu: show, compare, open the folder, rename, move to the trash."""
        menu = QMenu(self.view.table)
        for button in (self.view.show_button, self.view.compare_button):
            action = menu.addAction(button.text(), button.click)
            action.setEnabled(button.isEnabled())
        menu.addSeparator()
        menu.addAction(self.open_action)
        menu.addAction(self.rename_action)
        menu.addAction(self.trash_action)
        return menu

    def _menu(self, pos: QPoint) -> None:
        if not self.view.selected_runs():
            return
        menu = self.menu()
        menu.exec(self.view.table.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def _selection_changed(self) -> None:
        chosen = self.view.selected_runs()
        self.open_action.setEnabled(len(chosen) == 1)
        self.rename_action.setEnabled(len(chosen) == 1)
        self.trash_action.setEnabled(bool(chosen))
        training = [run for run in chosen if self._training(run)]
        self.trash_action.setToolTip("This run is training: stop it first" if training else
                                     "Move the selected runs' folders to the trash (Delete)")

    def _training(self, run: RunSummary) -> bool:
        live = self.view.live_folder
        return live is not None and Path(run.folder).resolve() == Path(live).resolve()

    def open_folder(self) -> None:
        chosen = self.view.selected_runs()
        if len(chosen) == 1 and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(chosen[0].folder))):
            self.view.failed.emit("Could not open the run's folder",  # (no file manager: said, with the path)
                                  f"No file manager opened it. The run's folder is {chosen[0].folder}")

    def move_selected_to_trash(self) -> None:
        chosen = self.view.selected_runs()
        training = [run for run in chosen if self._training(run)]
        if training:
            self.view.failed.emit("Not moved to the trash",
                                  f"{training[0].name} is training: stop it first, then move it to the trash.")
            return
        shown = self.view.table.shown_folder
        shown_run = next((run for run in chosen if shown is not None and Path(run.folder).resolve() == shown), None)
        if not chosen or not self.ask(self.view, chosen, shown_run):
            return
        kept = [run for run in chosen if not self.trash(Path(run.folder))]
        self.view.refresh()
        self.view.trashed.emit([Path(run.folder) for run in chosen if run not in kept])
        if moved := len(chosen) - len(kept):  # (said: the table alone changed, and the shown model stayed)
            still = f"; Probe and Atlas still show {shown_run.name}'s model" \
                if shown_run is not None and shown_run not in kept else ""
            self.view.said.emit(f"Moved {counted(moved, 'run')} to the desktop's trash{still}")
        if kept:
            self.view.failed.emit("Not moved to the trash",
                                  f"{counted(len(kept), 'run')} could not be moved to the trash (this desktop "
                                  f"has no trash for that folder): {', '.join(str(run.folder) for run in kept)}")

    def rename_selected(self) -> None:
        """The selected run's folder renamed, as the user names it (F2): the table, the frontier, the
        comparison and the shown model (its file, which Save writes) follow it. Never the run training."""
        chosen = self.view.selected_runs()
        if len(chosen) != 1:
            return
        run = chosen[0]
        if self._training(run):
            self.view.failed.emit("Not renamed", f"{run.name} is training: stop it first, then rename it.")
            return
        name = self.ask_name(self.view, run.name)
        name = None if name is None else name.strip()
        if name is None or name == run.name:
            return
        if (why := rename_problem(name, run.folder)) is not None:
            self.view.failed.emit("Not renamed", why)
            return
        old, new = Path(run.folder), Path(run.folder).parent / name
        try:
            old.rename(new)
        except OSError as exc:
            self.view.failed.emit("Not renamed", f"{run.name} could not be renamed: {describe_os_error(exc, old)}")
            return
        self.view.comparison.moved(old, new)
        self.view.refresh()
        self.view.select_folder(new)
        self.view.renamed.emit(old, new)
        self.view.said.emit(f"Renamed {run.name} to {name}")
