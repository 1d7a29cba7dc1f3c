"""The training plots as a user meets them: a zoom stays while the run goes on, labels and
legends sit where data is not, empty and tiny runs have sensible axes; a dead latent says so."""

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from sae_desktop.config import TrainConfig
from sae_desktop.evaluation import Evaluation
from sae_desktop.events import RunStart, IntervalOutput

CFG = TrainConfig(epochs=3, batch_size=64, d_hidden=32, d_latent=32, device="cpu")


@pytest.fixture
def view(qtbot, gui_window):
    gui_window.tabs.setCurrentWidget(gui_window.training_view)
    qtbot.waitExposed(gui_window.training_view)
    return gui_window.training_view


def start(view, cfg=CFG, history=(), start_step=None):
    """As the engine says it (10 steps an epoch): resumed after ``history``'s epochs, or at ``start_step``."""
    step = 10 * len(history) if start_step is None else start_step
    view.on_started(RunStart(cfg, "cpu", 640, 160, 10, len(history), list(history), "fast", step, step > 0))


def step(view, n, loss=0.05, rho=None):
    view.on_step(IntervalOutput(n, 1 + n // 10, (n % 10) / 10, loss, 0.1 * loss, 1.1 * loss, 1000.0, 1e-3,
                            np.full(32, 0.05) if rho is None else rho))


