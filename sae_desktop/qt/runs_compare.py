"""Which two runs the Runs tab compares: their models loaded and evaluated off the window's thread
(on it, the first comparison froze the window for 1.2 s), a later request superseding an earlier
one, and compared again when a compared run changes (continued, or another epoch), or said gone."""

from __future__ import annotations

import traceback
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6

from sae_desktop.checkpoint import CheckpointError
from sae_desktop.run_list import RunSummary
from sae_desktop.runs import CHECKPOINT
from sae_desktop.snapshot import ModelSnapshot

if TYPE_CHECKING:
    from sae_desktop.qt.runs_view import RunsView


class RunsComparison:
    def __init__(self, view: RunsView):
        self.view = view
        self.compared: list[RunSummary] = []  # the two runs the comparison shows, as they were then
        self._asked = 0  # comparisons asked for (only the latest one's models are shown)

    def start(self, runs: list[RunSummary], same_digits: bool) -> None:
        """Load and evaluate the two runs' models in a worker thread (on the window's, the first
        comparison froze it for 1.2 s), then show them; a later request supersedes this one."""
        from superqt.utils import create_worker  # not at import: superqt loads after the first paint

        self._asked += 1
        asked, compare = self._asked, self.view.compare
        dataset = str(runs[0].config.get("dataset", "mnist"))
        test = compare.test_set.get(dataset)
        compare.mark_busy()

        def compared(models: list[ModelSnapshot]) -> None:
            if shiboken6.isValid(self.view) and asked == self._asked:
                if test is None and any(m.evaluation is None for m in models) and compare.test_set.get(dataset):
                    return self.start(runs, same_digits)  # the test set came meanwhile: evaluated in a worker
                self.compared = runs
                compare.set_models(*models, same_digits=same_digits)
                self.mark_selection(self.view.selected_runs())  # (changed meanwhile: said)
                if not same_digits:
                    self.view.compare_area.verticalScrollBar().setValue(0)  # a new comparison from its header

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, CheckpointError):  # ours, not the file's: said, and logged
                traceback.print_exception(exc)
            if shiboken6.isValid(self.view) and asked == self._asked:
                compare.mark_busy(False)
                self.view.failed.emit("Could not open the run's model", str(exc))

        worker = create_worker(load_evaluated, [run.folder / CHECKPOINT for run in runs],
                               None if test is None else test.images, _start_thread=False,
                               _connect={"returned": compared, "errored": failed})
        worker.start()

    def moved(self, old: Path, new: Path) -> None:
        """A compared run's folder was renamed ``new`` (before the table is read again: not "no longer in the
        runs folder"): compared again from there, on the same digits, under its new name."""
        if all(Path(run.folder) != Path(old) for run in self.compared):
            return
        self.compared = [replace(run, folder=Path(new)) if Path(run.folder) == Path(old) else run
                         for run in self.compared]
        self.start(self.compared, same_digits=True)

    def mark_selection(self, selected: list[RunSummary]) -> None:
        """The comparison says so where a run ``selected`` in the table is not one it compares."""
        self.view.compare.mark_selection(bool({r.folder for r in selected} - {r.folder for r in self.compared}))

    def again_if_changed(self) -> None:
        """A compared run that changed since (continued, or trained another epoch) is compared
        again, on the same digits: the comparison kept a stopped run's figures beside the
        table's "completed"."""
        now = {run.folder: run for run in self.view.runs}
        if not self.compared or all(now.get(run.folder) == run for run in self.compared):
            return
        gone = [letter for letter, run in zip("AB", self.compared) if run.folder not in now]
        if gone:  # (moved to the trash, or deleted: shown as it was, and said)
            return self.view.compare.mark_gone(" and ".join(gone))
        training = [letter for letter, run in zip("AB", self.compared)
                    if self.view.status_of(now[run.folder]) == "training"]
        if training:  # each epoch: said, and compared again once the run ends
            return self.view.compare.mark_training(" and ".join(training))
        self.start([now[run.folder] for run in self.compared], same_digits=True)


def load_evaluated(paths: list, test_images) -> list[ModelSnapshot]:
    """A worker's body: the models at ``paths``, each evaluated on ``test_images`` (uint8) if given
    (the comparison's matched latents read their test statistics). Raises ``CheckpointError``."""
    models = [ModelSnapshot.load(path) for path in paths]
    if test_images is None:
        return models
    return [m if m.evaluation is not None else m.with_evaluation(m.evaluate(test_images)) for m in models]
