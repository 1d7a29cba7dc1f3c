"""Labels that never make Qt re-lay out the window when their text changes.

A label whose size follows its text makes Qt re-lay out and repaint the whole window on
every change (measured: 20-30 ms of main-thread time per epoch during training).
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from sae_desktop.qt.rich_text import breakable_words


def steady_label(text: str = "", min_width: int = 0) -> QLabel:
    """Takes the width the layout gives it, whatever its text."""
    label = QLabel(text)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(min_width)
    return label


class ElidedLabel(QLabel):
    """One line of a fixed width (or, with ``width`` None, the width the layout gives it, one
    line high in its current font); text too long for it is cut with "…" (in the middle, or
    where ``elide`` says; the full text is the tooltip)."""

    def __init__(self, width: int | None, parent: QWidget | None = None,
                 elide: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle, shrink: bool = False):
        """``shrink``: ``width`` is the most it takes; it is as wide as its whole text where that is
        less (the status bar's messages get the rest: in presentation mode a 630-px model label
        cut them after 250 px at 1280 px, beside "Model: bundled MNIST model")."""
        super().__init__(parent)
        self.elide = elide
        self._shrink = shrink
        self._shorter: tuple[str, ...] = ()  # setText's shorter forms
        self._line_high = width is None
        self._width = (width, self.font().pointSizeF())  # the width asked for, at the font of the time
        self._hint_width = width or 0  # (shrink: the width it wants, its least being its shortest form's)
        if width is None:
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self._fit_height()
        else:
            self._fit_width()

    def _fit_width(self) -> None:
        """The width asked for, grown with the text's size (at 420 px the status bar's model lost
        "Model:" and its status in presentation mode); with ``shrink``, no wider than the text it
        shows there: the first form that fits (sized to the whole text, a stopped run's label kept
        90 px of blank beside the shorter form it drew)."""
        width, points = self._width
        if points > 0 and self.font().pointSizeF() > 0:
            width = round(width * self.font().pointSizeF() / points)
        least = width
        if self._shrink:
            margins = self.contentsMargins()
            spare = margins.left() + margins.right() + 2
            advances = [self.fontMetrics().horizontalAdvance(form) for form in (self.text(), *self._shorter)]
            shown = next((a for a in advances if a + spare <= width), None)
            if not self.text():  # (blank: Qt's least)
                width = min(width, QLabel.minimumSizeHint(self).width())
            elif shown is not None:
                width = shown + spare
            # down to its shortest form where the window is narrow (fixed at its whole text's width, the
            # model's and the device's labels held a 1024-px window in presentation mode 50 px wider)
            least = min(width, min(advances) + spare) if self.text() else width
        self._hint_width = width
        if (self.minimumWidth(), self.maximumWidth()) != (least, width):
            self.setMinimumWidth(least)
            self.setMaximumWidth(width)
            self.updateGeometry()

    def _fit_height(self) -> None:
        self.setFixedHeight(self.fontMetrics().lineSpacing() + 6)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """Any width will do (the text is cut to it), not the whole text's."""
        hint = super().minimumSizeHint()
        if self._shrink:
            return QSize(self.minimumWidth(), hint.height())
        return QSize(0, hint.height()) if self._line_high else hint

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        hint = super().sizeHint()
        return QSize(self._hint_width, hint.height()) if self._shrink else hint

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() != QEvent.Type.FontChange:
            return
        if self._line_high:  # presentation mode: a taller line
            self._fit_height()
        else:  # …and a fixed width grows with the text
            self._fit_width()

    def setText(self, text: str, *shorter: str) -> None:  # noqa: N802 (Qt naming)
        """``text``, or where it does not fit the first of the ``shorter`` forms that does (the last
        one cut): "Model: 20261203-063045-mnist-kl" whole told more than "Model: 20261203-06…(10 epochs)"."""
        self._shorter = shorter
        super().setText(text)
        self.setToolTip(text)
        if self._shrink:
            self._fit_width()

    def shown_text(self) -> str:
        """What the label draws at its width."""
        metrics, room = self.fontMetrics(), self.contentsRect().width()
        forms = (self.text(), *self._shorter)
        fitting = next((form for form in forms if metrics.horizontalAdvance(form) <= room), None)
        return fitting if fitting is not None else metrics.elidedText(forms[-1], self.elide, room)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        elided = self.shown_text()
        # where a QLabel's text starts (a 4-px inset put "Model: …" off the line of "Input: …" above it)
        painter.drawText(self.contentsRect(), Qt.AlignmentFlag.AlignVCenter, elided)


