"""Feature atlas, latent dashboard, runs table and frontier, comparison, exports."""

import csv
import re
import xml.etree.ElementTree as ET
from unittest.mock import ANY  # (the reference swatch's colour follows the theme)

import numpy as np
import pytest
from PIL import Image

from sae_desktop.atlas import grid_shape
from sae_desktop.config import TrainConfig
from sae_desktop.engine import train
from sae_desktop.qt.app import build_window, create_app
from sae_desktop.qt.atlas_export import export_atlas
from sae_desktop.qt.exporting import export_probe
from sae_desktop.qt.frontier_plot import PENALTY_COLOURS, REFERENCE_LABEL
from sae_desktop.qt.plot_files import export_plot
from sae_desktop.runs import RunFolder, recorded
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


@pytest.fixture
def window(qtbot, gui_window):
    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)  # test-set stats
    return gui_window


def select_rows(table, *rows: int) -> None:
    """Add ``rows`` of the runs table to its selection, as ctrl-clicks do."""
    from PySide6.QtCore import QItemSelectionModel

    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        table.selectionModel().select(table.model().index(row, 0), flags)


def show_atlas(qtbot, w):
    w.tabs.setCurrentWidget(w.atlas_view)
    qtbot.waitUntil(lambda: w.atlas_view.mosaic_image is not None, timeout=5000)
    return w.atlas_view


def test_atlas_tiles_density_and_sorting(qtbot, window):
    atlas = show_atlas(qtbot, window)
    columns = atlas.columns
    assert atlas.mosaic_image.shape == (-(-32 // columns) * 30 + 2, columns * 30 + 2)
    ev = window.shown.snapshot.evaluation
    assert re.findall(r"(\d+) dead", atlas.status.text()) == [str(ev.dead_latents)]  # "10 dead" is not "0 dead"
    decoder = atlas.mosaic_image.copy()
    atlas.kind.setCurrentIndex(1)
    assert not np.allclose(np.nan_to_num(atlas.mosaic_image), np.nan_to_num(decoder))
    atlas.sort.setCurrentIndex(1)
    assert list(atlas.order) == list(np.argsort(-ev.density, kind="stable"))
    assert atlas.density_plot.curve.getData()[1].sum() == (ev.density > 0).sum()


def test_the_tiles_are_laid_out_to_be_largest_in_the_plots_shape(qtbot, window):
    """6 × 6 whatever the area: at 1280×720 in presentation mode the tiles were 45 px wide in a
    735 × 280 px area; the grid follows the area, and clicks and frames follow the grid."""
    atlas = show_atlas(qtbot, window)
    window.resize(1800, 700)  # a wide, low plot: more columns
    qtbot.waitUntil(lambda: atlas.columns > 6, timeout=3000)
    box = atlas.plot.getViewBox().size()
    assert atlas.columns == grid_shape(32, box.width() / box.height())[1]
    rows = -(-32 // atlas.columns)
    tile_px = atlas.plot.getViewBox().mapViewToDevice(pg_point(28, 0)).x() - \
        atlas.plot.getViewBox().mapViewToDevice(pg_point(0, 0)).x()
    assert tile_px > box.height() / 6 * 28 / 30 + 1  # larger than a 6 × 6 grid's could be
    assert atlas.mosaic_image.shape == (rows * 30 + 2, atlas.columns * 30 + 2)
    last = atlas.columns - 1  # the first row's last tile, only there in the wider grid
    scene = atlas.plot.image.mapToScene(pg_point(2 + 30 * last + 14, 2 + 14))
    qtbot.mouseClick(atlas.plot.viewport(), pg_left(), pos=atlas.plot.mapFromScene(scene))
    assert atlas.selected == int(atlas.order[last])
    xs, ys = atlas.plot.frames["selected"].getData()
    assert min(xs) == pytest.approx(2 + 30 * last - 0.5) and min(ys) == pytest.approx(1.5)
    window.resize(900, 1000)  # a narrow, tall one: fewer columns again
    qtbot.waitUntil(lambda: atlas.columns <= 6, timeout=3000)
    xs, _ = atlas.plot.frames["selected"].getData()  # the frame moved with its tile
    position = int(np.flatnonzero(atlas.order == atlas.selected)[0])
    assert min(xs) == pytest.approx(2 + 30 * (position % atlas.columns) - 0.5)


def test_clicking_a_tile_opens_its_dashboard(qtbot, window):
    atlas = show_atlas(qtbot, window)
    histogram = atlas.dashboard.curve
    assert histogram.getData()[1] is None and not atlas.dashboard.threshold.isVisible()  # nothing chosen: empty
    atlas.sort.setCurrentIndex(1)
    image_point = pg_point(2 + 30 * 1 + 14, 2 + 14)  # second tile of the first row
    scene = atlas.plot.image.mapToScene(image_point)
    qtbot.mouseClick(atlas.plot.viewport(), pg_left(), pos=atlas.plot.mapFromScene(scene))
    expected = int(atlas.order[1])
    ev = window.shown.snapshot.evaluation
    test = window.test_set.get("mnist")
    dash = atlas.dashboard
    means = [ev.latents[test.labels == c, expected].mean() for c in range(10)]
    np.testing.assert_allclose(dash.class_bars.opts["height"], means, rtol=1e-5)  # activation by digit class
    assert atlas.selected == expected and dash.title.text() == f"Latent {expected} · {dash.verdict}"
    highest = int(np.argmax(means))  # named in the title ("mostly 5s"), and marked in the chart…
    assert str(highest) in dash.verdict or dash.verdict == "many classes on average"
    from sae_desktop.qt.plot_style import COLORS
    marked = [b != COLORS["hist"] for b in dash.class_bars.opts["brushes"]]
    assert marked == [c == highest for c in range(10)]
    # … in a colour no other meaning has nearby (it was orange: a clamp in the Probe, an over-active frame),
    assert dash.class_bars.opts["brushes"][highest] not in (COLORS["clamped"], COLORS["dead"])
    # that stands out on either theme's plot (dark green vanished on the dark one)
    from PySide6.QtGui import QColor

    from sae_desktop.qt import theme

    for mode in ("dark", "light"):
        window.view.theme_actions[mode].trigger()
        t = theme.current()
        contrast = {b: abs(QColor(b).lightness() - QColor(t.plot_background).lightness())
                    for b in (dash.class_bars.opts["brushes"][highest], COLORS["hist"])}
        marked, plain = contrast[dash.class_bars.opts["brushes"][highest]], contrast[COLORS["hist"]]
        assert marked > plain, (mode, marked, plain)
    top = np.argsort(-ev.latents[:, expected])[:16]
    shown = [tile.data for tile in atlas.dashboard.top_tiles]
    for tile_image, index in zip(shown, top):
        np.testing.assert_allclose(tile_image, test.images[index] / 255.0)
    assert f"{ev.latents[top[0], expected]:.2f}" in atlas.dashboard.top_tiles[0].caption.text()
    assert "Density" in atlas.dashboard.stats.text()
    density = ev.density[expected]  # named as the runs table's Dense column counts it (> 10 % of digits)
    word = "over-active" if density > 0.5 else "dense" if density > 0.1 else "sparse"
    assert f"<b>{word}:" in atlas.dashboard.stats.text()
    # against the density this code's L0 makes common (most latents are "dense" at 32 latents and L0 7.2)
    assert f"a latent is active on {ev.l0 / ev.latents.shape[1]:.0%} of digits on average" in \
        atlas.dashboard.stats.toolTip()
    assert atlas.density_plot.marker.isVisible()
    counts = 10 ** histogram.getData()[1]  # log-y: the plot holds log10 of the counts (empty bins at 0.5)
    assert round(counts[counts >= 1].sum()) == len(ev.latents) and atlas.dashboard.threshold.isVisible()


def pg_point(x, y):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


def pg_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_dead_and_over_active_latents_are_marked(qtbot, window):
    base = ModelSnapshot.load(bundled_model_path())
    weights = {k: v.copy() for k, v in base.weights.items()}
    weights["b_enc2"][3] = -50.0  # latent 3 can never turn on: dead
    weights["b_enc2"][5] = 50.0  # latent 5 is always on: over-active
    window.shown.set(ModelSnapshot(base.config, weights, "edited", base.train_config))
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas = show_atlas(qtbot, window)
    ev = window.shown.snapshot.evaluation
    assert ev.dead[3] and ev.density[5] == 1.0
    assert len(atlas.plot.frames["dead"].getData()[0]) == 8 and len(atlas.plot.frames["over"].getData()[0]) >= 8
    atlas.select(3)
    assert "dead" in atlas.dashboard.stats.text()
    atlas.select(5)
    assert "over-active" in atlas.dashboard.stats.text()


def test_atlas_without_test_set_still_draws_tiles(qtbot, tmp_path, monkeypatch, no_thread_left):
    monkeypatch.setenv("SAE_DESKTOP_DATA", str(tmp_path / "none"))
    create_app()
    w = build_window()
    qtbot.addWidget(w)
    w.show()
    atlas = show_atlas(qtbot, w)
    qtbot.waitUntil(lambda: "unavailable" in atlas.status.text(), timeout=5000)
    assert atlas.mosaic_image is not None and np.isfinite(atlas.mosaic_image).any()
    assert atlas.plot.frames["dead"].getData()[0] is None or len(atlas.plot.frames["dead"].getData()[0]) == 0
    # the empty plots say why they are empty (the status line under the mosaic is easy to miss)
    assert atlas.density_plot.getPlotItem().titleLabel.text == "Needs the test set (not found)"
    assert atlas.density_plot.curve.getData()[0] is None  # no flat line at 0 that reads as a histogram
    assert atlas.density_plot.getViewBox().viewRange()[1][0] >= 0  # nor a count axis down to -0.4
    atlas.select(0)
    dashboard = atlas.dashboard
    assert "test set" in dashboard.stats.text()
    assert dashboard.histogram.getPlotItem().titleLabel.text == "Needs the test set"  # (in an export)
    # nor 16 empty squares and two empty plots under it, which read as still loading
    assert not any(w.isVisible() for w in [*dashboard.top_tiles, dashboard.classes, dashboard.histogram])
    assert dashboard.top_caption.text() == "" and dashboard.decoder_tile.isVisible()
    dashboard.show_latent(None, None, None)  # no latent: the places for them again
    assert all(w.isVisible() for w in [*dashboard.top_tiles, dashboard.classes, dashboard.histogram])


def make_runs(tiny_dataset, configs):
    for cfg in configs:
        run = RunFolder.create(cfg)
        list(recorded(train(cfg, tiny_dataset), run))



def legend_of(frontier) -> list[tuple[str, str]]:
    """(name, its swatch's colour) of each legend entry."""
    return [(label.text, sample.item.opts["brush"].color().name()) for sample, label in frontier.legend.items]


def test_runs_tab_with_no_runs_says_so_and_names_only_penalties_with_points(qtbot, window):
    """A first launch: the frontier's legend named all five penalties (pyqtgraph adds every named
    curve) with one grey swatch for all; the table had no hint. The first scan came back empty,
    like the start, and was taken for "nothing changed". Then, with no penalty named that had no
    run, the faint reference points came in five colours that no entry explained."""
    runs = window.runs_view
    frontier = runs.frontier
    referenced = [p for p in PENALTY_COLOURS if p in {r["mechanism"] for r in frontier.reference}]
    expected = [(p, PENALTY_COLOURS[p]) for p in referenced] + [(REFERENCE_LABEL, ANY)] * bool(referenced)
    assert legend_of(frontier) == expected
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs._scans >= 1, timeout=5000)
    assert runs.table.rowCount() == 0 and runs.hint.text() == "No runs yet: train one (Ctrl+Return)."
    assert legend_of(frontier) == expected


def test_clicking_a_runs_point_on_the_frontier_selects_its_row(qtbot, window, tiny_dataset):
    from PySide6.QtCore import Qt

    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(penalty="topk", k=2)])
    window.tabs.setCurrentWidget(window.runs_view)
    runs = window.runs_view
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    qtbot.wait(50)
    assert not runs.selected_runs()
    point = runs.frontier.scatter["topk"].scatter.points()[0]
    at = runs.frontier.mapFromScene(runs.frontier.getViewBox().mapViewToScene(point.pos()))
    qtbot.mouseClick(runs.frontier.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert [r.config["penalty"] for r in runs.selected_runs()] == ["topk"]
    xs, ys = runs.frontier.selected_marks.getData()  # and highlighted
    assert list(xs) == [pytest.approx(point.pos().x())] and list(ys) == [pytest.approx(point.pos().y())]
    # …with a ring above every point (its glow, beneath, was hidden under a cluster's points), which a click
    # passes through to the point beneath
    rings = runs.frontier.selected_rings
    assert [(p.pos().x(), p.pos().y()) for p in rings.points()] == [(point.pos().x(), point.pos().y())]
    assert all(rings.zValue() > item.zValue() for item in runs.frontier.scatter.values())
    with qtbot.waitSignal(runs.frontier.runClicked, timeout=1000):  # a click through the ring reaches the point
        qtbot.mouseClick(runs.frontier.viewport(), Qt.MouseButton.LeftButton, pos=at)


def test_the_frontier_has_the_room_until_a_comparison_needs_it(qtbot, window, tiny_dataset):
    """The frontier had a third of the width, half of it its legend (in one column, the y axis
    stretched to twice the points' range above them), beside an empty comparison holding one line
    of text. Now the comparison takes two thirds once it compares; a split the user dragged stays."""
    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(beta=0.0), small.replace(beta=0.0)])
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.runs_view)
    runs = window.runs_view
    frontier, compare = runs.frontier, runs.compare_area
    qtbot.waitUntil(lambda: runs.table.rowCount() == 3, timeout=5000)
    assert frontier.width() > 1.5 * compare.width()
    assert frontier.legend.columnCount == 3  # its legend in two rows, not three or six
    select_rows(runs.table, 0, 1)
    runs.compare_button.click()
    qtbot.waitUntil(lambda: runs.compare.indices.size == 8, timeout=5000)
    qtbot.wait(50)
    # the comparison takes the larger part; the frontier keeps what two columns of its legend need (given
    # from a made-up 1000 px, Qt scaled it below that: one column of 7 rows over 85 % of the plot)
    assert compare.width() > 1.4 * frontier.width() and frontier.legend.columnCount >= 2
    assert frontier.legend.height() < 0.45 * frontier.getViewBox().height()
    runs.bottom.moveSplitter(frontier.width() + 100, 1)  # the user gives the frontier more
    dragged = runs.bottom.sizes()
    runs.table.clearSelection()
    select_rows(runs.table, 1, 2)
    chosen = runs.selected_runs()
    runs.compare_button.click()
    qtbot.waitUntil(lambda: runs.compared == chosen, timeout=5000)
    assert runs.bottom.sizes() == dragged


