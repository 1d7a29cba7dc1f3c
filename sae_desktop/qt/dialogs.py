"""Small dialogs: About (versions and devices), Keyboard shortcuts."""

from __future__ import annotations

import platform

import numpy
import PySide6
import pyqtgraph
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from sae_desktop import __version__
from sae_desktop.devices import available_devices, describe, resolve_device


def about_text() -> str:
    devices = ", ".join(f"{name} ({'available' if ok else 'not available'})"
                        for name, ok in available_devices().items())
    return (f"<h3>Sparse Autoencoder Studio {__version__}</h3>"
            "<p>Train and probe sparse autoencoders on handwritten digits.</p>"
            f"<p><b>Default device:</b> {describe(resolve_device('auto'))}<br>"
            f"<b>Devices:</b> {devices}</p>"
            f"<p>Python {platform.python_version()} · PyTorch {torch.__version__} · PySide6 {PySide6.__version__} · "
            f"pyqtgraph {pyqtgraph.__version__} · NumPy {numpy.__version__}</p>")


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About Sparse Autoencoder Studio", about_text())


# What the keyboard cannot say: the probe's mouse gestures (see latent_bars.py and canvas.py)
MOUSE_HELP = (("Draw / erase on the canvas", "left / right button"),
              ("Clamp a latent to a value", "click or drag its bar"),
              ("Ablate a latent (clamp to 0)", "right-click its bar"),
              ("Release a clamp", "double-click its bar"),
              ("Plot menu: export PNG/SVG/CSV, grid, zoom", "right-click a plot"))


def shortcuts_html(groups: dict[str, list[QAction]]) -> str:
    """A table per group of the actions' own shortcuts (so the list never goes stale), then the mouse."""
    def table(rows) -> str:
        return ("<table cellspacing='0' cellpadding='3'>"
                + "".join(f"<tr><td>{name}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>" for name, keys in rows)
                + "</table>")

    parts = []
    for title, actions in groups.items():
        rows = [(a.text().replace("&", ""),
                 " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()))
                for a in actions if a.shortcuts()]
        parts.append(f"<h4>{title}</h4>{table(rows)}")
    parts.append(f"<h4>Mouse, in the Probe tab</h4>{table(MOUSE_HELP)}")
    return "".join(parts)


def show_shortcuts(parent: QWidget, groups: dict[str, list[QAction]]) -> QMessageBox:
    """Non-modal, so it can stay open beside the window during a demo."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", shortcuts_html(groups),
                      QMessageBox.StandardButton.Close, parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    return box
