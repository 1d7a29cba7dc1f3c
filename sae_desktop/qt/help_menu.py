"""Help menu: keyboard shortcuts, the shown model in words, the applications-menu launcher, About."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QTabWidget

from sae_desktop import APP_NAME, launcher
from sae_desktop.qt import dialogs


def plot_tabs(tabs: QTabWidget) -> list[str]:
    """The tabs with a plot that has pyqtgraph's mouse menu (the Probe's bars steer instead)."""
    import pyqtgraph as pg

    def has_menu(page) -> bool:
        return any(plot.getPlotItem().getViewBox().menuEnabled() for plot in page.findChildren(pg.PlotWidget))

    return [tabs.tabText(i).replace("&", "") for i in range(tabs.count()) if has_menu(tabs.widget(i))]


class HelpMenu:
    """Builds the Help menu's actions on ``window`` (with its ``_action`` factory and ``notify``)."""

    def __init__(self, window: QMainWindow, menu: QMenu):
        self.window = window
        a = window._action
        self.shortcuts_action = a("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents,
                                  "Every shortcut and mouse gesture")
        self.model_action = a("The shown m&odel", self.show_model, None,
                              "The model in Probe and Atlas in words: its architecture, sparsity, loss and settings")
        self.launcher_action = a("Add to applications &menu", self.toggle_launcher, None,
                                 "Add a launcher with the app's icon to the desktop's applications menu")
        self.about_action = a("&About", self.show_about, None,
                              "Versions, devices and folders; copy them for a bug report")
        for action in (self.shortcuts_action, self.model_action, self.launcher_action, self.about_action):
            menu.addAction(action)
        self._update_launcher_action()

    def show_shortcuts(self) -> None:
        w = self.window
        self.shortcuts_box = dialogs.show_shortcuts(w, {
            "Anywhere in the window": [a for a in w.actions() if a.shortcuts()],
            "In the Probe tab": [a for a in w.probe_view.actions() if a.shortcuts()],
            # (its table's own keys: F2 renames, missing from a list written by hand; the tab built if not yet)
            "On the Runs tab's selected rows": [a for a in w.runs_view.table.actions() if a.shortcuts()],
        }, plot_tabs(w.tabs))

    def show_model(self) -> None:
        from sae_desktop.qt.model_card import show_model_card

        self.model_box = show_model_card(self.window, self.window.shown)

    def show_about(self) -> None:
        self.about_box = dialogs.show_about(self.window)

    def toggle_launcher(self) -> None:
        """Add (or, when present, remove) the applications-menu launcher: ``sae-desktop install-launcher``."""
        notify = self.window.notify
        try:
            if launcher.installed():
                removed = launcher.uninstall_launcher()
                notify("Launcher removed", f"{APP_NAME} is no longer in the applications menu.\nFiles removed:\n"
                       + "\n".join(map(str, removed)))
            else:
                files = launcher.install_launcher()
                # the first line is the status bar's: short enough for the window a 1280-px screen opens
                notify("Added to the applications menu", "It may take a moment to appear there.\n"
                       "Files written:\n" + "\n".join(map(str, files)))
        except launcher.LauncherError as exc:
            notify("Could not change the launcher", str(exc), error=True)
        self._update_launcher_action()

    def _update_launcher_action(self) -> None:
        self.launcher_action.setText("Remove from applications &menu" if launcher.installed()
                                     else "Add to applications &menu")