def test_beside_a_comparison_in_presentation_mode_the_legend_leaves_the_points_room(qtbot, window, tiny_dataset):
    """At 1280×720 in presentation mode the legend beside a comparison took one column, its seven
    rows over 85 % of the plot and over the runs' points; two columns still took 60 %."""
    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(penalty="topk", k=2), small.replace(penalty="l1", l1=0.01),
                             small.replace(penalty="jumprelu")])
    from PySide6.QtCore import Qt

    window.view.set_presentation(True, remember=False)
    try:
        window.setWindowState(Qt.WindowState.WindowNoState)  # (full screen offscreen is 800 × 800)
        window.resize(1280, 720)
        window.tabs.setCurrentWidget(window.runs_view)
        runs = window.runs_view
        frontier = runs.frontier
        qtbot.waitUntil(lambda: runs.table.rowCount() == 4, timeout=5000)
        select_rows(runs.table, 0, 1)  # ("selected in the table" joins the legend)
        runs.compare_button.click()
        qtbot.waitUntil(lambda: runs.compare.indices.size == 8, timeout=5000)
        qtbot.waitUntil(lambda: frontier.legend.height() < 0.5 * frontier.getViewBox().height(), timeout=3000)
        assert runs.compare_area.width() > 0.8 * frontier.width()  # the comparison keeps its room
    finally:
        window.view.set_presentation(False, remember=False)


def test_the_frontiers_legend_covers_no_point_and_raises_the_axis_only_as_far_as_needed(qtbot):
    """The legend took a band above every point: in one column at a narrow width the y axis went to
    0.20 over points below 0.07. Now the axis rises only as far as the points beneath the legend
    need, and (capped at 60 % of the height before) no run's point is ever under it; the faint
    reference points may be (kept clear too, a narrow plot's points went to its bottom quarter)."""
    from pathlib import Path

    from PySide6.QtCore import QRectF

    from sae_desktop.qt.frontier_plot import FrontierPlot
    from sae_desktop.run_list import RunSummary

    def run(penalty: str, l0: float, mse: float) -> RunSummary:
        return RunSummary(Path(penalty), {"penalty": penalty}, "completed", 10, mse, l0, 0, 0.05, 10.0)

    frontier = FrontierPlot()
    qtbot.addWidget(frontier)
    # (the shipped points: one, faint, high under the legend; the runs are the frontier's usual shape)
    frontier.reference = [{"l0": 27.0, "test_mse": 0.095, "mechanism": "kl", "setting": "beta", "value": 0.005}]
    frontier.reference_scatter.setData([27.0], [0.095])
    box = frontier.getViewBox()
    items = [frontier.selected_marks.scatter, *(item.scatter for item in frontier.scatter.values())]
    runs = [run("kl", 1.0, 0.10), run("l1", 8.0, 0.08), run("topk", 25.0, 0.012)]
    tops = []
    for width in (900, 300):  # the legend over the lowest point only, then over the middle one too (one column)
        frontier.resize(width, 400)
        frontier.show()
        frontier.set_runs(runs)
        frontier.mark(runs[1:2])  # (its glow, and a legend entry)
        qtbot.wait(100)
        legend = frontier.legend.sceneBoundingRect()
        for item in items:
            for point in item.points():
                centre, r = box.mapViewToScene(point.pos()), point.size() / 2
                assert not legend.intersects(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)), point.pos()
        tops.append(box.viewRange()[1][1])
    assert tops[0] == pytest.approx(0.10 + 0.2 * 0.10)  # only the points' own margin: nothing beneath the legend
    assert tops[1] > tops[0] and frontier.legend.columnCount == 1


