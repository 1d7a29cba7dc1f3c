"""The README's frontier plot: test MSE against L0 for every mechanism of the reference frontier.

    python benchmarks/frontier_plot.py [--json sae_desktop/resources/reference_frontier.json]
                                       [--out resources/screenshots/frontier.png]

Drawn with pyqtgraph, offscreen, in the Runs tab's colours; one line per mechanism through its
points in order of L0, a dotted line at L0 = 4 (where the README compares them).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(ROOT / "sae_desktop" / "resources" / "reference_frontier.json"))
    parser.add_argument("--out", default=str(ROOT / "resources" / "screenshots" / "frontier.png"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6.QtWidgets import QApplication

    from sae_desktop.qt.plot_style import style_plot
    from sae_desktop.qt.frontier_plot import PENALTY_COLOURS
    from sae_desktop.run_list import reference_frontier

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    runs = reference_frontier(Path(args.json))
    plot = pg.PlotWidget()
    plot.resize(760, 460)
    style_plot(plot, "MNIST, 32 latents: reconstruction vs sparsity", "test MSE", "L0 (active latents per image)")
    plot.addLegend(offset=(-10, 10), pen="#c8c8c8", brush=(255, 255, 255, 230))
    symbols = {"k": "k", "beta": "β", "l1": "λ", "l0_coeff": "λ₀"}
    x_max = max(r["l0"] for r in runs) * 1.12 + 0.5
    y_low, y_high = min(r["test_mse"] for r in runs), max(r["test_mse"] for r in runs)
    # pixels per data unit (the exported plot's data area is ~1300 × 680 px), to keep labels apart
    sx, sy = 1300 / x_max, 680 / ((y_high - y_low) * 1.1)
    taken = [_box(r["l0"] * sx, r["test_mse"] * sy, 14, 14, (0.5, 0.5)) for r in runs]  # the points
    for mechanism, colour in PENALTY_COLOURS.items():
        mine = sorted((r for r in runs if r["mechanism"] == mechanism), key=lambda r: r["l0"])
        if not mine:
            continue
        revival = " + AuxK" if mine[0].get("auxk") else " + resampling" if mine[0].get("resample") else ""
        plot.plot([r["l0"] for r in mine], [r["test_mse"] for r in mine], pen=pg.mkPen(colour, width=2), symbol="o",
                  symbolSize=9, symbolBrush=colour, symbolPen=None, name=mechanism + revival)
        for r in mine:  # each point's setting beside it, where no other label or point is
            text = f"{symbols.get(r['setting'], r['setting'])}={r['value']:g}"
            x, y = r["l0"] * sx, r["test_mse"] * sy
            size = (13 * len(text) + 8, 30)
            anchors = [(-0.1, 1.1), (-0.1, -0.1), (1.1, 1.1), (1.1, -0.1), (0.5, 1.4), (0.5, -0.4)]
            boxes = [_box(x, y, *size, anchor) for anchor in anchors]
            free = [i for i, box in enumerate(boxes) if not any(_overlap(box, other) for other in taken)]
            best = free[0] if free else min(range(len(boxes)), key=lambda i: sum(_overlap(boxes[i], o) for o in taken))
            taken.append(boxes[best])
            label = pg.TextItem(text, color=colour, anchor=anchors[best])
            label.setPos(r["l0"], r["test_mse"])
            plot.addItem(label)
    plot.addItem(pg.InfiniteLine(4, angle=90, pen=pg.mkPen("#999999", style=pg.QtCore.Qt.PenStyle.DotLine)))
    plot.setXRange(0, x_max, padding=0)
    plot.show()
    app.processEvents()
    exporter = pyqtgraph.exporters.ImageExporter(plot.plotItem)
    exporter.parameters()["width"] = 1520
    exporter.export(args.out)
    print(f"wrote {args.out}")
    return 0


def _box(x: float, y: float, width: float, height: float, anchor: tuple[float, float]):
    """A label's box in pixels (y up) for a TextItem anchored at (x, y): anchor (0, 0) puts the
    text's top-left corner there, (1, 1) its bottom-right."""
    left, top = x - anchor[0] * width, y + anchor[1] * height
    return left, top - height, left + width, top


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


if __name__ == "__main__":
    sys.exit(main())
