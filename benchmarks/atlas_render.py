"""Feature atlas: render time for 32, 512 and 1024 latents, and how it responds to clicks and zooms.

    python benchmarks/atlas_render.py [--data-dir D] [--visible]

For each size: a model (the bundled one for 32 latents, freshly initialised 512- and 1024-latent ones)
with test-set statistics, shown in the real main window (offscreen unless --visible); then
times the atlas's full render (tiles, mosaic, frames, density histogram, dashboard, repaint),
a click on a tile (dashboard with its top digits), and a zoom step plus a pan step with
repaint. Uses the real MNIST test set when found (``--data-dir``/``$SAE_DESKTOP_DATA``),
else random digits.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from common import open_window, window_benchmark_args


def main() -> int:
    window_benchmark_args(__doc__)
    from PySide6.QtCore import QPointF

    from sae_desktop.config import ModelConfig
    from sae_desktop.data import DatasetError, load_dataset
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    try:
        images = load_dataset("mnist").test_images
    except DatasetError:
        images = (np.random.default_rng(0).random((10000, 28, 28)) ** 4 * 255).astype(np.uint8)
    app, window = open_window()
    atlas = window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    app.processEvents()

    def timed(fn, repeats=5) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            app.processEvents()
            times.append((time.perf_counter() - t) * 1e3)
        return statistics.median(times)

    bundled = ModelSnapshot.load(bundled_model_path())
    wide = [ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), f"{cfg.d_latent} latents")
            for cfg in (ModelConfig(d_latent=512), ModelConfig(d_latent=1024))]
    for snap in (bundled, *wide):
        snap = snap.with_evaluation(snap.evaluate(images))
        window.shown.set(snap)
        app.processEvents()
        n = snap.config.d_latent
        render = timed(atlas.refresh)
        click = timed(lambda n=n: atlas.select(int(np.random.randint(n))))
        box = atlas.plot.getViewBox()
        zoom = timed(lambda box=box: box.scaleBy((0.9, 0.9)), repeats=10)
        pan = timed(lambda box=box: box.translateBy(QPointF(3, 2)), repeats=10)
        print(f"atlas_{n}_latents_render_ms {render:.1f}")
        print(f"atlas_{n}_latents_click_ms {click:.1f}")
        print(f"atlas_{n}_latents_zoom_step_ms {zoom:.1f}")
        print(f"atlas_{n}_latents_pan_step_ms {pan:.1f}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
