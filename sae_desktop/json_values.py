"""Checks of values read from JSON (run records, summaries, checkpoint metadata): Python's ``bool``
is an ``int``, and ``json.loads`` reads ``NaN`` and ``Infinity``, so neither ``isinstance`` says
what a field may hold."""

from __future__ import annotations

import math
from typing import Any


def is_int(value: Any) -> bool:
    """An int from JSON (True and False are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite int or float from JSON (True and False are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
