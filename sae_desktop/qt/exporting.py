"""File ▸ Export: every plot as PNG/SVG/CSV (pyqtgraph's exporters), the atlas and the probe
as PNG, the test set's latent codes as .npy, a run's metrics as CSV."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMenu

from sae_desktop.exports import (
    STEM_BYTES,
    cut_stem,
    save_diverging_png,
    save_grey_png,
    save_latent_codes,
    save_metrics_csv,
)
from sae_desktop.qt.atlas_export import export_atlas
from sae_desktop.qt.probe_words import bare_source, clamp_note
from sae_desktop.runs import RunFolder

if TYPE_CHECKING:
    import pyqtgraph as pg

__all__ = ["ExportMenu", "export_probe"]


def file_stem(title: str, any_script: bool = False) -> str:
    """A title as a file name a user would type: "Runs: MSE vs L0" → ``runs_mse_vs_l0`` (no colon,
    which some file systems and the command line take badly). ``any_script``: letters of any
    script kept, for the user's own names (a file "scan ünïcødé 七" had become ``scan_n_c_d``, and
    files named only in Chinese all ``file_png``)."""
    return re.sub(r"[\W_]+" if any_script else r"[^a-z0-9]+", "_", title.lower()).strip("_") or "plot"


def name_stem(name: str | None) -> str:
    """A run's or model's name as the start of a file name ("" for none): a run's folder name as
    it is, the bundled model as ``bundled_mnist_model_``, a model file by its name without suffix."""
    stem = re.sub(r"[^a-z0-9.-]+", "_", (name or "").lower().removesuffix(".safetensors")).strip("_.")
    return f"{stem}_" if stem else ""


PROBE_FILES = ("input", "reconstruction", "residual")


def export_probe(probe, folder: str | Path) -> list[Path]:
    """input, reconstruction (grey) and residual (diverging), at 28×28 and at 10× size; named
    after the model and the input ("bundled_mnist_model_test_6685_label_6_input_28px.png"), and
    the reconstruction and residual after the clamps that steer them ("…_latent_16_clamped_reconstruction_28px.png";
    the input, which no clamp changes, was named so too), and never over an earlier export's files (a second
    drawing took "_2": all exports were named ``probe_input_28px.png``, and the next one replaced the last)."""
    result = probe.result
    if result is None:
        raise ValueError("nothing is being probed: draw a digit or pick one first")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    snap = probe.shown.snapshot
    # steered: the reconstruction and residual are the clamped code's, and the names say so
    clamps = probe.state.clamps
    steered = f"_{file_stem(clamp_note(clamps))}" if clamps else ""
    base = name_stem(snap.short_name if snap is not None else None) + file_stem(bare_source(probe.state.source), True)
    base = cut_stem(base, STEM_BYTES - len(steered.encode()))  # (a phone's long file name)

    def names(again: str) -> list[Path]:
        return [folder / f"{base}{'' if what == 'input' else steered}{again}_{what}_{tag}.png"
                for tag in ("28px", "280px") for what in PROBE_FILES]

    again = next(a for a in ("", *(f"_{n}" for n in range(2, 10_000))) if not any(p.exists() for p in names(a)))
    paths = iter(names(again))
    written = []
    for scale in (1, 10):
        written.append(save_grey_png(result.input, next(paths), scale))
        written.append(save_grey_png(result.reconstruction, next(paths), scale))
        limit = max(0.25, float(np.abs(result.residual).max()))
        written.append(save_diverging_png(result.residual, next(paths), limit, scale))
    return written


GREYED_WHEN_EMPTY = {  # plot → its tab (see ExportMenu.update_plot_actions)
    **dict.fromkeys(["Losses", "Mean activation (rho-hat)", "Test-set activations (Training)", "Sparsity per epoch"],
                    "Training"),
    "Latent code (Probe)": "Probe",
    **dict.fromkeys(["Feature density", "Test-set activations of the selected latent (Atlas)",
                     "Activation by class of the selected latent (Atlas)"], "Atlas"),
    **dict.fromkeys(["Model A: latent codes (Runs, compared)", "Model B: latent codes (Runs, compared)"], "Runs")}


EMPTY_HINTS = {"Training": "It fills as a run trains: press Start training (Ctrl+Return).",
               "Probe": "It shows the code of the Probe's input: draw a digit, or pick a test digit or an image file.",
               "Runs": "It shows two runs compared: select two rows in the Runs tab, then compare them."}


def empty_hint(plot: pg.PlotWidget, title: str) -> str:
    """Why ``plot`` (File ▸ Export's ``title``) has nothing to export, and how to give it something."""
    return getattr(plot, "empty_hint", None) or EMPTY_HINTS.get(GREYED_WHEN_EMPTY.get(title, ""),
                                                                "The plot shows no data yet.")


class ExportMenu:
    """Fills the window's File ▸ Export menu; each action asks for a file, then calls the above."""

    def __init__(self, window, menu: QMenu):
        self.window = window
        plots = menu.addMenu("Plot (PNG, SVG or CSV)")
        plots.setToolTipsVisible(True)  # (a greyed plot's says how to give it data)
        self.plot_actions = {title: plots.addAction(f"{title}…", lambda p=plot, t=title: self._plot(p(), t))
                             for title, plot in self.plots().items()}  # (the views are built by then)
        plots.aboutToShow.connect(self.update_plot_actions)
        self.atlas_action = menu.addAction("Atlas image (PNG)…", self._atlas)
        self.probe_action = menu.addAction("Probe images (PNG)…", self._probe)
        self.codes_action = menu.addAction("Test-set latent codes (.npy)…", self._codes)
        self.metrics_action = menu.addAction("Run metrics (CSV)…", self._metrics)
        menu.setToolTipsVisible(True)  # (a greyed item's says why, as the plots' do)
        menu.aboutToShow.connect(self.update_actions)
        self.update_actions()

    def update_actions(self) -> None:
        """Only what can be exported now is offered (each action also checks again when used)."""
        snap = self.window.shown.snapshot
        self.atlas_action.setEnabled(snap is not None)
        self.probe_action.setEnabled(self.window.probe_view.result is not None)
        self.codes_action.setEnabled(snap is not None and snap.evaluation is not None)
        whose = f" of “{snap.short_name}”" if snap is not None else ""  # (which model's: the metrics' run, beside
        self.codes_action.setText(f"Test-set latent codes{whose} (.npy)…")  # it, can be the one selected in Runs)
        folder = self.run_for_metrics()
        self.metrics_action.setEnabled(folder is not None)
        name = f" of “{folder.name}”" if folder else ""
        self.metrics_action.setText(f"Run metrics{name} (CSV)…")
        unshown = "No model is shown: File ▸ Open model…, or train one"
        for action, why in ((self.atlas_action, unshown),
                            (self.probe_action, "Nothing is probed: draw a digit, or pick a test digit or an image "
                                                "file in the Probe tab"),
                            (self.codes_action, unshown if snap is None else "The shown model has no test-set codes "
                                                "yet: they need MNIST's test files (the training panel's Data folder)"),
                            (self.metrics_action, "No run's metrics: the shown model is not a run's (train one, or "
                                                  "select one in the Runs tab)")):
            action.setToolTip("" if action.isEnabled() else why)

    def update_plot_actions(self) -> None:
        """A plot with nothing to export greyed out (its tooltip says how to give it some), where that is
        known without building or updating a view: those of a built Training or Probe tab (their news
        first, as a visit would), the Atlas's while it shows the shown model, the Runs tab's compared codes
        (its frontier reads the runs' folders again when used; each action also checks when used)."""
        from sae_desktop.qt.plot_files import has_content

        for title, action in self.plot_actions.items():
            view = self.window.built_view(GREYED_WHEN_EMPTY[title]) if title in GREYED_WHEN_EMPTY else None
            plot = self.plots()[title]() if view is not None and not getattr(view, "stale", False) else None
            if plot is not None and callable(refresh := getattr(plot, "refresh", None)):
                refresh()
            ready = plot is None or bool(has_content(plot))
            action.setEnabled(ready)
            action.setToolTip("" if ready else empty_hint(plot, title))

    def plots(self) -> dict[str, Callable[[], pg.PlotWidget]]:
        """Each plot by its title (as on screen, the tab named where two are alike): a function, as
        its view may not be built yet (and a hidden view is brought up to date by it)."""
        w = self.window
        return {"Losses": lambda: w.training_view.loss_plot,
                "Mean activation (rho-hat)": lambda: w.training_view.rho_plot,  # (plain text: see RHO_HAT)
                "Test-set activations (Training)": lambda: w.training_view.histogram,
                "Sparsity per epoch": lambda: w.training_view.sparsity_plot,
                "Latent code (Probe)": lambda: w.probe_view.bars,
                "Feature density": lambda: w.atlas_view.up_to_date().density_plot,
                "Test-set activations of the selected latent (Atlas)":
                    lambda: w.atlas_view.up_to_date().dashboard.histogram,
                "Activation by class of the selected latent (Atlas)":
                    lambda: w.atlas_view.up_to_date().dashboard.classes,
                "Test MSE vs L0 per run": lambda: w.runs_view.up_to_date().frontier,
                "Model A: latent codes (Runs, compared)": lambda: w.runs_view.compare.plots[1],
                "Model B: latent codes (Runs, compared)": lambda: w.runs_view.compare.plots[2]}

    def depicted(self, plot: pg.PlotWidget) -> str | None:
        """The run or model ``plot`` shows, which its file's name begins with (two runs' exports
        were both ``losses.png``): the Training tab's run, the Probe's and Atlas's model; none
        for the Runs tab's frontier of all runs."""
        whose = self._whose(plot)
        return whose[0] if whose else None

    def caption(self, plot: pg.PlotWidget) -> str | None:
        """The line above an exported plot saying whose it is: "Run 20261204-103142-mnist-kl", "Model:
        20261204-103142-mnist-kl, stopped after epoch 1" (a file's name is lost once on a slide)."""
        whose = self._whose(plot)
        return whose[1] if whose else None

    def _whose(self, plot: pg.PlotWidget) -> tuple[str, str] | None:
        """(a name for files, a caption) for ``plot``'s run or model; None for all runs'."""
        w = self.window
        training, runs = w.built_view("Training"), w.built_view("Runs")
        if training is not None and training.isAncestorOf(plot):
            return (w.run.run_dir.name, f"Run {w.run.run_dir.name}") if w.run.run_dir is not None else None
        if runs is not None and runs.compare.isAncestorOf(plot):  # the two compared models'
            return runs.compare.whose()
        if runs is not None and runs.isAncestorOf(plot):
            return None
        snap = w.shown.snapshot
        return (snap.short_name, f"Model: {snap.name}") if snap is not None else None

    def _ask(self, title: str, name: str, filters: str) -> str:
        from sae_desktop.qt.settings import ask_save_path

        return ask_save_path(self.window, title, name, filters, "exports")

    def _run(self, what: str, action) -> None:
        try:
            written = action()
        except (ValueError, OSError) as exc:
            self.window.notify(f"Could not export the {what}", str(exc), error=True)
            return
        self.window.statusBar().showMessage(f"Exported {what} to {written}", 8000)

    def _plot(self, plot: pg.PlotWidget, title: str) -> None:
        from sae_desktop.qt.plot_files import PLOT_FILTER, export_plot, has_content

        if callable(refresh := getattr(plot, "refresh", None)):
            refresh()  # its news, if its tab is hidden
        if not has_content(plot):  # said before a dialog asks where to write nothing
            self.window.notify(f"Nothing to export in “{title}”",
                               empty_hint(plot, title), error=True)
            return
        # "Latent 3: test-set activations": latents apart (a file name without the title's notes: export_name)
        shows = getattr(plot, "export_name", None) or getattr(plot, "export_title", None) or title
        if path := self._ask(f"Export plot: {title}", name_stem(self.depicted(plot)) + file_stem(shows) + ".png",
                             PLOT_FILTER):
            self._run(f"plot “{title}”", lambda: export_plot(plot, path, self.caption(plot)))

    def _atlas(self) -> None:
        atlas = self.window.atlas_view
        # which tiles, in which order (an encoder's atlas sorted by density was "…_atlas.png" as a decoder's)
        kind = ("decoder", "encoder")[atlas.kind.currentIndex()]
        order = ("by_index", "by_density")[atlas.sort.currentIndex()]
        if path := self._ask("Export the atlas", name_stem(self.depicted(atlas)) + f"atlas_{kind}_{order}.png",
                             "PNG image (*.png)"):
            self._run("atlas", lambda: export_atlas(atlas, path))

    def _probe(self) -> None:
        from sae_desktop.qt.settings import last_folder

        if self.window.probe_view.result is None:  # said before asking for a folder, not after
            self.window.notify("Nothing to export", "Nothing is being probed: draw a digit or pick one first.",
                               error=True)
            return
        folder = QFileDialog.getExistingDirectory(self.window, "Export probe images into", last_folder("exports"))
        if folder:
            self._run("probe images", lambda: export_probe(self.window.probe_view, folder)[0].parent)

    def _codes(self) -> None:
        snap = self.window.shown.snapshot
        if snap is None or snap.evaluation is None:
            self.window.notify("No latent codes yet", "The shown model has no test-set statistics (the test set is "
                               "missing or still being processed).", error=True)
            return
        if path := self._ask("Export the test set's latent codes", name_stem(snap.short_name) + "latent_codes.npy",
                             "NumPy array (*.npy)"):
            self._run("latent codes", lambda: save_latent_codes(snap.evaluation.latents, path))

    def _metrics(self) -> None:
        folder = self.run_for_metrics()
        if folder is None:
            self.window.notify("No run to export", "The shown model is not from a training run: train one, "
                               "or select a run in the Runs tab.", error=True)
            return
        if path := self._ask("Export run metrics", f"{folder.name}_metrics.csv", "CSV (*.csv)"):
            self._run("run metrics", lambda: save_metrics_csv(RunFolder(folder).read_metrics(), path))

    def run_for_metrics(self) -> Path | None:
        """The run selected in the Runs tab while it is shown, else the run the shown model comes from
        (none for the bundled model or a loose file): from the Training tab, a run selected in the hidden
        Runs tab was exported, not the run on screen."""
        runs = self.window.built_view("Runs")  # nothing can be selected in a tab not built yet
        shown = runs is not None and self.window.tabs.currentWidget() is runs
        selected = runs.selected_runs() if shown else []
        if len(selected) == 1:
            return selected[0].folder
        snap = self.window.shown.snapshot
        path = snap.path if snap is not None else None
        run = RunFolder.containing(path) if path is not None else None
        if run is None and snap is not None and snap.path is None and snap.train_config is not None:
            run = RunFolder(self.window.controller.run_dir) if self.window.controller.run_dir else None  # mid-run copy
        return run.path if run is not None and run.metrics_path.is_file() else None
