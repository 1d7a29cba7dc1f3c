"""The tools under the probe's canvas: brush, eraser, undo, redo and clear, as buttons and keys
(B, E, Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y, Delete), the brush width (a slider, [ and ]), R for a
random test digit, and Page Up / Page Down for the previous and next one (a presenter's remote
sends those: a lecture steps through test digits without the mouse)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from sae_desktop.qt.canvas import SIZE, DrawingCanvas

CHECKED_TOOL = ("QToolButton:checked { background-color: palette(highlight); color: palette(highlighted-text);"
                " border: 1px solid palette(highlight); border-radius: 3px; }"
                # (the style sheet hid Fusion's focus ring: Tab onto the checked Brush changed nothing on screen)
                " QToolButton:checked:focus { border: 2px solid palette(text); }")


WIDTH_SETTING = "probe/brush_width"  # remembered across launches (main_window saves it on closing)
WIDTH_RANGE = (4, 60)  # canvas pixels
# [ and ] step through these (steps of 4 from the default 22 never came back to it once the range's end was met)
WIDTHS = (4, 6, 8, 11, 15, 22, 30, 40, 50, 60)


def remembered_width(default: int) -> int:
    """The brush width last used, within the slider's range; ``default`` if none, or garbled."""
    from sae_desktop.qt.settings import app_settings

    value = app_settings().value(WIDTH_SETTING, default)
    try:
        return int(min(max(int(str(value)), WIDTH_RANGE[0]), WIDTH_RANGE[1]))
    except ValueError:
        return default


class DrawingTools(QWidget):
    def __init__(self, canvas: DrawingCanvas, random_digit: Callable[[], None], step_digit: Callable[[int], None],
                 host: QWidget, parent: QWidget | None = None):
        """``host``: the widget whose keys these are (the probe's view: Qt ignores a hidden widget's)."""
        super().__init__(parent)
        self.canvas, self.host = canvas, host
        self.buttons = QHBoxLayout()
        tools = QHBoxLayout()
        tools.addLayout(self.buttons)
        tools.addStretch(1)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addLayout(tools)
        self.brush_action = self._action("Brush", "B", lambda: self.set_eraser(False), checkable=True)
        self.eraser_action = self._action("Eraser", "E", lambda: self.set_eraser(True), checkable=True)
        self.undo_action = self._action("Undo", QKeySequence.StandardKey.Undo, canvas.undo)
        self.redo_action = self._action("Redo", (QKeySequence.StandardKey.Redo, "Ctrl+Y"), canvas.redo)
        self.clear_action = self._action("Clear", ("Delete", "Backspace"), canvas.clear)
        self._action("Thinner", "[", lambda: self.step_width(-1), button=False)
        self._action("Thicker", "]", lambda: self.step_width(+1), button=False)
        self.random_action = self._action("&Random test digit", "R", random_digit, button=False)
        self.previous_action = self._action("&Previous test digit", "PgUp", lambda: step_digit(-1), button=False)
        self.next_action = self._action("&Next test digit", "PgDown", lambda: step_digit(+1), button=False)
        self.brush_action.setChecked(True)
        # made after the buttons: Tab goes in the order on screen, the buttons' row, then the slider below
        # (made first, the slider came first; QWidget.setTabOrder left the chain as it was)
        self.width_slider = QSlider(Qt.Orientation.Horizontal)
        self.width_slider.setRange(*WIDTH_RANGE)
        self.width_slider.setMinimumWidth(50)
        self.width_slider.setValue(remembered_width(int(canvas.brush_width)))
        canvas.brush_width = float(self.width_slider.value())
        self.width_slider.setToolTip(f"Brush width, in the canvas's {SIZE} px ([ and ])")
        self.width_slider.valueChanged.connect(lambda v: setattr(canvas, "brush_width", float(v)))
        self.width_label = QLabel()  # its figure: the slider alone showed none
        self.width_label.setMinimumWidth(self.width_label.fontMetrics().horizontalAdvance("60 px "))
        self.width_slider.valueChanged.connect(lambda v: self.width_label.setText(f"{v} px"))
        self.width_label.setText(f"{self.width_slider.value()} px")
        width_row = QHBoxLayout()  # a row of its own: one row with the buttons is too wide for 1024 px
        width_row.addWidget(QLabel("Brush width"))
        width_row.addWidget(self.width_slider, 1)
        width_row.addWidget(self.width_label)
        rows.addLayout(width_row)
        canvas.historyChanged.connect(self._history_changed)
        canvas.strokeFinished.connect(self._history_changed)  # (a stroke's undo step is taken as it starts, empty)
        self._history_changed()

    def _action(self, text, shortcut, slot, checkable=False, button=True) -> QAction:
        a = QAction(text, self.host)
        a.setShortcuts([QKeySequence(s) for s in (shortcut if isinstance(shortcut, tuple) else (shortcut,))])
        # Anywhere in the window while the probe is shown (Qt ignores the shortcuts of a hidden
        # widget); a text field with focus still takes its keys (Qt's shortcut override).
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setToolTip(f"{text} ({a.shortcut().toString()})")
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        self.host.addAction(a)
        if button:
            b = QToolButton()
            b.setDefaultAction(a)
            if checkable:  # Fusion's checked shade is one step darker: unseen in the dark theme
                b.setStyleSheet(CHECKED_TOOL)
            self.buttons.addWidget(b)
        return a

    def step_width(self, direction: int) -> None:
        """The next of :data:`WIDTHS` above (``direction`` +1) or below (-1) the brush's width."""
        value = self.width_slider.value()
        beyond = [w for w in WIDTHS if (w - value) * direction > 0]
        if beyond:
            self.width_slider.setValue(min(beyond) if direction > 0 else max(beyond))

    def set_eraser(self, on: bool) -> None:
        self.canvas.erasing = on
        self.brush_action.setChecked(not on)
        self.eraser_action.setChecked(on)

    def _history_changed(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())
        self.clear_action.setEnabled(not self.canvas.is_empty() or self.canvas.tag is not None)  # (as Clear does)
