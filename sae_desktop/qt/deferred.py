"""Widgets built when first needed, so the window paints before its hidden parts exist.

Building the Training, Atlas and Runs tabs (14 plots) and importing pyqtgraph took ~1 s of a
2.5 s start, for views nobody sees at first. :class:`Deferred` holds the place of such a widget
in a layout and builds it on first use: when shown, when asked for (:attr:`Deferred.widget`),
or when :func:`build_in_background` gets to it after the first paint. :class:`DeferredTabs`
is a tab widget whose pages are deferred; callers see the views, never the placeholders.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, QTimer, Signal
from PySide6.QtWidgets import QSizePolicy, QStackedWidget, QTabWidget, QVBoxLayout, QWidget


class Deferred(QWidget):
    """A place for the widget ``factory()`` makes, made on first use (also when first shown,
    unless ``build_on_show`` is off: an empty place may show for a moment)."""

    built = Signal(object)  # the widget, once it exists

    def __init__(self, factory: Callable[[], QWidget], parent: QWidget | None = None, build_on_show: bool = True,
                 size_hint: QSize | None = None):
        super().__init__(parent)
        self._factory = factory
        self._build_on_show = build_on_show
        self._size_hint = size_hint  # the widget's, so the layout does not move when it arrives
        if size_hint is not None:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._widget: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def widget(self) -> QWidget:
        """The widget, built now if it was not yet."""
        if self._widget is None:
            self._widget = widget = self._factory()
            self.layout().addWidget(widget)
            self.setFocusProxy(widget)
            self.built.emit(widget)
        return self._widget

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        if self._widget is None and self._size_hint is not None:
            return self._size_hint
        return super().sizeHint()

    @property
    def is_built(self) -> bool:
        return self._widget is not None

    def peek(self) -> QWidget | None:
        """The widget if it exists, without building it."""
        return self._widget

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if self._build_on_show:
            self.widget  # noqa: B018 (shown before it was built: build it now)
        super().showEvent(event)


class _FirstPaint(QObject):
    """Calls ``callback`` once, just after ``widget`` has first been painted."""

    def __init__(self, widget: QWidget, callback):
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)  # after this paint has reached the screen
        return False


def after_first_paint(widget: QWidget, callback) -> None:
    _FirstPaint(widget, callback)


class _Imported(QObject):
    done = Signal()


def import_in_background(modules: Iterable[str], then: Callable[[], None]) -> threading.Thread:
    """Import ``modules`` in a thread of low priority, then call ``then()`` on the GUI thread.
    pyqtgraph and superqt take ~0.5 s to import (they load every Qt class); on the GUI thread
    that froze the window just after its first paint. A failed import is left to the GUI
    thread's own import of the module (which reports it)."""
    names = list(modules)
    signal = _Imported(QCoreApplication.instance())  # lives on the GUI thread: ``then`` runs there

    def finished() -> None:
        signal.deleteLater()
        then()

    signal.done.connect(finished)

    def work() -> None:
        from sae_desktop.qt.training_controller import yield_cpu_to_the_interface

        yield_cpu_to_the_interface()
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 (reported by the GUI thread's import)
                continue
        signal.done.emit()

    thread = threading.Thread(target=work, name=f"import {', '.join(names)}")  # not a daemon: exit waits
    thread.start()
    return thread


def build_in_background(places: Iterable[Deferred], delay_ms: int = 0) -> None:
    """Build the widgets one per turn of the event loop (a stroke or a click in between is
    handled at once), each after ``delay_ms``; those already built are skipped."""
    pending = list(places)

    def next_one() -> None:
        while pending and pending[0].is_built:
            pending.pop(0)
        if pending:
            pending.pop(0).widget  # noqa: B018
            QTimer.singleShot(delay_ms, next_one)

    QTimer.singleShot(delay_ms, next_one)


class DeferredTabs(QTabWidget):
    """Tabs whose pages are :class:`Deferred`. ``widget``, ``currentWidget``, ``indexOf`` and
    ``setCurrentWidget`` speak of the views themselves (built on demand)."""

    allBuilt = Signal()  # once, when the last deferred page has been built
    _all_built = False
    _laid_out = None  # what the last layout was made for (see event)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # A page shown asks each of its widgets to repaint, by events posted after the repaint the
        # switch itself had already asked for: the page was painted twice in the visit's first frame
        # (Probe 36 → 20 ms idle, measured). Delivered at once, they join that one repaint.
        self.currentChanged.connect(lambda _index: QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateLater))

    def event(self, event: QEvent) -> bool:
        """A switch of page asks the tab widget to lay itself out again, and QTabWidget answers
        every such request by repainting the whole page: each visit painted its page twice in one
        frame (measured: 14-26 ms of 25-36, benchmarks/tab_switch.py). A request is answered only
        when something the layout rests on changed: the size, the tab bar's size hint, the pages'
        minimum size (their preferred size changes with the page shown, and the window's central
        widget takes the space it is given whatever it prefers)."""
        if event.type() == QEvent.Type.LayoutRequest:
            stack = self.findChild(QStackedWidget)
            key = (self.size(), self.tabBar().sizeHint(), self.count(),
                   None if stack is None else stack.minimumSizeHint())
            if key == self._laid_out:
                return True
            self._laid_out = key
        return super().event(event)

    def add_deferred(self, factory: Callable[[], QWidget], title: str) -> Deferred:
        page = Deferred(factory)
        self.addTab(page, title)
        page.built.connect(self._maybe_all_built)
        return page

    def _maybe_all_built(self) -> None:
        if not self._all_built and all(page.is_built for page in self.pages()):
            self._all_built = True
            self.allBuilt.emit()

    def pages(self) -> list[Deferred]:
        return [page for i in range(self.count()) if isinstance(page := QTabWidget.widget(self, i), Deferred)]

    def widget(self, index: int) -> QWidget | None:
        page = super().widget(index)
        return page.widget if isinstance(page, Deferred) else page

    def currentWidget(self) -> QWidget | None:  # noqa: N802 (Qt naming)
        return self.widget(self.currentIndex())

    def indexOf(self, widget: QWidget) -> int:  # noqa: N802
        for i in range(self.count()):
            page = super().widget(i)
            if page is widget or (isinstance(page, Deferred) and page.peek() is widget):
                return i
        return -1

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802
        index = self.indexOf(widget)
        if index >= 0:
            self.setCurrentIndex(index)
