"""A hidden tab laid out at the size it will be shown at, for what is drawn from it unseen.

Qt lays out a hidden widget only when it is shown: a tab stack sizes only its current page,
and the layouts and resize events of the others wait. An atlas exported before its tab was
ever shown was laid out for a widget's default 640×480 (7 columns where the screen then
showed 8). :func:`lay_out_hidden` does now what showing the tab will do: the page takes the
stack's size, then each widget, parents first, gets its pending resize and lays out its
children.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QApplication, QStackedWidget, QWidget


def lay_out_hidden(widget: QWidget) -> None:
    """Lay out ``widget``'s page of a tab stack as if it were shown (nothing if it is shown)."""
    if widget.isVisible():
        return
    page = widget
    while page.parentWidget() is not None and not isinstance(page.parentWidget(), QStackedWidget):
        page = page.parentWidget()
    stack = page.parentWidget()
    if stack is None or not stack.isVisible():  # no size to take (the window itself is not shown)
        return
    page.setGeometry(stack.contentsRect())
    pending = Qt.WidgetAttribute.WA_PendingResizeEvent
    for each in [page, *page.findChildren(QWidget)]:  # parents before their children
        if each.testAttribute(pending):
            each.setAttribute(pending, False)
            QApplication.sendEvent(each, QResizeEvent(each.size(), QSize()))
        if each.layout() is not None:
            each.layout().activate()