def test_runs_table_frontier_show_and_compare(qtbot, window, tiny_dataset):
    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small.replace(beta=0.0), small, small.replace(penalty="topk", k=2)])
    window.tabs.setCurrentWidget(window.runs_view)
    runs = window.runs_view
    assert runs.table.rowCount() == 3
    penalties = sorted(runs.table.item(r, 2).text() for r in range(3))
    assert penalties == ["kl", "kl", "topk"]
    xs, ys = runs.frontier.scatter["kl"].getData()
    assert len(xs) == 2 and all(y > 0 for y in ys)
    (x_lo, x_hi), (y_lo, y_hi) = runs.frontier.getViewBox().viewRange()
    shown = [item.getData() for item in runs.frontier.scatter.values() if item.getData()[0] is not None]
    all_x, all_y = np.concatenate([x for x, _ in shown]), np.concatenate([y for _, y in shown])
    assert x_lo < all_x.min() and all_x.max() < x_hi and 0 <= y_lo < all_y.min() and all_y.max() < y_hi
    assert y_hi < 2 * all_y.max() + 1e-3  # framed on the points, not auto-ranged to ±0.5
    referenced = {r["mechanism"] for r in runs.frontier.reference}
    named = [p for p in PENALTY_COLOURS if p in referenced | {"kl", "topk"}]  # a point of theirs, a run's or faint
    assert legend_of(runs.frontier) == [(p, PENALTY_COLOURS[p]) for p in named] + [(REFERENCE_LABEL, ANY)] * bool(
        referenced)  # each swatch in its penalty's colour, as the points are
    left = runs.frontier.getViewBox().viewRange()[0][0]
    if runs.frontier.reference and min(r["l0"] for r in runs.frontier.reference) == 0:  # a point at L0 0 is shown whole
        assert left < 0
    point = runs.frontier.scatter["topk"].scatter.points()[0]
    tip = rest_on(runs.frontier, point.pos().x(), point.pos().y())  # named where the mouse rests
    assert "-topk" in tip.splitlines()[0] and "k=2" in tip
    assert not any(plot.isVisible() for plot in runs.compare.plots)  # no empty axes before a comparison
    assert runs.compare.shuffle.isHidden()  # nor "Other digits" before there are any
    runs.table.selectRow(0)
    assert runs.show_button.isEnabled() and not runs.compare_button.isEnabled()
    runs.show_button.click()
    assert window.shown.snapshot.config.d_latent == 8 and window.tabs.currentWidget() is window.probe_view
    window.tabs.setCurrentWidget(runs)
    select_rows(runs.table, 0, 1)
    assert runs.compare_button.isEnabled()
    runs.compare_button.click()
    compare = runs.compare
    qtbot.waitUntil(lambda: compare.indices.size == 8, timeout=5000)
    assert compare.elsewhere.isHidden()  # the runs selected are the runs compared…
    runs.table.clearSelection()
    select_rows(runs.table, 1, 2)  # …and where they are not, the comparison (of 0 and 1) says so
    assert not compare.elsewhere.isHidden() and "Not the runs selected" in compare.elsewhere.text()
    runs.table.clearSelection()
    select_rows(runs.table, 1)  # (one of the two alone: no other run)
    assert compare.elsewhere.isHidden()
    select_rows(runs.table, 0)
    assert compare.elsewhere.isHidden()
    assert compare.strip_image.image.shape == (3 * 30 + 2, 8 * 30 + 2)
    assert compare.codes[0].image.shape == (8, 8) and all(plot.isVisible() for plot in compare.plots)
    assert compare.shuffle.isVisible()
    assert "MSE on these digits" in compare.summaries[1].text()
    labels = [str(int(compare._test().labels[j])) for j in compare.indices]
    for plot in compare.plots[1:]:  # a code's rows are the digits shown, named by their labels (as many as
        named = [text for _, text in plot.getAxis("left")._tickLevels[0]]  # have a text line's room)
        assert len(named) == len(labels) and named[0] == labels[0]
        assert all(text in ("", label) for text, label in zip(named, labels))
    matching = compare.matches.matching  # the two runs' 8 latents paired one to one
    assert sorted(matching.a) == list(range(8)) and sorted(matching.b) == list(range(8))
    assert f"{matching.mean:.3f}" in compare.matches.summary.text()
    summary = compare.matches.summary.text()
    assert f"against a median of {matching.chance:.2f} for any latent of A with any of B" in summary
    assert np.isfinite(matching.chance) and matching.chance < matching.mean  # the pairs measured against chance
    compare.below.setCurrentWidget(compare.matches)
    assert compare.matches.isVisible() and not compare.plots[1].isVisible()
    compare.below.setCurrentIndex(0)
    assert list(matching.similarity) == sorted(matching.similarity, reverse=True)
    band, column = divmod(3, compare.matches.columns)  # the fourth pair: A's tile, B's below it
    x, y = 2 + 30 * column + 5, 2 + 30 * 3 * band + 5
    assert compare.matches.pair_at(x, y)[:2] == compare.matches.pair_at(x, y + 30)[:2] == (matching.a[3], matching.b[3])
    assert len(compare.matches.labels) == 8 and compare.matches.labels[0].textItem.toPlainText() == \
        f"{matching.similarity[0]:.2f}"
    # on a 1024×768 screen: nothing squeezed into anything else, the legend inside the frontier
    from PySide6.QtCore import QRect

    from sae_desktop.qt.main_window import default_geometry

    window.setGeometry(default_geometry(QRect(0, 0, 1024, 740), window.minimumSizeHint()))
    qtbot.wait(50)
    strip, summary = compare.strip.geometry(), compare.summaries[0].geometry()
    codes = QRect(compare.plots[1].mapTo(compare, compare.plots[1].rect().topLeft()), compare.plots[1].size())
    assert strip.bottom() < summary.top() and summary.bottom() < codes.top() and codes.height() >= 60
    compare.below.setCurrentWidget(compare.matches)
    qtbot.wait(20)
    assert compare.matches.plot.height() >= 60
    view = runs.frontier
    legend = view.mapFromScene(runs.frontier.legend.sceneBoundingRect()).boundingRect()
    assert view.viewport().rect().contains(legend)
    # the wheel over the digits scrolls the panel, it does not zoom them; a new comparison starts at its header
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    before = compare.strip.getViewBox().viewRange()
    centre = QPointF(compare.strip.viewport().rect().center())
    wheel = QWheelEvent(centre, QPointF(compare.strip.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(compare.strip.viewport(), wheel)
    assert compare.strip.getViewBox().viewRange() == before
    compare.below.setCurrentWidget(compare.matches)  # nor over the matched latents' tiles (zoomed out of sight)
    qtbot.wait(20)
    before = compare.matches.plot.getViewBox().viewRange()
    centre = QPointF(compare.matches.plot.viewport().rect().center())
    wheel = QWheelEvent(centre, QPointF(compare.matches.plot.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, -240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(compare.matches.plot.viewport(), wheel)
    assert compare.matches.plot.getViewBox().viewRange() == before
    compare.below.setCurrentIndex(0)
    bar = runs.compare_area.verticalScrollBar()
    bar.setValue(bar.maximum())
    runs.compare_button.click()
    qtbot.waitUntil(lambda: bar.value() == 0, timeout=5000)


def test_exports_write_valid_files(qtbot, window, tmp_path):
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    view.browser.index.setValue(3)
    assert view.result is not None
    png = export_plot(view.bars, tmp_path / "code.png")
    assert Image.open(png).size[0] > 100
    svg = ET.parse(export_plot(view.bars, tmp_path / "code.svg")).getroot()  # parses as XML
    drawn = [e for e in svg.iter() if e.tag.split("}")[-1] in ("path", "rect", "polyline", "text")]
    assert svg.tag.endswith("svg") and len(drawn) > 32  # the bars, axes and labels are in it
    with open(export_plot(view.bars, tmp_path / "code.csv")) as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 32 and rows[0] == ["latent", "decoded code", "encoder's code"]  # (not "latent (8 of …")
    view.bars.set_clamp(5, 0.9)  # steered: the encoder's value is kept beside the decoded one
    with open(export_plot(view.bars, tmp_path / "steered.csv")) as f:
        rows = {int(float(r[0])): (float(r[1]), float(r[2])) for r in list(csv.reader(f))[1:]}
    assert rows[5] == (pytest.approx(0.9), pytest.approx(float(view.result.latents[5])))
    view.bars.release(5)
    with pytest.raises(ValueError, match="png"):
        export_plot(view.bars, tmp_path / "code.txt")
    atlas = show_atlas(qtbot, window)
    atlas_png = export_atlas(atlas, tmp_path / "atlas.png")
    h, w = atlas.mosaic_image.shape
    from sae_desktop.qt.plot_style import COLORS

    exported = Image.open(atlas_png).convert("RGB")
    assert exported.size[0] == 4 * w and exported.size[1] > 4 * h  # the mosaic, and a key under it…
    key = np.asarray(exported)[4 * h:]  # …with the frames' colours in it (they were explained nowhere)
    for colour in (COLORS["dead"], COLORS["clamped"]):
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
        assert (np.abs(key.astype(int) - rgb).sum(axis=2) == 0).sum() > 50, colour
    # and says which model and which tiles (the file held the tiles and the key only)
    description = Image.open(atlas_png).info["Description"]
    assert description.startswith(f"{window.shown.snapshot.name}: 32 latents")
    assert description.endswith("Decoder: what it draws; sort by index")
    ink = (np.abs(key.astype(int) - key[0, 0].astype(int)).sum(axis=2) > 100).any(axis=1)
    assert ink[-len(ink) // 3:].sum() >= 10  # its lines drawn under the key
    written = export_probe(view, tmp_path / "probe")
    assert {Image.open(p).size for p in written} == {(28, 28), (280, 280)}
    # named after the model and the input, and never over an earlier export (all were probe_input_28px.png)
    label = view.state.source.label
    assert written[0].name == f"bundled_mnist_model_test_3_label_{label}_input_28px.png"
    again = export_probe(view, tmp_path / "probe")
    assert len({p.name for p in written + again}) == 12 and again[0].name.endswith("_2_input_28px.png")
    window.training_view.loss_plot.add_epoch(100, 0.02)
    window.training_view.refresh_all()
    with open(export_plot(window.training_view.loss_plot, tmp_path / "loss.csv")) as f:
        assert "0.02" in f.read()
    menu_titles = [a.text() for a in window.export_menu.actions()]
    assert any("latent codes" in t for t in menu_titles) and any("Run metrics" in t for t in menu_titles)


def test_the_exported_atlas_frames_dead_latents_as_the_screen_does(qtbot, window, tmp_path):
    """The file had no frames: a TopK run's 212 dead latents' noise read as features."""
    import dataclasses

    from sae_desktop.atlas import DEAD_FADE
    from sae_desktop.qt.atlas_export import ATLAS_SCALE
    from sae_desktop.qt.atlas_mosaic import PAD, TILE
    from sae_desktop.qt.plot_style import COLORS

    atlas = show_atlas(qtbot, window)
    ev = atlas.model.evaluation
    latents = ev.latents.copy()
    latents[:, 7] = 0  # latent 7 never fires
    model = dataclasses.replace(atlas.model, evaluation=dataclasses.replace(ev, latents=latents))
    assert model.evaluation.dead[7] and not model.evaluation.dead[6]
    window.shown.set(model)
    qtbot.waitUntil(lambda: 7 in atlas.up_to_date().framed["dead"], timeout=5000)
    image = np.asarray(Image.open(export_atlas(atlas, tmp_path / "atlas.png")).convert("RGB"))
    columns = atlas.columns
    dead = tuple(int(COLORS["dead"][i:i + 2], 16) for i in (1, 3, 5))

    def left_edge(latent: int) -> np.ndarray:  # the gap just left of the latent's tile, down its height
        r, c = divmod(int(np.flatnonzero(atlas.order == latent)[0]), columns)
        x = (PAD + c * (TILE + PAD)) * ATLAS_SCALE - 2
        y = (PAD + r * (TILE + PAD)) * ATLAS_SCALE
        return image[y:y + TILE * ATLAS_SCALE, x]

    assert (left_edge(7) == dead).all(axis=1).all()  # framed in the dead latents' red
    assert not (left_edge(6) == dead).all(axis=1).any()

    # and faded, on screen and in the file (at full strength, dead latents' noise looked as alive as
    # live tiles from the back of a lecture hall, a thin grey frame apart)
    def tile(latent: int) -> np.ndarray:
        r, c = divmod(int(np.flatnonzero(atlas.order == latent)[0]), columns)
        return atlas.mosaic_image[PAD + r * (TILE + PAD):][:TILE, PAD + c * (TILE + PAD):][:, :TILE]

    tiles = atlas.tiles["decoder"]
    assert np.allclose(tile(7), tiles[7] * DEAD_FADE) and np.allclose(tile(6), tiles[6])
    assert all("dead&nbsp;(faded)" in text for text in atlas.legend.alternatives)  # (either kind of tile)


def test_latent_codes_and_run_metrics_exports(qtbot, window, tiny_dataset, tmp_path):
    from sae_desktop.exports import save_latent_codes, save_metrics_csv

    codes = save_latent_codes(window.shown.snapshot.evaluation.latents, tmp_path / "codes.npy")
    assert np.load(codes).shape == (len(tiny_dataset.test_images), 32)
    make_runs(tiny_dataset, [TrainConfig(epochs=2, batch_size=64, d_hidden=16, d_latent=8, device="cpu")])
    window.tabs.setCurrentWidget(window.runs_view)
    window.runs_view.table.selectRow(0)
    folder = window.exports.run_for_metrics()
    with open(save_metrics_csv(RunFolder(folder).read_metrics(), tmp_path / "m.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2"] and "rho_hat_7" in rows[0]
    assert window.shown.snapshot.arrays["W_enc1"].shape == (128, 784)  # selecting a run did not replace it


def test_matched_pairs_similarities_are_written_only_where_the_tiles_have_room(qtbot):
    from sae_desktop.qt.match_view import MatchView
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    view = MatchView()
    qtbot.addWidget(view)
    view.resize(2400, 500)  # 32 pairs in one band: ~70 px a tile
    view.show()
    qtbot.waitExposed(view)
    model = ModelSnapshot.load(bundled_model_path())
    view.set_models(model, ModelSnapshot.load(bundled_model_path()))
    assert len(view.labels) == 32
    qtbot.waitUntil(lambda: all(label.isVisible() for label in view.labels))
    view.resize(500, 300)  # ~14 px a tile: the numbers would run together ("1.000.990.99…")
    qtbot.waitUntil(lambda: not any(label.isVisible() for label in view.labels))
    assert view.pair_at(2 + 5, 2 + 5)[2] > 0.99  # the pair's figure is still there, in the tooltip


def test_matched_pairs_fill_the_panel_in_bands_of_equal_length(qtbot):
    """32 pairs were always one band: 18-px tiles at 1440×900, 8 px at 1024, over an empty panel."""
    from sae_desktop.qt.match_view import TILE, MatchView
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    view = MatchView()
    qtbot.addWidget(view)
    view.resize(650, 420)  # the comparison's panel at 1440×900
    view.show()
    qtbot.waitExposed(view)
    model = ModelSnapshot.load(bundled_model_path())
    view.set_models(model, model)
    box = view.plot.getViewBox()
    bands = -(-32 // view.columns)
    assert bands > 1 and 32 - (bands - 1) * view.columns >= view.columns - bands  # of (nearly) equal length
    assert TILE / box.viewPixelSize()[0] > 30  # tiles on screen, px
    view.resize(1800, 200)  # wide and low: one band again
    qtbot.waitUntil(lambda: view.columns == 32)
    assert view.pair_at(2 + 30 * 31 + 5, 2 + 5)[:2] == (view.matching.a[31], view.matching.b[31])


def test_a_comparison_gives_each_models_codes_their_scale_and_fits_a_1440_screen(qtbot, window, tiny_dataset):
    """A sigmoid's codes (0-1) and a ReLU's (0 to its largest) were drawn from dark to bright with
    no scale: one colour meant two values. At 1440×900 the page scrolled (pyqtgraph's 600×480
    size hint for the matched tiles set its height) and the codes sat below the fold, under an
    empty band; the header wrapped with the runs' status, which the captions give."""
    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(penalty="topk", k=2)])
    window.resize(1440, 900)
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    select_rows(runs.table, 0, 1)
    runs.compare_button.click()
    compare = runs.compare
    qtbot.waitUntil(lambda: compare.indices.size == 8, timeout=5000)
    qtbot.wait(50)
    for model, image, bar in zip(compare.models, compare.codes, compare.bars):
        top = 1.0 if model.config.latent == "sigmoid" else float(image.image.max())
        assert bar.levels() == pytest.approx((0.0, top)) and image.getLevels() == pytest.approx((0.0, top))
        assert bar.isVisible() and bar.getAxis("left").labelText == "activation"
    assert {m.config.latent for m in compare.models} == {"sigmoid", "topk"}  # (top-k: ReLU values)
    assert runs.compare_area.verticalScrollBar().maximum() == 0  # all of it in view
    assert "completed" not in compare.title.text() and all("completed" in s.text() for s in compare.summaries)
    a, b = compare.plots[1:]
    assert a.isVisible() and a.height() >= a.minimumHeight()
    assert a.y() == b.y() and b.x() >= a.x() + a.width()  # side by side
    # on a 1024×768 screen the panel is ~300 px wide: one above the other (side by side, their titles,
    # axis labels and scales were cut)
    from PySide6.QtCore import QRect

    from sae_desktop.qt.main_window import default_geometry

    window.setGeometry(default_geometry(QRect(0, 0, 1024, 740), window.minimumSizeHint()))
    qtbot.wait(50)
    assert compare.width() < 600 and b.y() >= a.y() + a.height() and a.width() > compare.width() - 40
    # there the panel scrolls: the wheel over the codes' tabs scrolls it, it does not switch the tab
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    tabs = compare.below.tabBar()
    assert runs.compare_area.verticalScrollBar().maximum() > 0
    at = QPointF(tabs.tabRect(0).center())
    wheel = QWheelEvent(at, QPointF(tabs.mapToGlobal(at.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tabs, wheel)
    assert compare.below.currentIndex() == 0 and not wheel.isAccepted()  # (on to the scroll area)


def test_a_compared_run_continued_since_is_compared_again_on_the_same_digits(qtbot, window, tiny_dataset):
    """After Compare, one of the runs was continued: the table said "completed, 2 epochs" while the
    comparison still showed the run as it was (its name, MSE and L0 when stopped)."""
    from sae_desktop.snapshot import ModelSnapshot

    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(seed=1)])
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    select_rows(runs.table, 0, 1)
    runs.compare_button.click()
    compare = runs.compare
    qtbot.waitUntil(lambda: compare.indices.size == 8, timeout=5000)
    digits, before = compare.indices.copy(), [label.text() for label in compare.summaries]
    continued = runs.compared[1]
    snap = ModelSnapshot.load(continued.folder / "checkpoint.safetensors")
    cfg = small.replace(seed=1, epochs=2)
    list(recorded(train(cfg, tiny_dataset, resume=snap.resume_state()), RunFolder(continued.folder)))
    runs.refresh()
    assert [r.epochs_done for r in runs.runs if r.folder == continued.folder] == [2]
    assert compare.title.text() == "Comparing the two runs…"  # (loaded and evaluated in a worker)
    qtbot.waitUntil(lambda: compare.models[1].epoch == 2, timeout=5000)
    assert compare.models[0].epoch == 1
    after = [label.text() for label in compare.summaries]
    assert after[0] == before[0] and after[1] != before[1]  # the continued one's figures, the other's as they were
    assert np.array_equal(compare.indices, digits)  # on the same digits
    calls = []
    compare.set_models = lambda *models, **kw: calls.append(models)
    runs.refresh()  # nothing changed since: not compared again (two checkpoints loaded per scan)
    assert calls == []
    runs.live_folder = continued.folder  # the window trains it further: each epoch is not compared again (~0.6 s)…
    RunFolder(continued.folder).append({"type": "epoch", "epoch": 3, "step": 30, "metrics/test_mse": 0.05,
                                        "metrics/l0": 5.0, "metrics/dead_latents": 0})
    runs.refresh()
    assert calls == [] and "(B is training: compared again when it ends)" in compare.title.text()
    runs.live_folder = None  # … but once it has ended
    RunFolder(continued.folder).append({"type": "summary", "status": "completed", "epochs_done": 3, "step": 30,
                                        "test_mse": 0.05, "l0": 5.0, "dead_latents": 0, "epoch_seconds": [1.0] * 3})
    runs.refresh()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=5000)


def test_two_runs_are_loaded_and_evaluated_off_the_windows_thread(qtbot, window, tiny_dataset, monkeypatch):
    """Compare loaded both checkpoints and evaluated them on the test set in the window's thread:
    1.2 s frozen for the first comparison of two MNIST runs. A file that cannot be read is said,
    and the comparison's title is what it was."""
    import threading

    from sae_desktop.qt import runs_compare

    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(seed=1)])
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    threads, release = [], threading.Event()

    def load_evaluated(paths, test_images):
        threads.append(threading.current_thread() is threading.main_thread())
        release.wait(5)  # (the window's thread goes on meanwhile)
        return real(paths, test_images)
    real = runs_compare.load_evaluated
    monkeypatch.setattr(runs_compare, "load_evaluated", load_evaluated)
    select_rows(runs.table, 0, 1)
    runs.compare_button.click()
    assert runs.compare.models is None and runs.compare.title.text() == "Comparing the two runs…"
    release.set()
    qtbot.waitUntil(lambda: runs.compare.models is not None, timeout=5000)
    assert threads == [False] and all(m.evaluation is not None for m in runs.compare.models)
    assert runs.compare.title.text().startswith("A:\u00a0")
    # a narrow title wraps between the runs, never after "A:" or "B:" (at 1024 px "B:" ended a line), nor
    # inside a run's name ("…-103053-mnist-" / "topk")
    names = [run.name for run in runs.compared]
    for width in range(120, 600, 20):
        lines = [line.rstrip().replace("\u2011", "-") for line in wrapped(runs.compare.title, width)]
        assert not any(line.endswith(("A:", "B:")) for line in lines)
        assert all(any(name in line for line in lines) for name in names), lines
    before = runs.compare.title.text()
    (runs.selected_runs()[0].folder / "checkpoint.safetensors").write_bytes(b"junk")
    with qtbot.waitSignal(runs.failed, timeout=5000) as failure:
        runs.compare_button.click()
        runs.compare_button.click()  # asked again meanwhile: the title before is still the one restored
    assert failure.args[0] == "Could not open the run's model" and "checkpoint" in failure.args[1]
    assert runs.compare.title.text() == before


def test_a_test_set_that_arrives_during_a_comparison_is_used_off_the_windows_thread(qtbot, window, tiny_dataset,
                                                                                   monkeypatch):
    """Asked for before the test set had loaded, the worker loaded the models unevaluated; the
    set arriving meanwhile, the comparison view evaluated both on the window's thread."""
    import threading

    from sae_desktop.qt import runs_compare
    from sae_desktop.snapshot import ModelSnapshot

    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(seed=1)])
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    provider = runs.compare.test_set
    qtbot.waitUntil(lambda: provider.get("mnist") is not None, timeout=10000)
    loaded, on_main = provider.get, []
    monkeypatch.setattr(provider, "get", lambda name: None)  # not loaded yet…
    real_load, real_evaluate = runs_compare.load_evaluated, ModelSnapshot.evaluate

    def load_evaluated(paths, test_images):
        models = real_load(paths, test_images)
        monkeypatch.setattr(provider, "get", loaded)  # … and loaded while the worker read the files
        return models

    def evaluate(self, *args, **kwargs):
        on_main.append(threading.current_thread() is threading.main_thread())
        return real_evaluate(self, *args, **kwargs)
    monkeypatch.setattr(runs_compare, "load_evaluated", load_evaluated)
    monkeypatch.setattr(ModelSnapshot, "evaluate", evaluate)
    select_rows(runs.table, 0, 1)
    runs.compare_button.click()
    qtbot.waitUntil(lambda: runs.compare.models is not None, timeout=10000)
    assert all(m.evaluation is not None for m in runs.compare.models)
    assert on_main and not any(on_main)  # evaluated, in a worker
    assert runs.compare.title.text().startswith("A:\u00a0")


