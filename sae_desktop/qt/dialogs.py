"""Small dialogs: About (versions, devices, paths, "Copy system info"), Keyboard shortcuts."""

from __future__ import annotations

import html
import platform
import sys

import numpy
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QLabel, QMessageBox, QPushButton, QTextBrowser,
                               QVBoxLayout, QWidget)

from sae_desktop import __version__, paths
from sae_desktop.checkpoint import torch_version
from sae_desktop.qt.data_folder import data_dir_shown
from sae_desktop.snapshot import bundled_model_path

APP_NAME = "Sparse Autoencoder Studio"


def _devices() -> tuple[str, str]:
    """(default device, every device's availability), or a note while torch is not loaded:
    asking would import it on the GUI thread, the 2 s the window opens without."""
    if "torch" not in sys.modules:
        return "not known yet (PyTorch is still loading)", "not known yet"
    from sae_desktop.devices import available_devices, describe, resolve_device

    devices = ", ".join(f"{name} ({'available' if ok else 'not available'})"
                        for name, ok in available_devices().items())
    return describe(resolve_device("auto")), devices


def system_info() -> list[tuple[str, str]]:
    """What a bug report needs: versions, devices and the app's folders."""
    from importlib import metadata  # (pyqtgraph's version without importing it before the first paint)

    default, devices = _devices()
    loaded = "loaded" if "torch" in sys.modules else "installed, not loaded yet"
    return [
        ("sae-desktop", __version__),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("Platform", platform.platform()),
        ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__}, platform {QGuiApplication.platformName()})"),
        ("PyTorch", f"{torch_version()} ({loaded})"),
        ("NumPy / pyqtgraph", f"{numpy.__version__} / {metadata.version('pyqtgraph')}"),
        ("Default device", default),
        ("Devices", devices),
        ("App folder", str(paths.app_home())),
        ("Runs folder", str(paths.runs_dir())),
        ("Data folder", str(data_dir_shown())),
        ("Bundled model", str(bundled_model_path())),
        ("Package", str(paths.package_dir())),
    ]


def system_info_text() -> str:
    return "\n".join(f"{key}: {value}" for key, value in system_info())


def about_text() -> str:
    # the gap as the cell's padding: a leading space (&nbsp;) set a long value's first line 3-5 px right
    # of its wrapped lines (the bundled model's path)
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td style='padding-left: 6px'>{html.escape(v)}</td></tr>"
                   for k, v in system_info())
    return (f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Train and probe sparse autoencoders on handwritten digits.</p>"
            f"<table cellspacing='0' cellpadding='2'>{rows}</table>")


