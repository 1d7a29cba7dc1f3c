"""The main window's tabs: which exist, how each is made, and when.

Only the Probe tab is built before the first paint; Training, Atlas and Runs are made by the
factories here after it (:meth:`WindowTabs.finish_startup`), when first shown, or when a run
starts, whichever comes first. Callers ask the window for ``training_view`` & co.: a view is
built on demand, so they never see a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from sae_desktop.qt.deferred import Deferred, build_in_background, import_in_background
from sae_desktop.qt.torch_loader import FAILED, READY

if TYPE_CHECKING:
    from sae_desktop.qt.atlas_view import AtlasView
    from sae_desktop.qt.runs_view import RunsView
    from sae_desktop.qt.training_view import TrainingView

PAGE_GAP_MS = 50  # between building two hidden tabs: strokes and clicks are handled in between


def with_mnemonic(title: str, menu) -> str:
    """``title`` with "&" before its first letter no other entry of ``menu`` underlines (the
    tabs' entries were the View menu's only ones without an underlined letter)."""
    used = {a.text().lower()[a.text().index("&") + 1] for a in menu.actions() if "&" in a.text().rstrip("&")}
    i = next((i for i, c in enumerate(title) if c.isalpha() and c.lower() not in used), None)
    return title if i is None else f"{title[:i]}&{title[i:]}"


class WindowTabs:
    """Part of :class:`~sae_desktop.qt.main_window.MainWindow` (its tabs)."""

    def add_tab(self, view: QWidget | Callable[[], QWidget], title: str, shortcut: str) -> None:
        """Tabs of the other features (probe, atlas, runs) plug in here: a view, or a function
        that makes it (called after the first paint, or when the tab is first shown)."""
        if isinstance(view, QWidget):
            self.tabs.addTab(view, title)
        else:
            page = self.tabs.add_deferred(view, title)
            page.built.connect(self.view.adopt)  # presentation mode's sizes, if on
        index = self.tabs.count() - 1
        action = self._action(f"Show {with_mnemonic(title, self.view_menu)}", lambda: self.show_tab(index),
                              shortcut, title)
        self.view_menu.addAction(action)

    def _page(self, title: str) -> Deferred:
        return next(page for page in self.tabs.pages() if self.tabs.tabText(self.tabs.indexOf(page)) == title)

    def built_view(self, title: str) -> QWidget | None:
        """The view of the tab ``title`` if it is built yet (else None; nothing is shown in it yet;
        the Probe's is built with the window)."""
        if not any(self.tabs.tabText(self.tabs.indexOf(page)) == title for page in self.tabs.pages()):
            return next(self.tabs.widget(i) for i in range(self.tabs.count()) if self.tabs.tabText(i) == title)
        return self._page(title).peek()

    @property
    def training_view(self) -> TrainingView:
        return self._page("Training").widget

    @property
    def atlas_view(self) -> AtlasView:
        return self._page("Atlas").widget

    @property
    def runs_view(self) -> RunsView:
        return self._page("Runs").widget

    def _make_training_view(self) -> TrainingView:
        from sae_desktop.qt.training_view import TrainingView

        view = TrainingView(self.run, self.shown)
        self.controller.revived.connect(view.on_revival)
        if (cfg := self.panel.config()) is not None:
            view.preview(cfg)
        return view

    def _make_atlas_view(self) -> AtlasView:
        from sae_desktop.qt.atlas_view import AtlasView

        return AtlasView(self.shown, self.test_set)

    def _make_runs_view(self) -> RunsView:
        from sae_desktop.qt.runs_view import RunsView
        from sae_desktop.runs import CHECKPOINT

        view = RunsView(self.test_set)
        view.showRequested.connect(self.show_model)
        view.failed.connect(lambda title, text: self.notify(title, text, error=True))
        view.said.connect(lambda text: self.statusBar().showMessage(text, 10000))
        view.renamed.connect(self.shown.moved)  # (the shown run's model is read, and saved, from its new folder)
        view.renamed.connect(self.run.moved)  # (the last run trained here, and the run Continue training goes on)
        view.trashed.connect(self.run.trashed)  # (…or forgotten, moved to the trash)
        # the run this window trains reads "training", not "running or killed" as any unfinished one
        # (and "paused" while it is: the table said "no epoch finished" in its first epoch, and never "paused")
        def live() -> None:
            training = self.run.start is not None and self.run.end is None
            view.set_live(self.run.run_dir if training else None, self.run.status)

        live()
        for changed in (self.run.started, self.run.ended, self.run.status_changed):
            changed.connect(lambda _: live())

        def shown(snap) -> None:  # the run whose model Probe and Atlas show: its name bold
            path = None if snap is None else snap.path
            view.set_shown(path.parent if path is not None and path.name == CHECKPOINT else None)

        shown(self.shown.snapshot)
        self.shown.changed.connect(shown)
        self.shown.evaluated.connect(shown)  # (a run's model saved as a file is that file's: no run bold)
        # the run in training, as its folder changes: a row at its start, its figures at each epoch
        # (a sweep's runs appeared and changed only at run ends), its status at its end (in a sweep
        # the next run is already training: the folders are read off the GUI thread)
        for changed in (self.run.started, self.run.epoch_finished, self.run.ended):
            changed.connect(lambda _: view.isVisible() and view.refresh_in_background())
        return view

    def finish_startup(self) -> None:
        """After the first paint: pyqtgraph and superqt are imported in the background, then
        the probe gets its bar chart, the test digits are read, PyTorch loads in the background,
        and once it is in, the hidden tabs are built (a tab shown before then is built at once).
        One import at a time: they compete for the interpreter."""
        def libraries_loaded() -> None:
            self.probe_view.complete()
            self.test_set.release()
            self.torch.start()

        import_in_background(("pyqtgraph", "superqt"), libraries_loaded)
        self.torch.stateChanged.connect(
            lambda state: state in (READY, FAILED) and build_in_background(self.tabs.pages(), delay_ms=PAGE_GAP_MS))

    def build_all_tabs(self) -> None:
        """Before a run: every view that mirrors it exists from its first event."""
        for page in self.tabs.pages():
            page.widget  # noqa: B018

    def show_tab(self, index: int) -> None:
        """The tab shown, with the keyboard, also when it is shown already (from a training field,
        Ctrl+2 on the Probe changed nothing, and R was typed into Learning rate)."""
        self.tabs.setCurrentIndex(index)
        self._focus_tab(index)

    def _focus_tab(self, index: int) -> None:
        """The shown tab gets the keyboard, so its shortcuts work at once (focus left in a
        training field would take R, Ctrl+Z, [ ] as typing)."""
        page = self.tabs.widget(index)
        focus = self.focusWidget()
        if page is not None and (focus is None or not page.isAncestorOf(focus)):
            page.setFocus(Qt.FocusReason.OtherFocusReason)
