"""Stroke → updated latents and reconstruction, on the drawing canvas (target p95 ≤ 16 ms).

    python benchmarks/stroke_latency.py [--segments 300] [--visible]

Draws strokes on the probe's canvas in the real main window (offscreen unless --visible)
and times each full cycle: the stroke segment painted into the canvas, MNIST preprocessing,
encode and decode with the shown (bundled) model, the image tiles and latent bars updated,
and the window repainted. Prints p50, p95 and max in milliseconds. Needs no dataset.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from common import open_window, window_benchmark_args


def main() -> int:
    args = window_benchmark_args(__doc__, lambda p: p.add_argument("--segments", type=int, default=300))
    from PySide6.QtCore import QPointF


    app, window = open_window()
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    app.processEvents()
    canvas = view.canvas
    side = min(canvas.width(), canvas.height())
    x0, y0 = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    timings = []
    for i in range(args.segments):
        if i % 60 == 0:
            canvas.end_stroke()
            canvas.clear()
            canvas.begin_stroke(QPointF(x0 + 0.3 * side, y0 + 0.3 * side))
        angle = i / 60 * 2 * math.pi
        point = QPointF(x0 + side * (0.5 + 0.25 * math.cos(angle)), y0 + side * (0.5 + 0.3 * math.sin(angle)))
        t = time.perf_counter()
        canvas.continue_stroke(point)  # paints the segment; the view's throttle may defer its update…
        view.update_probe()  # … so run the update now, as the throttle's next tick would
        app.processEvents()  # and repaint the window
        timings.append((time.perf_counter() - t) * 1e3)
    timings = np.array(timings[10:])
    print(f"stroke_to_update_p50_ms {np.percentile(timings, 50):.2f}")
    print(f"stroke_to_update_p95_ms {np.percentile(timings, 95):.2f}")
    print(f"stroke_to_update_max_ms {timings.max():.2f}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