def wheel_zoom(plot, steps=3):
    """What a mouse wheel over the plot does (pyqtgraph zooms and stops following the data)."""
    viewport = plot.viewport()
    centre = QPointF(viewport.rect().center())
    for _ in range(steps):
        event = QWheelEvent(centre, QPointF(viewport.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(viewport, event)


def test_a_users_zoom_stays_while_training_until_auto_range(qtbot, view):
    start(view)
    for n in range(1, 40):
        step(view, 10 * n, loss=0.1 / n)
    view.sparsity_plot.add_epoch(1, 5.0, 2)
    view.rho_plot.set_test_values(np.linspace(0, 0.1, 32), "epoch 1")
    view.refresh_all()
    for plot in (view.loss_plot, view.sparsity_plot, view.rho_plot):
        wheel_zoom(plot)
        zoomed = plot.getViewBox().viewRange()
        assert not all(plot.getViewBox().autoRangeEnabled())
        for n in range(40, 80):
            step(view, 10 * n, loss=0.3)
        view.sparsity_plot.add_epoch(2, 9.0, 1)
        view.rho_plot.set_test_values(np.linspace(0, 0.3, 32), "epoch 2")
        view.refresh_all()
        plot.scene().prepareForPaint()
        assert np.allclose(plot.getViewBox().viewRange(), zoomed), type(plot).__name__  # not reset by refreshes
    loss = view.loss_plot
    loss.getPlotItem().autoBtnClicked()  # the "A" button
    loss.scene().prepareForPaint()
    (x0, x1), (y0, y1) = loss.getViewBox().viewRange()
    assert x1 >= 790 and y1 >= 0.33  # follows the data again, all of it
    wheel_zoom(loss)
    start(view)  # a new run is framed afresh
    assert all(loss.getViewBox().autoRangeEnabled())


def scene_rect(plot, x0, y0, x1, y1):
    return plot.getViewBox().mapViewToScene(QRectF(QPointF(x0, y0), QPointF(x1, y1))).boundingRect()


def texts_in(plot):
    """Every label, note and legend drawn inside the plot's data area, as scene rectangles."""
    box = plot.getViewBox()
    found = []
    for item in plot.scene().items():
        if isinstance(item, (pg.TextItem, pg.InfLineLabel, pg.LegendItem)) and item.isVisible() \
                and box.sceneBoundingRect().intersects(item.sceneBoundingRect()):
            found.append((item, item.sceneBoundingRect()))
    return found


def bar_rects(plot, heights):
    return [scene_rect(plot, x - 0.4, 0, x + 0.4, h) for x, h in enumerate(heights)]


def settle(qtbot, plot):
    qtbot.wait(20)
    plot.scene().prepareForPaint()


def test_loss_legend_is_never_over_the_curves_even_in_log_scale_after_a_resume(qtbot, view):
    history = [{"epoch": e, "step": 10 * e, "metrics/test_mse": 0.04, "metrics/l0": 5.0, "metrics/dead_latents": 0}
               for e in (1, 2)]
    start(view, CFG.replace(epochs=6), history)
    for n in range(21, 80):
        step(view, n, loss=0.01 * 1.04 ** n)  # rising to the top right, where legends go
    view.log_y.setChecked(True)
    view.refresh_all()
    plot = view.loss_plot
    settle(qtbot, plot)
    x = plot.steps.view(0)
    points = [plot.getViewBox().mapViewToScene(QPointF(float(a), float(np.log10(b))))
              for a, b in zip(x, plot.steps.view(4))]
    labels = texts_in(plot)
    assert labels
    for _, rect in labels:
        assert not any(rect.contains(p) for p in points)


def test_the_header_says_where_a_resumed_run_continues(qtbot, view):
    """A run stopped at step 757 and continued read "continuing after epoch 1" while the panel's
    note said "from step 757, inside epoch 2"."""
    history = [{"epoch": 1, "step": 10, "metrics/test_mse": 0.04, "metrics/l0": 5.0, "metrics/dead_latents": 0}]
    start(view, CFG, history)
    assert view.summary.text().endswith("continuing after epoch 1")
    start(view, CFG, history, start_step=17)
    assert view.summary.text().endswith("continuing from step 17 (during epoch 2)")
    start(view, CFG)
    assert "continuing" not in view.summary.text()


def test_mean_activation_labels_never_cover_bars_or_the_target_line(qtbot, view):
    start(view)
    plot = view.rho_plot
    for values in (np.full(32, 0.1), np.zeros(32)):  # above the target ρ everywhere; all dead (lr = 10)
        plot.set_test_values(values, "epoch 10")
        view.refresh_all()
        settle(qtbot, plot)
        bars = bar_rects(plot, values)
        line = scene_rect(plot, -0.5, CFG.rho, 31.5, CFG.rho)
        labels = texts_in(plot)
        assert labels  # the target ρ is named
        for item, rect in labels:
            assert not any(rect.intersects(bar) for bar in bars if bar.height() > 0), item
            assert not rect.intersects(line.adjusted(0, -1, 0, 1)), item
    assert "test set, epoch 10" in plot.getAxis("bottom").labelText  # said under the axis


def test_no_legend_names_what_a_top_k_run_does_not_draw(qtbot, view):
    """A penalty with no target ρ draws no mean-activation legend (it showed as an empty box),
    and top-k's losses legend has no entry for the sparsity curve it hides."""
    def names():
        return [label.text for _, label in view.loss_plot.top_legend.legend.items]

    start(view, CFG.replace(penalty="topk", k=4))
    plot = view.rho_plot
    assert plot.rho is None and not plot.top_legend.legend.isVisible()
    assert plot.top_legend.share() == 0.0  # and keeps no band for it
    # nor for a total that is the reconstruction (drawn over it, the legend named a blue curve no one saw)
    assert names() == ["reconstruction (= total)", "test MSE (per epoch)"]
    assert not view.loss_plot.smooth[3].isVisible() and not view.loss_plot.raw[3].isVisible()
    start(view, CFG.replace(penalty="topk", k=4, auxk=1 / 32))  # with AuxK the total is more: its term drawn, named
    assert names() == ["reconstruction", "AuxK (weighted)", "total", "test MSE (per epoch)"]
    assert view.loss_plot.smooth[3].isVisible() and view.loss_plot.smooth[2].isVisible()
    view.on_step(IntervalOutput(10, 1, 1.0, 0.05, 0.0, 0.07, 1000.0, 1e-3, np.full(32, 0.05)))  # total = recon + AuxK
    view.refresh_all()
    from sae_desktop.qt.plot_files import plot_table
    header, rows = plot_table(view.loss_plot)
    assert rows[0][header.index("AuxK (weighted) (per report)")] == pytest.approx(0.02)
    assert not any(name.startswith("sparsity") for name in header)
    start(view)  # the tutorial's KL: its target and its sparsity curve are named again
    assert plot.rho == CFG.rho and plot.top_legend.legend.isVisible()
    assert names() == ["reconstruction", "sparsity (weighted)", "total", "test MSE (per epoch)"]
    start(view, CFG.replace(beta=0.0))  # KL at β = 0: no target pulls the latents (it read "target ρ = 0.05")
    assert plot.rho is None and not plot.top_legend.legend.isVisible()


def test_the_histogram_names_its_threshold_line_with_its_value(qtbot, view):
    start(view)
    plot = view.histogram
    # no histogram yet: no line, and no legend naming a threshold it cannot give
    assert not plot.threshold.isVisible() and not plot.top_legend.legend.isVisible()
    assert plot.curve.getData()[0] is None  # empty axes, not a flat line at 0 % that reads as data
    assert plot.top_legend.reserve.dataBounds(1)[1] == 100.0  # no band kept for it: the axis ends at 100 %
    plot.set_histogram(np.array([5.0, 1.0]), np.array([0.0, 0.1, 1.0]), 0.1, "epoch 1")
    plot.refresh()
    assert plot.threshold.isVisible() and plot.top_legend.legend.isVisible() and plot.threshold.value() == 0.1
    assert [label.text for _, label in plot.top_legend.legend.items] == ["active above 0.1"]  # as the probe says it
    plot.set_histogram(np.array([99.0, 1.0]), np.array([0.0, 0.1, 1.0]), 0.1, "epoch 2")  # a TopK's zeros
    plot.refresh()
    settle(qtbot, plot)
    assert plot.top_legend.reserve.dataBounds(1)[1] > 100  # the legend's band above the bars…
    low, high = plot.getViewBox().viewRange()[1]
    ticks = [v for _, values in plot.getAxis("left").tickValues(low, high, 200) for v in values]
    assert high > 100 and 100 in ticks and max(ticks) == 100  # … with no share above 100 % on its axis
    plot.clear_data()  # the next run
    assert not plot.threshold.isVisible() and not plot.top_legend.legend.isVisible()
    assert plot.curve.getData()[0] is None


def test_probe_line_labels_sit_above_the_bars(qtbot, gui_window):
    probe = gui_window.probe_view
    gui_window.tabs.setCurrentWidget(probe)
    probe.browser.index.setValue(4)
    heights = np.full(32, 0.9, np.float32)
    probe.bars.set_latents(heights)
    settle(qtbot, probe.bars)
    labels = texts_in(probe.bars)
    assert labels  # "active above" is still said
    for _, rect in labels:
        assert not any(rect.intersects(bar) for bar in bar_rects(probe.bars, heights))


def test_a_run_stopped_at_its_first_report_has_sane_axes(qtbot, view):
    start(view)
    step(view, 50, loss=0.06)
    view.refresh_all()
    settle(qtbot, view.loss_plot)
    (x0, x1), (y0, y1) = view.loss_plot.getViewBox().viewRange()
    assert -5 <= x0 <= 0 and 50 <= x1 <= 80  # step 0 to the report, not ±500
    assert -0.01 <= y0 <= 0 and 0.066 <= y1 <= 0.2  # from 0 to above the report, no negative losses


def test_a_run_paused_or_stopped_at_its_first_report_shows_that_report(qtbot, view):
    """One report is a line of one point, which draws nothing: the plot was blank under a header
    saying "Stopped at step 32: MSE 0.18174" (the CSV held the point)."""
    from sae_desktop.qt.loss_plot import TOTAL

    start(view)
    step(view, 32, loss=0.18)
    view.refresh_all()
    settle(qtbot, view.loss_plot)
    total = view.loss_plot.smooth[TOTAL]
    assert total.opts["symbol"] == "o"  # a marker where a line cannot be
    centre = view.loss_plot.mapFromScene(view.loss_plot.getViewBox().mapViewToScene(QPointF(32, 1.1 * 0.18)))
    image = view.loss_plot.grab().toImage()
    background = image.pixelColor(centre.x(), centre.y() - 30)
    assert image.pixelColor(centre.x(), centre.y()) != background  # drawn
    step(view, 64, loss=0.1)  # two reports: a line again, no markers on it
    view.refresh_all()
    assert total.opts["symbol"] is None


def test_the_losses_csv_has_no_column_for_a_curve_the_plot_leaves_out(qtbot, view):
    """A top-k run's losses CSV had a "sparsity (weighted)" column of 1e-12 (the log scale's floor)."""
    from sae_desktop.qt.plot_files import plot_table

    start(view, CFG.replace(penalty="topk", k=4))
    view.on_step(IntervalOutput(10, 1, 1.0, 0.05, 0.0, 0.05, 1000.0, 1e-3, np.full(32, 0.05)))
    view.refresh_all()
    header, rows = plot_table(view.loss_plot)
    assert not any("sparsity" in name for name in header) and 1e-12 not in rows[0]
    assert not any(name.startswith("total") for name in header)  # the reconstruction's twin
    start(view)  # KL: its sparsity, as it is (zero, say, not 1e-12)
    view.on_step(IntervalOutput(10, 1, 1.0, 0.05, 0.0, 0.05, 1000.0, 1e-3, np.full(32, 0.05)))
    view.refresh_all()
    header, rows = plot_table(view.loss_plot)
    assert rows[0][header.index("sparsity (weighted) (per report)")] == 0.0


def test_sparsity_plot_of_a_short_run_shows_only_its_epochs(qtbot, view):
    start(view, CFG.replace(epochs=2))
    settle(qtbot, view.sparsity_plot)
    (x0, x1), _ = view.sparsity_plot.getViewBox().viewRange()
    assert 0 <= x0 <= 1 and 2 <= x1 < 3  # epochs 1 and 2, no ticks up to 9


def test_a_dead_latents_dashboard_says_never_active(qtbot, gui_window):
    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)
    gui_window.resize(1024, 768)
    snap = gui_window.shown.snapshot
    latents = snap.evaluation.latents.copy()
    latents[:, 5] = 0.0
    dead = replace(snap, evaluation=Evaluation(snap.evaluation.per_sample_mse, latents, snap.evaluation.threshold))
    atlas = gui_window.atlas_view
    gui_window.tabs.setCurrentWidget(atlas)
    gui_window.shown.set(dead)
    qtbot.waitUntil(lambda: atlas.mosaic_image is not None, timeout=5000)
    qtbot.waitUntil(lambda: gui_window.test_set.get(dead.dataset) is not None, timeout=10000)
    atlas.select(5)
    board = atlas.dashboard
    assert "never active" in board.top_caption.text().lower()
    assert "Density 0 ·" in board.stats.text() and "inf" not in board.stats.text()  # not "log10 = -inf"
    assert all(tile.data is None for tile in board.top_tiles)  # no 16 arbitrary digits at 0.00
    assert not any(tile.isVisibleTo(board) for tile in board.top_tiles)  # nor 16 empty squares, nor an empty
    assert not board.classes.isVisibleTo(board) and not board.histogram.isVisibleTo(board)  # chart and histogram
    assert board.curve.getData()[0] is None or len(board.curve.getData()[0]) == 0  # no block from 0 to 2.5e-08
    atlas.select(0 if not dead.evaluation.dead[0] else int(np.flatnonzero(~dead.evaluation.dead)[0]))
    assert len(board.curve.getData()[0]) > 0 and "never" not in board.top_caption.text().lower()
    assert all(tile.isVisibleTo(board) for tile in board.top_tiles) and board.histogram.isVisibleTo(board)


def title_fits(plot):
    label = plot.getPlotItem().titleLabel
    return label.item.boundingRect().width() <= label.boundingRect().width() + 1


def test_no_text_is_cut_at_1024_by_768(qtbot, gui_window):
    from PySide6.QtGui import QFontMetrics

    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)
    gui_window.resize(1024, 768)
    training = gui_window.training_view
    gui_window.tabs.setCurrentWidget(training)
    plots = (training.loss_plot, training.rho_plot, training.histogram, training.sparsity_plot)
    # (once the layouts have settled at the new size: after other tests, 100 ms was not always enough)
    qtbot.waitUntil(lambda: all(title_fits(plot) for plot in plots), timeout=3000)
    atlas = gui_window.atlas_view
    gui_window.tabs.setCurrentWidget(atlas)
    qtbot.waitUntil(lambda: atlas.mosaic_image is not None, timeout=5000)
    live = np.flatnonzero(~atlas.model.evaluation.dead)  # (a dead latent's dashboard hides its histogram)
    atlas.select(int(live[live >= 3][0]) if (live >= 3).any() else int(live[0]))
    qtbot.wait(100)
    for combo in (atlas.kind, atlas.sort):
        widest = max(QFontMetrics(combo.font()).horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
        assert combo.width() >= widest + 20, combo.currentText()  # room for the text and the arrow
    assert title_fits(atlas.dashboard.histogram) and title_fits(atlas.density_plot)


def test_a_legend_whose_view_box_is_gone_changes_size_quietly(qtbot):
    """While a closed window is deleted, a legend's geometry may change after its view box's
    C++ object is gone: pyqtgraph's anchor raised in the event loop (CI); now it is ignored."""
    import shiboken6

    from sae_desktop.qt.plot_style import add_legend

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    legend = add_legend(plot)
    gone = pg.ViewBox()
    shiboken6.delete(gone)
    legend._GraphicsWidgetAnchor__parent = gone  # the state a legend is in while its window is deleted
    legend.geometryChanged.emit()  # pytest-qt fails the test on an exception in the handler
    legend._GraphicsWidgetAnchor__parent = plot.getPlotItem().vb
    legend.geometryChanged.emit()  # a live parent: anchored as before


def test_before_a_run_the_losses_axis_follows_the_planned_epochs(qtbot, view):
    """Set to 3 epochs, the empty plot kept the 10-epoch default's 0-586 steps."""
    view.preview(CFG.replace(epochs=3, batch_size=100))  # 600 steps an epoch (60 000 images)
    assert view.loss_plot.top_legend.reserve.dataBounds(0)[1] == pytest.approx(3 * 600 / 8)
    start(view)  # a run says its own length (3 epochs of 10 steps here)
    step(view, 1)
    view.preview(CFG.replace(epochs=50))  # and the panel no longer frames its plot
    assert view.loss_plot.top_legend.reserve.dataBounds(0)[1] == pytest.approx(CFG.epochs * 10 / 8)


def test_before_a_run_the_losses_legend_names_the_curves_the_panels_run_will_draw(qtbot, view):
    """Beside a BatchTopK panel the empty plot's legend named a "sparsity (weighted)" and a "total"
    curve, which its run has not: it names the panel's run's curves, as that run's start will."""
    def names():
        return [label.text for _, label in view.loss_plot.top_legend.legend.items]

    view.preview(CFG.replace(penalty="batchtopk", k=4))
    assert names() == ["reconstruction (= total)", "test MSE (per epoch)"]
    from sae_desktop.qt.plot_style import COLORS

    scatter = view.loss_plot.test.scatter.opts  # the test MSE's sample: its dot as the run draws it (it was a
    assert scatter["size"] == 7 and scatter["brush"].color() == pg.mkColor(COLORS["test"])  # grey-blue one)
    view.preview(CFG.replace(penalty="l1"))
    assert names() == ["reconstruction", "sparsity (weighted)", "total", "test MSE (per epoch)"]


def test_start_clears_the_previous_runs_curves_at_once(qtbot, view):
    """Under "Starting a new run…" the previous run's losses, bars and histogram stayed up for
    ~0.5 s, until the new run's first event: they go when Start is pressed."""
    start(view)
    for n in (1, 2, 3):
        step(view, n)
    view.refresh_all()
    assert len(view.loss_plot.steps) == 3 and view.rho_plot.values is not None
    view.run.new_run()  # what Start does, before the worker answers
    assert "Starting a new run" in view.summary.text()
    drawn = view.loss_plot.raw[3].getData()[0]  # (the total's faint line)
    assert len(view.loss_plot.steps) == 0 and (drawn is None or len(drawn) == 0)
    assert view.rho_plot.values is None and view.rho_plot.n == 32  # (the same number of bars' room)


def test_an_epochs_panels_are_redrawn_with_the_header_that_states_them(qtbot, view, gui_window):
    """Each panel waited its turn of the rationed redraws: "Completed 3 epochs" stood beside
    "activation, epoch 2" for up to 3 s on a busy machine."""
    from sae_desktop.events import EpochOutput

    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)
    evaluation = gui_window.shown.snapshot.evaluation
    start(view)
    step(view, 9)
    view.on_epoch(EpochOutput(1, 10, 0.05, 1.0, 0.1, evaluation, {}, {}))
    assert "After epoch 1/" in view.summary.text()
    assert not any(plot.dirty for plot in (view.loss_plot, view.rho_plot, view.histogram, view.sparsity_plot))
    assert "epoch 1" in view.histogram.getPlotItem().getAxis("bottom").labelText


