"""Test-set statistics for the shown model, computed once, in a worker thread.

A model from training already carries its evaluation (the training thread computed it).
A loaded or bundled model does not: when its test set is available, its latents and errors
are computed here (NumPy, ~50 ms for MNIST) and handed to the shown model, which announces
them as ``evaluated`` (the same model, now with statistics), not as another model.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.qt.test_set import TestImages, TestSetProvider
from sae_desktop.snapshot import ModelSnapshot


def _evaluate(snapshot: ModelSnapshot, test: TestImages):
    try:
        return snapshot.evaluate(test.images)
    except Exception as exc:  # never lose a worker silently (superqt drops RuntimeErrors)
        return exc


class ModelStats(QObject):
    def __init__(self, shown: ShownModel, test_set: TestSetProvider, parent: QObject | None = None):
        super().__init__(parent)
        self.shown, self.test_set = shown, test_set
        self._busy: ModelSnapshot | None = None
        shown.changed.connect(self._check)
        test_set.ready.connect(lambda _: self._check(self.shown.snapshot))
        self._check(shown.snapshot)

    def _check(self, snap: ModelSnapshot | None) -> None:
        if snap is None or snap.evaluation is not None or snap is self._busy:
            return
        test = self.test_set.get(snap.dataset)
        if test is None:
            return  # requested; the provider's ready signal brings us back here
        if test.images.shape[1] * test.images.shape[2] != snap.config.d_in:
            return
        self._busy = snap
        from superqt.utils import create_worker  # not at import: superqt loads after the first paint

        worker = create_worker(_evaluate, snap, test, _start_thread=False)
        worker.returned.connect(lambda result, s=snap: self._done(s, result))
        worker.start()

    def _done(self, snap: ModelSnapshot, result) -> None:
        self._busy = None
        if not isinstance(result, Exception):  # a failure leaves the model without statistics
            self.shown.add_evaluation(snap, result)
