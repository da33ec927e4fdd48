"""readbin's duplicate row id check (a fast path for increasing ids)."""
import numpy as np

from datamatrix.io._binary import _distinct


def test_distinct_row_ids_in_any_order():
    assert _distinct(np.arange(10))
    assert _distinct(np.array([5, 2, 9, 0]))
    assert _distinct(np.array([], dtype=np.int64)) and _distinct(np.array([3]))


def test_repeated_row_ids_are_found_sorted_or_not():
    assert not _distinct(np.array([0, 1, 1, 2]))
    assert not _distinct(np.array([7, 3, 9, 3]))
    assert not _distinct(np.array([4, 4]))