def test_live_axes_move_in_steps_not_at_every_report(qtbot, view):
    """Redrawing an axis's ticks at every refresh was a fifth of the window's work during
    training: the losses' x extent moves in eighths of the planned run, the mean activation's
    top to the next round number."""
    from sae_desktop.qt.plot_frame import nice_ceiling, stepped

    assert stepped(1.0, 4690) == pytest.approx(586.25) and stepped(587, 4690) == pytest.approx(1172.5)
    assert [nice_ceiling(v) for v in (0.05, 0.051, 0.13, 7.0, 9.5)] == pytest.approx([0.05, 0.06, 0.15, 8.0, 10.0])
    start(view, CFG.replace(epochs=8))  # 8 epochs of 10 steps: eighths of 10 steps
    loss, rho = view.loss_plot, view.rho_plot
    extents, tops = [loss.top_legend.reserve.dataBounds(0)[1]], []  # before any report: the first eighth
    for n in (1, 4, 9, 10, 11):
        step(view, n, rho=np.full(32, 0.1 + 0.002 * n))  # the mean activation rises a little at each report
        view.refresh_all()
        extents.append(loss.top_legend.reserve.dataBounds(0)[1])
        tops.append(rho.top_legend.reserve.dataBounds(1)[1])
    assert extents == [10, 10, 10, 10, 10, 20]  # never shrinking at the first report (it had from 80 to 10)
    assert len(set(tops)) == 1 and max(rho.values) <= tops[0]  # one frame for all five, over every bar


