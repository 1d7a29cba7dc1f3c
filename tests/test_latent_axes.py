"""The latent bars' labels: as many as there is room for, a clamped latent's always, none cut at the end."""

import numpy as np

from sae_desktop.qt.latent_axes import bar_ticks


def test_every_bar_is_labelled_where_there_is_room():
    step, ticks = bar_ticks(np.arange(32), 32, pixels_per_bar=20.0, room=18.0, clamps=set())
    assert step == 1 and ticks == [(p, str(p)) for p in range(32)]


def test_crowded_bars_are_labelled_every_few_and_a_clamped_one_always():
    order = np.arange(1024)[::-1]  # (sorted: bar p shows latent 1023 - p)
    step, ticks = bar_ticks(order, 1024, pixels_per_bar=0.5, room=28.0, clamps={1000, 999})
    assert step == 100
    positions = [p for p, _ in ticks]
    assert 23 in positions and dict(ticks)[23] == "1000"  # the clamped latent's bar, named
    assert 24 not in positions  # its neighbour's label would run into it ("1000999")
    assert 0 not in positions and 100 not in positions and 200 in positions  # regular labels within a step give way
    assert max(positions) <= 1024 - 0.5 - 28.0 / 2 / 0.5  # none runs past the plot's end


def test_no_width_yet_labels_the_first_bar():
    step, ticks = bar_ticks(np.arange(8), 8, pixels_per_bar=0.0, room=18.0, clamps=set())
    assert step == 10 and ticks == [(0, "0")]