def test_a_latents_whole_dashboard_fits_a_1440_by_900_window(qtbot, window):
    """The two plots asked for their largest heights, so the histogram's lower half (its axis and
    the y-label's "te") was below the fold at 1440×900; in a taller window they still grow."""
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas.select(0)
    dashboard = atlas.dashboard
    viewport = dashboard.parentWidget()  # (the scroll area's)
    heights = {}
    for size in ((1440, 900), (1920, 1200)):
        window.resize(*size)
        # all of it in view, with no scroll bar for the last few pixels of its margin either
        qtbot.waitUntil(lambda: dashboard.height() <= viewport.height(), timeout=3000)
        heights[size] = dashboard.histogram.height() + dashboard.classes.height()
    assert heights[(1920, 1200)] > heights[(1440, 900)]


def test_another_runs_model_shows_the_dashboard_from_its_title(qtbot, window):
    """The dashboard kept its scroll position: after another run's model, its title ("Latent 19 ·
    mostly 1s") showed only its lower half; the same run's next epoch keeps the place."""
    from dataclasses import replace

    window.resize(1024, 768)
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas.select(0)
    bar = atlas.dashboard_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    bar.setValue(bar.maximum())
    shown = window.shown.snapshot
    window.shown.set(replace(shown, name=f"{shown.short_name}, one epoch on", run_name=shown.short_name))
    atlas.up_to_date()
    assert bar.value() == bar.maximum() > 0
    window.shown.set(replace(shown, name="another run, completed", run_name="another run"))
    atlas.up_to_date()
    assert bar.value() == 0


