"""File ▸ Export and Save, as a user meets them: nothing asked before it can work, Save saves,
vector SVGs, CSV columns with names; and no Qt conversion warnings."""

import csv
import dataclasses
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFileDialog, QStyleOptionViewItem

from sae_desktop.config import TrainConfig
from sae_desktop.engine import train
from sae_desktop.events import IntervalOutput, TrainingControl
from sae_desktop.qt.plot_files import export_plot
from sae_desktop.qt.runs_table import COLUMNS, NAME_COLUMNS_PX, SETTINGS_LEAST_PX, STAMP_PADDING_PX
from sae_desktop.runs import RunFolder, recorded


@pytest.fixture
def window(qtbot, gui_window):
    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)
    return gui_window


@pytest.fixture
def dialogs(monkeypatch):
    """Records every file dialog the window opens; answers with ``dialogs.answer``."""
    class Dialogs:
        asked: list[str] = []
        suggested: list[str] = []  # the path each dialog proposed
        answer = ""

    def ask(kind):
        def dialog(parent, title, *args, **kwargs):
            Dialogs.asked.append(f"{kind}: {title}")
            Dialogs.suggested.append(args[0] if args else "")
            return (Dialogs.answer, "") if kind != "folder" else Dialogs.answer
        return dialog

    Dialogs.asked, Dialogs.suggested = [], []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask("save"))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", ask("folder"))
    return Dialogs


def test_steering_a_latent_sends_its_clamp_without_a_qt_conversion_warning(qtbot, window, capfd):
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    view.browser.index.setValue(5)
    received = []
    view.state.clamps_changed.connect(received.append)  # the bars ask the probe's state; it owns the clamps
    view.bars.set_clamp(3, 0.7)
    assert received == [{3: pytest.approx(0.7)}]  # a Qt dict signal delivered {} (QVariantMap keys are strings)
    assert "_pythonToCppCopy" not in capfd.readouterr().err
    assert "(latent\u00a03\u00a0clamped)" in view.error_label.text()  # which one, not "1 latent"


def test_probe_export_says_nothing_is_probed_before_asking_for_a_folder(qtbot, window, dialogs):
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    view.browser.index.setValue(2)
    window.export_menu.aboutToShow.emit()
    assert window.exports.probe_action.isEnabled()
    view.canvas.clear()
    view.update_probe()
    assert view.result is None
    window.exports.probe_action.trigger()  # the action as enabled a moment ago: no dialog now
    assert dialogs.asked == [] and "Nothing is being probed" in window.notices[-1]
    window.export_menu.aboutToShow.emit()
    assert not window.exports.probe_action.isEnabled()  # and the menu greys it out, saying why (it said nothing)
    assert window.exports.probe_action.toolTip().startswith("Nothing is probed: draw a digit")
    assert window.export_menu.toolTipsVisible()
    view.browser.index.setValue(3)
    window.export_menu.aboutToShow.emit()
    assert window.exports.probe_action.isEnabled() and "Nothing" not in window.exports.probe_action.toolTip()


def test_run_metrics_export_is_offered_only_for_a_model_from_a_run(qtbot, window, tiny_dataset, dialogs):
    assert window.shown.snapshot.name == "bundled MNIST model"
    window.export_menu.aboutToShow.emit()
    assert not window.exports.metrics_action.isEnabled()
    assert window.exports.metrics_action.toolTip().startswith("No run's metrics: the shown model is not a run's")
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    assert window.model_files.open(run.checkpoint_path)
    window.export_menu.aboutToShow.emit()
    assert window.exports.metrics_action.isEnabled() and run.path.name in window.exports.metrics_action.text()
    assert window.exports.codes_action.text() == f"Test-set latent codes of “{run.path.name}” (.npy)…"  # (the
    # shown model's: named, as the metrics' run beside it can be the one selected in the Runs tab)
    other = RunFolder.create(dataclasses.replace(cfg, seed=1))
    list(recorded(train(dataclasses.replace(cfg, seed=1), tiny_dataset), other))
    runs = window.runs_view
    runs.refresh()
    row = next(r for r in range(runs.table.rowCount())
               if runs.runs[runs.table.item(r, 0).data(Qt.ItemDataRole.UserRole)].folder.name == other.path.name)
    runs.table.selectRow(row)
    window.tabs.setCurrentWidget(runs)
    assert window.exports.run_for_metrics().name == other.path.name  # the run selected, on the Runs tab…
    window.tabs.setCurrentWidget(window.training_view)
    window.export_menu.aboutToShow.emit()  # …and on the others the run on screen (the selected one was exported)
    assert window.exports.run_for_metrics().name == run.path.name
    assert f"“{run.path.name}”" in window.exports.metrics_action.text()


def test_ctrl_s_saves_to_the_current_file_and_save_as_asks(qtbot, window, dialogs, tmp_path):
    target = tmp_path / "mine.safetensors"
    dialogs.answer = str(target)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # bundled model: nowhere yet
    assert len(dialogs.asked) == 1 and target.is_file()
    # first in the user's home (not the folder the app started from), named after the model
    from pathlib import Path

    assert dialogs.suggested[0] == str(Path.home() / "bundled_mnist_model.safetensors")
    target.unlink()
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(dialogs.asked) == 1 and target.is_file()  # saved again, to the same file, without a dialog
    window.save_as_action.trigger()
    assert len(dialogs.asked) == 2
    assert window.model_files.open(target)
    target.unlink()
    window.save_action.trigger()  # an opened file is the current file
    assert len(dialogs.asked) == 2 and target.is_file()
    dialogs.answer = str(tmp_path / "my model")  # a name typed without its extension gets the filter's
    window.save_as_action.trigger()
    assert (tmp_path / "my model.safetensors").is_file() and not (tmp_path / "my model").exists()
    assert window.model_files.open(tmp_path / "my model.safetensors")
    dialogs.answer = str(tmp_path / "losses")
    window.exports._plot(loss_plot_with_markers(window), "Losses")
    assert (tmp_path / "losses.png").is_file()


def test_an_empty_plot_is_not_exported(qtbot, window, tmp_path):
    """With no latent selected, the Atlas's histogram was written as bare axes (PNG, SVG) and the
    status bar said "Exported" (its CSV was refused); the losses before any training, the same."""
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    for plot in (atlas.dashboard.histogram, window.training_view.loss_plot):
        for suffix in (".png", ".svg", ".csv"):
            with pytest.raises(ValueError, match="no data"):
                export_plot(plot, tmp_path / f"empty{suffix}")
            assert not (tmp_path / f"empty{suffix}").exists()
    atlas.select(3)  # a latent: its histogram is exported
    assert export_plot(atlas.dashboard.histogram, tmp_path / "latent.png").is_file()


def test_the_frontier_exported_from_another_tab_has_every_run(qtbot, window, tiny_dataset, tmp_path):
    """Exported without a visit to the Runs tab, the frontier left out the runs trained since."""
    window.tabs.setCurrentWidget(window.runs_view)
    qtbot.waitUntil(lambda: window.runs_view._scans > 0, timeout=5000)
    window.tabs.setCurrentWidget(window.training_view)
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    frontier = window.exports.plots()["Test MSE vs L0 per run"]()
    assert [row[0] for row in frontier.csv_table()[1] if row[-1] == "run"] == [run.path.name]


def test_exporting_an_empty_plot_says_so_before_asking_where(qtbot, window, dialogs):
    window.exports._plot(window.training_view.loss_plot, "Losses")  # before any training
    assert dialogs.asked == [] and window.notices[-1].startswith("Nothing to export in “Losses”")
    title = "Activation by class of the selected latent (Atlas)"  # (a latent's plot: says how to get one)
    window.exports._plot(window.exports.plots()[title](), title)
    assert dialogs.asked == [] and "first click the tile of a live latent" in window.notices[-1]


