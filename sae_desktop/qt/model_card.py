"""Help ▸ The shown model: the model Probe and Atlas show, in words (``explain.py``), for a
lecture: its architecture, sparsity mechanism, loss and settings, and its test-set figures.
It follows the shown model while open (training goes on: it never describes the one before)."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from sae_desktop.architecture import learned_thresholds
from sae_desktop.evaluation import DENSE_DENSITY
from sae_desktop.explain import ARCHITECTURE_NOTE, model_card
from sae_desktop.qt.rich_text import with_hats
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.snapshot import ModelSnapshot


def model_card_html(snap: ModelSnapshot | None) -> str:
    if snap is None:
        return "<p>No model is shown.</p>"
    card = model_card(snap.config, snap.train_config, learned_thresholds(snap.weights, snap.config))
    e = html.escape
    parts = [f"<h3>{e(snap.name)}</h3>", f"<p><b>Architecture.</b> {e(card.architecture)}. {e(ARCHITECTURE_NOTE)}</p>"]
    if snap.train_config is None:
        parts.append("<p>Its training settings are not stored with it.</p>")
    else:
        parts += [f"<p><b>Sparsity.</b> {e(card.mechanism)}</p>", f"<p><b>Loss.</b> {e(card.loss)}.</p>"]
    if card.thresholds:
        parts.append(f"<p><b>Learned thresholds.</b> {e(card.thresholds)}.</p>")
    parts.append(f"<p>{e(card.active)}.</p>")
    if card.settings:  # two to a row: a screen's height held only half of them, one to a row
        cells = [f"<td>{e(label)}</td><td style='padding-left: 12px; padding-right: 28px'>{e(value)}</td>"
                 for label, value in card.settings]
        rows = "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>" for i in range(0, len(cells), 2))
        parts.append(f"<p><b>Settings.</b></p><table cellspacing='0' cellpadding='1'>{rows}</table>")
    ev = snap.evaluation
    if ev is not None:
        parts.append(f"<p><b>On the test set.</b> MSE {ev.test_mse:.5f}, FVU {ev.fvu:.3f}, L0 {ev.l0:.2f} "
                     f"active latents per image, {ev.dead_latents} dead (active on no test digit), "
                     f"{ev.dense_latents} dense (active on more than {DENSE_DENSITY:.0%} of them).</p>")
    # never wrapped inside "k = 16" or "1 − 1e-6" (it read "keeping k" / "= 16 latents")
    return with_hats("".join(parts).replace(" = ", "\u00a0=\u00a0").replace(" − ", "\u00a0−\u00a0"))


class ModelCardDialog(QDialog):
    def __init__(self, shown: ShownModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("The shown model")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        self.label.setMargin(6)
        self.scroll = scroll = QScrollArea()  # (presentation mode's text on a short screen: it scrolls, never cut)
        scroll.setWidget(self.label)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # (the text wraps instead)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self._wanted = 0  # where the reader scrolled to (_keep_place)
        self._keep_place(scroll.verticalScrollBar())
        self.shown = shown
        shown.changed.connect(self.render)
        shown.evaluated.connect(self.render)
        self.buttons = buttons
        self.render()
        self.fit_size()

    def fit_size(self) -> None:
        """About 70 characters wide, as tall as the text (within the screen's height)."""
        em = self.fontMetrics().averageCharWidth()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        height = self.label.heightForWidth(70 * em) + self.buttons.sizeHint().height() + 40
        self.resize(72 * em, min(height, round(screen.height() * 0.85)) if screen is not None else height)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Presentation mode turned on or off while open: sized again for the new text (it kept its
        size, and the larger text ran off its right edge)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            QTimer.singleShot(0, self, self.fit_size)

    def render(self, *_) -> None:
        """The card of the shown model, where the reader was in it (read halfway down while the model trained, it
        jumped back at each epoch's figures)."""
        text = model_card_html(self.shown.snapshot)
        if text == self.label.text():
            return
        self.label.setText(text)

    def _keep_place(self, bar) -> None:
        """The scroll bar where the reader put it (a wheel, a key, a drag), whatever length the card has had
        since: a new model's is shorter until its test figures come, and the bar stayed where that one left it."""
        bar.actionTriggered.connect(lambda _action: setattr(self, "_wanted", bar.sliderPosition()))
        bar.sliderMoved.connect(lambda value: setattr(self, "_wanted", value))
        bar.rangeChanged.connect(lambda _low, high: bar.setValue(min(self._wanted, high)))


def show_model_card(parent: QWidget, shown: ShownModel) -> ModelCardDialog:
    dialog = ModelCardDialog(shown, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()  # (not modal: it stays open beside the window, following the model as it trains)
    return dialog