def test_top_digit_captions_stay_on_one_line_in_a_1024_window(qtbot, window):
    """"0.43 ·" over "3": at 1024×768 the captions broke at their spaces."""
    window.resize(1024, 768)
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas.select(0)
    qtbot.wait(50)
    captions = [tile.caption for tile in atlas.dashboard.top_tiles]
    assert all("·" in c.text() for c in captions)
    line = captions[0].fontMetrics().lineSpacing()
    assert all(c.heightForWidth(c.width()) < 2 * line for c in captions), [c.width() for c in captions]


def test_a_rare_latents_dashboard_shows_only_the_digits_it_is_active_on(qtbot, window):
    """A latent active on 4 test digits showed 12 more at "0.00" as its top activating digits; a
    JumpReLU's dead latent read "max -0.000"."""
    import dataclasses

    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    ev = window.shown.snapshot.evaluation
    latents = ev.latents.copy()
    latents[:, 3] = 0.0
    latents[[5, 50, 100], 3] = [0.9, 0.5, 0.3]  # active on three digits (threshold 0.1)
    latents[:, 4] = -0.0
    model = dataclasses.replace(window.shown.snapshot, evaluation=dataclasses.replace(ev, latents=latents))
    dashboard = atlas.dashboard
    dashboard.show_latent(3, model, window.test_set.get("mnist"))
    shown = [tile.data is not None for tile in dashboard.top_tiles]
    assert shown == [True] * 3 + [False] * (len(shown) - 3)
    assert [tile.caption.text()[:4] for tile in dashboard.top_tiles[:3]] == ["0.90", "0.50", "0.30"]
    assert dashboard.top_caption.text().startswith("The 3 test digits it is active on")
    dashboard.show_latent(4, model, window.test_set.get("mnist"))
    assert "-0.000" not in dashboard.stats.text() and "max 0.000" in dashboard.stats.text()


def test_a_run_that_did_not_complete_is_hollow_on_the_frontier(qtbot, window):
    """A run stopped after its first epoch was drawn like a finished one, and read as a point of
    the frontier (its MSE that of an early step)."""
    from PySide6.QtCore import Qt

    from sae_desktop.qt.frontier_plot import UNFINISHED_LABEL

    for status, mse in (("completed", 0.02), ("stopped", 0.06)):
        cfg = TrainConfig(epochs=10, seed=int(mse * 100))
        run = RunFolder.create(cfg)
        run.write_config(cfg)
        run.append({"type": "epoch", "epoch": 1, "step": 469, "metrics/test_mse": mse, "metrics/l0": 6.0,
                    "metrics/dead_latents": 0})
        run.append({"type": "summary", "status": status, "epochs_done": 10 if status == "completed" else 1,
                    "test_mse": mse, "l0": 6.0, "dead_latents": 0, "epoch_seconds": [1.0],
                    "step": 4690 if status == "completed" else 600})
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    frontier = runs.frontier
    spots = {round(p.pos().y(), 3): p for item in (frontier.scatter["kl"], frontier.unfinished)
             for p in item.scatter.points()}
    assert spots[0.02].brush().style() != Qt.BrushStyle.NoBrush  # filled
    assert spots[0.06].brush().style() == Qt.BrushStyle.NoBrush  # hollow, ringed in its penalty's colour
    assert spots[0.06].pen().color().name() == PENALTY_COLOURS["kl"]
    assert UNFINISHED_LABEL in [name for name, _ in legend_of(frontier)]
    # (the Runs table's words: it said "stopped after 1 epoch" of a run stopped at step 600, in its second)
    assert "(stopped at step 600, 1 epoch done)\n" in frontier.point_tip(6.0, 0.06, spots[0.06].data())


def test_a_hollow_point_is_drawn_above_another_runs_filled_point(qtbot, window):
    """A stopped KL run's ring at the same place as a completed JumpReLU run's point was hidden
    under it (each penalty's points were drawn in turn, the later ones on top)."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor

    for penalty, status in (("kl", "stopped"), ("jumprelu", "completed")):
        cfg = TrainConfig(epochs=10, penalty=penalty)
        run = RunFolder.create(cfg)
        run.write_config(cfg)
        run.append({"type": "summary", "status": status, "epochs_done": 1, "test_mse": 0.03, "l0": 5.0,
                    "dead_latents": 0, "epoch_seconds": [1.0]})
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    frontier = runs.frontier

    def point_centre():  # (where the tab's layout has put the plot by now)
        return frontier.mapFromScene(frontier.getViewBox().mapViewToScene(QPointF(5.0, 0.03)))

    kl, jumprelu = (QColor(PENALTY_COLOURS[p]) for p in ("kl", "jumprelu"))

    def around(colour) -> int:  # of the four sides of the point, those where the colour shows on the ring
        image, centre = frontier.grab().toImage(), point_centre()
        return sum(any(_near(image.pixelColor(centre.x() + r * dx, centre.y() + r * dy), colour) for r in (7, 8))
                   for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)))

    qtbot.waitUntil(lambda: _near(frontier.grab().toImage().pixelColor(point_centre()), jumprelu),
                    timeout=5000)  # painted
    assert around(kl) == 4  # the whole ring, over the filled point (a sliver of it showed on one side)
    assert "(stopped" in rest_on(frontier, 5.0, 0.03)  # named on hover, as the filled points are


def test_a_ring_on_a_completed_point_of_its_own_penalty_is_seen_around_it_and_named(qtbot, window):
    """A run continued from a completed one and stopped early sat on that run's point: a ring the
    size of the point, in the point's colour, could not be told from it, and hovering named one run."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor

    for status, seed in (("completed", 1), ("stopped", 2)):
        cfg = TrainConfig(epochs=10, seed=seed)
        run = RunFolder.create(cfg)
        run.write_config(cfg)
        run.append({"type": "summary", "status": status, "epochs_done": 10 if status == "completed" else 1,
                    "test_mse": 0.03, "l0": 5.0, "dead_latents": 0, "epoch_seconds": [1.0]})
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    frontier, kl = runs.frontier, QColor(PENALTY_COLOURS["kl"])

    def centre():
        return frontier.mapFromScene(frontier.getViewBox().mapViewToScene(QPointF(5.0, 0.03)))

    qtbot.waitUntil(lambda: _near(frontier.grab().toImage().pixelColor(centre()), kl), timeout=5000)
    image, c = frontier.grab().toImage(), centre()
    ring = [any(_near(image.pixelColor(c.x() + r * dx, c.y() + r * dy), kl) for r in (7, 8))
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    assert all(ring)  # the ring shows all round, outside the filled point
    stopped, completed = sorted(frontier.runs, key=lambda r: r.status != "stopped")
    tip = rest_on(frontier, 5.0, 0.03)  # both named, the ring's first (it is drawn on top)
    assert tip.startswith(f"{stopped.name} (stopped after 1 epoch)\n") and f"\n\n{completed.name}\n" in tip


def rest_on(frontier, l0: float, mse: float) -> str:
    """The mouse rests on the frontier at (L0, test MSE): the tooltip Qt shows there."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    port = frontier.viewport()
    point = frontier.mapFromScene(frontier.getViewBox().mapViewToScene(QPointF(l0, mse)))
    QToolTip.hideText()
    QApplication.sendEvent(port, QHelpEvent(QEvent.Type.ToolTip, point, port.mapToGlobal(point)))
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_a_run_on_a_reference_point_is_named_on_hover_before_the_reference(qtbot, window):
    """Hovering a run's point that lies on a faint reference point named the reference run only
    (the scatter drawn lowest heard of the hover last, and its tooltip replaced the run's)."""
    runs = window.runs_view
    reference = runs.frontier.reference[0]
    cfg = TrainConfig(epochs=10)
    run = RunFolder.create(cfg)
    run.write_config(cfg)
    run.append({"type": "summary", "status": "completed", "epochs_done": 10, "test_mse": reference["test_mse"],
                "l0": reference["l0"], "dead_latents": 0, "epoch_seconds": [1.0]})
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    qtbot.wait(50)  # laid out
    tip = rest_on(runs.frontier, reference["l0"], reference["test_mse"])
    assert tip.startswith(runs.frontier.runs[0].name + "\n") and f"\n\nreference: {reference['mechanism']}" in tip
    assert rest_on(runs.frontier, reference["l0"], 0.0) == runs.frontier.toolTip()  # no point there: the plot's own


def test_a_reference_point_names_its_epochs_and_why_it_sits_at_l0_0(qtbot, window):
    """The shipped jumprelu λ₀=0.002 run sits alone at L0 0, test MSE 0.0675, above every other
    point; its tip did not say it had collapsed, nor that the references trained 10 epochs."""
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.wait(50)  # laid out
    frontier = runs.frontier
    collapsed = [r for r in frontier.reference if r["l0"] == 0]
    alive = next(r for r in frontier.reference if r["l0"] > 0)
    assert collapsed and all(r["epochs"] == 10 for r in frontier.reference)
    tip = rest_on(frontier, collapsed[0]["l0"], collapsed[0]["test_mse"])
    assert tip.startswith("reference: jumprelu") and ", 32 latents, 10 epochs\n" in tip and "every latent dead" in tip
    tip = rest_on(frontier, alive["l0"], alive["test_mse"])
    assert ", 32 latents, 10 epochs\n" in tip and "dead" in tip and "every latent dead" not in tip


def wrapped(label, width: int) -> list[str]:
    """The lines ``label``'s text breaks into at ``width`` px (as a word-wrapped QLabel breaks it)."""
    from PySide6.QtGui import QTextLayout

    text, layout, lines = label.text(), QTextLayout(label.text(), label.font()), []
    layout.beginLayout()
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        lines.append(text[line.textStart():line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def test_a_run_stopped_before_its_first_epoch_ended_does_not_set_the_frontiers_axes(qtbot, window):
    """Stopped at step 32 (test MSE 0.18, FVU 2.7), a run stretched the y axis to 0.20: every real run
    went to the bottom tenth of the plot until its folder was removed."""
    from sae_desktop.qt.frontier_plot import UNFINISHED_LABEL
    from sae_desktop.qt.plot_legend import legend_entries

    for penalty, status, epochs, mse in (("kl", "completed", 10, 0.017), ("topk", "completed", 10, 0.027),
                                         ("jumprelu", "stopped", 0, 0.18), ("l1", "stopped", 2, 0.03)):
        cfg = TrainConfig(epochs=10, penalty=penalty)
        run = RunFolder.create(cfg)
        run.write_config(cfg)
        run.append({"type": "summary", "status": status, "epochs_done": epochs, "test_mse": mse, "l0": 7.0,
                    "dead_latents": 0, "epoch_seconds": [1.0] * epochs})
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 4, timeout=5000)
    frontier = runs.frontier
    qtbot.wait(50)
    top = frontier.getViewBox().viewRange()[1][1]
    assert 0.03 < top < 0.18  # the runs with a model frame it, a stopped one with an epoch among them
    assert UNFINISHED_LABEL in [name for _, name in legend_entries(frontier.legend)]  # (the l1 run's ring)


def _near(a, b) -> bool:  # two QColors within a few levels of each other
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) < 25


def test_the_class_chart_names_every_class_before_a_latent_is_picked(qtbot, window):
    """Empty, it took pyqtgraph's ticks: "0 2 4 6 8", the odd classes unnamed until a tile was clicked."""
    show_atlas(qtbot, window)
    axis = window.atlas_view.dashboard.classes.getAxis("bottom")
    assert axis._tickLevels == [[(c, str(c)) for c in range(10)]]


def test_the_atlas_legend_says_what_red_and_blue_mean_in_each_kind_of_tile(qtbot, window):
    """The legend explained the frames' colours only: red and blue inside the tiles, nowhere."""
    from sae_desktop.colour import DARK_RED, RED
    from sae_desktop.qt import theme

    show_atlas(qtbot, window)
    atlas = window.atlas_view
    text = atlas.legend.text().replace("&nbsp;", " ")
    assert "adds ink" in text and "removes ink" in text and f"rgb({', '.join(map(str, RED))})" in text
    atlas.kind.setCurrentIndex(1)
    assert "ink here raises it" in atlas.legend.text().replace("&nbsp;", " ") and "adds" not in atlas.legend.text()
    theme.apply(theme.DARK)
    try:
        assert f"rgb({', '.join(map(str, DARK_RED))})" in atlas.legend.text()  # the tiles' shade in this theme
    finally:
        theme.apply(theme.LIGHT)


def test_the_dead_latents_frame_is_a_colour_no_tile_has():
    """Dead latents were framed in a red a few levels from the tiles' "adds ink" red (a helper
    read a frame as ink): the frame's colour is far from every colour of both themes' maps."""
    import numpy as np

    from sae_desktop.colour import DIVERGING, DIVERGING_DARK
    from sae_desktop.qt.plot_style import COLORS

    rgb = np.array([int(COLORS["dead"][i:i + 2], 16) for i in (1, 3, 5)], float)
    for colours in (DIVERGING, DIVERGING_DARK):
        assert np.linalg.norm(colours.astype(float) - rgb, axis=1).min() > 50


def test_the_atlas_legend_never_parts_a_swatch_from_its_words(qtbot, window):
    """At 1280×720 the legend wrapped after "■", and "selected" began the next line: the lone
    square read as a fourth, unexplained colour."""
    from PySide6.QtGui import QTextDocument

    show_atlas(qtbot, window)
    doc = QTextDocument()
    doc.setDefaultFont(window.atlas_view.legend.font())
    doc.setHtml(window.atlas_view.legend.text())
    whole = doc.toPlainText()
    for width in range(250, 1200, 7):  # (narrower than its widest entry, a line breaks anywhere)
        doc.setTextWidth(width)
        doc.size()  # (laid out when asked)
        layout = doc.firstBlock().layout()
        lines = [whole[layout.lineAt(i).textStart():layout.lineAt(i).textStart() + layout.lineAt(i).textLength()]
                 for i in range(layout.lineCount())]
        assert not any(line.rstrip().endswith("■") for line in lines), (width, lines)
        starts = [line.lstrip()[:1] for line in lines if line.strip()]
        assert set(starts) <= {"■", "f"}, (width, lines)  # each line an entry's start ("frames:" one too)


def test_ctrl_3_and_ctrl_4_give_the_keyboard_to_the_mosaic_and_the_table(qtbot, window, tiny_dataset):
    """After Ctrl+3 the arrows did nothing (the page had the focus, not the mosaic), and after
    Ctrl+4 ↓ selected no run: a lecture could not go on without the mouse."""
    from PySide6.QtCore import Qt

    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    for seed in (0, 1):
        list(recorded(train(cfg.replace(seed=seed), tiny_dataset), RunFolder.create(cfg)))
    window.panel.inputs["lr"].setFocus()  # typing in the training panel first
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    atlas = window.atlas_view
    qtbot.waitUntil(lambda: atlas.plot.hasFocus() and atlas.order is not None, timeout=10000)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Right)
    assert atlas.selected == atlas.order[0]
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    runs = window.runs_view
    qtbot.waitUntil(lambda: runs.table.hasFocus() and runs.table.rowCount() == 2, timeout=5000)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Down)  # (the first row is current, framed: ↓ the next)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Up)
    assert runs.selected_runs() == [runs.runs[runs.table.item(0, 0).data(Qt.ItemDataRole.UserRole)]]


