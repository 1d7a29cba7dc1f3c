"""sae-desktop: train and probe sparse autoencoders on handwritten digits.

The package is split in two: a Qt-free core (this package's modules) and
``sae_desktop.qt``, which holds everything visual.
"""

__version__ = "0.1.0"