def test_the_losses_title_says_what_the_faint_lines_are(qtbot, view):
    """Each curve is drawn twice (faint per report, bold smoothed) and the legend names one line
    per curve: the faint ones read as unlabelled data."""
    plot = view.loss_plot
    title = plot.getPlotItem().titleLabel.text
    assert "faint, where they differ: each report" in title and "bold: smoothed" in title  # (often they do not)
    assert all(item.opts["pen"].color().alpha() < 100 for item in plot.raw.values())  # they are the faint ones


def test_the_smoothed_losses_follow_a_short_runs_reports(qtbot, view):
    """Smoothed over ~7 reports, the bold line ran 25-60 % above the reports it smooths for the
    whole of a 1-epoch run while its losses fell (the test MSE dot sat below it); a long run's
    bold line still smooths its reports' noise."""
    plot = view.loss_plot
    for epochs, noise in ((1, 0.0), (50, 0.01)):
        plot.clear_data(469 * epochs)
        rng = np.random.default_rng(0)
        steps = np.arange(32, 469 * epochs, 32)
        falling = 0.04 + 0.16 * np.exp(-steps / (100.0 * epochs)) + noise * rng.normal(size=steps.size)
        for step, loss in zip(steps, falling):
            plot.add_step(IntervalOutput(int(step), 1, 0.5, float(loss), 0.0, float(loss), 1e3, 1e-3, np.zeros(32)))
        smooth, raw = plot.steps.view(4), plot.steps.view(1)  # reconstruction: smoothed, per report
        if epochs == 1:
            assert np.max(np.abs(smooth[2:] - raw[2:]) / raw[2:]) < 0.1
        else:  # its ups and downs evened out (half an epoch's memory here: 1 % of 50 epochs)
            assert np.std(np.diff(smooth[-100:])) < 0.3 * np.std(np.diff(raw[-100:]))


