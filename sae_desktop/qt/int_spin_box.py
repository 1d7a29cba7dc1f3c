"""A spin box for Python ints of any size (QSpinBox stops at 2³¹−1; a seed goes to 2⁶³−1).

superqt's ``QLargeIntSpinBox`` does the same, but the training form is on screen at the first
paint, and importing superqt there costs ~0.3 s of a 1 s start (its ``qtpy`` star-imports
load every Qt class). This is the part the form needs: a range, arrows, typing (the value
follows each keystroke that makes a number in range), ``valueChanged``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QStyle, QStyleOptionSpinBox


class IntSpinBox(QAbstractSpinBox):
    valueChanged = Signal(object)  # int (object: beyond C++'s int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._minimum, self._maximum, self._value = 0, 2**63 - 1, 0
        self.lineEdit().setText("0")
        self.lineEdit().textEdited.connect(self._typed)
        self.editingFinished.connect(self._show_value)

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 (Qt naming)
        self._set(value)
        self._show_value()

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802
        self._minimum, self._maximum = int(minimum), max(int(minimum), int(maximum))
        self.setValue(self._value)

    def minimum(self) -> int:
        return self._minimum

    def maximum(self) -> int:
        return self._maximum

    def _set(self, value: int) -> None:
        value = min(max(int(value), self._minimum), self._maximum)
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def _show_value(self) -> None:
        if self.lineEdit().text() != str(self._value):
            self.lineEdit().setText(str(self._value))

    def _typed(self, text: str) -> None:
        if self.keyboardTracking() and self.validate(text, 0)[0] == QValidator.State.Acceptable:
            self._set(int(text))

    # -- QAbstractSpinBox's hooks -------------------------------------------------------
    def validate(self, text: str, pos: int):
        digits = text.strip()
        if not digits or digits == "-" and self._minimum < 0:
            return QValidator.State.Intermediate, text, pos
        try:
            value = int(digits)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if self._minimum <= value <= self._maximum:
            return QValidator.State.Acceptable, text, pos
        # too small may still grow into range (typing "1" on the way to "16"); too large may not
        return (QValidator.State.Intermediate if value < self._minimum else QValidator.State.Invalid), text, pos

    def fixup(self, text: str) -> str:
        return str(self._value)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        self.setValue(self._value + steps)
        self.selectAll()

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:  # noqa: N802
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if not self.isReadOnly():
            if self._value < self._maximum:
                flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
            if self._value > self._minimum:
                flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags

    def sizeHint(self) -> QSize:  # noqa: N802
        """Wide enough for the longest value of the range."""
        self.ensurePolished()
        longest = max(len(str(self._minimum)), len(str(self._maximum)))
        width = max(36, self.fontMetrics().horizontalAdvance("9" * min(longest, 12)) + 4)
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        hint = QSize(width, self.lineEdit().sizeHint().height())
        return self.style().sizeFromContents(QStyle.ContentsType.CT_SpinBox, option, hint, self)
