"""Small dialogs: About (versions and devices)."""

from __future__ import annotations

import platform

import numpy
import PySide6
import pyqtgraph
import torch
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
