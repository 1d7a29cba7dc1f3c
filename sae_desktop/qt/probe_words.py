"""The probe's words: its headline (the error, or why there is none), which latents are clamped,
the verdict as shown, and the input's line (plain and rich text, no widgets)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sae_desktop.qt.rich_text import tooltip_paragraphs
from sae_desktop.words import plural

if TYPE_CHECKING:
    from sae_desktop.probe_state import InputSource
    from sae_desktop.verdict import Verdict


def unsteered(verdict: str) -> str:
    """A verdict's text while latents are clamped: it judges the input, not the steered output
    beside it ("Typical: … 13% unexplained" under an MSE seven times a typical digit's read as the
    steered image's verdict)."""
    head, colon, rest = verdict.partition(":")
    return f"{head} (the input, clamps left out){colon}{rest}" if colon else f"{verdict} (the input, clamps left out)"


def clamp_list(clamps: dict[int, float]) -> str:
    """Every clamp and its value, for a tooltip: the note counts more than three."""
    return "Clamped: " + ", ".join(f"latent {j} to {v:.2f}" for j, v in sorted(clamps.items())) if clamps else ""


def clamp_note(clamps: dict[int, float], verb: str = "\u00a0clamped", brief: bool = False) -> str:
    """Which latents are steered: "latent 12 clamped", "latents 3, 12 clamped", or for more than
    three "5 latents clamped" ("1 latent clamped" left the audience to find which bar, unlabelled
    in the sorted view). No break inside: a narrow column wrapped "(1" / "latent clamped)".
    ``verb``: another ending (" will be clamped"); ``brief``: without "latent" ("12 clamped", for
    the narrowest column: at 1024×768 in presentation mode "(latent 16 clamped)" was cut)."""
    noun = "" if brief else f"latent{'s' * (len(clamps) > 1)}\u00a0"
    if len(clamps) > 3:
        return f"{len(clamps)}{verb}" if brief else f"{len(clamps)}\u00a0latents{verb}"
    numbers = ",\u00a0".join(str(latent) for latent in sorted(clamps))
    return f"{noun}{numbers}{verb}"


def headline(mse: float | None, clamps: dict[int, float], has_model: bool) -> tuple[str, tuple[str, ...], str]:
    """The probe's headline, shorter ones for a narrow column (tried in turn), and its tooltip: the
    error with any clamps, or why there is none. With nothing to probe, clamps are said in the
    future tense (they outlive the input they were set on: unsaid, the next drawing came out
    steered unawares)."""
    # last, two or three clamps counted (one unbreakable note: at 1024×768 in presentation mode
    # "(5, 17, 27 clamped)" was wider than the column, cut to "(5, 17, 27 clam"); which: on hover
    counted = [f"  ({len(clamps)}\u00a0{{}})"] if 1 < len(clamps) <= 3 else []
    if mse is None:
        waiting = f"  ({clamp_note(clamps, ' will be clamped')})" if clamps and has_model else ""
        head, short = ("No model loaded",) * 2 if not has_model else ("Nothing drawn yet", "Nothing drawn")
        fewer = [short + note.format(words) for words in ("latents will be clamped", "will be clamped")
                 for note in counted if waiting]
        return head + waiting, (short + waiting, *fewer), clamp_list(clamps) if waiting else ""
    # (in a column narrower than "Reconstruction", at 1024 px in presentation mode, the word was cut;
    # and in its two lines: "(latents 2, 14, 28 clamped)" made three, the lines below jumped down)
    steered = f"  ({clamp_note(clamps)})" if clamps else ""
    brief = f"  ({clamp_note(clamps, brief=True)})" if clamps else ""
    return (f"Reconstruction error (MSE) {mse:.4f}{steered}",
            (f"Error (MSE) {mse:.4f}{steered}", f"MSE {mse:.4f}{steered}", f"MSE {mse:.4f}{brief}",
             *(f"MSE {mse:.4f}" + note.format("clamped") for note in counted)),
            clamp_list(clamps))


BOLD_FOR_ITS_SIZE = " Drawn this small, the brush is too bold for it: draw it larger, or thin the brush ([)."


def verdict_text(verdict: Verdict, clamped: bool, colours: tuple[str, str, str],
                 drawing: bool = False) -> tuple[str, tuple[str, ...], str]:
    """The verdict as the probe shows it: its message, the shorter forms a narrow view takes
    (down to the verdict and its rank: presentation mode, a narrow window), coloured by its kind
    (``colours``: typical, unusual, not a digit, the theme's), and its tooltip (the whole message
    and what its figures mean). Said of the input while latents are ``clamped`` (:func:`unsteered`).
    A ``drawing`` too bold to be strokes is told what to do (a small 7 drawn with the 22-px brush read
    "A dot, not pen strokes: 3.5 px wide once thinned…", and no more)."""
    typical, unusual, not_digit = colours
    flagged = not_digit if verdict.digit_like is False else ""
    colour = {"typical": typical, "unusual": unusual}.get(verdict.kind, flagged)

    def coloured(text: str) -> str:
        return f"<span style='color:{colour}'>{text}</span>" if colour else text

    message, *shorter = (unsteered(text) if clamped else text for text in (verdict.message, *verdict.shorter))
    if drawing and verdict.kind == "filled" and "not pen strokes" in message:
        message += BOLD_FOR_ITS_SIZE
    tooltip = tooltip_paragraphs([message, *verdict.glossary.splitlines()])
    return coloured(message), tuple(map(coloured, shorter)), tooltip


def without_lists(text: str) -> str:
    """``text`` without its parenthesised lists (" (PNG, JPEG, …)"; not a name's " (1)"): a shorter form."""
    return re.sub(r" \([^()]*, [^()]*\)", "", text)


def bare_source(source: InputSource) -> str:
    """What the input is, without a file's notes and its own suffix: for a file name ("file cloth_003_5096",
    an export was named "…_file_cloth_003_5096_png_the_sheet_alone_cut_out_of_the_photo")."""
    return re.sub(r"\.\w{1,5}$", "", source.describe(notes=False))


def code_titles(source: InputSource, clamps: dict[int, float]) -> tuple[str, str]:
    """The latent code's title in a file (whose code, steered by which clamps: its orange bars), and
    the words its file is named by (without a file's notes and the bars' colour, "…_clamped_orange.csv")."""
    steered = f", {clamp_note(clamps)}".replace("\u00a0", " ") if clamps else ""
    return (f"Latent code of {source.describe()}{steered}" + " (orange)" * bool(clamps),
            f"Latent code of {bare_source(source)}{steered}")


ON_CANVAS = "on the canvas as the model takes it"


def source_line(source: InputSource, only_label: str | None = None) -> tuple[str, ...]:
    """The line naming the probed input, then shorter forms (for a narrow column, in its two lines):
    without a file's notes, then without what the canvas shows, then without the filter; ``only_label``:
    the test digits' label filter, said where the browser that shows it is hidden (presentation mode: R
    kept giving 2s, the filter out of sight)."""
    name, bare = f"Input: {source.describe()}", f"Input: {source.describe(notes=False)}"
    only = f" (R picks only {plural(only_label)})" if only_label else ""
    if source.kind == "file" or (source.based_on is not None and source.based_on.kind == "file"):
        # what the canvas shows is the model's input (preprocess.as_drawn), not the file: a faint photo's
        # noise, stretched, read as bold strokes beside "Too faint (contrast 13%)"
        return f"{name}{only}; {ON_CANVAS}", f"{bare}{only}; {ON_CANVAS}", bare + only, bare
    return (name + only, name) if only else (name,)
