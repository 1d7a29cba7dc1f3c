"""Vertical reference lines stop under a plot's legend where it is across them, never through it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")


def _line_top(line) -> float:
    """The scene y of the line's upper end as drawn (its extent, not the view's)."""
    return line.mapRectToScene(line.boundingRect()).top()


def _line_x(line) -> float:
    return line.mapRectToScene(line.boundingRect()).center().x()


def _settle(qtbot, plot) -> None:
    plot.show()
    qtbot.waitUntil(lambda: plot.getViewBox().height() > 0)
    qtbot.wait(30)


def test_the_batchtopk_threshold_stops_under_a_centred_legend(qtbot):
    """A narrow histogram (1024×768: ~230 px) centres its legend, right over θ's dotted line."""
    from sae_desktop.qt.activation_histogram import ActivationHistogram

    plot = ActivationHistogram()
    qtbot.addWidget(plot)
    plot.resize(230, 240)
    rng = np.random.default_rng(0)
    theta = 1.2
    counts, edges = np.histogram(np.concatenate([np.zeros(9000), theta + rng.gamma(2, 0.6, 1000)]), bins=50)
    plot.set_histogram(counts, edges, 0.0, "epoch 3", fires_above=theta)
    plot.refresh()
    _settle(qtbot, plot)
    legend, view, line = plot.top_legend.legend, plot.getViewBox(), plot.threshold
    box = legend.sceneBoundingRect()
    assert box.left() < _line_x(line) < box.right()  # the legend is across the line here
    qtbot.waitUntil(lambda: _line_top(line) >= box.bottom())  # …and the line stops under it
    assert _line_top(line) < view.sceneBoundingRect().bottom() - 0.5 * view.height()  # still tall: not gone

    plot.resize(600, 240)  # room: the legend sits at the right, clear of θ, and the line spans the plot
    qtbot.waitUntil(lambda: legend.sceneBoundingRect().left() > _line_x(line))
    qtbot.waitUntil(lambda: _line_top(line) <= view.sceneBoundingRect().top() + 1)


def test_a_revival_line_and_its_label_stop_under_the_legend(qtbot):
    """Resampling's dashed "12 revived" line ran through the Sparsity legend, its label inside the frame."""
    from sae_desktop.qt.sparsity_plot import SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.resize(230, 240)
    for epoch in range(1, 4):
        plot.add_epoch(epoch, 30 - epoch, 40 - 5 * epoch)
    plot.add_revival(1.5, 12)
    plot.refresh()
    _settle(qtbot, plot)
    line = plot._revival_items[0]
    box = plot.legend.sceneBoundingRect()
    label = line.label.mapRectToScene(line.label.boundingRect())
    assert box.left() < label.center().x() < box.right()
    qtbot.waitUntil(lambda: _line_top(line) >= box.bottom())
    assert not line.label.mapRectToScene(line.label.boundingRect()).intersects(box)
    plot.clear_data()  # a new run: its lines removed from the plot and forgotten
    plot.legend.setVisible(False)
    plot.legend.setVisible(True)
    assert plot.top_legend._lines == []


def test_revival_labels_half_an_epoch_apart_do_not_run_together(qtbot):
    """Resampling at 1.5, 2 and 2.5 epochs: "6 revived" ran into "4 revived" beside it."""
    from sae_desktop.qt.sparsity_plot import SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.resize(420, 300)
    for epoch in range(1, 5):
        plot.add_epoch(epoch, 10.0, 20)
    for at, count in ((1.0, 0), (1.5, 12), (2.0, 6), (2.5, 4)):
        plot.add_revival(at, count)
    plot.refresh()
    _settle(qtbot, plot)
    labels = [line.label.mapRectToScene(line.label.boundingRect()) for line in plot._revival_items
              if getattr(line, "label", None) is not None]
    assert len(labels) == 3
    assert not any(a.intersects(b) for i, a in enumerate(labels) for b in labels[i + 1:])
