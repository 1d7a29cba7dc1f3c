"""The Atlas's words: its legend (what the tiles' colours and frames mean), its status line
(the model's latents counted) and a tile's tooltip, kept apart from the view that shows them."""

from __future__ import annotations

from sae_desktop.atlas import OVER_ACTIVE_DENSITY, over_active
from sae_desktop.colour import BLUE, DARK_BLUE, DARK_RED, RED
from sae_desktop.evaluation import DENSE_DENSITY, Evaluation
from sae_desktop.qt.plot_style import COLORS
from sae_desktop.words import counted

KINDS = ("Decoder: what it draws", "Encoder: what it looks for")
KIND_TIPS = ("What the latent writes: the decoder's output with the latent on (at its largest: 1 for sigmoid "
             "latents, their ceiling, else its largest on the test set) minus its output with the code all 0 (the "
             "decoder is not linear: with other latents on, it writes somewhat differently)",
             "What the latent looks for: its row of W_enc2 · W_enc1, the linear path from the pixels to it, "
             "with the hidden layer's ReLU left out (an approximation, as in UFLDL's weight images)")
SORTS = ("Sort by index", "Sort by density (densest first)")
TILE_WORDS = (("adds ink", "removes ink"), ("ink here raises it", "ink here lowers it"))  # decoder, encoder


def legend_texts(dark: bool) -> list[str]:
    """The legend for each kind of tile (decoder, encoder), in the theme's shades: the frames'
    colours, and what red and blue mean (the tiles' colours were explained nowhere)."""
    red, blue = (f"rgb({', '.join(map(str, c))})" for c in ((DARK_RED, DARK_BLUE) if dark else (RED, BLUE)))

    def entry(colour: str | None, words: str) -> str:  # unbroken: a wrap left "■" alone at a line's end
        swatch = "■&nbsp;" if colour is None else f"<span style='color:{colour}'>■</span>&nbsp;"
        return swatch + words.replace(" ", "&nbsp;").replace("-", "\u2011")  # (a hyphen that holds)

    return [" &nbsp; ".join([
        entry(red, tiles[0]), entry(blue, tiles[1]), "&nbsp;frames:", entry(COLORS["dead"], "dead (faded)"),
        entry(COLORS["clamped"], f"over-active (&gt; {OVER_ACTIVE_DENSITY:.0%} of digits)"),
        entry(None, "selected")])  # (in the ink's colour, as its frame)
        for tiles in TILE_WORDS]


def summary(name: str, n: int, ev: Evaluation | None, why: str | None = None) -> str:
    """The model's latents counted, in plain words (what an exported atlas says too); without
    test-set statistics, why (``why``: the test set's problem, None while it loads)."""
    if ev is None:
        state = f", which is unavailable: {why.splitlines()[0]}" if why else " (loading…)"
        return f"{name}: {n} latents. Density, dead latents and top digits need the test set{state}"
    # the Training header's "dense latents 9" beside "3 over-active" here read as two counts of one
    # thing: both named, each with its threshold
    return (f"{name}: {n} latents, {ev.dead_latents} dead, {ev.dense_latents} dense (on > {DENSE_DENSITY:.0%} "
            f"of digits), {int(over_active(ev).sum())} of them over-active (> {OVER_ACTIVE_DENSITY:.0%}), "
            f"L0 {ev.l0:.2f}")


def status_line(words: str, left_out: int = 0) -> str:
    """``words`` (a :func:`summary`) as the window's status line: kept together where a line
    break would part them ("over-" / "active (> 50%)", "(>" / "50%)"), and saying how many
    dead latents the density histogram leaves out."""
    held = words.replace(" > ", "\u00a0>\u00a0").replace("(> ", "(>\u00a0").replace("over-active", "over\u2011active")
    held = held.replace("L0 ", "L0\u00a0")  # ("L0" ended a line, its value alone on the next)
    left = f"{counted(left_out, 'dead latent')} {'is' if left_out == 1 else 'are'} not in the histogram"
    return held + (f" ({left})" if left_out else "")  # ("1 dead latents are")


def tile_tip(latent: int, ev: Evaluation | None) -> str:
    """What resting the mouse on a tile says: the latent, and how often and how strongly it fires."""
    if ev is None:
        return f"latent {latent}"
    return (f"latent {latent}: active on {ev.density[latent]:.1%} of test digits, "
            f"mean activation {ev.rho_hat[latent]:.3f}")
