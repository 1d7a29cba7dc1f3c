"""Pick a test digit (by index, by label, or at random) or an image file for the probe."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QWidget

from sae_desktop.data import CLASS_NAMES, DISPLAY_NAMES
from sae_desktop.qt.test_set import TestImages, TestSetProvider



class DigitBrowser(QGroupBox):
    digitChosen = Signal(object, str)  # uint8 28×28, a description
    fileRequested = Signal()

    def __init__(self, provider: TestSetProvider, parent: QWidget | None = None):
        super().__init__("Test digits and image files", parent)
        self.provider = provider
        self.test: TestImages | None = None
        self.dataset = "mnist"
        self._rng = np.random.default_rng()
        self.index = QSpinBox()
        self.index.setRange(0, 9999)
        self.index.setPrefix("#")
        self.index.setToolTip("Index in the test set")
        self.label = QComboBox()
        self.previous, self.next = QPushButton("◀"), QPushButton("▶")
        self.previous.setToolTip("Previous test image with this label")
        self.next.setToolTip("Next test image with this label")
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
        self.message.setText(f"Test images unavailable: {why.splitlines()[0]}")
        self.message.setToolTip(why)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for widget in (self.index, self.label, self.previous, self.next, self.random):
            widget.setEnabled(on)

    def _matching(self) -> np.ndarray:
        wanted = self.label.currentIndex() - 1
        if self.test is None:
            return np.arange(0)
        return np.arange(len(self.test.labels)) if wanted < 0 else np.flatnonzero(self.test.labels == wanted)

    def show_index(self, i: int) -> None:
        if self.test is None or not 0 <= i < len(self.test.images):
            return
        names = CLASS_NAMES[self.dataset]
        self.digitChosen.emit(self.test.images[i], f"test #{i}, label {names[int(self.test.labels[i])]}")

    def _go(self, i: int) -> None:
        if self.index.value() == i:
            self.show_index(i)
        else:
            self.index.setValue(i)  # shows it through valueChanged

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