def test_a_plot_with_nothing_to_export_is_greyed_out_and_says_how_to_give_it_some(qtbot, window):
    """Export ▸ Plot ▸ Losses… was offered before any run and answered "The plot shows no data yet"; the
    README says what cannot be exported now is greyed out."""
    from sae_desktop.qt.exporting import GREYED_WHEN_EMPTY

    exports = window.exports
    assert set(GREYED_WHEN_EMPTY) <= set(exports.plots())  # (a plot renamed in one place only)
    menu = exports.plot_actions["Losses"].parent()
    window.training_view  # noqa: B018 (built after the window's first paint; here when first asked for)
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    view.canvas.clear()
    qtbot.waitUntil(lambda: view.result is None)
    menu.aboutToShow.emit()
    losses, code = exports.plot_actions["Losses"], exports.plot_actions["Latent code (Probe)"]
    assert not losses.isEnabled() and "press Start training (Ctrl+Return)" in losses.toolTip()  # how to fill it
    assert not code.isEnabled() and "draw a digit, or pick a test digit" in code.toolTip()
    view.browser.index.setValue(5)
    qtbot.waitUntil(lambda: view.result is not None)
    menu.aboutToShow.emit()
    assert code.isEnabled() and "no data" not in code.toolTip() and not losses.isEnabled()
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: atlas.test_set.get("mnist") is not None, timeout=10000)
    classes = exports.plot_actions["Activation by class of the selected latent (Atlas)"]
    menu.aboutToShow.emit()
    assert not classes.isEnabled() and "first click the tile of a live latent" in classes.toolTip()
    assert exports.plot_actions["Feature density"].isEnabled()
    atlas.select(int(np.flatnonzero(~atlas.model.evaluation.dead)[0]))
    menu.aboutToShow.emit()
    assert classes.isEnabled()
    window.runs_view  # noqa: B018 (built) no two runs compared: their codes greyed, and how to compare them
    menu.aboutToShow.emit()
    compared = exports.plot_actions["Model A: latent codes (Runs, compared)"]
    assert not compared.isEnabled() and "select two rows" in compared.toolTip()


def test_the_atlas_activation_by_class_plot_exports_as_a_table_and_a_picture(qtbot, window, tmp_path):
    """It was the one plot neither File ▸ Export ▸ Plot nor a right-click reached."""
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: atlas.test_set.get("mnist") is not None, timeout=10000)
    classes = window.exports.plots()["Activation by class of the selected latent (Atlas)"]()
    assert classes is atlas.dashboard.classes
    with pytest.raises(ValueError, match="no data"):
        export_plot(classes, tmp_path / "none.csv")
    live = int(np.flatnonzero(~atlas.model.evaluation.dead)[0])
    atlas.select(live)
    header, rows = read_csv(export_plot(classes, tmp_path / "classes.csv"))
    assert header == ["class", "mean activation"] and [r[0] for r in rows] == [str(c) for c in range(10)]
    shown = atlas.dashboard.class_bars.opts["height"]
    np.testing.assert_allclose([float(r[1]) for r in rows], shown, rtol=1e-6)
    assert export_plot(classes, tmp_path / "classes.png").is_file()


def test_ctrl_s_on_a_runs_model_asks_where(qtbot, window, dialogs, tmp_path, tiny_dataset):
    """A run's checkpoint is the run's own: Ctrl+S on a trained model warned "Could not save the
    model: … refusing to write over run folder …'s own checkpoint.safetensors" instead of asking."""
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    assert window.model_files.open(run.checkpoint_path)
    before = run.checkpoint_path.read_bytes()
    dialogs.answer = str(tmp_path / "kept.safetensors")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(dialogs.asked) == 1 and (tmp_path / "kept.safetensors").is_file()
    assert run.checkpoint_path.read_bytes() == before and not any("Could not" in n for n in window.notices)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # then that file is the current one
    assert len(dialogs.asked) == 1


def loss_plot_with_markers(window):
    plot = window.training_view.loss_plot
    for epoch in range(1, 5):
        plot.add_epoch(100 * epoch, 0.1 / epoch)
    window.training_view.refresh_all()
    return plot


def test_svg_export_draws_markers_as_vector_paths(qtbot, window, tmp_path, capfd):
    from PySide6.QtSvg import QSvgRenderer

    window.tabs.setCurrentWidget(window.training_view)
    svg_path = export_plot(loss_plot_with_markers(window), tmp_path / "loss.svg")
    root = ET.parse(svg_path).getroot()
    tags = [e.tag.split("}")[-1] for e in root.iter()]
    assert "image" not in tags  # no bitmap of the marker sheet
    markers = [g for g in root.iter() if g.tag.endswith("}g") and g.get("fill", "").lower() == "#d62728"
               and any(e.tag.endswith("path") for e in g)]
    assert len(markers) >= 4  # one vector marker per epoch (and the legend's)
    assert QSvgRenderer(str(svg_path)).isValid()
    err = capfd.readouterr().err
    assert "Invalid path data" not in err
    if shutil.which("convert"):  # ImageMagick renders it
        out = tmp_path / "loss.png"
        subprocess.run(["convert", str(svg_path), str(out)], check=True, timeout=60, capture_output=True)
        rgb = np.asarray(Image.open(out).convert("RGB")).astype(int)
        red = (rgb[..., 0] > 180) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
        assert red.sum() > 4 * 20  # the markers and their line are drawn


def test_csv_exports_name_their_columns(qtbot, window, tmp_path):
    plot = loss_plot_with_markers(window)
    with open(export_plot(plot, tmp_path / "loss.csv")) as f:
        header = next(csv.reader(f))
    assert "test MSE (per epoch)" in header and "training step" in header
    assert not any(name.startswith(("x0", "y0")) for name in header)
    from sae_desktop.events import IntervalOutput

    for n in range(1, 30):  # reports too: their steps and the test MSE's are two x columns
        plot.add_step(IntervalOutput(10 * n, 1, n / 47, 0.05, 0.005, 0.055, 1000.0, 1e-3, np.full(32, 0.05)))
    window.training_view.refresh_all()
    with open(export_plot(plot, tmp_path / "losses.csv")) as f:
        header = next(csv.reader(f))
    assert header[0] == "training step" and "training step for test MSE (per epoch)" in header
    assert len(set(header)) == len(header)  # one name each (two were "training step")
    window.training_view.rho_plot.set_test_values(np.linspace(0, 0.1, 32), "epoch 1")
    window.training_view.refresh_all()
    with open(export_plot(window.training_view.rho_plot, tmp_path / "rho.csv")) as f:
        assert next(csv.reader(f))[:2] == ["latent", "mean activation"]


def test_csv_numbers_are_written_in_their_own_precision(tmp_path):
    """A float32 bin edge 0.025 was written "0.02500000037" (ten digits of its float64 value)."""
    from sae_desktop.qt.plot_files import write_csv

    write_csv(tmp_path / "n.csv", ["a", "b", "c", "d", "e", "f"],
              [[np.float32(0.025), 3.0, np.float64(0.1), 1e-12, np.float32(2.5e-8), "—"]])
    assert (tmp_path / "n.csv").read_text(encoding="utf-8").splitlines()[1] == "0.025,3,0.1,1e-12,2.5e-08,—"


