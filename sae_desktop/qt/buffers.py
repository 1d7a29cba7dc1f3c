"""Growing NumPy buffers for live plots: amortised O(1) appends, views handed to setData."""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    """Columns of float64 values that grow by doubling; ``view(i)`` is the filled part."""

    def __init__(self, columns: int, capacity: int = 1024):
        self._data = np.empty((capacity, columns))
        self.size = 0

    def append(self, *values: float) -> None:
        if self.size == len(self._data):
            grown = np.empty((2 * len(self._data), self._data.shape[1]))
            grown[: self.size] = self._data
            self._data = grown
        self._data[self.size] = values
        self.size += 1

    def view(self, column: int) -> np.ndarray:
        return self._data[: self.size, column]

    def last(self, column: int) -> float:
        return float(self._data[self.size - 1, column])

    def clear(self) -> None:
        self.size = 0

    def __len__(self) -> int:
        return self.size
