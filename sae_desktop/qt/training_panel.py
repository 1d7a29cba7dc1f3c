"""The training form: every setting, presets, inline validation, and the run buttons.

The form is generated from the settings' schema (``config.SETTINGS``: group, label, help,
choices, range, the penalty a setting belongs to), the one the CLI's options come from too.
Values are checked with the core's ``config.validate`` (the same rules as the CLI); each
problem is shown under its field and Start stays disabled until all are fixed.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from sae_desktop.config import GROUPS, PENALTY_DESCRIPTIONS, PRESETS, SETTINGS, Setting, TrainConfig, validate
from sae_desktop.qt.data_folder import DataFolderField
from sae_desktop.qt.int_spin_box import IntSpinBox


def _int_range(spec: Setting) -> tuple[int, int]:
    """An int setting's widest range (one bounded by another field: that field's largest)."""
    high = SETTINGS[spec.high].high if isinstance(spec.high, str) else spec.high
    return int(spec.low), int(high)


class _WheelOnlyWhenFocused:
    """A box the mouse wheel changes only once it has the keyboard focus (a click or Tab gives
    it): scrolling the panel with the wheel scrolls the panel, it does not change the batch size
    that passes under the pointer (128 became 127, unseen)."""

    def _setup_wheel(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: a wheel turn gives no focus

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # on to the scroll area


class _Combo(_WheelOnlyWhenFocused, QComboBox):
    def __init__(self) -> None:
        super().__init__()
        self._setup_wheel()


class _IntSpin(_WheelOnlyWhenFocused, IntSpinBox):
    def __init__(self) -> None:
        super().__init__()
        self._setup_wheel()


class TrainingPanel(QWidget):
    configChanged = Signal()
    doneEditing = Signal()  # Enter or Escape in a field: the keyboard can go back to the shown tab

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._forms: dict[str, QFormLayout] = {}
        layout = QVBoxLayout(self)
        presets = QHBoxLayout()
        self.tutorial_button = QPushButton("Tutorial defaults")
        self.quality_button = QPushButton("Quality preset")
        self.tutorial_button.setToolTip("The tutorial's exact settings (test MSE ≈ 0.017 after 10 epochs)")
        self.quality_button.setToolTip("Sharper and sparser: 15 epochs, lr 8e-3 with cosine decay, β 2e-2")
        self.tutorial_button.clicked.connect(lambda: self.set_config(PRESETS["tutorial"]))
        self.quality_button.clicked.connect(lambda: self.set_config(PRESETS["quality"]))
        presets.addWidget(self.tutorial_button)
        presets.addWidget(self.quality_button)
        layout.addLayout(presets)
        for title in GROUPS:
            group = QGroupBox(title)
            form = QFormLayout(group)
            for name, spec in SETTINGS.items():
                if spec.group == title:
                    self._add_field(form, name, spec)
            if form is self._forms.get("dataset"):  # here, not after the groups: Tab goes Device, Choose…, Model
                self.data_folder = DataFolderField()
                form.addRow("Folder", self.data_folder)
            layout.addWidget(group)
        self.resume_note = QLabel()
        self.resume_note.setWordWrap(True)
        self.resume_note.setStyleSheet("color: palette(highlight);")
        self.fresh_button = QToolButton()  # the window gives it its "New run instead" action
        self.fresh_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.resume_box = QWidget()
        resume_row = QVBoxLayout(self.resume_box)
        resume_row.setContentsMargins(0, 0, 0, 0)
        resume_row.addWidget(self.resume_note)
        resume_row.addWidget(self.fresh_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.resume_box.hide()
        # first in the panel: below the groups it was under the fold at 1280×720, unseen
        layout.insertWidget(0, self.resume_box)
        # The window places this row outside the scrolling form, so Start stays in view on a small screen
        self.run_bar = QWidget()
        self.buttons = QHBoxLayout(self.run_bar)
        margins = layout.contentsMargins()
        self.buttons.setContentsMargins(margins.left(), 0, margins.right(), 0)  # in line with the form
        layout.addStretch(1)
        self._devices: dict[str, bool] | None = None  # known once torch is loaded
        self.set_config(TrainConfig())

    # -- building -------------------------------------------------------------
    def _add_field(self, form: QFormLayout, name: str, spec: Setting) -> None:
        kind = type(getattr(TrainConfig, name))
        if spec.choices:
            widget = _Combo()
            widget.addItems(spec.choices)
            widget.currentIndexChanged.connect(self._changed)
        elif kind is bool:
            widget = QCheckBox()
            widget.toggled.connect(self._changed)
        elif kind is int:
            widget = _IntSpin()  # QSpinBox stops at 2^31-1; a seed may be up to 2^63-1
            widget.setRange(*_int_range(spec))
            widget.setKeyboardTracking(True)
            widget.valueChanged.connect(self._changed)
        else:
            widget = QLineEdit()
            widget.textChanged.connect(self._changed)
        widget.setObjectName(name)
        widget.installEventFilter(self)
        widget.setToolTip(f"{spec.help[:1].upper()}{spec.help[1:]} ({spec.flag})")
        if name == "penalty":  # each mechanism in one plain sentence, on its item (and on the box, below)
            for index, penalty in enumerate(spec.choices):
                widget.setItemData(index, PENALTY_DESCRIPTIONS[penalty], Qt.ItemDataRole.ToolTipRole)
        error = QLabel()
        error.setObjectName(f"{name}_error")
        error.setStyleSheet("color: #d9534f; font-size: 11px;")
        error.setWordWrap(True)
        error.hide()
        form.addRow(spec.label, widget)
        form.addRow(error)
        self.inputs[name], self.errors[name], self._forms[name] = widget, error, form

    def set_available_devices(self, devices: dict[str, bool]) -> None:
        """Grey out the devices this machine lacks (known once torch is loaded, in the background)."""
        self._devices = dict(devices)
        self._disable_missing_devices()

    def _disable_missing_devices(self) -> None:
        combo: QComboBox = self.inputs["device"]
        model: QStandardItemModel = combo.model()
        for device, ok in (self._devices or {}).items():
            item = model.item(SETTINGS["device"].choices.index(device))
            item.setEnabled(ok)
            item.setToolTip("" if ok else f"{device} is not available on this machine")

    def add_run_buttons(self, start: QAction, *others: QAction) -> None:
        """Start with its text (which says when it waits for PyTorch), the others (pause, stop)
        as media icons with tooltips: the panel's width never follows the Start text."""
        for action in (start, *others):
            button = QToolButton()
            button.setDefaultAction(action)
            if action is start:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
                button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
                button.setMinimumWidth(button.fontMetrics().horizontalAdvance("Start training") + 40)
            else:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            self.buttons.addWidget(button, 1 if action is start else 0)

    # -- values ---------------------------------------------------------------
    def set_config(self, cfg: TrainConfig) -> None:
        for name, widget in self.inputs.items():
            value = getattr(cfg, name)
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(SETTINGS[name].choices.index(value))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, IntSpinBox):
                widget.setValue(int(value))
            else:
                widget.setText(f"{value:g}")
            widget.blockSignals(False)
        self._changed()

    def _read(self) -> tuple[dict, dict[str, str]]:
        """Values by field, and parse problems of the fields currently shown."""
        values, problems = {}, {}
        hidden = self._hidden_fields()
        for name, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                values[name] = SETTINGS[name].choices[widget.currentIndex()]
            elif isinstance(widget, QCheckBox):
                values[name] = widget.isChecked()
            elif isinstance(widget, IntSpinBox):
                values[name] = widget.value()
            else:
                text = widget.text().strip()
                try:
                    values[name] = float(text)
                    if not math.isfinite(values[name]):
                        raise ValueError
                except ValueError:
                    if name not in hidden:
                        problems[name] = "enter a number, e.g. 0.001 or 1e-3"
                    values[name] = getattr(TrainConfig, name)
        return values, problems

    def validation_errors(self) -> dict[str, str]:
        values, problems = self._read()
        errors = {**validate(TrainConfig(**values)), **problems}
        return errors

    def config(self) -> TrainConfig | None:
        """The configuration shown, or None while any field is invalid."""
        values, problems = self._read()
        cfg = TrainConfig(**values)
        return None if problems or validate(cfg) else cfg

    def _hidden_fields(self) -> set[str]:
        """The settings of the penalties not chosen."""
        penalty = SETTINGS["penalty"].choices[self.inputs["penalty"].currentIndex()]
        return {name for name, spec in SETTINGS.items() if not spec.applies(penalty)}

    def _changed(self, *_) -> None:
        hidden = self._hidden_fields()
        penalty = self.inputs["penalty"]
        chosen = SETTINGS["penalty"].choices[penalty.currentIndex()]
        penalty.setToolTip(f"{PENALTY_DESCRIPTIONS[chosen]} ({SETTINGS['penalty'].flag})")
        self.data_folder.set_dataset(SETTINGS["dataset"].choices[self.inputs["dataset"].currentIndex()])
        for name in self.inputs:
            if SETTINGS[name].penalty:
                self._forms[name].setRowVisible(self.inputs[name], name not in hidden)
        errors = self.validation_errors()
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message)
            self._forms[name].setRowVisible(label, bool(message))
            self.inputs[name].setProperty("invalid", bool(message))
            self.inputs[name].setStyleSheet("border: 1px solid #d9534f;" if message else "")
        self.configChanged.emit()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.KeyPress and event.modifiers() == Qt.KeyboardModifier.NoModifier \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape) \
                and not (isinstance(watched, QComboBox) and watched.view().isVisible()):
            self.doneEditing.emit()
        return False

    def set_resume(self, note: str) -> None:
        """Continue-training mode (a note saying what continues) or, with "", a fresh run.
        Continuing, Epochs counts the epochs to add, not the total."""
        self.resume_note.setText(note)
        self.resume_box.setVisible(bool(note))
        area = next((w for w in _ancestors(self) if isinstance(w, QScrollArea)), None)
        if note and area is not None:  # in view even where the form had been scrolled down
            QTimer.singleShot(0, area, lambda: area.ensureWidgetVisible(self.resume_box))
        label = self._forms["epochs"].labelForField(self.inputs["epochs"])
        label.setText("More epochs" if note else SETTINGS["epochs"].label)
        spec = SETTINGS["epochs"]
        self.inputs["epochs"].setToolTip("Epochs to train on top of those done" if note else
                                         f"{spec.help[:1].upper()}{spec.help[1:]} ({spec.flag})")

    def set_editable(self, editable: bool, resume: bool = False) -> None:
        """Settings are locked while a run is active (they describe that run); continuing a
        model, only the epochs to add and the device can change."""
        for name, widget in self.inputs.items():
            widget.setEnabled(editable and (not resume or name in ("epochs", "device")))
        for widget in (self.tutorial_button, self.quality_button):
            widget.setEnabled(editable and not resume)
        self.data_folder.setEnabled(editable)  # a continued run may read its data from another folder
        if editable:
            self._disable_missing_devices()


def _ancestors(widget: QWidget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()