def test_the_smoothed_losses_do_not_depend_on_the_runs_plan(qtbot, view):
    """Smoothed over a share of the planned steps, the same reports drew other curves for another
    plan: continuing a 3-epoch run for 3 more redrew its first 3 epochs, and a 20-epoch plan stopped
    in its first epoch drew the bold line far above every report (0.117 where they read 0.07)."""
    plot = view.loss_plot
    steps = np.arange(32, 469 * 3, 32)
    falling = 0.04 + 0.16 * np.exp(-steps / 300.0) + 0.01 * np.random.default_rng(0).normal(size=steps.size)
    drawn = []
    for planned in (469 * 3, 469 * 6, 469 * 20):
        plot.clear_data(planned)
        for step, loss in zip(steps, falling):
            plot.add_step(IntervalOutput(int(step), 1, 0.5, float(loss), 0.0, float(loss), 1e3, 1e-3, np.zeros(32)))
        drawn.append(plot.steps.view(4).copy())
    assert all(np.array_equal(drawn[0], other) for other in drawn[1:])
    early = steps < 469
    assert np.max(np.abs(drawn[0][early] - falling[early]) / falling[early]) < 0.15  # near the first epoch's reports


def test_the_loss_curves_draw_what_a_pixel_shows_and_export_every_report(qtbot, view, tmp_path):
    """At 2300 reports the bold curves' antialiased strokes took half a 23 ms paint (5 points per
    pixel, pyqtgraph's default), painted on every visit to the tab during training."""
    from sae_desktop.qt.plot_files import plot_table

    start(view, CFG.replace(epochs=50))  # 640 steps an epoch: 32 000 planned
    rng = np.random.default_rng(0)
    reports = range(0, 32000, 7)  # ~4 reports per pixel across the whole run
    for n in reports:
        step(view, n, 0.05 + 0.1 / (1 + n / 500) + 0.005 * rng.random())
    plot = view.loss_plot
    plot.refresh()
    plot.enableAutoRange()
    qtbot.wait(50)
    width = plot.getPlotItem().getViewBox().width()
    assert len(reports) > 4 * width
    assert plot.smooth[1].getData()[0].size <= width  # a point per 1-2 px: smooth anyway
    assert plot.raw[1].getData()[0].size <= 3.05 * width  # each pixel's extremes …
    assert plot.raw[1].getData()[1].max() == pytest.approx(max(plot.steps.view(1)))  # … every spike stays
    header, rows = plot_table(plot)  # the exported table has every report
    assert len(rows) == len(reports)


