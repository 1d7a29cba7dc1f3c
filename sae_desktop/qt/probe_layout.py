"""Where the Probe's widgets sit: the canvas, the input's line and the tools on the left; the stages,
the text, the input's tiles and the code's bars on the right (the view itself builds and connects them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from sae_desktop.qt.probe_view import ProbeView


def lay_out(view: ProbeView) -> None:
    left = QVBoxLayout()
    left.addWidget(view.canvas, 1)
    left.addWidget(view.source_label)  # what the canvas shows, under it (in the text column its lines moved the tiles)
    left.addWidget(view.tools)
    left.addWidget(view.browser)
    outputs = QGridLayout()
    for column, tile in enumerate((view.input_tile, view.recon_tile, view.residual_tile)):
        tile.place_in(outputs, 0, column)  # pictures in one row, captions in the next
    text_column = QWidget()
    text_column.setMinimumWidth(180)  # its labels wrap, but narrower they would be cut off
    text = QVBoxLayout(text_column)
    text.setContentsMargins(0, 0, 0, 0)
    for label in (view.error_label, view.ood_label, view.model_label):
        text.addWidget(label)
    text.addStretch(1)
    controls = QHBoxLayout()
    controls.addWidget(view.sorted_box)
    controls.addStretch(1)
    controls.addWidget(view.reset_button)
    right = QVBoxLayout()
    top = QHBoxLayout()
    top.addWidget(view.stages_view, 1)
    top.addWidget(text_column, 1)
    right.addLayout(top)
    right.addLayout(outputs, 2)
    right.addWidget(view.bars_place, 3)
    right.addLayout(controls)
    layout = QHBoxLayout(view)
    layout.addLayout(left, 2)
    layout.addLayout(right, 3)
    for tile in (view.input_tile, view.recon_tile, view.residual_tile):
        tile.setParent(view)  # emptied by place_in, it still goes with the view (and its theme callback)
        tile.hide()