class AboutDialog(QDialog):
    """Versions, devices and paths, with a button that copies them as plain text for a bug report."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.label = QLabel(about_text())
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy system info")
        self.copy_button.setToolTip("Versions, devices and folders as text, to paste into a bug report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_system_info)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)

    def copy_system_info(self) -> None:
        QGuiApplication.clipboard().setText(system_info_text())
        self.copy_button.setText("Copied")


def show_about(parent: QWidget) -> AboutDialog:
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


# What the keyboard cannot say: the probe's mouse gestures (see latent_bars.py and canvas.py)
MOUSE_HELP = (("Draw / erase on the canvas", "left / right button"),
              ("Clamp a latent to a value", "click or drag its bar"),
              ("Ablate a latent (clamp to 0)", "right-click its bar"),
              ("Release a clamp", "double-click its bar"))
# … and the same from the keyboard, on the bars (bar_keys.py)
BAR_KEYS_HELP = (("Choose a bar (framed, dashed)", "← / →, Home / End"),
                 ("Raise / lower its clamp (a twentieth of the axis)", "↑ / ↓"),
                 ("Ablate it (clamp to 0)", "0"),
                 ("Release its clamp", "Esc"))
# … in the Atlas (atlas_view.AtlasView.eventFilter)
ATLAS_HELP = (("Inspect a latent", "click its tile"),
              ("Next tile / row", "arrow keys (the mosaic has the keyboard once the tab is shown, or clicked)"),
              ("First / last tile", "Home / End"))
# … in the Runs tab (runs_table.py, runs_view.py)
RUNS_HELP = (("Sort the runs", "click a column's header"),
             ("Hide or show columns", "right-click a column's header"),
             ("Compare two runs", "Ctrl+click two rows (or Shift+↓, then Tab to the button), then "
                                  "“Compare the two selected runs”"),
             ("Select a run's row", "click its point on the frontier"),
             ("Open a run's folder, rename it, move runs to the trash", "right-click the selected rows"))
# … and on the plots that keep pyqtgraph's mouse (the Probe's bars steer instead: no menu, no zoom)
PLOT_MOUSE_HELP = (("Plot menu: export PNG/SVG/CSV, grid, zoom", "right-click the plot"),
                   ("Zoom / pan", "wheel / drag"),
                   ("Whole data again", "the “A” button in its corner"))


def shortcuts_html(groups: dict[str, list[QAction]], plot_tabs: list[str]) -> str:
    """A table per group of the actions' own shortcuts (so the list never goes stale), then the
    mouse: in the Probe, and on the plots of ``plot_tabs`` (those with pyqtgraph's menu)."""
    def table(rows) -> str:
        return ("<table cellspacing='0' cellpadding='3'>"
                # the gap as the cell's padding (two spaces before the keys indented their first line only)
                + "".join(f"<tr><td>{name}</td><td style='padding-left: 10px'><b>{keys}</b></td></tr>"
                          for name, keys in rows)
                + "</table>")

    parts = []
    for title, actions in groups.items():
        rows = [(a.text().replace("&", ""),
                 " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()))
                for a in actions if a.shortcuts()]
        parts.append(f"<h4>{title}</h4>{table(rows)}")
    parts.append(f"<h4>Mouse, in the Probe tab</h4>{table(MOUSE_HELP)}")
    parts.append(f"<h4>Keys on the Probe's latent bars (Tab or click to them)</h4>{table(BAR_KEYS_HELP)}")
    parts.append(f"<h4>In the Atlas tab</h4>{table(ATLAS_HELP)}")
    parts.append(f"<h4>In the Runs tab</h4>{table(RUNS_HELP)}")
    if plot_tabs:
        tabs = " and ".join(filter(None, [", ".join(plot_tabs[:-1]), plot_tabs[-1]]))
        parts.append(f"<h4>Mouse, on the plots in {tabs}</h4>{table(PLOT_MOUSE_HELP)}")
    return "".join(parts)


class ShortcutsDialog(QDialog):
    """The shortcuts in a page that scrolls, no taller than the screen (a message box of 844 px,
    1227 in presentation mode, ran off a 720-px screen, the Atlas's keys out of reach)."""

    def __init__(self, page: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.page = QTextBrowser()
        self.page.setHtml(page)
        self.page.setFrameShape(QFrame.Shape.NoFrame)
        self.page.setOpenLinks(False)
        self._html = page
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page)
        layout.addWidget(buttons)

    def text(self) -> str:
        """The page as given (HTML)."""
        return self._html

    def fit(self) -> None:
        """As large as the page, up to 85 % of the screen's free area (it scrolls beyond)."""
        document = self.page.document()
        document.setTextWidth(document.idealWidth())
        margins = self.layout().contentsMargins()
        chrome = self.sizeHint().height() - self.page.sizeHint().height()  # the buttons and margins
        width = round(document.idealWidth()) + 2 * round(document.documentMargin()) + margins.left() + \
            margins.right() + self.page.verticalScrollBar().sizeHint().width()
        height = round(document.size().height()) + chrome
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry()
            width, height = min(width, round(room.width() * 0.85)), min(height, round(room.height() * 0.85))
        self.resize(width, height)


def show_shortcuts(parent: QWidget, groups: dict[str, list[QAction]], plot_tabs: list[str]) -> ShortcutsDialog:
    """Non-modal, so it can stay open beside the window during a demo."""
    box = ShortcutsDialog(shortcuts_html(groups, plot_tabs), parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.fit()
    box.show()
    return box


RUN_ENDED = "The training run has ended; its weights are in the run folder. Close the window?"


def ask_stop_and_close(parent: QWidget, state_changed) -> bool:
    """Yes to stopping the run and closing the window. A run that ends while the question is up
    (``state_changed`` says a state other than running or paused) leaves nothing to stop: the question
    says so and asks only whether to close (it stayed, "A training run is in progress", over "Completed
    2 epochs"; answered Yes by itself, a Ctrl+Q pressed by mistake closed the window unanswered)."""
    yes = QMessageBox.StandardButton.Yes
    box = QMessageBox(QMessageBox.Icon.Question, "Training is running", "A training run is in progress. Stop it and "
                      "close? The weights so far are kept in the run folder.", yes | QMessageBox.StandardButton.No,
                      parent)

    def ended(state: str) -> None:
        if state not in ("running", "pausing", "paused"):
            box.setWindowTitle("Close the window?")
            box.setText(RUN_ENDED)

    state_changed.connect(ended)
    try:
        return box.exec() == yes
    finally:
        state_changed.disconnect(ended)
