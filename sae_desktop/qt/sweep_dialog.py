"""Train ▸ Sweep…: the same grid as ``sae-desktop sweep``, over the training form's settings.

Up to two numeric settings, each with comma-separated values, plus the epochs and seed of
every run; the dialog lists the runs it will train (or says, in one line, what is wrong)
before Start is enabled. Expanding and checking the grid is the core's ``sweep.grid_configs``.
"""

from __future__ import annotations

import html
import re

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QSpinBox, QWidget)

from sae_desktop.config import MAX_EPOCHS, SETTINGS, ConfigError, TrainConfig
from sae_desktop.sweep import SWEEPABLE, grid_configs, parse_values, point_label
from sae_desktop.words import counted

NONE = "(none)"
# What a first sweep of each penalty usually spans (the reference frontier's points).
SUGGESTED = {"k": "2,4,8,16", "beta": "1e-3,5e-3,2e-2,5e-2", "rho": "0.02,0.05,0.1", "l1": "1e-3,3e-3,1e-2,3e-2",
             "d_latent": "32,64,128", "seed": "0,1,2", "lr": "1e-3,3e-3,8e-3", "l0_coeff": "3e-4,1e-3,3e-3,1e-2",
             "auxk": "0,0.03125"}
MAIN_SETTING = {"kl": "beta", "l1": "l1", "topk": "k", "batchtopk": "k", "jumprelu": "l0_coeff"}
LABELS = {name: spec.label for name, spec in SETTINGS.items()}
# the form's numeric settings (not epochs and seed, which have their own boxes; seed last, for repeats)
SHOWN = tuple(n for n in SWEEPABLE if SETTINGS[n].group and n not in ("epochs", "seed")) + ("seed",)


class SweepDialog(QDialog):
    def __init__(self, base: TrainConfig, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.base = base
        self.configs: list[TrainConfig] = []
        self.names: list[str] = []
        form = QFormLayout(self)
        intro = QLabel(f"Trains one run per combination, one after another, from the form's settings "
                       f"({base.penalty} on {base.dataset}). Each run gets its own folder; the Runs tab's "
                       "frontier fills as each one ends. Stop ends the sweep.")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.settings, self.values = [], []
        for row in range(2):
            combo, values = QComboBox(), QLineEdit()
            if row:
                combo.addItem(NONE, None)
            for name in SHOWN:  # (not a setting this penalty ignores: "k" with KL made runs that differed in name only)
                if SETTINGS[name].applies(base.penalty):
                    combo.addItem(LABELS[name], name)
            combo.currentIndexChanged.connect(lambda _, r=row: self._setting_changed(r))
            values.textChanged.connect(self._update)
            values.setPlaceholderText("values, e.g. 2,4,8,16")
            line = QHBoxLayout()
            line.addWidget(combo)
            line.addWidget(values, 1)
            form.addRow("Sweep" if row == 0 else "and", line)
            self.settings.append(combo)
            self.values.append(values)
        self.epochs, self.seed = QSpinBox(), QSpinBox()
        self.epochs.setRange(1, MAX_EPOCHS)
        self.epochs.setValue(base.epochs)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(base.seed)
        for spin in (self.epochs, self.seed):
            spin.valueChanged.connect(self._update)
        form.addRow("Epochs per run", self.epochs)
        form.addRow("Seed", self.seed)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        form.addRow(self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start = self.buttons.addButton("Start sweep", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.settings[0].setCurrentIndex(self.settings[0].findData(MAIN_SETTING.get(base.penalty, "seed")))
        self._setting_changed(0)
        self.resize(520, self.sizeHint().height())

    def _setting_changed(self, row: int) -> None:
        name = self.settings[row].currentData()
        self.values[row].setEnabled(name is not None)
        self.values[row].setText(SUGGESTED.get(name, f"{getattr(self.base, name):g}") if name else "")
        self._update()

    def grid(self) -> dict[str, list]:
        """The settings and values entered (raises :class:`ConfigError` naming the problem)."""
        grid: dict[str, list] = {}
        for combo, values in zip(self.settings, self.values):
            name = combo.currentData()
            if name is None:
                continue
            if name in grid:
                raise ConfigError(f"{LABELS[name]} is chosen twice")
            grid[name] = parse_values(name, values.text())
        return grid

    def _update(self, *_) -> None:
        try:
            grid = self.grid()
            seed_swept = "seed" in grid
            self.seed.setEnabled(not seed_swept)
            base = self.base.replace(epochs=self.epochs.value(), **({} if seed_swept else {"seed": self.seed.value()}))
            self.configs, self.names = grid_configs(base, grid), list(grid)
        except ConfigError as exc:
            self.configs, self.names = [], []
            self.preview.setText(f"<span style='color:#d9534f'>{html.escape(in_words(str(exc)))}</span>")
        else:
            labels = [point_label(cfg, self.names) for cfg in self.configs]
            # (runs apart by "; ": a two-setting run's label has its own comma, "k=2, seed=0, k=2, seed=1")
            shown = "; ".join(labels[:8]) + (f"; … ({len(labels) - 8} more)" if len(labels) > 8 else "")
            self.preview.setText(f"<b>{counted(len(self.configs), 'run')}</b> of "
                                 f"{counted(self.epochs.value(), 'epoch')}: {shown}")
        self.start.setEnabled(bool(self.configs))


def in_words(message: str) -> str:
    """The core's message with the form's names for the settings, not the command line's
    ("Weight β: 'abc' is not a number", not "--beta: …")."""
    for name in SHOWN:  # (whole flags: the look-ahead keeps "--k" from matching the start of a longer one)
        message = re.sub(rf"{re.escape(SETTINGS[name].flag)}(?![\w-])", LABELS[name], message)
    return message
