"""Counted nouns, said once: "1 epoch", "2 epochs" (the CLI said "trained 1 epochs")."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (a noun's plural: add "s", "es" after an "s")."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n:,} {noun}{'es' if noun.endswith('s') else 's'}"
