"""The README's frontier plot: test MSE against L0 for every mechanism of the reference frontier.

    python benchmarks/frontier_plot.py [--json sae_desktop/resources/reference_frontier.json] [--out resources/screenshots/frontier.png]

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
    from sae_desktop.qt.runs_view import PENALTY_COLOURS
    from sae_desktop.runs import reference_frontier

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    runs = reference_frontier(Path(args.json))
    plot = pg.PlotWidget()
    plot.resize(760, 460)
    style_plot(plot, "MNIST, 32 latents: reconstruction vs sparsity", "test MSE", "L0 (active latents per image)")
    plot.addLegend(offset=(-10, 10), pen="#c8c8c8", brush=(255, 255, 255, 230))
    symbols = {"k": "k", "beta": "β", "l1": "λ", "l0_coeff": "λ₀"}
    for mechanism, colour in PENALTY_COLOURS.items():
        mine = sorted((r for r in runs if r["mechanism"] == mechanism), key=lambda r: r["l0"])
        if not mine:
            continue
        revival = " + AuxK" if mine[0].get("auxk") else " + resampling" if mine[0].get("resample") else ""
        plot.plot([r["l0"] for r in mine], [r["test_mse"] for r in mine], pen=pg.mkPen(colour, width=2), symbol="o",
                  symbolSize=9, symbolBrush=colour, symbolPen=None, name=mechanism + revival)
        labelled: list[tuple[float, float]] = []
        below = mechanism in ("batchtopk", "jumprelu")  # below their points: topk's and l1's are above
        for r in mine:  # each point's setting beside it (one label for points on top of each other)
            if any(abs(r["l0"] - x) < 1.0 and abs(r["test_mse"] - y) < 2e-3 for x, y in labelled):
                continue
            labelled.append((r["l0"], r["test_mse"]))
            label = pg.TextItem(f"{symbols.get(r['setting'], r['setting'])}={r['value']:g}", color=colour,
                                anchor=(-0.1, -0.1) if below else (-0.1, 1.1))
            label.setPos(r["l0"], r["test_mse"])
            plot.addItem(label)
    plot.addItem(pg.InfiniteLine(4, angle=90, pen=pg.mkPen("#999999", style=pg.QtCore.Qt.PenStyle.DotLine)))
    plot.setXRange(0, max(r["l0"] for r in runs) * 1.12 + 0.5, padding=0)
    plot.show()
    app.processEvents()
    exporter = pyqtgraph.exporters.ImageExporter(plot.plotItem)
    exporter.parameters()["width"] = 1520
    exporter.export(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
