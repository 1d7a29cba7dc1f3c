"""The Training tab's header in words: a run's figures, their glossary, their shorter forms for a
narrow header, and where a continued run goes on from."""

from __future__ import annotations

from sae_desktop.evaluation import DENSE_DENSITY, Evaluation
from sae_desktop.events import RunStart, where_in_run

# the header's word for the run's status, before what it says
WHILE = {"pausing": "Pausing", "paused": "Paused", "stopping": "Stopping"}


def shorter_forms(text: str) -> list[str]:
    """The header's shorter forms, each tried where the one before does not fit: its figures'
    short names, then one figure fewer at a time from the end (mean activation, dense, dead, L0,
    FVU), the test MSE kept (in presentation mode with the run's name in front, even the short
    form was cut: "…L0 21.55 dead 0 de…"; the whole is in the tooltip)."""
    short = compact(text)
    head, colon, figures = short.rpartition(":  ")
    parts = figures.split("  ") if colon else []
    # a sentence of clauses keeps its first ("…; earlier runs are in the Runs t…" at 1024 px)
    first, semicolon, _ = short.partition("; ")
    clause = [f"{first}."] if semicolon and not colon else []
    return [short] + [f"{head}{colon}{'  '.join(parts[:n])}" for n in range(len(parts) - 1, 0, -1)] + clause


def compact(text: str) -> str:
    """The header in fewer characters, where it does not fit whole (at 1440 px, with the run's name
    in front, it ended "…mean activatio…"): the figures' short names, one space apart."""
    for long, short in (("dead latents", "dead"), ("dense latents", "dense"), ("mean activation", "mean act."),
                        ("   ", "  ")):  # ("test MSE" kept whole: "MSE 0.02562" read as the training loss)
        text = text.replace(long, short)
    return text


def resumed_from(start: RunStart) -> str:
    """Where a resumed run continues: "after epoch 1", or "from step 757 (during epoch 2)"."""
    inside = start.start_step != start.start_epoch * start.steps_per_epoch
    where = where_in_run(start.start_epoch, inside)
    return f"from step {start.start_step} ({where})" if inside else where


def glossary(ev: Evaluation) -> list[str]:
    return ["test MSE: mean squared error of the test digits' reconstructions (pixels 0-1)",
            "FVU: fraction of variance unexplained, the MSE over the test images' own variance "
            "(0 perfect, 1 no better than the mean image)",
            f"L0: latents active per image, on average (active: above {ev.threshold:g})",
            "dead latents: active on no test image; dense latents: active on more than "
            f"{DENSE_DENSITY:.0%} of the test images (with L0 {ev.l0:.1f} of {ev.latents.shape[1]}, "
            f"a latent is active on {ev.l0 / max(ev.latents.shape[1], 1):.0%} of images on average)",
            "mean activation: the latents' mean activation over the test images"]


def run_figures(ev: Evaluation) -> str:
    """The header's figures; latents are counted ("dense 100%" beside "dead latents 0" read as
    a share of the images, or of something dense)."""
    return (f"test MSE {ev.test_mse:.5f}   FVU {ev.fvu:.3f}   L0 {ev.l0:.2f}   dead latents {ev.dead_latents}   "
            f"dense latents {ev.dense_latents}   mean activation {ev.rho_hat.mean():.4f}")