def text_height(label: QLabel, ruler: QLabel, text: str, width: int) -> int:
    """The height ``text`` needs at ``width``, wrapped in ``label``'s font (its style sheet's),
    measured on ``ruler``, a word-wrapped label of its own (the label's own heightForWidth is
    at least its minimum height)."""
    label.ensurePolished()
    ruler.setFont(label.font())
    ruler.setText(text)
    return ruler.heightForWidth(width)


class WrappedLabel(QLabel):
    """Word-wrapped text, at least ``lines`` lines high, as high as its text needs at its width: while the
    width stays it only grows, so text changing on every stroke does not make the window jump (or re-lay
    out). :meth:`fit_text` keeps within the lines, cutting at a word with "…" (a file's long message made
    the Probe's text column taller: its tiles moved down and shrank, and back with the next short one)."""

    def __init__(self, lines: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.lines = lines
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._fitted_width = -1
        self._full, self._short, self._most, self._whole = "", None, 0, ""
        # measures the text's own height: QLabel.heightForWidth is at least the label's minimum height,
        # so once presentation mode's larger font had made it tall, the text "needed" that height for
        # ever after (the verdict stayed in its short form, its figures gone, until a restart)
        self._ruler = QLabel()
        self._ruler.setWordWrap(True)
        self.refit()

    def _text_height(self, width: int) -> int:
        """The height the current text needs at ``width``, in the label's font (its style sheet's)."""
        return text_height(self, self._ruler, self.text(), width)

    def refit(self) -> None:
        """Start again from ``lines`` lines (a new font or style sheet), then fit the text."""
        self._fitted_width = -1
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        self._full, self._short = text, None
        self.setToolTip("")  # (a tooltip of set_text_or_short's would describe the text before)
        super().setText(text)
        self._fit()

    def set_text_or_short(self, text: str, short: str | tuple[str, ...], most: int, tooltip: str = "",
                          whole: str = "") -> None:
        """``text``, or ``short`` where ``text`` would need more than ``most`` lines at the label's width or has
        a word wider than it (a narrow window, presentation mode's larger font); chosen again on each resize.
        ``short`` may be shorter forms, tried in turn (the last whatever its length, or, given the ``whole``
        plain text, cut to fit, the whole on hover where not shown). ``tooltip``: on hover, whichever is shown."""
        self._full, self._short, self._most = text, (short,) if isinstance(short, str) else tuple(short), most
        self._whole = whole
        self.setToolTip(tooltip)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def fit_text(self, text: str, *shorter: str) -> None:
        """Plain ``text`` in the label's ``lines`` lines (or a ``shorter`` form, or cut), a long name wrapped
        at its "_", "-" or "." (cut there, "Input: file…" kept no part of a photo's name); whole on hover."""
        forms = [breakable_words(form, 16) for form in (text, *shorter)]
        self.set_text_or_short(forms[0], forms[1:] or forms, self.lines, whole=text)

    def _fits(self, text: str) -> bool:
        """Shows ``text``: whether it takes at most ``_most`` lines, no word wider than the label (a word is never
        broken: it would be cut; no-break spaces join words; breakable_words' zero-width spaces are breaks)."""
        QLabel.setText(self, text)
        words = re.split("[ \u200b]", re.sub(r"<[^>]*>", " ", text))
        widest = max((self.fontMetrics().horizontalAdvance(word) for word in words), default=0)
        return (self._text_height(self.width()) <= self.fontMetrics().lineSpacing() * self._most + 6
                and widest <= self.width() - 2 * self.margin() - 2)

    def _choose(self) -> None:
        if not self._short:
            return
        shown = next((text for text in (self._full, *self._short) if self._fits(text)), None)
        if shown is None:
            shown = last = self._short[-1]
            if self._whole and "<" not in last:
                pieces = re.split("(?<=[ \u200b])", last)  # (each with the space after it)
                shown = next((cut for n in range(len(pieces) - 1, 0, -1)
                              if self._fits(cut := "".join(pieces[:n]).rstrip(" \u200b,;:") + "…")), last)
            QLabel.setText(self, shown)
        if self._whole:
            self.setToolTip("" if shown == self._full else self._whole)

    def _fit(self) -> None:
        self._choose()
        floor = self.height() if self.width() == self._fitted_width else 0
        self._fitted_width = self.width()
        self.ensurePolished()
        needed = max(self.fontMetrics().lineSpacing() * self.lines + 6, self._text_height(self.width()))
        if max(floor, needed) != self.height():
            self.setFixedHeight(max(floor, needed))


class ElidingStatusBar(QStatusBar):
    """A message longer than the room the permanent labels leave it ends in "…", and its whole
    text is the tooltip (Qt clipped it mid-word: "…so Probe and Atlas still show 20261203-
    230304-mnist-jumprelu, c"); ``currentMessage`` gives the whole text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._whole = ""
        self._until: float | None = None  # when the message shown goes (monotonic s), None: when replaced
        self._refit_pending = False
        self.messageChanged.connect(lambda shown: None if shown else self.setToolTip(""))

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 (Qt naming)
        super().addPermanentWidget(widget, stretch)
        widget.installEventFilter(self)  # its moves and resizes give the message another room

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        """A permanent label moved, resized, shown or hidden: the message is cut to its new room
        (cut to the old one, "Stopped at step 32, d…" sat beside 400 px of space once the run's
        progress bar gave the device its place back)."""
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide) \
                and self._whole and not self._refit_pending:
            self._refit_pending = True
            QTimer.singleShot(0, self, self._refit)
        return False

    def _refit(self) -> None:
        self._refit_pending = False
        if QStatusBar.currentMessage(self):
            left = 0 if self._until is None else max(1, round(1000 * (self._until - time.monotonic())))
            self.showMessage(self._whole, left)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt naming)
        self._until = time.monotonic() + timeout / 1000 if timeout else None
        beside = [w.x() for w in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                  if w.isVisible() and w.x() > 0]  # the permanent labels (and the size grip)
        room = min(beside, default=self.width()) - 3 * self.fontMetrics().averageCharWidth()
        shown = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 40))
        self._whole = text
        super().showMessage(shown, timeout)
        self.setToolTip(text if shown != text else "")

    def currentMessage(self) -> str:  # noqa: N802 (Qt naming)
        return self._whole if super().currentMessage() else ""


class SteadyLabel(QLabel):
    """Word-wrapped text of a few alternatives (:meth:`show_one`), as tall as the tallest of them
    at its width: switching between them moves nothing below (the Atlas's legend wrapped to a
    second line for the encoder's longer words, and the tiles' grid went from 8 columns to 7)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.alternatives: list[str] = []
        self._ruler = QLabel()
        self._ruler.setWordWrap(True)

    def show_one(self, alternatives: list[str], index: int) -> None:
        self.alternatives = list(alternatives)
        self.setText(self.alternatives[index])
        self._fit()

    def _fit(self) -> None:
        room = self.contentsRect().width()
        needed = max(text_height(self, self._ruler, text, room) for text in self.alternatives or [self.text()])
        height = needed + self.height() - self.contentsRect().height()
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode
            self._fit()
