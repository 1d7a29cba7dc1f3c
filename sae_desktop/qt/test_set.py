"""The test split of a dataset, loaded once, off the main thread, for whoever needs it.

The digit browser and the feature atlas show test images; neither should freeze the window
while 10 000 images are read, nor fail when the data is absent (offline, first launch):
they get ``unavailable`` with the reason and keep working without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Signal

from sae_desktop.data import DatasetError, load_dataset
from sae_desktop.qt.data_folder import data_dir_shown


@dataclass(frozen=True)
class TestImages:
    name: str
    images: np.ndarray  # uint8 [N, 28, 28]
    labels: np.ndarray  # uint8 [N]

    __test__ = False  # not a pytest test class, despite the name


def _load(name: str, folder: Path):
    try:
        dataset = load_dataset(name, folder, test_only=True)
        return TestImages(name, dataset.test_images, dataset.test_labels)
    except DatasetError as exc:
        return str(exc)
    except Exception as exc:  # superqt drops RuntimeErrors silently: always return something
        return f"could not read the {name} test set: {exc}"


class TestSetProvider(QObject):
    ready = Signal(object)  # TestImages
    unavailable = Signal(str)  # why

    __test__ = False

    def __init__(self, parent: QObject | None = None, held: bool = False):
        super().__init__(parent)
        self._held: list[str] | None = [] if held else None  # loads asked for before release()
        self._cache: dict[str, TestImages] = {}
        self._loading: set[str] = set()
        self._generation = 0  # a load started before the data folder changed is ignored
        self.problem: dict[str, str] = {}

    def get(self, name: str) -> TestImages | None:
        """The test set if loaded; otherwise start loading it (``ready`` follows) and return None."""
        if name in self._cache:
            return self._cache[name]
        if name not in self._loading:
            self._loading.add(name)
            if self._held is not None:
                self._held.append(name)
            else:
                self._start(name)
        return None

    def release(self) -> None:
        """Start the loads held so far, and later ones at once (a window releases its provider
        after its first paint: reading the files, and importing the worker's library, would
        delay it)."""
        held, self._held = self._held or [], None
        for name in held:
            self._start(name)

    def _start(self, name: str) -> None:
        from superqt.utils import create_worker

        worker = create_worker(_load, name, data_dir_shown(), _start_thread=False)
        generation = self._generation
        worker.returned.connect(lambda result, n=name: shiboken6.isValid(self)  # not if its window closed meanwhile
                                and generation == self._generation and self._done(n, result))
        worker.start()

    def _done(self, name: str, result) -> None:
        self._loading.discard(name)
        if isinstance(result, TestImages):
            self._cache[name] = result
            self.problem.pop(name, None)
            self.ready.emit(result)
        else:
            self.problem[name] = result
            self.unavailable.emit(result)

    def reload(self) -> None:
        """The data folder changed: load again every test set asked for so far, from the new
        folder (``ready`` or ``unavailable`` follows for each)."""
        names = set(self._cache) | set(self.problem) | self._loading
        self._generation += 1
        self._cache.clear()
        self.problem.clear()
        self._loading.clear()
        if self._held is not None:
            self._held.clear()
        for name in sorted(names):
            self.get(name)
