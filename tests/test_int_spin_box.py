"""The training form's spin box for ints of any size (a seed goes to 2^63-1)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from sae_desktop.qt.int_spin_box import IntSpinBox


def test_it_holds_values_beyond_32_bits_and_keeps_to_its_range(qtbot):
    box = IntSpinBox()
    qtbot.addWidget(box)
    box.setRange(1, 2**63 - 1)
    seen = []
    box.valueChanged.connect(seen.append)
    box.setValue(2**63 - 1)
    assert box.value() == 2**63 - 1 and box.text() == str(2**63 - 1) and seen == [2**63 - 1]
    box.setValue(2**64)  # beyond the range: the largest allowed
    assert box.value() == 2**63 - 1 and seen == [2**63 - 1]  # unchanged: no signal
    box.setValue(-5)
    assert box.value() == 1 and seen[-1] == 1


def test_arrows_and_typing(qtbot):
    box = IntSpinBox()
    qtbot.addWidget(box)
    box.setRange(0, 20)
    box.setValue(19)
    box.show()
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert box.value() == 20
    qtbot.keyClick(box, Qt.Key.Key_Up)  # at the top: stays
    assert box.value() == 20
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert box.value() == 19
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "7")
    assert box.value() == 7  # the value follows the keystrokes (keyboard tracking)
    qtbot.keyClicks(box, "9")  # "79" is out of range: refused, the text stays "7"
    assert box.value() == 7 and box.text() == "7"
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "x")  # not a number: refused
    assert box.value() == 7
    box.setRange(10, 20)
    assert box.value() == 10 and box.text() == "10"