def test_the_test_mse_markers_are_set_once_per_epoch_not_per_report(qtbot, view, monkeypatch):
    start(view)
    plot = view.loss_plot
    calls = []
    real = plot.test.setData
    monkeypatch.setattr(plot.test, "setData", lambda *a, **k: (calls.append(a), real(*a, **k)))
    for n in range(30):
        step(view, n)
        plot.refresh()
    assert calls == []  # reports only: the markers were rebuilt with each (~1 ms a refresh)
    plot.add_epoch(20, 0.04)
    step(view, 31)
    plot.refresh()
    plot.refresh()
    assert len(calls) == 1 and list(calls[0][1]) == [0.04]
    start(view)  # a new run: its markers start empty
    assert len(calls) == 2 and len(calls[1][0]) == 0


def test_a_refresh_moves_the_plots_range_before_it_is_painted_not_during(qtbot, gui_window):
    """New losses that move the loss plot's range: pyqtgraph moved it at the start of the next
    paint, and the items that marked dirty asked for another paint of the whole plot straight
    after (during training the loss plot was painted 78 times where 56 do). The plots are brought
    up to date before they are painted (plot_style.settle). (A paint can still move it again: an
    axis whose labels got wider takes room from the view, and pyqtgraph lays it out anew.)"""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    from sae_desktop.events import IntervalOutput

    window, view = gui_window, gui_window.training_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: not view.staggered.held)
    view.timer.stop()  # the refreshes come from the test
    painting, moves, painted = [False], [], []

    class Painting(QObject):  # from a paint event's delivery to the next turn of the event loop
        def eventFilter(self, obj, event):  # noqa: N802 (Qt naming)
            if event.type() == QEvent.Type.Paint:
                painting[0] = True
                painted.append(time.monotonic())
                QTimer.singleShot(0, lambda: painting.__setitem__(0, False))
            return False

    watcher = Painting()
    view.loss_plot.viewport().installEventFilter(watcher)
    view.loss_plot.clear_data(1000)
    start = time.monotonic()  # the empty run's frame painted, and nothing more for a while
    qtbot.waitUntil(lambda: time.monotonic() - max(painted[-1:] + [start]) > 0.25, timeout=5000)
    view.loss_plot.getViewBox().sigRangeChanged.connect(lambda *_: moves.append(painting[0]))
    rho = np.zeros(32, np.float32)
    for step in range(1, 11):
        view.loss_plot.add_step(IntervalOutput(step, 1, 0.01 * step, 0.05 * step, 0.1, 0.06 * step, 1000.0, 1e-3, rho))
    view._ticks = 1  # the next refresh is the losses'
    view.refresh()
    qtbot.wait(300)
    assert moves and moves[0] is False  # the new data's range: set before the paint, not inside it


@pytest.mark.parametrize("width", [250, 420])
def test_sparsity_epoch_ticks_leave_room_for_their_labels(qtbot, width):
    """At 1024×768, 20 epochs read "0 2 4 6 8 10121416 1820": ten ticks whatever the width."""
    from PySide6.QtGui import QFontMetrics

    from sae_desktop.qt.sparsity_plot import SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.resize(width, 220)
    plot.show()
    qtbot.waitExposed(plot)
    plot.clear_data(planned_epochs=20)
    for epoch in range(1, 21):
        plot.add_epoch(epoch, 5.0, 1)
    plot.refresh()
    settle(qtbot, plot)
    axis = plot.getAxis("bottom")
    (x0, x1), _ = plot.getViewBox().viewRange()
    major, values = axis.tickValues(x0, x1, axis.width())[0]
    label = QFontMetrics(axis.style.get("tickFont") or axis.font()).horizontalAdvance("20")
    assert major == int(major) and len(values) >= 3  # whole epochs, and a few of them
    assert major * axis.width() / (x1 - x0) >= label + 6  # apart by more than a label's width


