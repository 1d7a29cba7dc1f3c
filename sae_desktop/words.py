"""Counted nouns and plurals, said once: "1 epoch", "2 epochs", "mostly 7s", "all sneakers",
"dresses" (the CLI said "trained 1 epochs")."""

from __future__ import annotations


def plural(noun: str) -> str:
    """``noun``'s plural: "s" added, "es" after an "s" ("7s", "dresses")."""
    return noun + ("es" if noun.endswith("s") else "s")


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1."""
    return f"{n} {noun}" if n == 1 else f"{n:,} {plural(noun)}"