def test_a_dashboard_wider_than_its_room_scrolls_sideways(qtbot, window):
    """At 1024×768 the dashboard's content outgrew the width it had at its start and its right side
    was cut, with no scroll bar ("Latent 71 · many classe", the class chart's last bars)."""
    atlas = show_atlas(qtbot, window)
    area = atlas.dashboard.parentWidget().parentWidget()  # (its scroll area, through the viewport)
    atlas.dashboard.setMinimumWidth(area.viewport().width() + 300)  # content wider than the room
    qtbot.waitUntil(lambda: area.horizontalScrollBar().isVisible(), timeout=3000)
    assert area.horizontalScrollBar().maximum() > 250  # (the vertical bar takes some of the 300)


def test_the_atlas_is_used_from_the_keyboard(qtbot, window):
    """No focus, and the arrows did nothing: a latent could be picked only with the mouse."""
    from PySide6.QtCore import Qt

    show_atlas(qtbot, window)
    atlas = window.atlas_view
    atlas.sort.setCurrentIndex(1)  # by density: positions are not latent numbers
    atlas.plot.setFocus()
    assert atlas.plot.hasFocus() and atlas.selected is None
    qtbot.keyClick(atlas.plot, Qt.Key.Key_Right)
    assert atlas.selected == atlas.order[0]  # the first tile, before anything was picked
    columns = atlas.columns
    qtbot.keyClick(atlas.plot, Qt.Key.Key_Down)
    qtbot.keyClick(atlas.plot, Qt.Key.Key_Right)
    assert atlas.selected == atlas.order[columns + 1] and atlas.dashboard.latent == atlas.selected
    qtbot.keyClick(atlas.plot, Qt.Key.Key_End)
    assert atlas.selected == atlas.order[-1]
    qtbot.keyClick(atlas.plot, Qt.Key.Key_Down)  # past the last row: stays
    assert atlas.selected == atlas.order[-1]
    qtbot.keyClick(atlas.plot, Qt.Key.Key_Home)
    qtbot.keyClick(atlas.plot, Qt.Key.Key_Left)  # before the first: stays
    assert atlas.selected == atlas.order[0]


def test_a_latent_active_on_nearly_every_digit_reads_log10_zero_not_minus_zero():
    from sae_desktop.qt.latent_dashboard import density_text, figure

    assert density_text(0.9982) == "99.82% of test digits (log10\u00a0=\u00a00.00)"  # it read "log10 = -0.00"
    # the bracket is never broken: "(log10 =" over "-1.30)" began a line with a stray minus
    assert density_text(0.05) == "5.00% of test digits (log10\u00a0=\u00a0-1.30)" and density_text(0.0) == "0"
    # a rare live latent's mean activation is not a dead one's "0.000"
    assert figure(4.4e-05) == "4.40e-05" and figure(0.0) == figure(-0.0) == "0.000" and figure(0.1234) == "0.123"


def test_switching_between_decoder_and_encoder_tiles_keeps_their_grid(qtbot, window):
    """The encoder's legend ("ink here raises it") wrapped otherwise than the decoder's ("adds
    ink"): the legend's height changed at the first switch, the tiles' area with it, and the grid
    went from 8 columns to 7, every latent moving between the two views a teacher compares."""
    atlas = show_atlas(qtbot, window)

    def shape():
        return atlas.columns, atlas.plot.getViewBox().height(), atlas.legend.height()

    def steady() -> bool:  # (the layout has settled: the same shape twice, 50 ms apart)
        now = shape()
        qtbot.wait(50)
        return now == shape()

    for width in (1280, 1000, 1440):
        window.resize(width, 720)
        qtbot.waitUntil(steady, timeout=3000)
        decoder = shape()
        for kind in (1, 0):  # the encoder's tiles, then the decoder's again: the same grid in the same area
            atlas.kind.setCurrentIndex(kind)
            qtbot.waitUntil(steady, timeout=3000)
            assert shape() == decoder, (width, kind, shape(), decoder)


def test_the_top_digits_caption_says_when_they_are_all_one_class(qtbot, window):
    """"Latent 5 · many classes, top mean: 0s" sat over 16 top digits that were all 0s: true (the
    verdict is a mean over every digit) but read as a contradiction with nothing to reconcile it."""
    import dataclasses

    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    ev = window.shown.snapshot.evaluation
    test = window.test_set.get("mnist")
    zeros = np.flatnonzero(test.labels == 0)
    latents = ev.latents.copy()
    latents[:, 3] = 0.5  # on every digit alike: many classes (0.66 on 0s on average, 0.5 on the rest)
    latents[zeros, 3] = 0.1
    latents[zeros[:16], 3] = 0.9  # strongest on sixteen 0s
    model = dataclasses.replace(window.shown.snapshot, evaluation=dataclasses.replace(ev, latents=latents))
    dashboard = atlas.dashboard
    dashboard.show_latent(3, model, test)
    assert dashboard.title.text() == "Latent 3 · many classes on average"
    assert "all 0s" in dashboard.top_caption.text()
    latents[zeros[8:16], 3] = 0.1  # 8 zeros, then one digit of each of 8 other classes
    latents[[np.flatnonzero(test.labels == c)[0] for c in range(1, 9)], 3] = 0.8
    dashboard.show_latent(3, dataclasses.replace(model, evaluation=dataclasses.replace(ev, latents=latents)), test)
    assert "all" not in dashboard.top_caption.text() and "8 are 0s" in dashboard.top_caption.text()


def test_a_topk_latents_dashboard_fits_a_1024_window_without_scrolling_sideways(qtbot, window):
    """A TopK latent's top digits read "30.73 · 0": four such captions widened the dashboard past
    its column in a 1024×768 window, which then scrolled sideways and cut the title, the caption
    and the fourth column of digits."""
    import dataclasses

    from sae_desktop.qt.latent_dashboard import compact

    assert [compact(v) for v in (0.434, 9.87, 30.734, 99.96, 412.4, 0.0)] == ["0.43", "9.87", "30.7", "100", "412",
                                                                               "0.00"]
    window.resize(1024, 768)
    atlas = show_atlas(qtbot, window)
    ev = window.shown.snapshot.evaluation
    model = dataclasses.replace(window.shown.snapshot, evaluation=dataclasses.replace(ev, latents=ev.latents * 48.7))
    atlas.dashboard.show_latent(3, model, window.test_set.get("mnist"))
    qtbot.wait(100)
    captions = [tile.caption.text() for tile in atlas.dashboard.top_tiles]
    assert all(re.fullmatch(r"\d+(\.\d+)?\u202f·\u202f\d", c) and len(c.split("\u202f")[0]) <= 4 for c in captions)
    scroll = atlas.dashboard_scroll
    qtbot.waitUntil(lambda: scroll.horizontalScrollBar().maximum() == 0, timeout=2000)
    assert atlas.dashboard.width() >= atlas.dashboard.minimumSizeHint().width()