def test_a_header_too_long_for_its_room_shortens_its_figures_before_cutting_them(qtbot, view):
    """With the run's name in front, at 1440 px the header ended "…mean activatio…"."""
    from sae_desktop.qt.training_header import compact

    text = ("Run 20261203-233356-mnist-kl · After epoch 1/50:  test MSE 0.05948   FVU 0.984   L0 3.98   dead "
            "latents 0   dense latents 8   mean activation 0.1183")
    view.summary.setText(text, compact(text))
    metrics = view.summary.fontMetrics()
    short = compact(text)
    assert short.endswith("mean act. 0.1183") and "dead 0" in short and len(short) < len(text) - 20
    view.summary.resize((metrics.horizontalAdvance(text) + metrics.horizontalAdvance(short)) // 2, 30)
    assert view.summary.shown_text() == short  # whole, in its short form
    view._say(text)  # the view gives the short form itself
    assert view.summary.shown_text() == compact(view.summary.text())
    # narrower still (presentation mode, the run's name in front): the figures give way from the end,
    # whole, before anything is cut ("…L0 21.55 dead 0 de…"), the test MSE last
    from sae_desktop.qt.training_header import shorter_forms

    idle = "No run in this window yet: press Start (Ctrl+Return) to train; earlier runs are in the Runs tab."
    assert shorter_forms(idle) == [idle, idle.split(";")[0] + "."]  # before any run: the first clause whole
    forms = shorter_forms(text)
    ends = [form.rsplit("  ", 1)[-1].split(" ")[0] for form in forms]
    assert forms[0] == short and ends == ["mean", "dense", "dead", "L0", "FVU", "test"]  # ("test MSE": not the loss)
    for wider, narrower in zip(forms, forms[1:]):
        view.summary.resize((metrics.horizontalAdvance(wider) + metrics.horizontalAdvance(narrower)) // 2, 30)
        assert view.summary.shown_text() == narrower


def test_the_headers_text_keeps_clear_of_the_log_scale_check_box(qtbot, view):
    """"…mean activation 2.6225☐ Log-scale losses": the text ran up to the box."""
    view.summary.setText("x" * 400)  # more than fits: it fills its room
    qtbot.wait(20)
    right = view.summary.mapTo(view, view.summary.rect().topRight()).x()
    assert view.log_y.mapTo(view, view.log_y.rect().topLeft()).x() - right >= 12


def test_every_live_latent_of_512_gets_a_bar_on_screen(qtbot):
    """With 512 latents a bar is under a pixel wide: 9 live latents were drawn as 3 bars, the
    tallest missing, beside a header saying "dead 503"."""
    from sae_desktop.qt.plot_style import COLORS
    from sae_desktop.qt.rho_hat_plot import RhoHatPlot

    plot = RhoHatPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 300)
    plot.show()
    values = np.zeros(512)
    live = [93, 101, 160, 182, 201, 345, 355, 379, 487]
    values[live] = [6.0, 1.0, 0.8, 0.5, 5.0, 5.2, 0.4, 0.9, 1.5]
    plot.set_test_values(values, "epoch 1")
    plot.refresh()
    qtbot.wait(20)
    image = plot.grab().toImage()
    pixels = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(image.width())]
                       for y in range(image.height() - 60)])  # (above the axis and its labels)
    bar = [int(COLORS["bars"][i:i + 2], 16) for i in (1, 3, 5)]
    columns = (np.abs(pixels - bar).sum(axis=2) < 60).any(axis=0)
    drawn = np.flatnonzero(np.diff(np.concatenate([[0], columns.astype(int)])) == 1)
    assert len(drawn) == len(live)


def test_sparsity_draws_l0_and_dead_latents_each_on_its_own_axis(qtbot, view, tmp_path):
    """A TopK run of 512 latents: L0 ~4 drawn on one axis with ~500 dead latents lay flat on 0.
    L0 has the left axis, the dead latents the right one (0 to the dictionary's size), both
    from one 0 line; the files keep both curves."""
    import csv

    from sae_desktop.qt.plot_files import export_plot
    from sae_desktop.qt.plot_style import COLORS

    start(view, CFG.replace(d_latent=512, penalty="topk", k=4, epochs=4))
    plot = view.sparsity_plot
    for epoch, (l0, dead) in enumerate(((4.2, 480), (4.0, 497), (3.9, 503)), 1):
        plot.add_epoch(epoch, l0, dead)
    view.refresh_all()
    settle(qtbot, plot)
    box, right = plot.getViewBox(), plot.right_axis.box

    def height(vb, y: float) -> float:  # px above the plot's bottom edge
        return vb.sceneBoundingRect().bottom() - vb.mapViewToScene(QPointF(2.0, y)).y()

    zero = height(box, 0.0)
    assert height(right, 0.0) == pytest.approx(zero, abs=1)  # one 0 line for both axes
    span = box.sceneBoundingRect().height()
    assert height(box, 4.0) - zero > 0.4 * span  # L0 is read on its axis, not flat on 0
    assert height(right, 497) - zero > 0.4 * span  # the dead latents of 512
    assert height(right, 512) - zero < span  # the whole dictionary in view
    assert "512" in plot.getAxis("right").labelText
    assert [label.text for _, label in plot.legend.items] == ["L0 (left)", "dead (right)"]
    right_ticks = [v for _, values in plot.getAxis("right").tickValues(*right.viewRange()[1], span) for v in values]
    assert right_ticks and max(right_ticks) <= 512  # no "800" dead of 512 above the dictionary's size
    with open(export_plot(plot, tmp_path / "sparsity.csv")) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "L0: active per image", "dead latents"] and rows[2] == ["2", "4", "497"]
    svg = (export_plot(plot, tmp_path / "sparsity.svg")).read_text()
    assert svg.count(COLORS["dead"].lower()) >= 4 and svg.count(COLORS["l0"].lower()) >= 4  # bars and curve drawn


def test_the_activation_threshold_is_seen_in_either_theme(qtbot):
    """A fixed dark grey dotted line all but vanished on the dark theme's plot."""
    from PySide6.QtGui import QColor

    from sae_desktop.qt import theme
    from sae_desktop.qt.activation_histogram import ActivationHistogram

    plot = ActivationHistogram()
    qtbot.addWidget(plot)
    sample = plot.top_legend.legend.items[0][0].item  # the legend's line
    try:
        for t in (theme.DARK, theme.LIGHT):
            theme.apply(t)
            for pen in (plot.threshold.pen, sample.opts["pen"]):
                colour, background = QColor(pg.mkPen(pen).color()), QColor(t.plot_background)
                assert abs(colour.lightnessF() - background.lightnessF()) > 0.5, t
    finally:
        theme.apply(theme.LIGHT)


