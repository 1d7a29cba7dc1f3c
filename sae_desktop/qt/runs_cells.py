"""The Runs table's cells and headers: numbers that sort by value, the shown run's name in bold,
headers that reserve the sort arrow's room once."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QStyle, QStyledItemDelegate, QTableWidgetItem

from sae_desktop.run_list import RunSummary
from sae_desktop.runs import NO_EPOCH_FINISHED, RECORDS_LOST
from sae_desktop.words import counted

SHOWN_ROLE = Qt.ItemDataRole.UserRole + 1  # True on the Run cell of the run shown in Probe and Atlas
LIVE_STATUS = {"pausing": "pausing", "paused": "paused", "stopping": "stopping"}  # else "training"
LIVE_TEXTS = {"training", *LIVE_STATUS.values()}  # the Status of the run this window trains


class ShownInBold(QStyledItemDelegate):
    """The shown run's name in the table's own font, bold (an item's own font is fixed: it kept
    its size when presentation mode enlarged the table's); measured so too."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt naming)
        super().initStyleOption(option, index)
        if index.data(SHOWN_ROLE):
            option.font.setBold(True)


class Number(QTableWidgetItem):
    """Sorts by value, shows formatted text, blank when unknown."""

    def __init__(self, value: float | None, fmt: str):
        super().__init__("" if value is None else format(value, fmt))
        self.value = -np.inf if value is None else float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        return self.value < other.value if isinstance(other, Number) else super().__lt__(other)


def dense_cell(run: RunSummary) -> Number:
    """Dense latents, counted (the table said "2%" beside the header's "dense latents 6")."""
    latents = run.config.get("d_latent")
    if run.frac_dense is None or not isinstance(latents, int):
        return Number(None, "d")
    cell = Number(round(run.frac_dense * latents), "d")
    cell.setToolTip(f"{run.frac_dense:.0%} of the {latents} latents")
    return cell


def epochs_cell(run: RunSummary, live: bool) -> Number:
    """Whole epochs done; while this window trains the run, "2 of 10" (a bare "0" read as a run of
    no epochs beside "training")."""
    cell = Number(run.epochs_done, "d")
    planned = run.config.get("epochs")
    if live and isinstance(planned, int):
        cell.setText(f"{run.epochs_done} of {planned}")
        cell.setToolTip(f"Still training: {counted(run.epochs_done, 'whole epoch')} of the {planned} planned")
    return cell


def time_cell(run: RunSummary, live: bool) -> Number:
    """Seconds spent training and evaluating; blank where no epoch has recorded its time yet (it
    said "0.0" of a run training for a minute, or of one killed in its first epoch)."""
    if run.epochs_done == 0 and (live or run.status in (NO_EPOCH_FINISHED, RECORDS_LOST)):
        cell = Number(None, ".1f")
        cell.setToolTip("Still training: its time is recorded at the end of each epoch (the progress panel "
                        "shows Elapsed)" if live else "No epoch recorded its time")
        return cell
    cell = Number(run.seconds, ".1f")
    if live:
        cell.setToolTip(f"The {counted(run.epochs_done, 'whole epoch')} so far (still training)")
    return cell


class Header(QHeaderView):
    """Column headers that reserve the sort arrow's room, not twice it. Qt widens every section by
    the header's height for the arrow, but draws it in half that (its label gives up half the
    height and two margins while sorted): 15 columns × half a height was 150 px at normal size and
    225 in presentation mode, a sideways scroll at 1280×720."""

    def sectionSizeFromContents(self, logical: int):  # noqa: N802 (Qt naming)
        size = super().sectionSizeFromContents(logical)
        if self.isSortIndicatorShown() and self.orientation() == Qt.Orientation.Horizontal:
            margin = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self)
            size.setWidth(size.width() - (size.height() + margin) + size.height() // 2 + 2 * margin)
        return size
