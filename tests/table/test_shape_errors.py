"""Assigning arrays of another shape to MD columns (SPEC 4.5 rule 3, amended).

A same-rank array of another shape is refused (it would scramble axes, e.g. channels
and samples); a flat per-row array of the right size still reshapes. Every test runs
for a loaded and an offloaded column (the ``storage`` fixture of ``conftest.py``).
"""
import numpy as np
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn
from datamatrix.errors import ShapeMismatchError


def erp_dm(storage, n=4):
    dm = DataMatrix(length=n)
    dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz', 'Pz'), 5))
    dm.erp = np.arange(n * 15, dtype=float).reshape(n, 3, 5)
    storage.prepare(dm.erp)
    return dm


def test_transposed_array_is_refused_and_column_unchanged(storage):
    """(rows, 5, 3) into (rows, 3, 5) cells: ShapeMismatchError naming both shapes."""
    dm = erp_dm(storage)
    before = dm.erp.array.copy()
    data = np.ones((4, 5, 3))
    with pytest.raises(ShapeMismatchError) as info:
        dm.erp = data
    message = str(info.value)
    assert '(4, 5, 3)' in message and '(4, 3, 5)' in message
    assert 'numpy.moveaxis' in message
    assert isinstance(info.value, ValueError)
    np.testing.assert_array_equal(dm.erp.array, before)


def test_moveaxis_as_suggested_works(storage):
    """Following the message's advice stores the values where they belong."""
    dm = erp_dm(storage)
    data = np.random.default_rng(0).random((4, 5, 3))
    dm.erp = np.moveaxis(data, 2, 1)
    np.testing.assert_array_equal(dm.erp.array, np.moveaxis(data, 2, 1))
    np.testing.assert_array_equal(dm.erp[:, 'Cz'].array, data[:, :, 1])


def test_flat_per_row_array_still_reshapes(storage):
    """A (rows, 15) array into (3, 5) cells reshapes row by row (fewer dimensions)."""
    dm = erp_dm(storage)
    flat = np.arange(60, dtype=float).reshape(4, 15) + 100
    dm.erp = flat
    np.testing.assert_array_equal(dm.erp.array, flat.reshape(4, 3, 5))


def test_same_rank_cell_value_of_another_shape_is_refused(storage):
    """A (5, 3) value into one (3, 5) cell is refused; a (15,) value reshapes."""
    dm = erp_dm(storage)
    before = dm.erp.array.copy()
    with pytest.raises(ShapeMismatchError, match=r'\(5, 3\).*\(3, 5\)'):
        dm.erp[1] = np.zeros((5, 3))
    np.testing.assert_array_equal(dm.erp.array, before)
    dm.erp[1] = np.arange(15)
    np.testing.assert_array_equal(dm.erp[1], np.arange(15).reshape(3, 5))


def test_subset_assignment_of_wrong_shape_is_refused(storage):
    """Selections by row and dimension follow the same rule."""
    dm = erp_dm(storage)
    before = dm.erp.array.copy()
    with pytest.raises(ShapeMismatchError, match='moveaxis'):
        dm.erp[1:3, :, :] = np.zeros((2, 5, 3))
    np.testing.assert_array_equal(dm.erp.array, before)
    dm.erp[1:3, :, :] = np.zeros((2, 3, 5))
    assert (dm.erp.array[1:3] == 0).all() and (dm.erp.array[0] == before[0]).all()
