"""Light and dark: the window's palette, and the colours pyqtgraph and custom painting read.

``system`` follows Qt's colour-scheme hint (``QStyleHints.colorScheme``), live; View ▸ Theme
overrides it, remembered in the settings. The palette is set explicitly for both (Fusion's dark
palette needs a platform theme that offers one; X11 without a desktop offers none), and
pyqtgraph, which ignores the Qt palette, is coloured by ``plot_style`` from :func:`current`.
Grey images keep their colours in both themes: a digit is white ink on black, as the model sees it.
Diverging tiles (what a latent draws, a residual) put zero at near-white on a light window and
near-black on a dark one (``colour.diverging_rgb``), and are drawn again when the theme changes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from sae_desktop.qt.settings import app_settings

MODES = ("system", "light", "dark")
CHECK_BOX_OUTLINE, CHECK_BOX_OUTLINE_DISABLED = "#a4a9b0", "#6a6e75"  # dark theme (drawn 1.4× darker by Fusion)
SETTING = "view/theme"


@dataclass(frozen=True)
class Theme:
    name: str
    window: str  # the palette's base colours
    base: str
    text: str
    button: str
    highlight: str
    plot_background: str
    plot_foreground: str  # axes, ticks, titles
    ink: str  # the strongest marks in plots (near black in light, near white in dark)
    tile_empty: str  # an image tile with nothing to show
    legend_pen: str
    legend_brush: tuple[int, int, int, int]
    verdict: tuple[str, str, str]  # text colours of the probe's verdicts: typical, unusual, not a digit
    faint_alpha: int = 60  # opacity (0-255) of faint lines (the losses of each report) over the plot…
    fill_alpha: int = 136  # …and of filled areas (the feature density's bars): a dark plot needs more of both

    @property
    def dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme("light", "#efefef", "#ffffff", "#1f1f1f", "#e6e6e6", "#2f6fb0",  # (Fusion's own palette is used)
              "#ffffff", "#333333", "#222222", "#e8eaed", "#c8c8c8", (255, 255, 255, 220),
              ("#2e7d32", "#a15c00", "#c62828"))
DARK = Theme("dark", "#2b2d31", "#1e1f22", "#e3e5e8", "#3a3d42", "#4a8fd6",
             "#1e1f22", "#cfd2d6", "#f0f0f0", "#3a3d42", "#5b6068", (30, 31, 34, 220),
             ("#7cc47f", "#f0b35a", "#f07070"),  # lighter: legible on the dark window
             faint_alpha=115, fill_alpha=215)  # (at the light theme's, the faint losses and the density vanished)

_current = LIGHT
_scale = [1.0]  # text and line sizes (presentation mode: 1.5)
_listeners: list = []  # weak references to callables taking a Theme


def current() -> Theme:
    return _current


def scale() -> float:
    """How many times their normal size text and plot lines are drawn (presentation mode)."""
    return _scale[0]


def set_scale(value: float) -> None:
    """Text and lines ``value`` times their normal size; the followers are told, as for a theme
    (the window's font is the application's, set by the caller)."""
    _scale[0] = float(value)
    _notify()


def follow(callback: Callable[[Theme], None]) -> None:
    """Call ``callback(theme)`` now and at every change (of the theme or the :func:`scale`).
    A bound method is held weakly (its object may go away with its window); a plain function
    is kept."""
    if hasattr(callback, "__self__"):
        ref = weakref.WeakMethod(callback)
    elif any(getattr(r, "function", None) is callback for r in _listeners):
        ref = None  # already following (e.g. set up again for a second window)
    else:
        ref = _Strong(callback)
    if ref is not None:
        _listeners.append(ref)
    callback(_current)


class _Strong:
    """A plain function held like a weak reference (called to get it)."""

    def __init__(self, function):
        self.function = function

    def __call__(self):
        return self.function


def palette(theme: Theme) -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    colours = {roles.Window: theme.window, roles.WindowText: theme.text, roles.Base: theme.base,
               roles.AlternateBase: theme.button, roles.Text: theme.text, roles.Button: theme.button,
               roles.ButtonText: theme.text, roles.Highlight: theme.highlight, roles.HighlightedText: "#ffffff",
               roles.ToolTipBase: theme.base, roles.ToolTipText: theme.text, roles.BrightText: "#ff5555",
               roles.Link: theme.highlight, roles.PlaceholderText: "#a0a5ad" if theme.dark else "#7a7a7a"}
    # (the dark placeholder: #8a8f96 was 4:1 on the window, less on a group box; the Probe's model line)
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    shades = {roles.Light: 160, roles.Midlight: 120, roles.Mid: 80, roles.Dark: 60, roles.Shadow: 30}
    for role, factor in shades.items():  # Fusion draws frames and bevels from these
        base = QColor(theme.button)
        p.setColor(role, base.lighter(factor) if factor > 100 else base.darker(100 * 100 // factor))
    disabled = QColor(theme.text)
    disabled.setAlpha(110)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def check_box_palette(theme: Theme) -> QPalette:
    """The palette for check boxes: Fusion outlines a box in the window's colour a shade darker,
    which on a dark window left the box all but invisible. Their window colour (unpainted: a check
    box draws no background) is lighter, so the outline stands out, less so when disabled."""
    p = palette(theme)
    p.setColor(QPalette.ColorRole.Window, QColor(CHECK_BOX_OUTLINE))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, QColor(CHECK_BOX_OUTLINE_DISABLED))
    return p


def faint(colour: str, background: str, dark: bool = False) -> QColor:
    """A faint ``colour`` (the frontier's reference points, in their penalty's): 40 % of the way to
    the plot's ``background`` and partly transparent (in the colour itself, not the item's opacity,
    which the SVG export drops: the points came out opaque). Lightened instead, it stood out more
    than the runs on a dark plot; on one it goes a quarter of the way, less transparent (as faint,
    it all but vanished there)."""
    c, b = QColor(colour), QColor(background)
    toward, alpha = (0.25, 0.65) if dark else (0.4, 0.55)
    mixed = QColor(*(round((1 - toward) * x + toward * y) for x, y in ((c.red(), b.red()), (c.green(), b.green()),
                                                                         (c.blue(), b.blue()))))
    mixed.setAlphaF(alpha)
    return mixed


def resolve(mode: str, scheme: Qt.ColorScheme) -> Theme:
    if mode == "dark" or (mode == "system" and scheme == Qt.ColorScheme.Dark):
        return DARK
    return LIGHT


def apply(theme: Theme) -> None:
    """Make ``theme`` current: the application palette, then everything that follows it."""
    global _current
    _current = theme
    app = QApplication.instance()
    if app is not None:  # light: the style's own palette, as before themes existed
        app.setPalette(palette(theme) if theme.dark else app.style().standardPalette())
        app.setPalette(check_box_palette(theme) if theme.dark else app.style().standardPalette(), "QCheckBox")
        for widget in app.allWidgets():  # a style sheet fixes its widget's colours when polished:
            # (PySide can hand back a stale wrapper of another type at a reused address: a QSpacerItem
            # here failed every later test of a CI run; only widgets are polished again)
            if isinstance(widget, QWidget) and widget.styleSheet():  # polished again, it takes the new palette's
                widget.setStyleSheet(widget.styleSheet())
    _notify()


def _notify() -> None:
    for ref in list(_listeners):
        callback = ref()
        owner = getattr(callback, "__self__", None)
        if callback is None or (owner is not None and not shiboken6.isValid(owner)):
            _listeners.remove(ref)  # its widget is gone (a closed window)
        else:
            callback(_current)


class ThemeController(QObject):
    """The chosen mode (system, light, dark), remembered; applies the theme it resolves to."""

    changed = Signal(object)  # Theme

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        saved = str(app_settings().value(SETTING, "system"))
        self.mode = saved if saved in MODES else "system"
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(lambda _: self.refresh())
        self._request(self.mode)
        self.refresh()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"theme {mode!r}: choose one of {', '.join(MODES)}")
        self.mode = mode
        app_settings().setValue(SETTING, mode)
        self._request(mode)
        self.refresh()

    @staticmethod
    def system_scheme() -> Qt.ColorScheme:
        return QGuiApplication.styleHints().colorScheme()

    def refresh(self) -> None:
        theme = resolve(self.mode, self.system_scheme())
        apply(theme)
        self.changed.emit(theme)

    @staticmethod
    def _request(mode: str) -> None:
        """Tell the platform too (Qt ≥ 6.8), so native parts (title bars) can follow."""
        hints = QGuiApplication.styleHints()
        if mode == "system":
            hints.unsetColorScheme()
        else:
            hints.setColorScheme(Qt.ColorScheme.Dark if mode == "dark" else Qt.ColorScheme.Light)

