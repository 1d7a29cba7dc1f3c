"""Everything visual: the Qt (PySide6) window, its widgets and the training worker.

Nothing outside this package imports Qt (an import-linter contract in pyproject.toml
enforces it); views observe plain models and signals, never the trainer itself.
"""
