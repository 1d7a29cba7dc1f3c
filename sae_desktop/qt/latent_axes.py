"""The latent bars' axes: activation values that end at the bars' top, a latent's number under as
many bars as there is room for, and the names of the lines across them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

STEPS = tuple(m * 10 ** e for e in range(6) for m in (1, 2, 5))  # 1, 2, 5, 10 … (100 left 1024 latents one label)


class CappedAxis(pg.AxisItem):
    """An axis whose values end at ``cap`` (the bars' top): the band above for the legend had
    ticks of its own, "1.5" over sigmoid latents that end at 1."""

    cap: float | None = None

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph naming)
        levels = super().tickValues(minVal, maxVal, size)
        if self.cap is None:
            return levels
        return [(spacing, [v for v in values if v <= self.cap * (1 + 1e-9)]) for spacing, values in levels]


def bar_ticks(order: np.ndarray, n: int, pixels_per_bar: float, room: float,
              clamps) -> tuple[int, list[tuple[int, str]]]:
    """The step between labelled bars (each label needs ``room`` px) and the ticks (position, the
    latent's number) under the first ``n`` bars, which show the latents ``order``; ``clamps``: the
    clamped latents."""
    step = next((s for s in STEPS if s * pixels_per_bar >= room or s >= n), n)
    # a clamped bar has its number (sorted, every other bar's label left the steered one unnamed)
    # unless another clamped one's is too near (side by side, "14" and "19" read "1419"; the header
    # names up to three clamps), and the regular labels too near them give way
    clamped: list[int] = []
    for p in np.flatnonzero(np.isin(order[:n], list(clamps))):
        if not clamped or p - clamped[-1] >= step:
            clamped.append(int(p))
    # none whose label would run past the plot's end ("100(" of 1000 among 1024 latents)
    last = int(n - 0.5 - room / 2 / pixels_per_bar) if step > 1 and pixels_per_bar > 0 else n
    regular = [p for p in range(0, n, step) if all(abs(p - c) >= step for c in clamped) and (p == 0 or p <= last)]
    return step, [(p, str(int(order[p]))) for p in sorted(set(regular) | set(clamped))]


def line_names(config, shared: float | None, thetas: bool, rho: float | None) -> list[tuple[str, str, str]]:
    """The legend's entries for the lines across the bars of a model with ``config`` (its sigmoid latents'
    "active" line, BatchTopK's ``shared`` threshold, JumpReLU's ``thetas``, the KL target ``rho``): (the
    line's key, its name, a shorter one)."""
    active = f"{config.active_threshold:g}"
    named = [("threshold", f"active above {active}", f"active > {active}")] if config.latent == "sigmoid" else []
    named += [("threshold", f"fires above θ = {shared:.3g}", f"fires > {shared:.3g}")] if shared else []
    named += [("theta", "threshold θⱼ (each latent's)", "θⱼ (each latent's)")] if thetas else []
    # a target for each latent's mean over digits, drawn over one digit's code: "mean" says so ("target ρ")
    return named + ([("target", f"target mean ρ = {rho:g}", f"target mean ρ = {rho:g}")] if rho is not None else [])
