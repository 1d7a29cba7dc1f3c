"""Pick a test digit (by index, by label, or at random) or an image file for the probe.

The index box and the label filter mirror the probe's input (:meth:`show_source`): after
an undo they name the digit shown again, and a digit whose label the filter excludes
(typed by index) turns the filter to "any label"; with another input shown it reads "last #…".
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QWidget

from sae_desktop.data import CLASS_NAMES, DISPLAY_NAMES
from sae_desktop.probe_state import InputSource, from_test_set
from sae_desktop.qt.test_set import TestImages, TestSetProvider

NONE_YET = -1  # the index box's value before any test digit is shown
LONGEST_PREFIX = "last #"


class IndexBox(QSpinBox):
    """As wide as with its longest prefix, whichever it shows: "#8451" turning "last #8451" (a file loaded,
    a stroke drawn) widened the Probe's left column at 1024 px, and every picture beside it moved."""

    def _text_width(self, prefix: str) -> int:
        """The widest text with ``prefix``, measured as Qt's own hint measures it."""
        fixed = prefix + self.suffix() + " "
        return max(self.fontMetrics().horizontalAdvance(self.textFromValue(v)[:18] + fixed)
                   for v in (self.minimum(), self.maximum()))

    def _wider(self, hint: QSize) -> QSize:
        return QSize(hint.width() + max(0, self._text_width(LONGEST_PREFIX) - self._text_width(self.prefix())),
                     hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return self._wider(super().sizeHint())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self._wider(super().minimumSizeHint())


class DigitBrowser(QGroupBox):
    digitChosen = Signal(object)  # InputSource of a test digit
    fileRequested = Signal()
    availabilityChanged = Signal(bool)  # test digits can be shown (or no longer)
    said = Signal(str)  # a passing message, for the status bar

    def __init__(self, provider: TestSetProvider, parent: QWidget | None = None):
        super().__init__("Test digits and image files", parent)
        self.provider = provider
        self.test: TestImages | None = None
        self.dataset = "mnist"
        self._rng = np.random.default_rng()
        self.index = IndexBox()
        self.index.setRange(NONE_YET, 9999)
        self.index.setValue(NONE_YET)
        self.index.setSpecialValueText("#–")  # no test digit shown yet: not "#0", which names one
        self.index.setPrefix("#")
        self._shown_test = False  # until one is, the box is where browsing starts, not a digit shown before
        self.index.setToolTip("Index in the test set (type it, then Enter)")
        self.index.setKeyboardTracking(False)  # typing 8019 shows #8019, not #8, #80 and #801 first
        self.label = QComboBox()
        self.previous, self.next = QPushButton("◀"), QPushButton("▶")
        self.previous.setToolTip("Previous test image with this label (Page Up)")
        self.next.setToolTip("Next test image with this label (Page Down)")
        self.random = QPushButton("Random")
        self.random.setToolTip("A random test image with this label (R)")
        self.load_file = QPushButton("Load image file…")
        self.load_file.setToolTip("Probe a photo or scan of a handwritten digit (PNG, JPG, …); "
                                  "dark ink on light paper is inverted automatically")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a15c00;")
        grid = QGridLayout(self)
        grid.addWidget(self.label, 0, 0, 1, 2)
        grid.addWidget(self.index, 0, 2)
        grid.addWidget(self.previous, 1, 0)
        grid.addWidget(self.next, 1, 1)
        grid.addWidget(self.random, 1, 2)
        grid.addWidget(self.load_file, 2, 0, 1, 3)
        grid.addWidget(self.message, 3, 0, 1, 3)
        self.index.valueChanged.connect(self.show_index)
        # Enter shows the digit typed, also the one the box holds ("last #8499" after a file: typing
        # 8499 changed no value, and nothing happened)
        self.index.lineEdit().returnPressed.connect(lambda: self.show_index(self.index.value()))
        self.label.currentIndexChanged.connect(self._filter_chosen)
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(+1))
        self.random.clicked.connect(self.pick_random)
        self.load_file.clicked.connect(self.fileRequested)
        provider.ready.connect(self._on_ready)
        provider.unavailable.connect(self._on_unavailable)
        self._set_labels()
        self._enable(False)

    def set_dataset(self, name: str) -> None:
        """Follow the shown model's dataset; loads its test set in the background if needed."""
        if name != self.dataset or self.test is None:
            self.dataset = name
            self._set_labels()
            self.test = self.provider.get(name)
            if self.test is None:
                self.message.setText(f"Loading the {DISPLAY_NAMES[name]} test set…")
                self._enable(False)
            else:
                self._on_ready(self.test)

    def _set_labels(self) -> None:
        names = CLASS_NAMES[self.dataset]
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItems(["any label", *names])
        self.label.blockSignals(False)

    def _on_ready(self, test: TestImages) -> None:
        if test.name != self.dataset:
            return
        self.test = test
        self.index.setMaximum(len(test.images) - 1)
        self.message.setText("")
        self._enable(True)

    def _on_unavailable(self, why: str) -> None:
        # the verdict still ranks a drawing against the test set: by the statistics stored with the model
        first = why.splitlines()[0].rstrip(".")
        self.message.setText(f"Test images unavailable: {first}. The verdict ranks drawings by the test set's "
                             "statistics stored with the model.")
        self.message.setToolTip(why)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for widget in (self.index, self.label, self.previous, self.next, self.random):
            widget.setEnabled(on)
        self.availabilityChanged.emit(on)

    def _matching(self) -> np.ndarray:
        wanted = self.label.currentIndex() - 1
        if self.test is None:
            return np.arange(0)
        return np.arange(len(self.test.labels)) if wanted < 0 else np.flatnonzero(self.test.labels == wanted)

    def filter_label(self) -> str | None:
        """The label the filter keeps ("7"), None for any label."""
        wanted = self.label.currentIndex() - 1
        return self._names()[wanted] if 0 <= wanted < len(self._names()) else None

    def _names(self) -> tuple[str, ...]:
        return CLASS_NAMES[self.dataset]

    def show_index(self, i: int) -> None:
        if self.test is None or not 0 <= i < len(self.test.images):
            return
        self.digitChosen.emit(from_test_set(i, self._names()[int(self.test.labels[i])], self.test.images[i]))

    def show_source(self, source: InputSource) -> None:
        """Mirror the probe's input: the index of the test digit shown, a filter that includes it.
        Another input (a drawing, a file) leaves the index where browsing goes on, said as the
        last one ("last #456"), so the box never names a digit that is not shown."""
        self._shown_test = self._shown_test or source.kind == "test"
        self.index.setPrefix(LONGEST_PREFIX if source.kind != "test" and self._shown_test else "#")
        if source.kind != "test":
            return
        self.index.blockSignals(True)
        self.index.setSpecialValueText("")  # a digit has been shown: "#–" no longer has a place…
        self.index.setMinimum(0)  # (…and the special text would stand for the minimum, #0)
        self.index.setValue(source.index)
        self.index.blockSignals(False)
        wanted = self.label.currentIndex() - 1
        if wanted >= 0 and self._names()[wanted] != source.label:
            self.label.blockSignals(True)
            self.label.setCurrentIndex(0)  # "any label": the filter never contradicts the digit shown
            self.label.blockSignals(False)

    def _filter_chosen(self, _: int) -> None:
        """A label chosen in the filter: show a digit with that label at once (the next one)."""
        matching = self._matching()
        if not matching.size:
            return
        if self.index.value() in matching:
            self.show_index(self.index.value())  # the probe ignores it if that digit is shown already
        else:
            self.step(+1)

    def _go(self, i: int) -> None:
        self.show_index(i)  # the index box follows through show_source

    def step(self, direction: int) -> None:
        matching = self._matching()
        if matching.size == 0:
            return
        current = self.index.value()
        after = matching[matching > current] if direction > 0 else matching[matching < current][::-1]
        self._go(int(after[0]) if after.size else int(matching[0] if direction > 0 else matching[-1]))

    def pick_random(self) -> None:
        matching = self._matching()
        if matching.size:
            self._go(int(self._rng.choice(matching)))
        elif self.test is None:  # (R pressed: nothing happened, nothing said)
            self.said.emit(f"No test digit to show: {self.message.text() or 'the test set is not loaded yet.'}")
