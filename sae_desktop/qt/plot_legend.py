"""Legends: their entries read and set (laid out again only where they changed; shorter names where it is
narrow), their width in so many columns, and their anchor kept from raising while a closed window's plots are
deleted."""

import pyqtgraph as pg
import shiboken6
from PySide6.QtGui import QFontMetricsF


def legend_entries(legend: pg.LegendItem) -> list[tuple[object, str]]:
    """(item, name) of each entry, in order."""
    return [(sample.item, label.text) for sample, label in legend.items]


def set_legend_entries(legend: pg.LegendItem, entries: list[tuple[object, str]], again: bool = False) -> None:
    """The legend lists exactly ``entries``, laid out afresh (in the legend's current text size)
    if they changed or ``again``. (Each epoch's model set the probe's legend anew: ~10 ms of
    label layout on the window's thread, hidden tab or not.)"""
    current = legend_entries(legend)
    if not again and len(current) == len(entries) and all(
            a is b and x == y for (a, x), (b, y) in zip(current, entries)):
        return
    legend.clear()
    for item, name in entries:
        legend.addItem(item, name)


def legend_width(legend: pg.LegendItem, columns: int, names: list[str] | None = None) -> float:
    """The legend's width in this many columns of (swatch, name), from its texts as they are now (or
    with ``names`` instead, measured in its labels' font), without laying it out (entries fill rows,
    as pyqtgraph places them; its labels' own widths are stretched to its widest layout's, their texts'
    are not)."""
    layout = legend.layout
    left, _, right, _ = layout.getContentsMargins()
    gap = layout.horizontalSpacing()
    entries = []
    for i, (sample, label) in enumerate(legend.items):
        text = label.item.boundingRect().width()
        if names is not None:
            metrics = QFontMetricsF(label.item.font())
            text += metrics.horizontalAdvance(names[i]) - metrics.horizontalAdvance(label.text)
        entries.append(sample.boundingRect().width() + gap + text)
    return sum(max(entries[c::columns], default=0.0) for c in range(columns)) + gap * (columns - 1) + left + right


def fit_entries(legend: pg.LegendItem, forms: list[list[tuple[object, str]]], room: float) -> None:
    """The legend lists the first of ``forms`` (the same items, their names longest first) as wide as
    ``room`` in its columns, or the last (laid out again only where its entries changed)."""
    if not forms:
        return
    if len(forms[0]) != len(legend.items):  # (other items: measured once listed)
        set_legend_entries(legend, forms[0])
    widths = (legend_width(legend, legend.columnCount, [name for _, name in form]) for form in forms)
    set_legend_entries(legend, next((form for form, width in zip(forms, widths) if width <= room), forms[-1]))


def anchor_ignores_a_deleted_parent() -> None:
    """A legend follows its view box's geometry (pyqtgraph's GraphicsWidgetAnchor). While a
    closed window is being deleted, the legend's geometry can still change after its view box's
    C++ object is gone, and pyqtgraph's handler then raised "Internal C++ object (ViewBox)
    already deleted" in the event loop (seen in CI, in the test after a window was closed).
    Wrapped once, before any legend exists: a deleted parent is ignored."""
    from pyqtgraph.graphicsItems.GraphicsWidgetAnchor import GraphicsWidgetAnchor

    name = "_GraphicsWidgetAnchor__geometryChanged"
    original = getattr(GraphicsWidgetAnchor, name)
    if getattr(original, "ignores_deleted_parent", False):
        return

    def geometry_changed(self) -> None:
        parent = getattr(self, "_GraphicsWidgetAnchor__parent", None)
        if parent is not None and not shiboken6.isValid(parent):
            return
        original(self)

    geometry_changed.ignores_deleted_parent = True
    setattr(GraphicsWidgetAnchor, name, geometry_changed)
