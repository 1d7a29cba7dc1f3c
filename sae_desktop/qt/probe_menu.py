"""The Probe menu: what the probe's test-digit browser does, from the menu bar. Presentation
mode hides the browser (its height goes to the canvas); a lecture could then pick neither a
label, nor the next digit, nor an image file without leaving it. Each item shows the Probe tab."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


def key(action: QAction) -> str:
    """The key an action of the Probe tab is known by, as a menu shows it, and where it works (a
    bare "R" in the key column read as a key of every tab, as the others there are)."""
    return f"{action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)} in Probe"


class ProbeMenu:
    def __init__(self, window: QMainWindow, menu: QMenu):
        self.window, self.menu = window, menu
        probe = window.probe_view
        self.browser = browser = probe.browser
        # its own actions: the Probe's, with their keys, in the menu bar made R work on every tab (in the Runs
        # table, typing R jumped to the Probe); the menu shows the keys the Probe tab knows them by
        tools = probe.tools
        self.random_action = self._action(f"&Random test digit\t{key(tools.random_action)}", browser.pick_random,
                                          "A random test digit with the chosen label (R in the Probe tab)")
        self.previous_action = self._action(f"&Previous test digit\t{key(tools.previous_action)}",
                                            lambda: browser.step(-1),
                                            "The previous test digit with the chosen label (◀; Page Up in the Probe)")
        self.next_action = self._action(f"&Next test digit\t{key(tools.next_action)}", lambda: browser.step(+1),
                                        "The next test digit with the chosen label (▶; Page Down in the Probe)")
        self.filter_menu = QMenu("Test digits &labelled", menu)
        self.filter_group = QActionGroup(self.filter_menu)  # (exclusive: one label, or any)
        self.load_action = self._action("&Load image file…", probe.choose_image_file,
                                        "Probe a photo or scan of a handwritten digit (PNG, JPG, …)", "Ctrl+L")
        for action in (self.random_action, self.previous_action, self.next_action):
            menu.addAction(action)
        menu.addMenu(self.filter_menu)
        menu.addSeparator()
        menu.addAction(self.load_action)
        menu.aboutToShow.connect(self.mirror)
        self.mirror()

    def _action(self, text: str, slot, tip: str, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            self.window.addAction(action)  # (its key anywhere in the window)
        action.setStatusTip(tip)
        action.triggered.connect(lambda: (self.show_probe(), slot()))
        return action

    def show_probe(self) -> None:
        self.window.tabs.setCurrentWidget(self.window.probe_view)

    def mirror(self) -> None:
        """The items as the browser is: its labels (the shown model's dataset's), the one its filter
        keeps, and whether there are test digits to pick (the test set may still be loading)."""
        combo, menu = self.browser.label, self.filter_menu
        names = [combo.itemText(i) for i in range(combo.count())]
        if [a.text() for a in menu.actions()] != names:
            menu.clear()
            for i, name in enumerate(names):
                action = menu.addAction(name)
                action.setCheckable(True)
                action.setActionGroup(self.filter_group)
                action.triggered.connect(lambda _=False, i=i: (self.show_probe(), combo.setCurrentIndex(i)))
        for i, action in enumerate(menu.actions()):
            action.setChecked(i == combo.currentIndex())
        ready = self.browser.random.isEnabled()
        for action in (self.random_action, self.previous_action, self.next_action, *menu.actions()):
            action.setEnabled(ready)
