"""Counted nouns and plurals, said once (the CLI said "trained 1 epochs")."""

from sae_desktop.words import counted, plural


def test_counted_nouns_are_plural_unless_one():
    assert counted(1, "epoch") == "1 epoch" and counted(0, "epoch") == "0 epochs"
    assert counted(2, "class") == "2 classes" and counted(1200, "run") == "1,200 runs"
    assert plural("7") == "7s" and plural("dress") == "dresses"
