"""The probe's words: its headline (the error, or why there is none), which latents are clamped,
and a verdict said of the input while they are (plain text, no widgets)."""

from __future__ import annotations


def unsteered(verdict: str) -> str:
    """A verdict's text while latents are clamped: it judges the input, not the steered output
    beside it ("Typical: … 13% unexplained" under an MSE seven times a typical digit's read as the
    steered image's verdict)."""
    head, colon, rest = verdict.partition(":")
    return f"{head} (the input, clamps left out){colon}{rest}" if colon else f"{verdict} (the input, clamps left out)"


def clamp_list(clamps: dict[int, float]) -> str:
    """Every clamp and its value, for a tooltip: the note counts more than three."""
    return "Clamped: " + ", ".join(f"latent {j} to {v:.2f}" for j, v in sorted(clamps.items())) if clamps else ""


def clamp_note(clamps: dict[int, float], verb: str = "\u00a0clamped") -> str:
    """Which latents are steered: "latent 12 clamped", "latents 3, 12 clamped", or for more than
    three "5 latents clamped" ("1 latent clamped" left the audience to find which bar, unlabelled
    in the sorted view). No break inside: a narrow column wrapped "(1" / "latent clamped)".
    ``verb``: another ending (" will be clamped")."""
    if len(clamps) > 3:
        return f"{len(clamps)}\u00a0latents{verb}"
    numbers = ",\u00a0".join(str(latent) for latent in sorted(clamps))
    return f"latent{'s' * (len(clamps) > 1)}\u00a0{numbers}{verb}"


def headline(mse: float | None, clamps: dict[int, float], has_model: bool) -> tuple[str, str, str]:
    """The probe's headline, a shorter one for a narrow column, and its tooltip: the error with any
    clamps, or why there is none. With nothing to probe, clamps are said in the future tense (they
    outlive the input they were set on: unsaid, the next drawing came out steered unawares)."""
    if mse is None:
        waiting = f"  ({clamp_note(clamps, ' will be clamped')})" if clamps and has_model else ""
        head, short = ("No model loaded",) * 2 if not has_model else ("Nothing drawn yet", "Nothing drawn")
        return head + waiting, short + waiting, clamp_list(clamps) if waiting else ""
    # (in a column narrower than "Reconstruction", at 1024 px in presentation mode, the word was cut;
    # and in its two lines: "(latents 2, 14, 28 clamped)" made three, the lines below jumped down)
    steered = f"  ({clamp_note(clamps)})" if clamps else ""
    return (f"Reconstruction error (MSE) {mse:.4f}{steered}", f"Error (MSE) {mse:.4f}{steered}",
            clamp_list(clamps))
