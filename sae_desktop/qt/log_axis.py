"""A log-scale axis whose labels never run together.

pyqtgraph labels every 1…9 × 10ⁿ tick of a log axis spanning less than a few decades, however
close they come: zoomed into the losses, "0.01", "0.009" and "0.008" were drawn on top of each
other (and "0.1", "0.09", "0.08" in a short plot, unzoomed). Here a tick keeps its label only
where it is a text line's height from every label kept before it, decades kept first, then 2
and 5 × 10ⁿ, then the rest; the ticks themselves all stay.

:class:`SpacedAxis` is the same care for a short linear axis.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

PREFERENCE = {1: 0, 2: 1, 5: 1}  # a mantissa's claim to a label (the others: 2)


def _mantissa(value: float) -> int:
    """1 … 9: the leading digit of 10 ** ``value`` (``value`` a log10)."""
    return int(round(10 ** (value - math.floor(value + 1e-9))))


class LogLabelsAxis(pg.AxisItem):
    """A vertical axis (``"left"`` or ``"right"``): its labels are a text line high."""

    def _room(self) -> float:
        """A label's extent along the axis, px, with a gap."""
        return QFontMetrics(self.style.get("tickFont") or self.font()).height() + 2

    def _pixels(self, values) -> list[float] | None:
        low, high = self.range
        length = self.height()
        if not high > low or length <= 0:
            return None
        return [(v - low) / (high - low) * length for v in values]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        strings = super().tickStrings(values, scale, spacing)
        places = self._pixels(values) if self.logMode and len(values) > 1 else None
        if places is None:
            return strings
        low, high = self.range  # the decades' labels (a level of their own, or in this one) come first
        taken = self._pixels(list(range(math.ceil(low), math.floor(high) + 1))) or []
        room = self._room()
        kept = set()
        for i in sorted(range(len(values)), key=lambda i: (PREFERENCE.get(_mantissa(values[i]), 2), i)):
            near = [p for p in taken if abs(p - places[i]) < room]
            if _mantissa(values[i]) == 1 or not near:  # (a decade is never put off by itself)
                kept.add(i)
                taken.append(places[i])
        return [text if i in kept else "" for i, text in enumerate(strings)]


class SpacedAxis(pg.AxisItem):
    """A vertical linear axis whose labels are two text lines apart at least: pyqtgraph put six,
    0, 0.2, … 1.0, on the Atlas's ~70-px by-class chart, touching each other."""

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        span = maxVal - minVal
        if self.logMode or size <= 0 or not span > 0:
            return super().tickSpacing(minVal, maxVal, size)
        line = QFontMetrics(self.style.get("tickFont") or self.font()).height()
        labels = max(int(size // (2 * line)), 1)  # at most, with a line's gap between them
        step = span / labels
        decade = 10 ** math.floor(math.log10(step))
        nice = next(m * decade for m in (1, 2, 5, 10) if m * decade >= step * (1 - 1e-9))
        # two labels at least: a span of 4-5 × 10ⁿ rounded its step up past the top, the axis said "0" alone
        # (the Atlas's by-class chart of class means up to 3.8); the next finer step then, a little closer
        for _ in range(9):
            if math.floor(maxVal / nice + 1e-9) - math.ceil(minVal / nice - 1e-9) + 1 >= 2:
                break
            nice /= 2.5 if round(nice / 10 ** math.floor(math.log10(nice))) == 5 else 2  # (5 → 2 → 1 → 0.5 …)
        return [(nice, 0)]
