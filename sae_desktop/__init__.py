"""sae-desktop: train and probe sparse autoencoders on handwritten digits.

The package is split in two: a Qt-free core (this package's modules) and
``sae_desktop.qt``, which holds everything visual.
"""

__version__ = "0.1.0"
APP_NAME = "Sparse Autoencoder Studio"  # what the user reads: window title, menus, launcher
APP_ID = "sae-desktop"  # what the desktop matches: .desktop file, icon name, window class (WM_CLASS)