def test_a_legend_with_no_room_for_its_inset_is_centred_over_the_data(qtbot):
    """At 1024×768 the Sparsity plot's data area was a few px wider than its legend: anchored
    10 px in from the right, the legend ran over the left axis, its markers on the tick labels."""
    from sae_desktop.qt.sparsity_plot import SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.resize(400, 240)
    plot.show()
    qtbot.wait(50)
    view, legend = plot.getViewBox(), plot.legend

    def edges():
        box, data = legend.sceneBoundingRect(), view.sceneBoundingRect()
        return box.left() - data.left(), data.right() - box.right()

    assert edges()[1] == pytest.approx(10, abs=1)  # room: 10 px in from the right
    for _ in range(20):  # narrow it until the legend has less than its inset to spare
        spare = view.width() - legend.boundingRect().width()
        if 0 < spare < 8:
            break
        plot.resize(plot.width() - round(spare) + 4, 240)
        qtbot.wait(20)
    assert 0 < view.width() - legend.boundingRect().width() < 8
    left, right = edges()
    assert left >= 0 and right >= 0 and abs(left - right) <= 1  # inside the data area, centred


def test_log_scale_loss_labels_never_run_together(qtbot):
    """Zoomed into the log-scale losses, "0.01", "0.009" and "0.008" were drawn on top of each
    other (pyqtgraph labels every 1…9 × 10ⁿ tick); a label is kept only a text line from the
    others, decades first. All ticks stay."""
    from PySide6.QtGui import QFontMetrics

    from sae_desktop.qt.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 320)
    plot.show()
    assert plot.getAxis("left").labelText == "loss"
    plot.set_log_y(True)
    axis = plot.getAxis("left")
    assert axis.labelText == "loss (log scale)"  # (a grabbed or exported plot did not say it)
    for low, high in ((0.0015, 0.045), (0.004, 0.2), (0.02, 0.12)):
        plot.setYRange(np.log10(low), np.log10(high), padding=0)
        qtbot.wait(20)
        lo, hi = axis.range
        placed, ticks = [], 0
        for spacing, values in axis.tickValues(lo, hi, axis.height()):
            ticks += len(values)
            for value, text in zip(values, axis.tickStrings(values, 1.0, spacing)):
                if text:
                    placed.append(((value - lo) / (hi - lo) * axis.height(), text))
        placed.sort()
        room = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
        assert len(placed) >= 2 and ticks > len(placed) or ticks == len(placed)
        assert all(b[0] - a[0] >= room for a, b in zip(placed, placed[1:])), (low, high, placed)
        decades = [t for _, t in placed if t in ("0.001", "0.01", "0.1")]
        assert decades, placed  # a decade in range keeps its label


def test_the_sparsity_plot_says_its_two_deads_are_counted_differently(qtbot, view):
    """"Came back" (AuxK's revivals, in training) shared the right axis with the test set's dead
    latents, and nothing said they count differently (3 came back while 11 fewer were dead)."""
    from sae_desktop.config import AUXK_DEAD_AFTER

    tip = view.sparsity_plot.toolTip()
    assert f"silent for {AUXK_DEAD_AFTER:,} training images" in tip and "not the test set's" in tip
    assert "active on no test image" in tip


@pytest.mark.parametrize(("width", "height"), [(340, 300), (340, 260), (340, 230), (900, 230)])
def test_a_tall_legend_in_a_short_plot_is_still_never_over_the_data(qtbot, width, height):
    """In presentation mode (larger text, a smaller window) the sparsity plot's three-row legend took
    more than the 60 % of the plot its band could have: it lay over the L0 curve, washed out behind it."""
    from PySide6.QtGui import QFont

    from sae_desktop.qt.plot_style import scale_plot
    from sae_desktop.qt.sparsity_plot import SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.resize(340, 420)
    plot.show()
    plot.planned_epochs = 2
    for epoch, (l0, dead) in enumerate(((3.96, 9), (3.97, 6)), 1):
        plot.add_epoch(epoch, l0, dead)
    plot.add_revival(1.0, 1, "auxk")
    plot.add_revival(2.0, 3, "auxk")
    plot.refresh()  # the run has ended: no refresh after this
    settle(qtbot, plot)
    plot.setFont(QFont(plot.font().family(), 16))  # presentation mode: larger text, a smaller plot
    scale_plot(plot, 1.6)
    plot.resize(width, height)
    qtbot.wait(50)
    settle(qtbot, plot)
    box = plot.getViewBox()
    points = [box.mapViewToScene(QPointF(float(e), float(v))) for e, v in zip(plot.series.view(0), plot.series.view(1))]
    legend = plot.legend.sceneBoundingRect()
    assert len(plot.legend.items) == 3
    assert not any(legend.contains(p) for p in points), (legend, points)
    assert (plot.legend.columnCount > 1) == (width > 340)  # a wide plot: its entries side by side


@pytest.mark.parametrize("position", [2.07, 2.6])
def test_the_stops_dead_bar_stands_clear_of_its_last_epochs_bar(qtbot, position):
    """Stopped at 2.07 epochs, the stop's dashed bar stood inside epoch 2's bar (9 dead both), hard to read: it
    stands just after it; a stop later in the epoch stays where it came."""
    from sae_desktop.qt.sparsity_plot import BAR_WIDTH, STOP_WIDTH, SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    for epoch, dead in ((1, 19), (2, 9)):
        plot.add_epoch(epoch, 4.0, dead)
    plot.set_stop(position, 4.0, 9, 970)
    plot.refresh()
    x = plot.stop_dead.opts["x"][0]
    assert x - STOP_WIDTH / 2 > 2 + BAR_WIDTH / 2  # no overlap
    assert x == position if position == 2.6 else x < 2.45  # (just after it)
    assert list(plot.stop_l0.getData()[0]) == [position]  # the L0 point where the stop came