def test_a_model_of_fewer_latents_empties_the_dashboard_of_the_latent_it_lacks(qtbot, window, tiny_dataset):
    """Latent 20 chosen, then a model of 8 latents shown: the selection went, but the side panel
    kept the old model's decoder and encoder pictures and "Top 16 activating test digits, 13 are
    9s" above empty squares."""
    from sae_desktop.config import TrainConfig
    from sae_desktop.engine import train
    from sae_desktop.runs import RunFolder, recorded

    atlas = show_atlas(qtbot, window)
    atlas.select(20)
    dashboard = atlas.dashboard
    assert dashboard.decoder_tile.data is not None and dashboard.top_caption.text()
    cfg = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    assert window.model_files.open(run.checkpoint_path)
    qtbot.waitUntil(lambda: atlas.up_to_date().model is window.shown.snapshot, timeout=5000)
    assert atlas.selected is None and dashboard.title.text() == "Click a tile to inspect its latent"
    assert dashboard.decoder_tile.data is None and dashboard.encoder_tile.data is None
    assert dashboard.top_caption.text() == ""


def test_a_latent_active_on_a_handful_of_digits_has_no_class_said_of_it():
    """"Latent 224 · mostly 2s" of a latent active on one test digit."""
    from sae_desktop.atlas import class_verdict

    names = tuple(str(i) for i in range(10))
    one_two = np.zeros(10)
    one_two[2] = 0.003  # (the mean over the 2s of one 2's activation)
    assert class_verdict(one_two, names, active_on=1) == "active on 1 test digit only"
    assert class_verdict(one_two, names, active_on=3) == "active on 3 test digits only"
    assert class_verdict(one_two, names, active_on=40) == "mostly 2s"


def test_the_atlas_counts_dense_latents_as_the_training_header_does(qtbot, window):
    """ "dense latents 9" (Training) beside "3 over-active" (Atlas) read as two counts of one
    thing: the Atlas names both, each with its threshold, and its dense count is the header's."""
    base = ModelSnapshot.load(bundled_model_path())
    weights = {k: v.copy() for k, v in base.weights.items()}
    weights["b_enc2"][5] = 50.0  # always on: over-active (and dense)
    weights["b_enc2"][7] = 50.0
    window.shown.set(ModelSnapshot(base.config, weights, "edited", base.train_config))
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas = show_atlas(qtbot, window)
    ev = window.shown.snapshot.evaluation
    over = int((ev.density > 0.5).sum())
    assert ev.dense_latents > over >= 2  # the bundled model has dense latents that are not over-active
    text = atlas.status.text()
    assert f"{ev.dense_latents} dense (on\u00a0>\u00a010% of digits)" in text
    # never broken at its hyphen or after "(>" (at 1.5× it read "over-" / "active (> 50%)")
    assert f"{over} of them over\u2011active (>\u00a050%)" in text
    assert f"L0\u00a0{ev.l0:.2f}" in text  # (at 1440×900 "L0" ended a line, its value alone on the next)


def test_the_exported_atlas_says_in_plain_words_what_its_tiles_show(qtbot, window, tmp_path):
    """Its caption drew boxes for the status line's no-break characters (Pillow's font has none of
    them, nor "ü" or "ρ"), and said "(1 dead latents are not in the histogram)" of a file without one."""
    from PIL import Image, ImageFont

    from sae_desktop.qt.atlas_export import export_atlas, key_font

    base = ModelSnapshot.load(bundled_model_path())
    weights = {k: v.copy() for k, v in base.weights.items()}
    weights["b_enc2"][5] = 50.0  # always on: over-active
    weights["b_enc2"][3] = -50.0  # never on: dead, and left out of the window's density histogram
    window.shown.set(ModelSnapshot(base.config, weights, "edited", base.train_config))
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    atlas = show_atlas(qtbot, window)
    assert "not in the histogram" in atlas.status.text() and "over\u2011active" in atlas.status.text()
    assert "(1 dead latent is not in the histogram)" in atlas.status.text()  # (it read "1 dead latents are")
    description = Image.open(export_atlas(atlas, tmp_path / "atlas.png")).info["Description"]
    assert "histogram" not in description and not {"\u00a0", "\u2011"} & set(description)
    assert "1 dead" in description and "over-active (> 50%)" in description
    try:
        ImageFont.truetype("DejaVuSans.ttf", 14)
    except OSError:
        pytest.skip("no DejaVu Sans on this system: Pillow's own font")
    assert key_font(14).getname()[0] == "DejaVu Sans"


def test_an_atlas_exported_before_its_tab_was_shown_is_laid_out_as_the_tab_shows_it(qtbot, window, tmp_path):
    """Hidden, the tab had never been laid out: the file had the grid of a 640×480 widget (7 columns
    where the screen, once the tab was shown, had 8)."""
    from sae_desktop.qt.atlas_export import ATLAS_SCALE

    window.resize(1600, 700)  # a wide atlas area: more columns than a default-sized widget's
    qtbot.waitUntil(lambda: window.width() == 1600, timeout=2000)
    window.tabs.setCurrentWidget(window.training_view)
    atlas = window.atlas_view
    assert not atlas.isVisible()
    image = Image.open(export_atlas(atlas, tmp_path / "atlas.png"))
    exported = atlas.columns
    show_atlas(qtbot, window)
    qtbot.wait(50)  # laid out and painted
    assert atlas.columns == exported
    assert image.width == atlas.mosaic_image.shape[1] * ATLAS_SCALE  # the file's grid is the screen's