def test_frontier_csv_names_its_runs(qtbot, window, tiny_dataset, tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    for c in (cfg, cfg.replace(penalty="topk", k=2)):
        list(recorded(train(c, tiny_dataset), RunFolder.create(c)))
    window.tabs.setCurrentWidget(window.runs_view)
    with open(export_plot(window.runs_view.frontier, tmp_path / "frontier.csv")) as f:
        rows = list(csv.DictReader(f))
    reference = [r for r in rows if r["source"] != "run"]  # the faint points too (the file held half the plot)
    rows = [r for r in rows if r["source"] == "run"]
    assert sorted(r["penalty"] for r in rows) == ["kl", "topk"]
    assert {r["run"] for r in rows} == {run.name for run in window.runs_view.runs}
    assert all(float(r["test MSE"]) > 0 for r in rows)
    assert reference and len(reference) == len(window.runs_view.frontier.reference)
    assert all(float(r["L0"]) >= 0 and r["run"].startswith("reference ") for r in reference)


def test_exported_latent_plot_has_no_mouse_hint(qtbot, window, tmp_path):
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    view.browser.index.setValue(3)
    root = ET.parse(export_plot(view.bars, tmp_path / "code.svg")).getroot()
    text = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    assert "Latent code of test #3, label" in text and "click" not in text  # whose code, without the mouse hint
    assert "click or drag" in view.bars.getPlotItem().titleLabel.text  # the window keeps its hint
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    atlas.select(5)
    root = ET.parse(export_plot(atlas.dashboard.histogram, tmp_path / "dashboard.svg")).getroot()
    assert "Latent 5: test-set activations" in " ".join("".join(e.itertext()) for e in root.iter())


def test_runs_table_fits_at_1440_and_selected_runs_are_highlighted_on_the_frontier(qtbot, window, tiny_dataset):
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    for c in (cfg, cfg.replace(beta=0.0), cfg.replace(penalty="topk", k=2)):
        list(recorded(train(c, tiny_dataset), RunFolder.create(c)))
    stopped, control = cfg.replace(penalty="l1", l1=0.01, epochs=3, log_every=3), TrainingControl()
    for event in recorded(train(stopped, tiny_dataset, control), RunFolder.create(stopped)):
        if isinstance(event, IntervalOutput) and event.step > 640 / 64:  # inside epoch 2 (10 steps an epoch)
            control.stop()
    window.resize(1440, 900)
    window.tabs.setCurrentWidget(window.runs_view)
    runs = window.runs_view
    qtbot.waitUntil(lambda: runs.table.rowCount() == 4, timeout=5000)
    qtbot.wait(50)
    assert runs.table.horizontalScrollBar().maximum() == 0  # every column on screen, Time (s) included
    row = next(r for r in range(4) if runs.table.item(r, 2).text() == "l1")
    status = runs.table.item(row, COLUMNS.index("Status")).text()  # its figures are of that step, not epoch 1's
    step = int(re.fullmatch(r"stopped at\nstep (\d+)", status).group(1))
    assert step % 10 and runs.table.item(row, COLUMNS.index("Epochs")).text() == str(step // 10)  # inside an epoch
    # no wider than "stopped at" for a tutorial run's step: "at step 4690" widened the column past the
    # window's width at 1440×900 in a real X window (Time (s) behind a sideways scroll)
    stopped = runs.runs[runs.table.item(row, 0).data(Qt.ItemDataRole.UserRole)]
    metrics = runs.table.fontMetrics()
    lines = runs.status_of(dataclasses.replace(stopped, step=4690)).split("\n")  # (10 epochs of 469 steps)
    assert max(metrics.horizontalAdvance(line) for line in lines) <= metrics.horizontalAdvance("stopped at")
    runs.table.selectRow(1)
    run = runs.selected_runs()[0]
    xs, ys = runs.frontier.selected_marks.getData()
    assert list(xs) == [pytest.approx(run.l0)] and list(ys) == [pytest.approx(run.test_mse)]
    runs.table.clearSelection()
    xs = runs.frontier.selected_marks.getData()[0]
    assert len(xs if xs is not None else []) == 0


def test_selected_runs_glow_and_the_legend_says_so(qtbot, window, tiny_dataset):
    """Selected runs were ringed in black: a completed run's point in a ring read as the legend's
    only ring, "not completed (hollow)", and exported plots kept the rings unexplained."""
    from PySide6.QtCore import Qt

    from sae_desktop.qt.frontier_plot import SELECTED_LABEL, UNFINISHED_LABEL

    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    list(recorded(train(cfg, tiny_dataset), RunFolder.create(cfg)))
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    frontier = runs.frontier

    def names() -> list[str]:
        return [label.text for _, label in frontier.legend.items]

    assert SELECTED_LABEL not in names() and UNFINISHED_LABEL not in names()
    runs.table.selectRow(0)
    assert names()[-1] == SELECTED_LABEL
    glow = frontier.selected_marks.scatter.points()[0]
    assert glow.brush().style() != Qt.BrushStyle.NoBrush and glow.pen().style() == Qt.PenStyle.NoPen  # no ring
    assert glow.brush().color().alpha() < 255  # the point shows through
    runs.table.clearSelection()
    assert SELECTED_LABEL not in names()


def test_the_runs_headers_reserve_the_sort_arrows_room_once(qtbot):
    """Qt widened every column by the header's height for the sort arrow, which it draws in half
    that: 150 px of the table's width at normal size, a sideways scroll at 1280×720. Each header
    still shows its whole name beside the arrow while its column is sorted."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QStyle, QStyleOptionHeader, QTableWidget

    from sae_desktop.qt.runs_table import RunsTable

    for points in (9, 14):  # normal and presentation-sized text
        ours, plain = RunsTable(), QTableWidget(0, len(COLUMNS))
        plain.setHorizontalHeaderLabels(COLUMNS)
        plain.setSortingEnabled(True)
        for table in (ours, plain):
            qtbot.addWidget(table)
            table.horizontalHeader().setFont(QFont(table.font().family(), points))
            table.show()
        header, old = ours.horizontalHeader(), plain.horizontalHeader()
        saved = [old.sectionSizeHint(c) - header.sectionSizeHint(c) for c in range(len(COLUMNS))]
        assert sum(saved) >= len(COLUMNS) * header.height() // 3, saved
        for column, name in enumerate(COLUMNS):
            option = QStyleOptionHeader()
            option.initFrom(header)
            option.rect = header.rect().adjusted(0, 0, header.sectionSizeHint(column) - header.width(), 0)
            option.state |= QStyle.StateFlag.State_Horizontal
            option.sortIndicator = QStyleOptionHeader.SortIndicator.SortUp
            label = header.style().subElementRect(QStyle.SubElement.SE_HeaderLabel, option, header)
            assert header.fontMetrics().horizontalAdvance(name) <= label.width(), name


def test_in_a_narrow_window_the_run_names_stay_readable_and_the_rest_scrolls(qtbot, window, tiny_dataset):
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    list(recorded(train(cfg, tiny_dataset), RunFolder.create(cfg)))
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    window.resize(1280, 720)  # a projector, the training panel shown: not every column fits
    qtbot.waitUntil(lambda: runs.table.horizontalScrollBar().maximum() > 0, timeout=3000)
    header = runs.table.horizontalHeader()
    assert header.sectionSize(COLUMNS.index("Run")) >= NAME_COLUMNS_PX["Run"]  # not "2…"
    assert header.sectionSize(COLUMNS.index("Settings")) >= NAME_COLUMNS_PX["Settings"]
    window.resize(1440, 900)  # room again: everything fits, the names take what is left
    qtbot.waitUntil(lambda: runs.table.horizontalScrollBar().maximum() == 0, timeout=3000)


def test_the_run_this_window_trains_reads_training_in_the_runs_table(qtbot, gui_window, tiny_dataset):
    from sae_desktop.runs import RUNNING_OR_KILLED

    cfg = TrainConfig(epochs=3, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    events = recorded(train(cfg, tiny_dataset), run)
    for event in events:  # one epoch on disk, no summary yet: as while it trains
        if type(event).__name__ == "EpochOutput":
            break
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    status = runs.table.item(0, COLUMNS.index("Status"))
    assert status.text() == RUNNING_OR_KILLED  # any unfinished run, as another window's or a killed one
    runs.live_folder = run.path  # what the window sets when its run starts
    runs.fill_table()
    assert runs.table.item(0, COLUMNS.index("Status")).text() == "training"
    events.close()


def test_the_run_this_window_trains_says_when_it_is_paused_even_before_its_first_epoch(qtbot, gui_window,
                                                                                    tiny_dataset):
    """The table said "no epoch finished" for the run in training, and never "paused"."""
    cfg = TrainConfig(epochs=3, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    events = recorded(train(cfg, tiny_dataset), run)
    start = next(events)  # its folder and settings on disk, no epoch yet
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    status = lambda: runs.table.item(0, COLUMNS.index("Status")).text()  # noqa: E731
    assert status() == "no epoch finished"  # another window's, or one killed before its first epoch
    window.run.set_status("running")
    window.run.prepare(run.path)
    window.run.begin(start)  # this window trains it
    qtbot.waitUntil(lambda: status() == "training", timeout=3000)
    window.run.set_status("paused")
    assert status() == "paused"  # at once, with no rescan of the folders
    window.run.set_status("running")
    assert status() == "training"
    events.close()


def test_the_runs_table_marks_the_run_shown_in_probe_and_atlas(qtbot, gui_window, tiny_dataset):
    """After "Show in probe and atlas" and a new run, the table did not say which run the probe shows."""
    from sae_desktop.snapshot import ModelSnapshot

    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    folders = []
    for _ in range(2):
        run = RunFolder.create(cfg)
        list(recorded(train(cfg, tiny_dataset), run))
        folders.append(run.path)
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    font = runs.table.font()
    font.setPointSize(font.pointSize() + 5)  # a large font at 1024 px: the names get their least width
    runs.table.setFont(font)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: runs.table.horizontalScrollBar().maximum() > 0, timeout=3000)

    def drawn_bold(row: int) -> bool:  # as the Run column's cells are drawn
        option = QStyleOptionViewItem()
        option.font = runs.table.font()  # (the view's, as it paints)
        runs.table.itemDelegateForColumn(0).initStyleOption(option, runs.table.model().index(row, 0))
        return option.font.bold() and option.font.pointSize() == runs.table.font().pointSize()  # (not a fixed size)

    def marked() -> list:
        cells = [runs.table.item(row, 0) for row in range(2)]
        return [runs.runs[c.data(Qt.ItemDataRole.UserRole)].folder for row, c in enumerate(cells) if drawn_bold(row)]

    assert marked() == []  # the bundled model is shown
    for folder in (folders[0], folders[1]):
        window.show_model(ModelSnapshot.load(folder / "checkpoint.safetensors"))
        assert marked() == [folder]
        row = next(r for r in range(2) if drawn_bold(r))
        assert "shown in Probe and Atlas" in runs.table.item(row, 0).toolTip()
        stamp = "-".join(folder.name.split("-")[:2]) + "-"
        bold = runs.table.font()
        bold.setBold(True)
        needed = QFontMetrics(bold).horizontalAdvance(stamp) + STAMP_PADDING_PX
        qtbot.waitUntil(lambda: runs.table.horizontalHeader().sectionSize(0) >= needed,  # noqa: B023 (waited here)
                        timeout=2000)  # whole, not "20261204-161…"
    window.tabs.setCurrentWidget(runs)
    runs.fill_table()  # a rescan that fills the table anew keeps the mark
    assert marked() == [folders[1]]
    window.show_bundled_model()
    assert marked() == []


def test_the_run_column_shows_each_runs_date_and_time_whole(qtbot, window, tiny_dataset):
    """The name wraps after its date and time; cut to "20261202-15…", every run of a day read the same."""
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    list(recorded(train(cfg, tiny_dataset), RunFolder.create(cfg)))
    runs = window.runs_view
    font = runs.table.font()
    font.setPointSize(font.pointSize() + 5)  # a large desktop font: the date and time need more than 100 px
    runs.table.setFont(font)
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    window.resize(1024, 768)  # not every column fits: the names take their least width
    qtbot.waitUntil(lambda: runs.table.horizontalScrollBar().maximum() > 0, timeout=3000)
    qtbot.wait(20)
    stamp = "-".join(runs.runs[0].name.split("-")[:2]) + "-"
    needed = runs.table.fontMetrics().horizontalAdvance(stamp)
    assert needed > NAME_COLUMNS_PX["Run"]
    header = runs.table.horizontalHeader()
    assert header.sectionSize(COLUMNS.index("Run")) >= needed + 6  # and the cell's text margins, 3 px a side
    assert header.sectionSize(COLUMNS.index("Settings")) >= SETTINGS_LEAST_PX  # they gave way, not vanished
    # drawn whole, not elided: the first line as drawn now and in a column 25 px wider (still two lines) match
    table, column = runs.table, COLUMNS.index("Run")
    line = table.fontMetrics().height() + 2

    def first_line():
        cell = table.visualRect(table.model().index(0, column))
        return table.viewport().grab(cell.adjusted(0, 0, 0, line - cell.height())).toImage() \
            .copy(0, 0, needed + 6, line)

    as_drawn = first_line()
    header.resizeSection(column, header.sectionSize(column) + 25)
    assert first_line() == as_drawn


def test_the_settings_column_shows_each_setting_whole_in_a_large_font(qtbot, window, tiny_dataset):
    """In presentation mode's text the Settings column kept its 60 px: every KL run read "ρ=… β=…",
    and a sweep over β told its runs apart only in tooltips. The settings wrap, but each whole."""
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu", beta=0.0125)
    list(recorded(train(cfg, tiny_dataset), RunFolder.create(cfg)))
    runs = window.runs_view
    font = runs.table.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)  # presentation mode's scale
    runs.table.setFont(font)
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    window.resize(1024, 768)  # not every column fits: the long texts take their least width
    qtbot.waitUntil(lambda: runs.table.horizontalScrollBar().maximum() > 0, timeout=3000)
    qtbot.wait(20)
    text = runs.table.item(0, COLUMNS.index("Settings")).text()
    assert text.split() == ["ρ=0.05", "β=0.0125"]
    needed = runs.table.fontMetrics().horizontalAdvance("β=0.0125")
    assert needed > SETTINGS_LEAST_PX
    assert runs.table.horizontalHeader().sectionSize(COLUMNS.index("Settings")) >= needed + 6  # and its margins


def test_a_setting_is_cut_only_where_keeping_it_whole_would_make_the_table_scroll():
    """Kept whole at any cost, "β=0.005" (64 px, 4 px over the floor) made the table scroll sideways
    at 1440×900 in a real window, where every column had fitted."""
    from sae_desktop.qt.runs_table import settings_least

    assert settings_least(room=100, floor=60, whole=75) == 75  # it fits whole
    assert settings_least(room=70, floor=60, whole=75) == 60  # whole, it alone would scroll: cut
    assert settings_least(room=50, floor=60, whole=75) == 75  # it scrolls anyway: whole
    assert settings_least(room=100, floor=60, whole=40) == 60  # never below the floor


def test_one_setting_may_wrap_after_its_equals_sign():
    """At 1440×900 both JumpReLU runs of a sweep read "λ₀=0.0…": one setting had no place to wrap."""
    from sae_desktop.qt.runs_table import breakable

    assert breakable("λ₀=0.0003") == "λ₀=\u200b0.0003"  # "λ₀=" / "0.0003" in a narrow column
    assert breakable("ρ=0.05 β=0.005") == "ρ=0.05 β=0.005"  # two settings wrap between them, never inside
    assert breakable("k=16 AuxK 0.03125") == "k=16 AuxK 0.03125"


def test_the_frontier_svg_keeps_the_reference_points_faint(qtbot, window, tmp_path):
    runs = window.runs_view
    assert runs.frontier.reference  # the shipped frontier
    root = ET.parse(export_plot(runs.frontier, tmp_path / "frontier.svg")).getroot()
    faint = [g for g in root.iter() if g.tag.endswith("}g") and g.get("fill-opacity")
             and float(g.get("fill-opacity")) < 0.6 and any(e.tag.endswith("path") for e in g)]
    assert len(faint) >= len(runs.frontier.reference)  # every point (it had the item's opacity, which SVG drops)


def test_the_png_export_draws_legends_at_the_scale_of_the_rest(qtbot, window, tmp_path):
    """The PNG is drawn at 2×; pyqtgraph's legends ignore transformations, so their text and
    frame stayed at screen size: half as large as the axes' text beside them."""
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: len(runs.frontier.legend.items) > 0, timeout=5000)
    legend_width = runs.frontier.legend.boundingRect().width()
    image = np.asarray(Image.open(export_plot(runs.frontier, tmp_path / "frontier.png")).convert("RGB"), dtype=int)
    assert image.shape[1] == 2 * int(runs.frontier.getPlotItem().sceneBoundingRect().width())
    grey = (image[..., 0] == image[..., 1]) & (image[..., 1] == image[..., 2])
    frame = grey & (image[..., 0] >= 190) & (image[..., 0] <= 240)  # the legend's light frame (#c8c8c8, smoothed)
    frame[:, :image.shape[1] // 4] = False  # (the left axis's line, smoothed, is as grey; the legend is top right)
    columns = np.flatnonzero(frame.sum(axis=0) > 40)  # its two sides: no point or text is that tall
    assert columns.size and 1.8 * legend_width < columns.max() - columns.min() < 2.2 * legend_width
    flag = runs.frontier.legend.GraphicsItemFlag.ItemIgnoresTransformations
    assert runs.frontier.legend.flags() & flag  # as it was on screen


def test_a_files_title_too_wide_for_its_plot_is_broken_into_lines_not_cut(qtbot, tmp_path):
    """A 1024-px window's latent code exported with its title "…code of file cloth_003_5096.png (the sheet alone,
    cut ou…": pyqtgraph's one-line title row cut it at both ends."""
    import pyqtgraph as pg

    from sae_desktop.qt.plot_files import export_title
    from sae_desktop.qt.plot_style import style_plot

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    style_plot(plot, "click or drag a bar to steer it", "activation", "latent")
    plot.addItem(pg.BarGraphItem(x=np.arange(32), height=np.linspace(0, 1, 32), width=0.8))
    plot.export_title = "Latent code of file a<b>_003.png (the sheet alone, cut out of the photo), latent 19 clamped"
    plot.resize(414, 260)
    plot.show()
    qtbot.waitUntil(lambda: plot.getViewBox().width() > 0)
    item, label = plot.getPlotItem(), plot.getPlotItem().titleLabel
    with export_title(plot):
        assert "&lt;b&gt;" in label.text  # the file's name as it is (not bold text)
        assert label.item.boundingRect().width() <= plot.getViewBox().width() + 1  # broken into lines…
        assert item.layout.rowMaximumHeight(0) >= 2 * label.item.boundingRect().height() / 3 > 30  # …a row as tall
    assert label.text == "click or drag a bar to steer it" and item.layout.rowMaximumHeight(0) == 30  # the screen's
    assert label.item.boundingRect().width() < plot.getViewBox().width()
    path = export_plot(plot, tmp_path / "code.png")
    assert Image.open(path).size == (2 * round(item.sceneBoundingRect().width()), 2 * round(item.sceneBoundingRect(
    ).height()))


def test_a_probed_files_exports_are_named_without_its_notes_suffix_or_the_bars_colour(qtbot, window, dialogs,
                                                                                       tmp_path):
    """The latent code of a photo with a clamp was suggested as "…_latent_code_of_file_cloth_003_5096_png_the_sheet_
    alone_cut_out_of_the_photo…" and "…_latent_19_clamped_orange.csv" (the CSV has no colours)."""
    from pathlib import Path

    from sae_desktop.probe_state import InputSource
    from sae_desktop.qt.probe_words import code_titles
    from tests.conftest import load_file

    title, name = code_titles(InputSource("file", name="cloth_003_5096.png", part="sheet"), {19: 1.0})
    assert title == "Latent code of file cloth_003_5096.png (the sheet alone, cut out of the photo), latent 19 " \
                    "clamped (orange)"  # the file's title says it all
    assert name == "Latent code of file cloth_003_5096, latent 19 clamped"
    picture = np.full((120, 120), 255, np.uint8)
    picture[25:95, 55:65] = 0  # a 1
    Image.fromarray(picture).save(tmp_path / "my one.v2.png")
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    assert load_file(qtbot, view, tmp_path / "my one.v2.png")
    view.bars.set_clamp(19, 1.0)
    qtbot.waitUntil(lambda: view.state.clamps == {19: pytest.approx(1.0)})
    window.exports._plot(view.bars, "Latent code (Probe)")  # (the dialog cancelled)
    assert Path(dialogs.suggested[-1]).name == "bundled_mnist_model_latent_code_of_file_my_one_v2_latent_19_clamped.png"
    dialogs.answer = str(tmp_path / "out")
    window.exports._probe()
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "bundled_mnist_model_file_my_one_v2_latent_19_clamped_reconstruction_28px.png" in names, names
    assert "bundled_mnist_model_file_my_one_v2_input_28px.png" in names, names  # (no clamp changes the input)


def test_plot_exports_suggest_plain_file_names(qtbot, window, dialogs, monkeypatch):
    """"Runs: MSE vs L0" was suggested as ``runs:_mse_vs_l0.png``, a colon in a file name; the menu
    named plots otherwise than their titles ("Mean activation per latent" for "Mean activation (ρ̂)")."""
    from pathlib import Path

    import sae_desktop.qt.plot_files as plot_files
    from sae_desktop.qt.exporting import file_stem
    from sae_desktop.qt.settings import first_folder, last_folder

    monkeypatch.setattr(plot_files, "has_content", lambda plot: True)  # the names only (empty plots: below)

    assert file_stem("Runs: MSE vs L0") == "runs_mse_vs_l0"
    for title, plot in window.exports.plots().items():
        assert Path(last_folder("exports")) == first_folder("exports") != Path.cwd()  # nothing exported yet
        on_screen = plot().getPlotItem().titleLabel.text
        assert on_screen.startswith(title.split(" (")[0].split(" of ")[0]), (title, on_screen)
        window.exports._plot(plot(), title)  # the dialog is cancelled (answer "")
    names = [Path(path).name for path in dialogs.suggested]
    assert len(names) == len(window.exports.plots()) and "test_mse_vs_l0_per_run.png" in names
    assert all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*\.png", name) for name in names), names
    # each begins with the run or model it shows (two runs' exports were both "losses.png"), the
    # frontier of all runs with none
    window.run.prepare(Path("/runs/20261203-101500-mnist-topk"))
    window.exports._plot(window.training_view.loss_plot, "Losses")
    window.exports._atlas()
    window.atlas_view.kind.setCurrentIndex(1)
    window.atlas_view.sort.setCurrentIndex(1)
    window.exports._atlas()  # which tiles, in which order: two atlases of one model stay apart
    assert [Path(p).name for p in dialogs.suggested[-3:]] == ["20261203-101500-mnist-topk_losses.png",
                                                             "bundled_mnist_model_atlas_decoder_by_index.png",
                                                             "bundled_mnist_model_atlas_encoder_by_density.png"]
    assert names[-3] == "test_mse_vs_l0_per_run.png" and names[4] == "bundled_mnist_model_latent_code_probe.png"
    assert names[-2:] == ["model_a_latent_codes_runs_compared.png", "model_b_latent_codes_runs_compared.png"]
    window.atlas_view.select(3)  # a latent's histogram is named after it: two latents' exports stay apart
    qtbot.waitUntil(lambda: window.atlas_view.dashboard.histogram.export_title is not None, timeout=10000)
    window.exports._plot(window.atlas_view.dashboard.histogram, "Test-set activations of the selected latent (Atlas)")
    assert Path(dialogs.suggested[-1]).name == "bundled_mnist_model_latent_3_test_set_activations.png"
    assert names[0] == "losses.png"  # (no run yet)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_reference_points_are_fainter_than_the_runs_in_either_theme(qtbot, window, name):
    """Lightened, the reference points stood out more than the runs' own on a dark plot."""
    from PySide6.QtGui import QColor

    from sae_desktop.qt import theme
    from sae_desktop.qt.frontier_plot import PENALTY_COLOURS

    t = theme.DARK if name == "dark" else theme.LIGHT
    theme.apply(t)
    try:
        runs = window.runs_view
        background = QColor(t.plot_background)

        def contrast(colour: QColor) -> float:  # how far it stands out: distance from the background, by opacity
            return colour.alphaF() * sum(abs(a - b) for a, b in zip(colour.getRgb()[:3], background.getRgb()[:3]))

        for brush, ref in zip(runs.frontier.reference_scatter.data["brush"], runs.frontier.reference):
            own = QColor(PENALTY_COLOURS.get(ref["mechanism"], "#888888"))
            assert contrast(brush.color()) < 0.5 * contrast(own), (name, ref["mechanism"])
        sample = runs.frontier.reference_sample.opts["brush"].color()  # the legend's swatch: as faint as the points
        brushes = runs.frontier.reference_scatter.data["brush"]
        faintest, boldest = (f(contrast(b.color()) for b in brushes) for f in (min, max))
        assert 0.5 * faintest <= contrast(sample) <= 1.5 * boldest, (name, contrast(sample), faintest, boldest)
    finally:
        theme.apply(theme.LIGHT)


def test_an_export_made_from_another_tab_draws_the_model_shown_now(qtbot, window, tiny_dataset, tmp_path):
    """The Atlas redraws for a new model only when visited: its image, density and dashboard
    exported from another tab were the model shown at the last visit (after a run was continued,
    the files showed the stopped run's weights). Likewise a hidden Training tab's plots."""
    from sae_desktop.qt.atlas_export import export_atlas

    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    atlas.select(2)
    before = np.asarray(Image.open(export_atlas(atlas, tmp_path / "before.png")))  # the bundled model's 32 latents
    window.tabs.setCurrentWidget(window.probe_view)
    qtbot.waitUntil(lambda: not atlas.isVisible())
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    assert window.model_files.open(run.checkpoint_path)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    density = next(f for t, f in window.exports.plots().items() if t == "Feature density")()
    exported = np.asarray(Image.open(export_atlas(atlas, tmp_path / "atlas.png")))
    rows = list(csv.reader(open(export_plot(density, tmp_path / "density.csv"))))
    assert not atlas.isVisible()
    window.tabs.setCurrentWidget(atlas)  # what a visit shows
    assert np.array_equal(exported, np.asarray(Image.open(export_atlas(atlas, tmp_path / "seen.png"))))
    assert rows == list(csv.reader(open(export_plot(atlas.density_plot, tmp_path / "seen.csv"))))
    assert exported.shape != before.shape  # the run's 8 latents

    training = window.training_view
    training.histogram.set_histogram(np.array([3.0, 1.0]), np.array([0.0, 0.5, 1.0]), 0.1, "epoch 1")
    assert not training.isVisible()
    export_plot(training.histogram, tmp_path / "histogram.png")
    assert list(training.histogram.curve.getData()[1]) == [75.0, 25.0]  # drawn with the news, not the empty plot


def test_a_dead_latents_exported_histogram_says_it_never_fired(qtbot, window, tmp_path):
    """The file's title names the latent and says what the plot says on screen."""
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    dashboard = atlas.dashboard
    ev = atlas.model.evaluation
    latents = ev.latents.copy()
    latents[:, 7] = 0  # latent 7 never fires
    model = dataclasses.replace(atlas.model, evaluation=dataclasses.replace(ev, latents=latents))
    assert model.evaluation.dead[7]
    dashboard.show_latent(7, model, window.test_set.get("mnist"))
    root = ET.parse(export_plot(dashboard.histogram, tmp_path / "dead.svg")).getroot()
    assert "Latent 7: never active on the test set" in " ".join("".join(e.itertext()) for e in root.iter())
    # the by-class plot too (File ▸ Export offered the histogram's and greyed this one for the same latent)
    root = ET.parse(export_plot(dashboard.classes, tmp_path / "dead_classes.svg")).getroot()
    assert "Latent 7: never active on the test set" in " ".join("".join(e.itertext()) for e in root.iter())


def test_histograms_export_their_bins_as_csv(qtbot, window, tmp_path):
    """The training histogram, Feature density and the dashboard's histogram wrote a file of one
    empty line, and the status bar said they were exported."""
    plots = window.exports.plots()
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas.select(3)
    counts, edges = np.array([5, 0, 3]), np.array([0.0, 0.25, 0.5, 0.75])
    window.training_view.histogram.set_histogram(counts, edges, 0.1, "epoch 1")
    window.training_view.refresh_all()
    edges_of = ["activation from", "activation to"]
    for title, columns, total in (("Test-set activations (Training)", edges_of + ["share of activations (%)"], 100.0),
                                  ("Feature density", ["log10(density) from", "log10(density) to", "latents"], None),
                                  ("Test-set activations of the selected latent (Atlas)", edges_of + ["test digits"],
                                   None)):
        rows = list(csv.reader(open(export_plot(plots[title](), tmp_path / "h.csv"))))
        assert rows[0] == columns, title
        values = np.array([[float(v) for v in row] for row in rows[1:]])
        assert len(values) and np.all(values[:, 1] > values[:, 0]), title  # each bin from one edge to the next
        np.testing.assert_allclose(values[1:, 0], values[:-1, 1])
        if total is not None:
            assert values[:, 2].sum() == pytest.approx(total)
    dashboard = values[:, 2]  # the selected latent's test digits per bin: true counts (drawn at 0.5 when empty)
    assert np.all(dashboard == np.round(dashboard)) and dashboard.sum() == len(window.test_set.get("mnist").images)
    window.training_view.histogram.clear_data()
    window.training_view.refresh_all()
    with pytest.raises(ValueError, match="no data"):
        export_plot(window.training_view.histogram, tmp_path / "empty.csv")


def test_an_exported_plot_says_whose_it_is_above_it(qtbot, window, dialogs, tmp_path):
    """Two runs' loss curves exported for a slide could be told apart only by their files' names,
    which a slide loses: a PNG and an SVG carry a line above the plot naming the run or the model."""
    from pathlib import Path

    from PySide6.QtSvg import QSvgRenderer

    window.run.prepare(Path("/runs/20261203-101500-mnist-topk"))
    window.tabs.setCurrentWidget(window.training_view)
    plot = loss_plot_with_markers(window)
    assert window.exports.caption(plot) == "Run 20261203-101500-mnist-topk"
    assert window.exports.caption(window.probe_view.bars) == "Model: bundled MNIST model"
    assert window.exports.caption(window.runs_view.frontier) is None  # every run's: no one name
    plain = np.asarray(Image.open(export_plot(plot, tmp_path / "plain.png")).convert("L"))
    dialogs.answer = str(tmp_path / "losses.png")
    window.exports._plot(plot, "Losses")
    shown = np.asarray(Image.open(tmp_path / "losses.png").convert("L"))
    band = shown.shape[0] - plain.shape[0]
    assert shown.shape[1] == plain.shape[1] and 20 <= band <= 80  # a line of text's room, at 2×
    assert np.abs(shown[band:].astype(int) - plain.astype(int)).max() <= 8  # the plot below it, as it was
    ink = np.abs(shown[:band].astype(int) - int(np.median(shown[:band]))) > 40
    assert ink.sum() > 100 and ink.any(axis=0).nonzero()[0].max() < shown.shape[1] // 2  # text, at the left
    dialogs.answer = str(tmp_path / "losses.svg")
    window.exports._plot(plot, "Losses")
    root = ET.parse(tmp_path / "losses.svg").getroot()
    texts = ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]
    assert "Run 20261203-101500-mnist-topk" in texts and QSvgRenderer(str(tmp_path / "losses.svg")).isValid()
    plain_svg = ET.parse(export_plot(plot, tmp_path / "plain.svg")).getroot()
    height = lambda svg: float(svg.get("viewBox").split()[3])  # noqa: E731
    assert height(root) - height(plain_svg) == pytest.approx(band / 2, abs=1)  # the band, at 1×
    if shutil.which("convert"):  # ImageMagick draws the caption (it drew "11px" text as a smudge)
        out = tmp_path / "svg.png"
        subprocess.run(["convert", str(tmp_path / "losses.svg"), str(out)], check=True, timeout=60, capture_output=True)
        top = np.asarray(Image.open(out).convert("L"))[:int(band / 2)]
        assert (np.abs(top.astype(int) - int(np.median(top))) > 40).sum() > 25


def test_a_caption_wider_than_its_plot_goes_on_as_many_lines_as_it_needs(qtbot, window, dialogs, tmp_path):
    """The Atlas dashboard's plot, 322 px wide, cut its caption after "(2 epo": the rest went off
    the image's edge, in the PNG and in the SVG."""
    from pathlib import Path

    from PySide6.QtSvg import QSvgRenderer

    window.run.prepare(Path("/runs/20261205-052658-mnist-topk-a-long-name-for-a-narrow-plot"))
    window.tabs.setCurrentWidget(window.training_view)
    plot = loss_plot_with_markers(window)
    caption = window.exports.caption(plot)
    plot.setFixedWidth(240)  # narrower than the caption's line
    qtbot.wait(20)
    plain = np.asarray(Image.open(export_plot(plot, tmp_path / "plain.png")).convert("L"))
    dialogs.answer = str(tmp_path / "narrow.png")
    window.exports._plot(plot, "Losses")
    shown = np.asarray(Image.open(tmp_path / "narrow.png").convert("L"))
    band = shown.shape[0] - plain.shape[0]
    ink = np.abs(shown[:band].astype(int) - int(np.median(shown[:band]))) > 40
    rows = np.flatnonzero(ink.any(axis=1))
    gaps = np.flatnonzero(np.diff(rows) > 1)
    assert len(gaps) >= 1 and rows.max() < band - 2  # two lines of text at least, one above the other, in the band
    columns = np.flatnonzero(ink.any(axis=0))
    assert columns.max() < shown.shape[1] - 8  # within the image, a margin to spare: nothing cut at its edge
    assert np.abs(shown[band:].astype(int) - plain.astype(int)).max() <= 8  # the plot below it, as it was
    dialogs.answer = str(tmp_path / "narrow.svg")
    window.exports._plot(plot, "Losses")
    root = ET.parse(tmp_path / "narrow.svg").getroot()
    texts = [e for e in root.iter() if e.tag.endswith("text") and e.get("fill") == "#737373"]
    said = "".join("".join(e.itertext()) for e in texts)
    assert len(texts) >= 2 and said.replace(" ", "") == caption.replace(" ", "")
    ys = [float(e.get("y")) for e in texts]
    assert ys == sorted(ys) and float(root.get("viewBox").split()[3]) > max(ys)
    assert QSvgRenderer(str(tmp_path / "narrow.svg")).isValid()


def test_a_long_unicode_file_name_is_shown_whole_and_exported_with_its_clamps_named(qtbot, window, dialogs, tmp_path):
    """A phone's long file name was cut at the label's edge (with no sign of it: now at a place to wrap, with
    "…", and whole on hover), and made the export fail ("File name too long"); letters outside ASCII were
    dropped from the export's names; and a steered export did not say it was steered."""
    from tests.conftest import load_file

    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    digit = np.zeros((120, 120), np.uint8)
    digit[20:100, 55:65] = 255  # a 1, white on black
    path = tmp_path / ("PXL_20261204_101500123_PORTRAIT_ORIGINAL_" + "ünïcødé_七_" * 12 + ".png")  # 249 bytes
    Image.fromarray(digit).save(path)
    assert load_file(qtbot, view, path)
    label = view.source_label
    metrics = QFontMetrics(label.font())
    assert max(metrics.horizontalAdvance(word) for word in re.split(r"[\s\u200b]+", label.text())) <= label.width()
    shown = label.text().replace("\u200b", "")  # whole where it may wrap, or cut with "…" and whole on hover
    assert f"file {path.name};" in shown or (shown.endswith("…") and f"file {path.name};" in label.toolTip())
    assert shown.startswith("Input: file PXL_20261204_101500123_PORTRAIT_ORIGINAL_ünïcødé_七")
    view.bars.set_clamp(3, 0.7)
    dialogs.answer = str(tmp_path / "out")
    window.export_menu.aboutToShow.emit()
    window.exports.probe_action.trigger()
    assert (tmp_path / "out").is_dir(), window.notices[-1:]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 6 and all(len(n.encode()) <= 255 for n in names)
    assert all("ünïcødé_七" in n and ("_latent_3_clamped_" in n) == ("_input_" not in n) for n in names), names


def test_a_plot_exported_before_its_tab_was_shown_has_the_size_the_tab_shows_it_at(qtbot, window, tmp_path):
    """A hidden tab had never been laid out: its plots were exported at a widget's default 640×480."""
    view = window.training_view
    assert not view.isVisible()
    plot = view.loss_plot
    plot.add_epoch(469, 0.03)
    image = Image.open(export_plot(plot, tmp_path / "losses.png"))
    window.tabs.setCurrentWidget(view)
    qtbot.waitExposed(view)
    qtbot.wait(50)
    assert plot.width() != 640 and image.width == 2 * plot.getPlotItem().sceneBoundingRect().width()


def test_a_plots_own_right_click_export_writes_every_curve_in_named_columns(qtbot, window, tmp_path):
    """pyqtgraph's own CSV exporter (the plot's right-click Export…) wrote "<legend name>_x" columns
    of the plot item's curves: the Sparsity plot's dead latents, on its right axis, were left out.
    Its SVG exporter failed ("not enough values to unpack") until File ▸ Export had patched it."""
    from pyqtgraph.exporters import CSVExporter, SVGExporter

    plot = window.training_view.sparsity_plot
    for epoch, (l0, dead) in enumerate(((4.0, 500), (4.1, 477)), 1):
        plot.add_epoch(epoch, l0, dead)
    plot.refresh()
    CSVExporter(plot.getPlotItem()).export(str(tmp_path / "sparsity.csv"))
    with open(tmp_path / "sparsity.csv") as f:
        assert list(csv.reader(f)) == [["epoch", "L0: active per image", "dead latents"], ["1", "4", "500"],
                                       ["2", "4.1", "477"]]
    SVGExporter(plot.getPlotItem()).export(str(tmp_path / "sparsity.svg"))
    assert (tmp_path / "sparsity.svg").read_text().count("<path") > 4


def test_svg_bars_are_in_screen_coordinates(qtbot, window, tmp_path):
    """The Sparsity plot's dead-latent bars were rects in data units under a group's scale (×90 across, ×−3 up),
    which ImageMagick applied to their strokes too: dark octagons reaching below the axis. They are written in
    place now, as tall as their counts, standing on the same baseline."""
    plot = window.training_view.sparsity_plot
    window.tabs.setCurrentWidget(window.training_view)
    for epoch, (l0, dead) in enumerate(((4.0, 19), (4.0, 9), (4.0, 2)), 1):
        plot.add_epoch(epoch, l0, dead)
    plot.refresh()
    root = ET.parse(export_plot(plot, tmp_path / "sparsity.svg")).getroot()
    group = next(e for e in root.iter() if (e.get("id") or "").startswith("BarGraphItem"))
    bars = sorted((e for e in group.iter() if e.tag.endswith("rect")), key=lambda r: float(r.get("x")))
    assert len(bars) == 3 and not any((e.get("transform") or "").startswith("matrix(") and not e.get(
        "transform").startswith("matrix(1,0,0,1,") for e in group.iter())  # no scale left around them
    heights = [float(b.get("height")) for b in bars]
    assert heights == sorted(heights, reverse=True) and heights[0] / heights[1] == pytest.approx(19 / 9, rel=0.05)
    assert heights[0] > 20 and float(bars[0].get("width")) > 5  # (in px, not data units)
    assert len({round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}) == 1  # one baseline


def test_file_dialogs_first_open_where_such_files_are(tmp_path, monkeypatch):
    """Every dialog opened in the home folder first, Open model too (the models are in the runs
    folder); a remembered folder deleted since was still offered."""
    from pathlib import Path

    from sae_desktop import paths
    from sae_desktop.qt.settings import last_folder, remember_folder

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    monkeypatch.delenv("XDG_DOCUMENTS_DIR", raising=False)
    assert {last_folder(key) for key in ("images", "exports", "models")} == {str(tmp_path)}  # none of them yet
    for name in ("Pictures", "Documents"):
        (tmp_path / name).mkdir()
    paths.runs_dir().mkdir(parents=True)
    assert Path(last_folder("images")) == tmp_path / "Pictures"
    assert Path(last_folder("exports")) == tmp_path / "Documents"
    assert Path(last_folder("models")) == paths.runs_dir()
    chosen = tmp_path / "lecture"
    chosen.mkdir()
    remember_folder("exports", str(chosen / "losses.png"))
    assert Path(last_folder("exports")) == chosen
    chosen.rmdir()
    assert Path(last_folder("exports")) == tmp_path / "Documents"


def test_after_save_as_the_window_names_the_new_file_and_save_writes_there(qtbot, window, dialogs, tmp_path):
    """After Save As b2, the Probe, the status bar and the settings still named b1 while Ctrl+S wrote b2."""
    from sae_desktop.qt.shown_model import remembered_model_path

    first, second = tmp_path / "b1.safetensors", tmp_path / "b2.safetensors"
    dialogs.answer = str(first)
    window.save_as_action.trigger()
    assert window.model_files.open(first)
    view = window.probe_view
    view.browser.index.setValue(2)
    view.bars.set_clamp(3, 0.7)
    old = window.shown.snapshot
    dialogs.answer = str(second)
    window.save_as_action.trigger()
    snap = window.shown.snapshot
    assert second.is_file() and snap.name == "b2.safetensors" and snap.path == second
    assert "b2.safetensors" in window.model_label.text() and "b1" not in window.model_label.text()
    assert "b2.safetensors" in view.model_label.text() and "b1" not in view.model_label.text()
    assert remembered_model_path() == str(second)  # the next launch opens the file last saved
    assert view.state.clamps == {3: pytest.approx(0.7)}  # the same model: nothing reset
    before = first.stat().st_mtime_ns, second.stat().st_mtime_ns
    second.unlink()
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert second.is_file() and first.stat().st_mtime_ns == before[0] and len(dialogs.asked) == 2  # no dialog
    # statistics computed for the model before it was renamed still reach it
    evaluation = window.shown.snapshot.evaluation
    window.shown.add_evaluation(old, evaluation)
    assert window.shown.snapshot.name == "b2.safetensors" and window.shown.snapshot.evaluation is evaluation


def test_save_of_a_model_whose_folder_has_gone_asks_where(qtbot, window, dialogs, tmp_path):
    """A shown run moved to the trash: Ctrl+S failed with "the folder … does not exist"."""
    import shutil

    folder = tmp_path / "gone"
    folder.mkdir()
    dialogs.answer = str(folder / "m.safetensors")
    window.save_as_action.trigger()
    shutil.rmtree(folder)
    dialogs.answer = str(tmp_path / "again.safetensors")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(dialogs.asked) == 2 and (tmp_path / "again.safetensors").is_file()


def test_a_plots_own_export_dialog_offers_only_exporters_that_work(qtbot, window):
    """Right-click ▸ Export… ▸ "Matplotlib Window" did nothing but print ModuleNotFoundError."""
    import importlib.util

    from pyqtgraph.exporters import listExporters

    names = [exporter.Name for exporter in listExporters()]
    assert {"Image File (PNG, TIF, JPG, ...)", "Scalable Vector Graphics (SVG)",
            "CSV of original plot data"} <= set(names)
    assert ("Matplotlib Window" in names) == (importlib.util.find_spec("matplotlib") is not None)


def read_csv(path):
    import csv

    with open(path, newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def test_a_plots_own_export_dialog_opens_in_the_exports_folder_with_a_name(qtbot, window, tmp_path):
    """pyqtgraph's file dialog opened in the home folder with no name, whatever File ▸ Export had used."""
    from pathlib import Path

    from pyqtgraph.exporters import CSVExporter

    from sae_desktop.qt.settings import last_folder, remember_folder

    remember_folder("exports", str(tmp_path / "earlier.png"))
    plot = window.training_view.rho_plot
    exporter = CSVExporter(plot.getPlotItem())
    exporter.fileSaveDialog(filter="*.csv")
    dialog = exporter.fileDialog
    qtbot.addWidget(dialog)
    assert Path(dialog.directory().absolutePath()) == tmp_path
    assert dialog.selectedFiles()[0].endswith("/mean_activation")  # the plot's title, as a file name
    exporter = CSVExporter(window.training_view.loss_plot.getPlotItem())
    exporter.fileSaveDialog(filter="*.csv")
    qtbot.addWidget(exporter.fileDialog)
    assert exporter.fileDialog.selectedFiles()[0].endswith("/losses")  # (not the title's note too)
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    window.atlas_view.up_to_date()
    exporter = CSVExporter(window.atlas_view.density_plot.getPlotItem())
    exporter.fileSaveDialog(filter="*.csv")
    qtbot.addWidget(exporter.fileDialog)
    # the model it shows named first, as File ▸ Export names it (two models' densities were both one name)
    assert exporter.fileDialog.selectedFiles()[0].endswith("/bundled_mnist_model_feature_density")
    exporter.fileSaveFinished(str(elsewhere / "density.csv"))  # (as the dialog does when a name is chosen)
    assert (elsewhere / "density.csv").is_file() and last_folder("exports") == str(elsewhere)
