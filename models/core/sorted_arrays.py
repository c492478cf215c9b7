"""Look-ups in ascending arrays (ids, row numbers), vectorised."""

from __future__ import annotations

import numpy as np


def find_sorted(ascending: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(where each of `values` is in `ascending`, whether it is there at all); a position is
    only meaningful where found."""
    if not len(ascending):
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    return at, ascending[at] == values
