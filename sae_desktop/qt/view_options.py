"""View menu options: the theme (System, Light, Dark) and Presentation mode (F11).

Presentation is for a projector: text and plot lines 1.5× larger everywhere, the training
panel hidden, the window full screen, so the canvas and the code get all the room there is.
Both choices are remembered in the settings.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QFont
from PySide6.QtWidgets import QApplication, QLayout, QMainWindow, QMenu, QToolTip, QWidget

from sae_desktop.qt import theme
from sae_desktop.qt.settings import app_settings
from sae_desktop.qt.theme import MODES, ThemeController

PRESENTATION_SCALE = 1.5
PRESENTATION_SETTING = "view/presentation"


class ViewOptions:
    def __init__(self, window: QMainWindow, menu: QMenu):
        self.window = window
        self.theme = ThemeController(window)
        theme_menu = menu.addMenu("T&heme")
        group = QActionGroup(window)
        self.theme_actions: dict[str, QAction] = {}
        for mode in MODES:
            action = QAction({"system": "Follow the &system", "light": "&Light", "dark": "&Dark"}[mode], window)
            action.setCheckable(True)
            action.setChecked(mode == self.theme.mode)
            action.triggered.connect(lambda _=False, m=mode: self.theme.set_mode(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action
        self.presentation_action = window._action(
            "&Presentation", self.set_presentation, "F11",
            "Large text and lines, full screen, training panel hidden: for a projector")
        self.presentation_action.setCheckable(True)
        menu.addAction(self.presentation_action)
        self.presenting = False
        self._base_font: QFont | None = None
        self._dock_was_visible = True
        self._dock_width: int | None = None
        self._was_full_screen = False
        self._normal_geometry = None  # the window's before presentation
        self._saved_geometry: QByteArray | None = None  # and as saveGeometry() wrote it then
        self._floated = False  # the panel floated by presentation mode (it did not fit beside the views)
        window.dock.visibilityChanged.connect(lambda shown: shown and self._fit_dock())

    def _fit_dock(self) -> None:
        """The panel shown in presentation mode floats over the views where docked beside them the
        window would be wider than the screen (at 1024×768 it grew to 1282 px, the plots' right
        side and the status bar off-screen, the panel squeezed behind a sideways scroll bar).
        Judged as it is shown, before the window has grown for it."""
        w = self.window
        screen = w.screen()
        if not (self.presenting and w.dock.isVisible() and not w.dock.isFloating()) or screen is None:
            return
        room = screen.availableGeometry()
        without = w.centralWidget().minimumSizeHint().width()
        if without + w.dock.minimumSizeHint().width() > max(room.width(), w.width()) - 8:
            self._floated = True
            w.dock.setFloating(True)
            width = min(w.dock.content_width(), room.width() // 2)  # (its fields whole, as docked in fit_width)
            bar = w.tabs.tabBar()  # below the tabs (over them, it hid Training and Probe)
            top = max(room.top(), bar.mapToGlobal(bar.rect().bottomLeft()).y() + 4) if bar.isVisible() else room.top()
            w.dock.setGeometry(room.left(), top, width, max(room.bottom() - top - 40, 200))

    def restore(self) -> None:
        """At start-up, after the window's state: presentation again if it was left on."""
        if str(app_settings().value(PRESENTATION_SETTING, "false")).lower() == "true":
            self.set_presentation(True)

    def set_presentation(self, on: bool, remember: bool = True) -> None:
        on = bool(on)
        self.presentation_action.setChecked(on)
        if remember:
            app_settings().setValue(PRESENTATION_SETTING, on)
        if on == self.presenting:
            return
        self.presenting = on
        QToolTip.hideText()  # one shown before stayed up, in the old font, cut (Runs' "Dense" header's)
        app = QApplication.instance()
        if self._base_font is None:
            self._base_font = QFont(app.font())
        font = QFont(self._base_font)
        if on:
            font.setPointSizeF(self._base_font.pointSizeF() * PRESENTATION_SCALE)
        app.setFont(font)
        theme.set_scale(PRESENTATION_SCALE if on else 1.0)  # the plots follow it
        self._scale_style_sheets(self.window, PRESENTATION_SCALE if on else 1.0)
        self.window.probe_view.fit_text_heights()  # its fixed-height labels, in their new fonts
        w = self.window
        w.probe_view.browser_shown(not on)  # its height goes to the canvas (R still picks a digit)
        stages = w.probe_view.stages_view
        stages.set_columns(len(stages.tiles) if on else 3)  # one row: the code gets the other's height
        if on:
            self._dock_was_visible = w.dock.isVisible() or not w.isVisible()
            self._dock_width = w.dock.width()  # (shown in presentation, it widens to its larger text)
            self._was_full_screen = w.isFullScreen()
            self._saved_geometry = w.saveGeometry()
            normal = w.normalGeometry()  # (a maximized window goes back to maximized: no geometry to give back)
            self._normal_geometry = normal if not (self._was_full_screen or w.isMaximized()) and normal.isValid() \
                else None
            w.dock.hide()
            w.setWindowState(w.windowState() | Qt.WindowState.WindowFullScreen)  # also before the first show
        else:
            # the window first: a dock shown in a full-screen window set Qt's state to "normal" unasked, the
            # state's change was then no change, and the window manager kept the window full screen (openbox)
            if not self._was_full_screen:
                if not w.isFullScreen():  # (a dock floated and hidden in the full-screen window: Qt's state "normal",
                    # the window manager's still full screen; leaving a state Qt thinks left asked nothing of it)
                    w.setWindowState(w.windowState() | Qt.WindowState.WindowFullScreen)
                w.setWindowState(w.windowState() & ~Qt.WindowState.WindowFullScreen)
                if self._normal_geometry is not None:
                    w.setGeometry(self._normal_geometry)  # where and as large as it was (again once settled)
            if self._floated and w.dock.isFloating():  # docked again, as it was
                w.dock.setFloating(False)
            self._floated = False
            w.dock.setVisible(self._dock_was_visible)
            if self._dock_width is not None:
                w.resizeDocks([w.dock], [self._dock_width], Qt.Orientation.Horizontal)
        QTimer.singleShot(100, self.window, self._settle_layouts)  # after the views' own font-change updates

    def geometry_to_save(self) -> QByteArray:
        """The window's geometry to remember: in presentation mode, as it was before (leaving it and
        saving at once saved a window 82 px wider: the layouts still held the larger text's least
        sizes, which settle only after the font's change has been seen, when the window has closed)."""
        return self._saved_geometry if self.presenting and self._saved_geometry is not None \
            else self.window.saveGeometry()

    def _settle_layouts(self) -> None:
        """Recompute every layout's sizes, deepest first. A hidden tab's layout keeps the minimum
        size of the old fonts until it is shown: after presentation mode the Probe tab's 1015 px
        held the window wider than a 1280-px screen, its right edge cut off."""
        _lay_out_again([self.window, *self.window.findChildren(QWidget)])
        if (atlas := self.window.built_view("Atlas")) is not None:  # its dashboard's least width in this text
            atlas.fit_dashboard_width(again=True)  # (once its own layout has settled)
            above, widget = [], atlas.dashboard_scroll
            while widget is not None:
                above.append(widget)
                widget = widget.parentWidget()
            _lay_out_again(above)  # (the window's least size rests on it: it held the window 30 px too wide)
        if not self.presenting and self._normal_geometry is not None:  # left presentation: the window as it was
            self.window.setGeometry(self._normal_geometry)  # (the layouts' old sizes had widened it past the screen)
            self._normal_geometry = None
        if not self.presenting and self._dock_width is not None:  # and the panel (given back before the layouts
            self.window.resizeDocks([self.window.dock], [self._dock_width], Qt.Orientation.Horizontal)  # settled,
            self._dock_width = None  # it came back ~20 px narrower at 1280×720)

    def adopt(self, view: QWidget) -> None:
        """A view built after presentation mode was turned on takes its sizes too."""
        if self.presenting:
            self._scale_style_sheets(view, PRESENTATION_SCALE)

    @staticmethod
    def _scale_style_sheets(root: QWidget, scale: float) -> None:
        """Sizes a style sheet fixes in pixels (headline labels) scale with the rest of the text;
        a widget with any other style sheet is polished again, or it kept the font it had (the
        model's name stayed 9 pt beside 13.5 pt text)."""
        for widget in [root, *root.findChildren(QWidget)]:
            base = widget.property("base_style_sheet")
            if base is None:
                if "font-size" not in widget.styleSheet():
                    if widget.styleSheet():
                        widget.setStyleSheet(widget.styleSheet())
                    continue
                base = widget.styleSheet()
                widget.setProperty("base_style_sheet", base)
            widget.setStyleSheet(re.sub(r"font-size:\s*(\d+(?:\.\d+)?)px",
                                        lambda m: f"font-size: {float(m.group(1)) * scale:.0f}px", base))


def _lay_out_again(widgets: list[QWidget]) -> None:
    """The layouts of ``widgets`` recomputed, deepest first, with no size kept from before."""
    for widget in widgets:  # the sizes a layout keeps for each widget (a wrapped label's among them)
        widget.updateGeometry()
    layouts = [layout for layout in (w.layout() for w in widgets) if isinstance(layout, QLayout)]
    for layout in layouts:
        _invalidate(layout)
    for layout in sorted(layouts, key=lambda lay: -_depth(lay.parentWidget())):
        layout.activate()


def _invalidate(layout: QLayout) -> None:
    """A layout and the layouts nested in it (invalidate() leaves those with their old sizes).
    The nested layouts are found as the layout's QObject children, not through ``itemAt``: that
    made Python wrappers of its spacer items, which outlived them; a widget later made at a
    spacer's address came back from ``QApplication.allWidgets()`` as that QSpacerItem (CI)."""
    for nested in layout.findChildren(QLayout):
        nested.invalidate()
    layout.invalidate()


def _depth(widget: QWidget) -> int:
    depth = 0
    while widget is not None:
        widget, depth = widget.parentWidget(), depth + 1
    return depth