def _wheel(plot, modifiers) -> None:
    """A turn of the wheel over ``plot``, passed on to its parents while ignored, as Qt passes a
    real one (one sent by a test goes to its receiver only)."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    widget, at = plot.viewport(), plot.viewport().rect().center()
    while widget is not None:
        event = QWheelEvent(QPointF(at), QPointF(widget.mapToGlobal(at)), QPoint(0, 0), QPoint(0, -120),
                            Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
        event.ignore()
        QApplication.sendEvent(widget, event)
        if event.isAccepted() or widget.isWindow():
            break
        at, widget = widget.mapToParent(at), widget.parentWidget()


def test_the_wheel_over_the_dashboards_plots_scrolls_the_dashboard(qtbot, window):
    """pyqtgraph took the wheel: scrolling the dashboard stopped once a plot came under the
    mouse (the histogram's axis stayed below the fold at 1024×768) and zoomed the histogram.
    Ctrl+wheel still zooms the histogram."""
    from PySide6.QtCore import Qt

    window.resize(1024, 768)
    atlas = show_atlas(qtbot, window)
    atlas.select(0)
    dashboard = atlas.dashboard
    bar = atlas.dashboard_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    for plot in (dashboard.classes, dashboard.histogram):
        bar.setValue(0)
        before = plot.getViewBox().viewRange()
        _wheel(plot, Qt.KeyboardModifier.NoModifier)
        assert bar.value() > 0, plot
        assert plot.getViewBox().viewRange() == before
    bar.setValue(0)
    before = dashboard.histogram.getViewBox().viewRange()
    _wheel(dashboard.histogram, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == 0
    assert dashboard.histogram.getViewBox().viewRange() != before


def test_leaving_presentation_mode_gives_the_dashboards_width_back(qtbot, window):
    """The dashboard's column kept the least width presentation mode's larger text had needed:
    back in the normal window at 1024×768 it held the window 30 px wider than the screen."""
    window.resize(1024, 700)
    atlas = show_atlas(qtbot, window)
    atlas.select(0)
    qtbot.wait(50)
    scroll = atlas.dashboard_scroll
    before, width = scroll.minimumWidth(), window.width()
    window.view.set_presentation(True, remember=False)
    try:
        qtbot.wait(300)  # the layouts settle in the new font
        atlas.select(1)
        qtbot.waitUntil(lambda: scroll.minimumWidth() > before * 1.2, timeout=3000)
    finally:
        window.view.set_presentation(False, remember=False)
    needed = lambda: atlas.dashboard.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()  # noqa: E731
    qtbot.waitUntil(lambda: scroll.minimumWidth() == needed() < before * 1.2, timeout=3000)
    qtbot.waitUntil(lambda: window.width() == width, timeout=3000)


def test_the_dashboards_column_widens_to_a_picked_latents_content(qtbot, window):
    """The column was fitted to the dashboard's least width before its new captions were laid
    out, so it kept the width of the one before: at 1024×768 a picked latent's fourth column
    of top digits was cut, behind a sideways scroll bar."""
    atlas = show_atlas(qtbot, window)
    scroll = atlas.dashboard_scroll
    qtbot.wait(50)
    empty = atlas.dashboard.minimumSizeHint().width()
    atlas.select(1)
    qtbot.waitUntil(lambda: atlas.dashboard.minimumSizeHint().width() > empty, timeout=3000)  # (wider content)
    needed = lambda: atlas.dashboard.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()  # noqa: E731
    qtbot.waitUntil(lambda: scroll.minimumWidth() >= needed(), timeout=3000)


def test_the_by_class_charts_labels_are_two_lines_apart(qtbot):
    """Six labels, 0, 0.2, … 1.0, touched each other on the ~70-px chart."""
    from PySide6.QtGui import QFontMetrics

    from sae_desktop.qt.latent_dashboard import LatentDashboard

    dashboard = LatentDashboard()
    qtbot.addWidget(dashboard)
    axis = dashboard.classes.getAxis("left")
    line = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
    for size, top in ((70, 1.0), (95, 1.0), (70, 0.37), (300, 2.5)):
        spacing, values = axis.tickValues(0.0, top, size)[0]  # the labelled level
        assert len(values) >= 2 and spacing / top * size >= 2 * line, (size, top, spacing)
        assert round(spacing / 10 ** np.floor(np.log10(spacing)), 6) in (1, 2, 5)  # 1-2-5 steps


def test_each_tile_shows_its_latent_where_tiles_are_large_enough(qtbot, window, tmp_path):
    """In a lecture, "look at latent 12" meant counting tiles: each tile carries its number (on screen
    where tiles are drawn large enough to read it, and in the exported file)."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QTransform

    from sae_desktop.qt.atlas_mosaic import PAD, TILE
    from sae_desktop.qt.tile_numbers import MIN_TILE_PX, visible_numbers

    order = np.array([5, 3, 9, 1])
    view = QRectF(0, 0, 200, 200)
    large = QTransform.fromScale(2.0, 2.0)  # 56-px tiles
    assert [latent for latent, _ in visible_numbers(order, 2, TILE, PAD, large, view)] == [5, 3, 9, 1]
    assert visible_numbers(order, 2, TILE, PAD, QTransform.fromScale(1.0, 1.0), view) == []  # 28 px: none
    assert MIN_TILE_PX > 28
    corner = dict(visible_numbers(order, 2, TILE, PAD, large, view))[9]
    assert (corner.x(), corner.y()) == (2 * PAD, 2 * (PAD + TILE + PAD))  # the third tile: second row
    assert [latent for latent, _ in visible_numbers(order, 2, TILE, PAD, large, QRectF(0, 0, 100, 60))] == [5, 3]

    atlas = show_atlas(qtbot, window)  # the bundled model's 32 tiles, each well over 44 px here
    atlas.sort.setCurrentIndex(1)  # sorted: the first tile is not latent 0
    qtbot.waitUntil(lambda: atlas.plot.numbers.order.tolist() == atlas.order.tolist(), timeout=3000)
    first = atlas.plot.mapFromScene(atlas.plot.image.mapToScene(pg_point(PAD, PAD)))
    box = (first.x(), first.y(), 24, 14)

    def corner_pixels() -> np.ndarray:
        image = atlas.plot.grab().toImage()
        return np.array([[image.pixel(box[0] + dx, box[1] + dy) for dx in range(box[2])] for dy in range(box[3])])

    with_numbers = corner_pixels()
    atlas.plot.numbers.hide()
    without = corner_pixels()
    atlas.plot.numbers.show()
    assert (with_numbers != without).sum() > 20  # the number is drawn there
    exported = np.asarray(Image.open(export_atlas(atlas, tmp_path / "atlas.png")).convert("L"))
    from sae_desktop.qt.atlas_export import ATLAS_SCALE
    corner_box = exported[PAD * ATLAS_SCALE + 2:PAD * ATLAS_SCALE + 14, PAD * ATLAS_SCALE + 2:PAD * ATLAS_SCALE + 20]
    assert (corner_box == 255).sum() > 30 and (corner_box < 100).sum() > 5  # a white box, dark digits in it


def test_tile_numbers_take_the_windows_text_size(qtbot, window):
    """In presentation mode the numbers stayed 10 px, the smallest text on a projector."""
    from PySide6.QtGui import QFont, QFontMetrics

    from sae_desktop.qt.tile_numbers import number_font

    normal, presenting = QFont(window.font()), QFont(window.font())
    presenting.setPointSizeF(normal.pointSizeF() * 1.5)
    large_tile = 200.0
    sizes = [number_font(font, large_tile).pixelSize() for font in (normal, presenting)]
    assert sizes[1] > sizes[0] >= 9 and sizes[1] >= QFontMetrics(presenting).ascent() - 1
    assert number_font(presenting, 50.0).pixelSize() == 10  # a small tile: a fifth of it
    atlas = show_atlas(qtbot, window)
    try:
        window.view.set_presentation(True, remember=False)
        qtbot.waitUntil(lambda: atlas.plot.font().pointSizeF() >= 1.4 * normal.pointSizeF(), timeout=3000)
    finally:
        window.view.set_presentation(False, remember=False)  # (the mosaic's own font follows the window's)


def test_no_model_leaves_nothing_of_the_one_before(qtbot, window):
    """With no model shown, the Atlas kept the previous model's tiles, frames and numbers."""
    atlas = show_atlas(qtbot, window)
    assert atlas.mosaic_image is not None and len(atlas.plot.numbers.order) == 32
    atlas.select(3)
    assert atlas.dashboard.title.text().startswith("Latent 3")
    window.shown.set(None)
    qtbot.waitUntil(lambda: atlas.up_to_date().status.text() == "No model.", timeout=3000)
    assert atlas.mosaic_image is None and atlas.plot.image.image is None and len(atlas.plot.numbers.order) == 0
    assert all(frame.getData()[0] is None or len(frame.getData()[0]) == 0 for frame in atlas.plot.frames.values())
    assert atlas.dashboard.title.text() == "Click a tile to inspect its latent" and atlas.selected is None


def test_each_kind_of_tile_says_how_it_is_made(qtbot, window):
    """The encoder's tiles leave the hidden layer's ReLU out: an approximation nothing said."""
    from PySide6.QtCore import Qt

    kind = window.atlas_view.kind
    tips = [kind.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(kind.count())]
    assert "decoder's output with the latent on" in tips[0] and "ReLU left out (an approximation" in tips[1]


def test_a_latents_dashboard_gives_the_threshold_it_learned(qtbot, tiny_dataset):
    """A BatchTopK latent's histogram marked "active above 0" while its values start at θ (2.6):
    the real cut-off showed only as a gap; JumpReLU's own θⱼ was shown nowhere."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.qt.latent_dashboard import LatentDashboard
    from sae_desktop.snapshot import ModelSnapshot

    dashboard = LatentDashboard()
    qtbot.addWidget(dashboard)
    cfg = ModelConfig(d_hidden=16, d_latent=8, latent="jumprelu")
    weights = SparseAutoencoder(cfg).snapshot()
    thetas = np.array([0.05, 0.1, 0.2, 0.1, 0.3, 0.1, 0.1, 0.4], np.float32)
    weights["log_threshold"] = np.log(thetas)
    weights["b_enc2"] = np.full(8, 2.0, np.float32)  # every latent fires: none dead
    model = ModelSnapshot(cfg, weights, "jumprelu model")
    model = model.with_evaluation(model.evaluate(tiny_dataset.test_images[:200]))
    dashboard.show_latent(4, model, None)
    assert "fires above θ = 0.3" in dashboard.stats.text() and dashboard.threshold.value() == pytest.approx(0.3)
    cfg = ModelConfig(d_hidden=16, d_latent=8)  # sigmoid: its fixed rule, no θ
    model = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "sigmoid model")
    model = model.with_evaluation(model.evaluate(tiny_dataset.test_images[:200]))
    dashboard.show_latent(4, model, None)
    assert "θ" not in dashboard.stats.text() and dashboard.threshold.value() == pytest.approx(0.1)


def test_a_comparisons_plots_are_exported_with_their_tables_and_whose_they_are(qtbot, window, tiny_dataset,
                                                                                 tmp_path):
    """Compare's codes were not in File ▸ Export ▸ Plot: a researcher could not take the two codes
    away. Their CSV holds every latent's value for each digit shown; a PNG names the two runs."""
    from sae_desktop.architecture import NUMPY, encode_pre, latent_activation

    small = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")
    make_runs(tiny_dataset, [small, small.replace(penalty="topk", k=2)])
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    exports = window.exports
    assert {"Model A: latent codes (Runs, compared)", "Model B: latent codes (Runs, compared)"} <= set(exports.plots())
    with pytest.raises(ValueError, match="no data"):  # nothing compared yet
        export_plot(exports.plots()["Model B: latent codes (Runs, compared)"](), tmp_path / "none.csv")
    select_rows(runs.table, 0, 1)
    runs.compare_button.click()
    compare = runs.compare
    qtbot.waitUntil(lambda: compare.indices.size == 8, timeout=5000)
    b = compare.models[1]
    written = export_plot(exports.plots()["Model B: latent codes (Runs, compared)"](), tmp_path / "b.csv")
    with open(written, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["test digit", "label"] + [f"latent {j}" for j in range(8)] and len(rows) == 9
    test = window.test_set.get("mnist")
    index = int(rows[1][0])
    assert int(rows[1][1]) == int(test.labels[index])
    x = test.images[index].reshape(1, -1).astype(np.float32) / 255
    expected = latent_activation(encode_pre(b.weights, x, NUMPY), b.config, NUMPY, b.weights)[0]
    assert np.allclose([float(v) for v in rows[1][2:]], expected, atol=1e-5)  # the model's code, every latent
    plot = exports.plots()["Model A: latent codes (Runs, compared)"]()
    assert exports.caption(plot) == f"A: {compare.models[0].name}; B: {b.name}"
    assert exports.depicted(plot).endswith(f"_vs_{b.short_name}")
    image = export_plot(plot, tmp_path / "a.png", exports.caption(plot))
    assert Image.open(image).size[0] > 100


def test_the_frontier_says_its_two_l0_counts_apart(qtbot):
    """KL's L0 (latents above 0.1) and the ReLU mechanisms' (above 0) share one axis: nothing said
    that kl's is the kinder count."""
    from sae_desktop.qt.frontier_plot import FrontierPlot

    plot = FrontierPlot()
    qtbot.addWidget(plot)
    tip = plot.toolTip()
    assert "L0 counts a kl run's latents above 0.1 (a sigmoid is never 0), the others' above 0" in tip


def test_a_relu_latents_histogram_leaves_out_the_digits_it_is_off_on(qtbot, window):
    """A top-k latent's first bar held its 1 117 inactive digits (exactly 0), read on the log scale as many
    weak activations. A sigmoid latent's small values are activations: kept."""
    import dataclasses

    from sae_desktop.architecture import ModelConfig

    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    shown = window.shown.snapshot
    latents = shown.evaluation.latents.copy()
    latents[:, 3] = 0.0
    on = np.arange(0, len(latents), 3)
    latents[on, 3] = np.linspace(0.2, 0.9, len(on))  # on a third of the digits (within a sigmoid's range too)
    topk = dataclasses.replace(shown, config=ModelConfig(d_hidden=shown.config.d_hidden,
                                                           d_latent=shown.config.d_latent, latent="topk", k=4),
                               evaluation=dataclasses.replace(shown.evaluation, latents=latents, threshold=0.0))
    dashboard = atlas.dashboard
    dashboard.show_latent(3, topk, window.test_set.get("mnist"))
    assert int(dashboard.curve.csv_y.sum()) == len(on) and dashboard.curve.csv_y[0] == 0  # no bar of zeros
    assert "when on" in dashboard.histogram.getPlotItem().titleLabel.text
    sigmoid = dataclasses.replace(shown, evaluation=dataclasses.replace(shown.evaluation, latents=latents))
    dashboard.show_latent(3, sigmoid, window.test_set.get("mnist"))
    assert int(dashboard.curve.csv_y.sum()) == len(latents)  # every digit's value, the small ones too


def test_a_dead_latents_dashboard_tiles_are_faded_as_in_the_mosaic(qtbot, window):
    """A dead latent's "draws (decoder)" tile was at full strength beside its faded tile in the mosaic."""
    import dataclasses

    from sae_desktop.atlas import DEAD_FADE

    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)
    shown = window.shown.snapshot
    dashboard = atlas.dashboard
    tile = np.linspace(-1.0, 1.0, 784).reshape(28, 28)  # (as the atlas hands them over: normalised)
    dashboard.show_latent(4, shown, window.test_set.get("mnist"), tile, tile)
    live = np.abs(dashboard.decoder_tile.data).max()
    latents = shown.evaluation.latents.copy()
    latents[:, 4] = 0.0  # never active: dead
    dead = dataclasses.replace(shown, evaluation=dataclasses.replace(shown.evaluation, latents=latents))
    dashboard.show_latent(4, dead, window.test_set.get("mnist"), tile, tile)
    assert np.abs(dashboard.decoder_tile.data).max() == pytest.approx(DEAD_FADE * live, rel=1e-5)
