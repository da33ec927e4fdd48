"""Tests of multidimensional columns (SPEC section 4, 12 'Compact cells').

Every test that touches column data takes the ``storage`` fixture (``conftest.py``)
and runs twice: with the column in memory and with it offloaded to a spill file,
so storage can never change a result.
"""
import logging
import math
import warnings

import numpy as np
import pytest

from datamatrix import (INF, NAN, DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, SeriesColumn)
from datamatrix import errors


def md_dm(storage, shape, values=None, n=3, spec=MultiDimensionalColumn, **kwargs):
    """A DataMatrix of ``n`` rows with an MD column ``m`` in the storage state under test."""
    dm = DataMatrix(length=n)
    dm.m = spec(shape=shape, **kwargs)
    if values is not None:
        dm.m = values
    storage.prepare(dm.m)
    return dm


def xy4(storage, n=3):
    """The SPEC 4.3 example: shape ((x, y), 4) with distinct values."""
    return md_dm(storage, (('x', 'y'), 4), np.arange(n * 8).reshape(n, 2, 4), n=n)


# ---------------------------------------------------------------------------
# 4.1 specs and shapes
# ---------------------------------------------------------------------------

def test_spec_is_a_pair():
    """The factories return (class, kwargs) pairs; isinstance works on columns."""
    spec = MultiDimensionalColumn(shape=(2, 3))
    assert isinstance(spec, tuple) and len(spec) == 2
    assert spec[1]['shape'] == (2, 3) and spec[1]['defaultnan'] is True
    spec = SeriesColumn(depth=4, defaultnan=False)
    assert spec[1]['defaultnan'] is False
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=4)
    dm.m = MultiDimensionalColumn(shape=(2, 2))
    assert isinstance(dm.s, SeriesColumn) and isinstance(dm.s, MultiDimensionalColumn)
    assert isinstance(dm.m, MultiDimensionalColumn) and not isinstance(dm.m, SeriesColumn)
    assert type(dm.s).__name__ == '_SeriesColumn'
    assert type(dm.m).__name__ == '_MultiDimensionalColumn'
    assert not isinstance(FloatColumn, MultiDimensionalColumn)


def test_spec_example():
    """The SPEC 4.1 example: named dimensions and a series column."""
    dm = DataMatrix(length=2)
    dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz', 'Pz'), 500))
    dm.pupil = SeriesColumn(depth=1000)
    assert dm.erp.shape == (2, 3, 500)
    assert dm.pupil.shape == (2, 1000)
    assert dm.erp.index_names[0] == ['Fz', 'Cz', 'Pz']


def test_series_spec_rules(caplog):
    """depth means shape=(depth,); both → shape ignored with a warning; neither → ValueError."""
    dm = DataMatrix(length=1)
    dm.a = SeriesColumn(shape=(3,))
    assert dm.a.shape == (1, 3)
    dm.b = SeriesColumn(shape=5)
    assert dm.b.shape == (1, 5)
    with caplog.at_level(logging.WARNING):
        dm.c = SeriesColumn(depth=2, shape=(7,))
    assert dm.c.shape == (1, 2)
    assert caplog.records
    with pytest.raises(ValueError):
        SeriesColumn()
    with pytest.raises(ValueError):
        SeriesColumn(shape=(2, 3))


@pytest.mark.parametrize('shape, error', [
    ('ab', ValueError), (('ab', 3), ValueError), ((2.0, 3), TypeError), (2.5, TypeError),
    ((3, None), TypeError), ((3, object()), TypeError)])
def test_bad_shapes(shape, error):
    """str dimensions → ValueError; other non-int, non-collection items → TypeError."""
    with pytest.raises(error):
        MultiDimensionalColumn(shape=shape)
    dm = DataMatrix(length=1)
    with pytest.raises(error):
        dm.m = (MultiDimensionalColumn(shape=(1,))[0], {'shape': shape})
    assert 'm' not in dm


def test_named_dimension_forms():
    """Dimensions can be sizes, tuples/lists of names or arrays of time stamps."""
    dm = DataMatrix(length=1)
    dm.m = MultiDimensionalColumn(shape=(['a', 'b'], [0.0, 0.5, 1.0], 2))
    assert dm.m.shape == (1, 2, 3, 2)
    assert dm.m.index_names == [['a', 'b'], [0.0, 0.5, 1.0], [0, 1]]
    assert dm.m.index_values == [[0, 1], [0, 1, 2], [0, 1]]
    dm.m[0, 'b', 0.5] = 7
    assert dm.m[0, 1, 1].tolist() == [7, 7] and np.isnan(dm.m[0, 'a']).all()
    dm.n = MultiDimensionalColumn(shape=4)
    assert dm.n.shape == (1, 4)


@pytest.mark.parametrize('spec', [MultiDimensionalColumn, SeriesColumn])
def test_defaultnan(storage, spec):
    """defaultnan=False fills with 0, also for SeriesColumn (the reference ignores it)."""
    dm = md_dm(storage, (3,), spec=spec, defaultnan=False)
    assert dm.m.defaultnan is False
    assert dm.m.array.tolist() == [[0, 0, 0]] * 3
    dm = md_dm(storage, (3,), spec=spec)
    assert dm.m.defaultnan is True
    assert np.isnan(dm.m.array).all()


# ---------------------------------------------------------------------------
# 4.2 properties and methods
# ---------------------------------------------------------------------------

def test_properties(storage):
    """shape, depth, index names and values, plottable, array, dtype, metadata, name."""
    dm = md_dm(storage, (('a', 'b'), 3), np.arange(12).reshape(2, 2, 3), n=2,
               metadata='meta')
    col = dm.m
    assert col.shape == (2, 2, 3)
    assert col.depth == 2
    assert col.index_names == [['a', 'b'], [0, 1, 2]]
    assert col.index_values == [[0, 1], [0, 1, 2]]
    assert col.metadata == 'meta'
    assert col.name == 'm' and col.dm is dm
    assert col.dtype is float
    plottable = col.plottable
    assert plottable.shape == (3, 2, 2)
    np.testing.assert_array_equal(plottable, np.swapaxes(np.arange(12).reshape(2, 2, 3),
                                                         0, -1))
    array = col.array
    array[0] = -1
    assert col[0, 0, 0] == 0.0


def test_plottable_of_series_is_a_view(storage):
    """For a series, plottable is a (depth, n) view."""
    dm = md_dm(storage, (4,), [[1, 2, 3, 4], [5, 6, 7, 8]], n=2, spec=SeriesColumn)
    plottable = dm.m.plottable
    assert plottable.shape == (4, 2)
    assert plottable[:, 1].tolist() == [5, 6, 7, 8]
    assert plottable.base is not None


def test_depth_assignment(storage):
    """depth grows with NaN (0 without defaultnan) and shrinks by truncation."""
    dm = md_dm(storage, (3,), [[1, 2, 3]] * 2, n=2, spec=SeriesColumn)
    dm.m.depth = 5
    assert dm.m.shape == (2, 5) and dm.m.depth == 5
    assert dm.m[0][:3].tolist() == [1, 2, 3] and np.isnan(dm.m[0][3:]).all()
    dm.m.depth = 2
    assert dm.m.array.tolist() == [[1, 2], [1, 2]]
    dm = md_dm(storage, (2,), 1, n=2, defaultnan=False)
    dm.m.depth = 3
    assert dm.m.array.tolist() == [[1, 1, 0], [1, 1, 0]]


def test_depth_on_nd_column(storage):
    """depth can only be set on 2-D columns; other columns → TypeError (reference: ValueError)."""
    dm = md_dm(storage, (2, 3), 1)
    assert dm.m.depth == 2
    with pytest.raises(TypeError):
        dm.m.depth = 4
    assert dm.m.shape == (3, 2, 3)


def test_loaded_property(storage):
    """loaded reports the storage; setting it moves the data without changing it."""
    dm = md_dm(storage, (2,), [[1, 2], [3, 4], [5, 6]])
    assert dm.m.loaded is (not storage.offloaded)
    dm.m.loaded = False
    assert not dm.m.loaded
    assert dm.m.array.tolist() == [[1, 2], [3, 4], [5, 6]]
    dm.m.loaded = True
    assert dm.m.loaded
    assert dm.m.array.tolist() == [[1, 2], [3, 4], [5, 6]]
    storage.prepare(dm.m)


def test_setallrows(storage):
    """setallrows broadcasts a value to the cell shape into every row; else ValueError."""
    dm = md_dm(storage, (2, 3))
    dm.m.setallrows([1, 2, 3])
    assert dm.m.array.tolist() == [[[1, 2, 3], [1, 2, 3]]] * 3
    dm.m.setallrows(np.arange(6).reshape(2, 3))
    assert dm.m[2].tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError):
        dm.m.setallrows([1, 2])
    assert dm.m[2].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_unique_count_comparisons_unsupported(storage):
    """unique, count and comparisons raise NotImplementedError (4.9)."""
    dm = md_dm(storage, (2,), 0)
    with pytest.raises(NotImplementedError):
        dm.m.unique
    with pytest.raises(NotImplementedError):
        dm.m.count
    for compare in (lambda c: c == 0, lambda c: c != 0, lambda c: c < 1, lambda c: c >= 1):
        with pytest.raises(NotImplementedError):
            compare(dm.m)


# ---------------------------------------------------------------------------
# 4.3 reading
# ---------------------------------------------------------------------------

def test_int_key_is_writable_view(storage):
    """col[i] is the cell as a writable view; numpy ints work; out of range → IndexError."""
    dm = xy4(storage)
    cell = dm.m[1]
    assert cell.shape == (2, 4)
    assert cell.tolist() == np.arange(8, 16).reshape(2, 4).tolist()
    cell[0, 0] = -1
    assert dm.m[1, 0, 0] == -1.0
    assert dm.m[np.int64(-1)].tolist() == np.arange(16, 24).reshape(2, 4).tolist()
    with pytest.raises(IndexError):
        dm.m[3]
    with pytest.raises(IndexError):
        dm.m[-4]


def test_row_keys_give_columns(storage):
    """Slices, lists, ranges, int arrays, masks and DataMatrix keys give column copies."""
    dm = xy4(storage)
    dm.k = 1, 2, 3
    data = np.arange(24).reshape(3, 2, 4)
    for key, rows in [(slice(1, None), [1, 2]), ([2, 0], [2, 0]), (range(2), [0, 1]),
                      (np.array([1]), [1]), ([True, False, True], [0, 2]),
                      (np.array([False, True, False]), [1]), (dm.k > 1, [1, 2])]:
        result = dm.m[key]
        assert type(result) is type(dm.m), key
        assert result.index_names == dm.m.index_names
        np.testing.assert_array_equal(result.array, data[rows])
    part = dm.m[[0, 2]]  # a list always means rows (the reference reads one cell)
    assert part.shape == (2, 2, 4)
    part[0] = 0
    assert dm.m[0, 1, 1] == 5.0
    with pytest.raises(ValueError):
        dm.m[[True, False]]


def test_row_result_binding(storage):
    """A full-length row selection is bound to col.dm with the selected ids."""
    dm = xy4(storage)
    reverse = dm.m[::-1]
    assert reverse.dm is dm and reverse._rowid.tolist() == [2, 1, 0]
    dm.r = reverse  # ids re-ordered: copied by position, not aliased
    assert dm.r is not reverse and dm.r[0].tolist() == reverse[0].tolist()
    full = dm.m[:]
    assert full.dm is dm and full._rowid.tolist() == [0, 1, 2]
    dm.f = full
    assert dm.f is full
    short = dm.m[:2]
    assert short.dm is not dm and len(short.dm) == 2


def test_ellipsis_key_is_mean(storage):
    """col[...] equals col.mean."""
    dm = xy4(storage)
    np.testing.assert_array_equal(dm.m[...], dm.m.mean)
    assert dm.m[...].shape == (2, 4)


def test_spec_examples(storage):
    """The SPEC 4.3 example, value by value."""
    dm = xy4(storage)
    data = np.arange(24, dtype=float).reshape(3, 2, 4)
    result = dm.m[0]
    assert isinstance(result, np.ndarray) and result.shape == (2, 4)
    result = dm.m[0, 'y']
    assert isinstance(result, np.ndarray) and result.tolist() == data[0, 1].tolist()
    result = dm.m[0, 'y', 3]
    assert type(result) is float and result == 7.0
    result = dm.m[:, 'y']
    assert isinstance(result, SeriesColumn) and result.shape == (3, 4)
    np.testing.assert_array_equal(result.array, data[:, 1])
    result = dm.m[:, 'y', 3]
    assert type(result) is FloatColumn and list(result) == [7.0, 15.0, 23.0]
    result = dm.m[:, ..., ...]
    assert type(result) is FloatColumn
    assert list(result) == data.mean(axis=(1, 2)).tolist()
    result = dm.m[...]
    assert isinstance(result, np.ndarray) and result.shape == (2, 4)
    np.testing.assert_array_equal(result, data.mean(axis=0))
    result = dm.m[..., ..., ...]
    assert type(result) is float and result == data.mean()


def test_single_row_squeezing(storage):
    """One row: single-indexed axes are removed (the reference keeps a length-1 axis)."""
    dm = md_dm(storage, (('x', 'y'), 3), np.arange(12).reshape(2, 2, 3), n=2)
    assert dm.m[0, 'y'].shape == (3,)
    assert dm.m[0, :, 1].tolist() == [1.0, 4.0]
    assert dm.m[1, ['y'], 1:].shape == (1, 2)
    assert dm.m[0, ..., 2] == pytest.approx(3.5)
    assert dm.m[1, ...].tolist() == [7.5, 8.5, 9.5]
    assert dm.m[..., 'y'].tolist() == [6.0, 7.0, 8.0]
    assert dm.m[..., 'x', 0] == 3.0
    assert dm.m[..., :, 0].tolist() == [3.0, 6.0]


def test_names_and_positions(storage):
    """Names address named dimensions; ints are always positions; names on rows → TypeError."""
    dm = md_dm(storage, ((10, 20, 30), ('a', 'b')), np.arange(18).reshape(3, 3, 2))
    assert dm.m[0, 1, 'b'] == 3.0  # 1 is a position, not the name 10
    assert dm.m[0, 2, 0] == 4.0
    with pytest.raises(IndexError):
        dm.m[0, 10]
    with pytest.raises(ValueError):
        dm.m[0, 0, 'c']
    with pytest.raises(ValueError):
        dm.m[0, 0.5]
    with pytest.raises(TypeError):
        dm.m['a', 0]
    assert dm.m[1, [2, 0], ['b', 'a']].tolist() == [[11.0, 10.0], [7.0, 6.0]]


def test_outer_product_selection(storage):
    """Tuple keys select each axis independently (np.ix_), never zip-like."""
    dm = md_dm(storage, (4,), np.arange(12).reshape(3, 4), spec=SeriesColumn)
    result = dm.m[(0, 1), (0, 2)]
    assert isinstance(result, SeriesColumn) and result.shape == (2, 2)
    assert result.array.tolist() == [[0, 2], [4, 6]]
    result = dm.m[np.array([2, 0]), np.array([3, 1])]
    assert result.array.tolist() == [[11, 9], [3, 1]]


def test_long_tuple_means_rows(storage):
    """A tuple longer than the number of dimensions is a list of rows (reference quirk)."""
    dm = md_dm(storage, (2,), [[0, 0], [1, 1], [2, 2]])
    result = dm.m[2, 0, 1]
    assert result.shape == (3, 2)
    assert result.array[:, 0].tolist() == [2, 0, 1]


def test_datamatrix_in_tuple_key(storage):
    """A DataMatrix in position 0 is always multi-row (the reference keeps one row)."""
    dm = xy4(storage)
    dm.k = 1, 2, 3
    one = dm.k == 2
    result = dm.m[one, 'y']
    assert isinstance(result, SeriesColumn) and result.shape == (1, 4)
    assert result.array.tolist() == [[12, 13, 14, 15]]
    result = dm.m[dm.k > 1, 'x', 0]
    assert type(result) is FloatColumn and list(result) == [8.0, 16.0]


def test_empty_selections(storage):
    """Selections of nothing give empty results of the right type (the reference: None)."""
    dm = xy4(storage)
    result = dm.m[[]]
    assert type(result) is type(dm.m) and result.shape == (0, 2, 4)
    result = dm.m[0, []]
    assert isinstance(result, np.ndarray) and result.shape == (0, 4)
    result = dm.m[:, :, 4:]
    assert isinstance(result, MultiDimensionalColumn) and result.shape == (3, 2, 0)
    result = dm.m[[], 'x', 0]
    assert type(result) is FloatColumn and len(result) == 0


def test_result_types_case_4(storage):
    """Several rows: squeeze length-1 cell axes; Float/series/MD by what is left."""
    dm = xy4(storage)
    assert type(dm.m[:, 'y', 3:4]) is type(dm.m[:, 'y']) and \
        isinstance(dm.m[:, 'y', 3:4], SeriesColumn)
    assert dm.m[:, 'y', 3:4].shape == (3, 1)
    result = dm.m[:, ['y'], [3]]
    assert type(result) is FloatColumn and list(result) == [7.0, 15.0, 23.0]
    result = dm.m[:, ['y'], 1:3]
    assert isinstance(result, SeriesColumn) and result.shape == (3, 2)
    result = dm.m[:2, ('y', 'x')]
    assert isinstance(result, MultiDimensionalColumn) and not isinstance(result,
                                                                          SeriesColumn)
    assert result.shape == (2, 2, 4)
    assert result.index_names[0] == ['y', 'x']
    assert result[0, 'y', 0] == 4.0
    result = dm.m[:, ..., 1]
    assert type(result) is FloatColumn and list(result) == [3.0, 11.0, 19.0]
    result = dm.m[:, :, ...]
    assert isinstance(result, SeriesColumn) and result.index_names == [['x', 'y']]
    assert result[0].tolist() == [1.5, 5.5]


def test_result_of_series_column_kind(storage):
    """Selecting from a series column keeps the series kind."""
    dm = md_dm(storage, (4,), np.arange(12).reshape(3, 4), spec=SeriesColumn)
    assert isinstance(dm.m[:, 1:3], SeriesColumn)
    assert dm.m[:, 1:3].array.tolist() == [[1, 2], [5, 6], [9, 10]]
    assert type(dm.m[:, 2]) is FloatColumn
    assert type(dm.m[:, 2:3]) is type(dm.m)


# ---------------------------------------------------------------------------
# 4.4 ellipsis averaging
# ---------------------------------------------------------------------------

def test_ellipsis_ignores_nan(storage):
    """... averages with nanmean; all-NaN slices give NaN with a RuntimeWarning."""
    dm = md_dm(storage, (3,), [[1, NAN, NAN], [3, 2, NAN]], n=2)
    with pytest.warns(RuntimeWarning):
        mean = dm.m[...]
    assert mean.tolist()[:2] == [2.0, 2.0] and math.isnan(mean[2])
    result = dm.m[:, ...]
    assert list(result) == [1.0, 2.5]
    with pytest.warns(RuntimeWarning):
        mean = dm.m[..., 2]
    assert math.isnan(mean)
    dm = md_dm(storage, (2,), [[NAN, NAN], [1, 2]], n=2)
    with pytest.warns(RuntimeWarning):
        result = dm.m[:, ...]
    assert math.isnan(result[0]) and result[1] == 1.5


def test_ellipsis_on_1d_column_is_mean():
    """For 1-D columns col[...] is the column mean."""
    dm = DataMatrix(length=2)
    dm.x = 1, 2
    assert dm.x[...] == 1.5


# ---------------------------------------------------------------------------
# 4.5 writing
# ---------------------------------------------------------------------------

def test_write_examples(storage):
    """The SPEC 4.5 example, step by step."""
    dm = md_dm(storage, (2, 3), n=2)
    dm.m = 1
    assert dm.m.array.tolist() == [[[1] * 3] * 2] * 2
    dm.m = [1, 2, 3]
    assert dm.m.array.tolist() == [[[1, 2, 3]] * 2] * 2
    dm.m = [[1, 2, 3], [4, 5, 6]]
    assert dm.m.array.tolist() == [[[1, 2, 3], [4, 5, 6]]] * 2
    dm.m[:, 0] = [7, 8, 9]
    assert dm.m.array.tolist() == [[[7, 8, 9], [4, 5, 6]]] * 2
    dm.m[1, :, 2] = 0
    assert dm.m[0].tolist() == [[7, 8, 9], [4, 5, 6]]
    assert dm.m[1].tolist() == [[7, 8, 0], [4, 5, 0]]


def test_write_none_and_str(storage):
    """None writes NaN; a str → TypeError; ... in a key → ValueError."""
    dm = md_dm(storage, (2,), 1)
    dm.m[0] = None
    assert np.isnan(dm.m[0]).all()
    with pytest.raises(TypeError):
        dm.m[1] = 'a'
    with pytest.raises(TypeError):
        dm.m = 'abc'
    with pytest.raises(ValueError):
        dm.m[..., 0] = 1
    with pytest.raises(ValueError):
        dm.m[...] = 1
    assert dm.m[1].tolist() == [1, 1]


def test_legacy_per_row_rule(storage):
    """Non-tuple keys on 2-D columns fill each row with one value, also when depth == n."""
    dm = md_dm(storage, (2,), n=2, spec=SeriesColumn)
    dm.m = 1, 2
    assert dm.m.array.tolist() == [[1, 1], [2, 2]]
    dm.m[:, :] = 1, 2
    assert dm.m.array.tolist() == [[1, 2], [1, 2]]
    dm = md_dm(storage, (4,), spec=SeriesColumn)
    dm.m = [1, 2, 3]
    assert dm.m.array.tolist() == [[1] * 4, [2] * 4, [3] * 4]
    dm.m[1:] = [5, 6]
    assert dm.m.array.tolist() == [[1] * 4, [5] * 4, [6] * 4]
    dm.m = [1, 2, 3, 4]
    assert dm.m.array.tolist() == [[1, 2, 3, 4]] * 3


def test_1d_column_values_are_sequences(storage):
    """A 1-D column value is one value per row (the reference broadcasts it along the
    last axis)."""
    dm = md_dm(storage, (3,), spec=SeriesColumn)
    dm.i = IntColumn
    dm.i = 1, 2, 3
    dm.x = 4, 'a', 6
    dm.m[:] = dm.i
    assert dm.m.array.tolist() == [[1] * 3, [2] * 3, [3] * 3]
    dm.m[:2] = dm.i[:2]
    assert dm.m[1].tolist() == [2, 2, 2]
    with pytest.raises(TypeError):
        dm.m[:] = dm.x
    assert dm.m[1].tolist() == [2, 2, 2]


def test_reshape_by_count(storage):
    """Values are reshaped to the addressed region when the element counts match."""
    dm = md_dm(storage, (2, 3), 0, n=2)
    dm.m[0] = range(6)
    assert dm.m[0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert dm.m[1].tolist() == [[0] * 3] * 2
    dm.m[:, 1] = [[1, 2, 3], [4, 5, 6]]
    assert dm.m[1, 1].tolist() == [4, 5, 6]
    with pytest.raises(ValueError):
        dm.m[0] = range(5)
    with pytest.raises(errors.ShapeMismatchError):
        dm.m = np.zeros((3, 3))
    assert dm.m[0].tolist() == [[0, 1, 2], [1, 2, 3]]


def test_full_shape_value(storage):
    """A full-shape array is written element-wise."""
    dm = md_dm(storage, (2, 2))
    data = np.arange(12).reshape(3, 2, 2)
    dm.m = data
    np.testing.assert_array_equal(dm.m.array, data)
    dm.m[[2, 0]] = data[:2]
    np.testing.assert_array_equal(dm.m[2], data[0])
    np.testing.assert_array_equal(dm.m[0], data[1])


def test_write_tuple_keys(storage):
    """Tuple keys with names, lists and DataMatrix keys write outer-product regions."""
    dm = md_dm(storage, (('a', 'b', 'c'), 2), 0)
    dm.k = 1, 2, 3
    dm.m[(0, 2), ('a', 'c'), 1] = 5
    assert dm.m[0].tolist() == [[0, 5], [0, 0], [0, 5]]
    assert dm.m[1].tolist() == [[0, 0]] * 3
    assert dm.m[2].tolist() == [[0, 5], [0, 0], [0, 5]]
    dm.m[dm.k == 2, 'b'] = [7, 8]
    assert dm.m[1].tolist() == [[0, 0], [7, 8], [0, 0]]
    dm.m[[], 'a'] = 99  # empty selection: no-op
    dm.m[:, []] = 99
    assert dm.m.array.max() == 8


def test_write_subset_after_reordering(storage):
    """A DataMatrix key writes the right rows of an MD column after re-ordering."""
    dm = md_dm(storage, (2,), 0, n=4)
    dm.k = 1, 2, 3, 4
    shuffled = dm[[3, 0, 2, 1]]
    storage.prepare(shuffled.m)
    shuffled.m[shuffled.k >= 3] = 1
    assert shuffled.m.array[:, 0].tolist() == [1, 0, 1, 0]
    dm.m[shuffled.k >= 3] = 2
    assert dm.m.array[:, 0].tolist() == [0, 0, 2, 2]


def test_view_writes(storage):
    """Writing into col[i] changes the column."""
    dm = md_dm(storage, (3,), 0)
    dm.m[1][1:] = 4
    assert dm.m.array.tolist() == [[0, 0, 0], [0, 4, 4], [0, 0, 0]]


# ---------------------------------------------------------------------------
# 4.6 arithmetic
# ---------------------------------------------------------------------------

def test_scalar_arithmetic(storage):
    """Scalars on either side; the result keeps the shape spec and kind."""
    dm = md_dm(storage, (('a', 'b'), 2), np.arange(12).reshape(3, 2, 2))
    data = np.arange(12, dtype=float).reshape(3, 2, 2)
    cases = [(dm.m + 1, data + 1), (1 + dm.m, 1 + data), (dm.m - 1, data - 1),
             (10 - dm.m, 10 - data), (dm.m * 2, data * 2), (2 * dm.m, 2 * data),
             (dm.m ** 2, data ** 2), (2 ** dm.m, 2 ** data), (dm.m % 3, data % 3),
             (7 % (dm.m + 1), 7 % (data + 1)), (dm.m // 2, data // 2),
             (20 // (dm.m + 1), 20 // (data + 1)), (dm.m / 2, data / 2)]
    for result, expected in cases:
        assert type(result) is type(dm.m)
        assert result.index_names == dm.m.index_names
        np.testing.assert_array_equal(result.array, expected)
        assert result.dm is dm
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        result = 1 / dm.m
    assert result[0, 0, 0] == INF and result[0, 0, 1] == 1.0
    result = dm.m * None
    assert np.isnan(result.array).all()


def test_string_operand(storage):
    """A string operand → TypeError."""
    dm = md_dm(storage, (2,), 0)
    with pytest.raises(TypeError):
        dm.m + 'a'
    with pytest.raises(TypeError):
        'a' + dm.m


def test_per_row_operands(storage):
    """1-D sequences, (n,) arrays and 1-D columns of any type give one value per row."""
    dm = md_dm(storage, (2,), [[1, 2], [3, 4], [5, 6]], spec=SeriesColumn)
    dm.i = IntColumn
    dm.i = 10, 20, 30
    dm.f = FloatColumn
    dm.f = 10, 20, 30
    dm.x = 10, 20, 30
    expected = [[11, 12], [23, 24], [35, 36]]
    for other in ([10, 20, 30], (10, 20, 30), np.array([10, 20, 30]), dm.i, dm.f, dm.x):
        result = dm.m + other
        assert isinstance(result, SeriesColumn), other
        assert result.array.tolist() == expected
        result = other + dm.m
        assert isinstance(result, SeriesColumn), other
        assert result.array.tolist() == expected
    assert (dm.f - dm.m).array.tolist() == [[9, 8], [17, 16], [25, 24]]
    assert (dm.x / dm.m).array.tolist() == [[10, 5], [20 / 3, 5], [6, 5]]
    assert (dm.i * dm.m).dm is dm
    with pytest.raises(ValueError):  # a 1-D column is never a cell-shaped operand
        dm.m + dm.f[:2]
    with pytest.raises(ValueError):
        dm.f[1:] * dm.m


def test_1d_left_operand_with_depth_equal_n(storage):
    """FloatColumn + MD gives an MD result per row, also when depth == n (reference bug)."""
    dm = md_dm(storage, (3,), np.arange(9).reshape(3, 3), spec=SeriesColumn)
    dm.f = FloatColumn
    dm.f = 100, 200, 300
    result = dm.f + dm.m
    assert isinstance(result, SeriesColumn)
    assert result.array.tolist() == [[100, 101, 102], [203, 204, 205], [306, 307, 308]]
    result = dm.m + [100, 200, 300]  # ambiguity resolved per row
    assert result.array.tolist() == [[100, 101, 102], [203, 204, 205], [306, 307, 308]]


def test_cell_and_full_shape_operands(storage):
    """Cell-shaped arrays apply to every row; full-shape arrays and MD columns element-wise."""
    dm = md_dm(storage, (2, 3), np.arange(18).reshape(3, 2, 3))
    data = np.arange(18, dtype=float).reshape(3, 2, 3)
    cell = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal((dm.m + cell).array, data + cell)
    np.testing.assert_array_equal((cell - dm.m).array, cell - data)
    np.testing.assert_array_equal((dm.m * [[1, 2, 3]]).array, data * [1, 2, 3])
    # a 1-D operand of length n is per row, even though n == the last cell axis
    np.testing.assert_array_equal((dm.m * [1, 2, 3]).array,
                                  data * np.array([1, 2, 3])[:, None, None])
    np.testing.assert_array_equal((dm.m + data).array, data * 2)
    dm.n = MultiDimensionalColumn(shape=(2, 3))
    dm.n = 2
    storage.prepare(dm.n)
    np.testing.assert_array_equal((dm.m * dm.n).array, data * 2)
    with pytest.raises(ValueError):
        dm.m + np.zeros((4, 4))
    dm.s = SeriesColumn(depth=4)
    with pytest.raises(ValueError):
        dm.m + dm.s


def test_both_md_left_kind_wins(storage):
    """With two MD operands the result has the left operand's kind."""
    dm = md_dm(storage, (2,), 1)
    dm.s = SeriesColumn(depth=2)
    dm.s = 2
    storage.prepare(dm.s)
    assert type(dm.m + dm.s) is type(dm.m)
    assert type(dm.s + dm.m) is type(dm.s)
    assert (dm.s + dm.m).array.tolist() == [[3, 3]] * 3


def test_arithmetic_short_result_binding(storage):
    """An MD result from a shorter column is bound to a fresh DataMatrix."""
    dm = md_dm(storage, (2,), 1)
    result = dm.m[:2] * 3
    assert len(result) == 2 and result.dm is not dm
    assert result.array.tolist() == [[3, 3], [3, 3]]


# ---------------------------------------------------------------------------
# 4.7 descriptives
# ---------------------------------------------------------------------------

def test_descriptives_over_rows(storage):
    """mean, median, std, min, max, sum run over rows, NaN-ignoring, cell-shaped."""
    data = np.array([[[1, NAN], [3, 4]], [[3, 2], [5, 6]], [[8, 5], [NAN, 1]]])
    dm = md_dm(storage, (2, 2), data)
    for name, fnc in [('mean', np.nanmean), ('median', np.nanmedian),
                      ('min', np.nanmin), ('max', np.nanmax), ('sum', np.nansum),
                      ('std', lambda a, axis: np.nanstd(a, axis=axis, ddof=1))]:
        result = getattr(dm.m, name)
        assert isinstance(result, np.ndarray) and result.shape == (2, 2), name
        np.testing.assert_allclose(result, fnc(data, axis=0), err_msg=name)


def test_numpy_functions_on_md(storage):
    """np.mean/std/min/max/sum(col) return the properties (the reference raises TypeError)."""
    data = np.arange(12, dtype=float).reshape(4, 3)
    dm = md_dm(storage, (3,), data, n=4)
    np.testing.assert_allclose(np.mean(dm.m), dm.m.mean)
    np.testing.assert_allclose(np.std(dm.m), np.std(data, axis=0, ddof=1))
    np.testing.assert_allclose(np.min(dm.m), data.min(axis=0))
    np.testing.assert_allclose(np.max(dm.m), data.max(axis=0))
    np.testing.assert_allclose(np.sum(dm.m), data.sum(axis=0))
    np.testing.assert_allclose(dm.m.mean(), data.mean(axis=0))


def test_descriptives_of_empty_column(storage):
    """Empty: NaN arrays for mean/median/std/min/max (reference: min/max raise), zeros for sum."""
    dm = md_dm(storage, (2,), n=0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        for name in ('mean', 'median', 'std', 'min', 'max'):
            result = getattr(dm.m, name)
            assert result.shape == (2,) and np.isnan(result).all(), name
    assert dm.m.sum.tolist() == [0.0, 0.0]


def test_sum_of_all_nan_positions(storage):
    """The sum of an all-NaN position is 0; its mean is NaN with a RuntimeWarning."""
    dm = md_dm(storage, (2,), [[NAN, 1], [NAN, 2]], n=2)
    assert dm.m.sum.tolist() == [0.0, 3.0]
    with pytest.warns(RuntimeWarning):
        mean = dm.m.mean
    assert math.isnan(mean[0]) and mean[1] == 1.5


# ---------------------------------------------------------------------------
# 4.8 mapping
# ---------------------------------------------------------------------------

def test_map_result_types(storage):
    """The first result's type decides: float, int (numpy too), str, array-like."""
    dm = md_dm(storage, (2, 2), np.arange(12).reshape(3, 2, 2))
    result = dm.m @ (lambda cell: float(cell.sum()))
    assert type(result) is FloatColumn and list(result) == [6.0, 22.0, 38.0]
    result = dm.m @ (lambda cell: np.float32(cell[0, 0]))
    assert type(result) is FloatColumn and list(result) == [0.0, 4.0, 8.0]
    result = dm.m @ (lambda cell: np.int64(cell.sum()))  # the reference: TypeError
    assert type(result) is IntColumn and list(result) == [6, 22, 38]
    result = dm.m @ (lambda cell: int(cell[1, 1]))
    assert type(result) is IntColumn and list(result) == [3, 7, 11]
    result = dm.m @ (lambda cell: f'v{int(cell[0, 0])}')
    assert type(result) is MixedColumn and list(result) == ['v0', 'v4', 'v8']
    assert result.dm is dm


def test_map_array_results(storage):
    """Array results give an MD column of np.shape(result) (N-D too; the reference fails)."""
    dm = md_dm(storage, (4,), np.arange(12).reshape(3, 4), spec=SeriesColumn)
    result = dm.m @ (lambda cell: cell[:2] * 2)
    assert isinstance(result, SeriesColumn) and result.shape == (3, 2)
    assert result.array.tolist() == [[0, 2], [8, 10], [16, 18]]
    result = dm.m @ (lambda cell: cell.reshape(2, 2))
    assert isinstance(result, MultiDimensionalColumn) and not isinstance(result,
                                                                          SeriesColumn)
    assert result.shape == (3, 2, 2)
    assert result[2].tolist() == [[8, 9], [10, 11]]
    dm2 = md_dm(storage, (2, 2), 1)
    result = dm2.m @ (lambda cell: cell.ravel())
    assert type(result) is type(dm2.m) and result.shape == (3, 4)


def test_map_empty_column(storage):
    """Mapping a zero-row column gives an empty column of the same type and shape."""
    dm = md_dm(storage, (2, 3), n=0)
    result = dm.m @ (lambda cell: 1.0)
    assert type(result) is type(dm.m) and result.shape == (0, 2, 3)


# ---------------------------------------------------------------------------
# 4.10 printing and iteration
# ---------------------------------------------------------------------------

def test_str_and_iteration(storage):
    """str(col) is 'col' + numpy's string of the array; iteration yields cell views."""
    dm = md_dm(storage, (2,), [[1, 2], [3, 4], [5, 6]])
    assert str(dm.m) == 'col' + str(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    cells = list(dm.m)
    assert [c.tolist() for c in cells] == [[1, 2], [3, 4], [5, 6]]
    assert repr(dm.m).startswith('<_MultiDimensionalColumn>[0x')


def test_equals(storage):
    """equals compares shapes and values, NaN equal to NaN."""
    dm = md_dm(storage, (2,), [[1, NAN], [3, 4], [5, 6]])
    other = DataMatrix(length=3)
    other.m = MultiDimensionalColumn(shape=2)
    other.m = [[1, NAN], [3, 4], [5, 6]]
    assert dm.m.equals(other.m)
    other.m[0, 0] = 0
    assert not dm.m.equals(other.m)
    assert not dm.m.equals(dm.m[:2])


# ---------------------------------------------------------------------------
# 12 compact cells (float32)
# ---------------------------------------------------------------------------

def test_float32_dtype_is_kept(storage):
    """float32 columns keep their dtype through indexing, selection and length changes."""
    dm = md_dm(storage, (('a', 'b'), 3), np.arange(18).reshape(3, 2, 3), dtype=np.float32)
    dm.k = 1, 2, 3
    assert dm.m.dtype is np.float32
    assert dm.m.array.dtype == np.float32
    assert dm.m[0].dtype == np.float32
    assert dm.m[1:].dtype is np.float32
    assert dm.m[:, 'a'].dtype is np.float32
    assert (dm.k > 1).m.dtype is np.float32
    assert dm[[2, 0]].m.dtype is np.float32
    dm.length = 4
    assert dm.m.dtype is np.float32 and np.isnan(dm.m[3]).all()
    dm.c = dm.m
    assert dm.c.dtype is np.float32
    other = DataMatrix(length=4)
    other.m = dm.m
    assert other.m.dtype is np.float32


def test_float32_reductions_are_float64(storage):
    """Reductions on float32 columns accumulate and return float64."""
    values = np.full((3, 2), 0.1, dtype=np.float32)
    dm = md_dm(storage, (2,), values, dtype=np.float32)
    for name in ('mean', 'sum', 'std', 'min', 'max', 'median'):
        assert getattr(dm.m, name).dtype == np.float64, name
    assert dm.m[...].dtype == np.float64
    assert type(dm.m[..., ...]) is float
    assert dm.m.sum[0] == pytest.approx(3 * float(np.float32(0.1)))


def test_float32_arithmetic_promotion(storage):
    """Arithmetic follows numpy promotion: Python scalars keep float32, float64 arrays promote."""
    dm = md_dm(storage, (2,), 1, dtype=np.float32)
    assert (dm.m + 1).dtype is np.float32
    assert (dm.m * 2.5).dtype is np.float32
    assert (dm.m + np.ones(2)).dtype is float
    dm.n = MultiDimensionalColumn(shape=2)
    dm.n = 1
    assert (dm.m + dm.n).dtype is float


def test_float32_compact_storage(storage):
    """A float32 column takes half the bytes of a float64 one; other dtypes are refused."""
    dm = md_dm(storage, (4,), 1, dtype=np.float32)
    dm.d = SeriesColumn(depth=4)
    assert dm.m._store.nbytes * 2 == dm.d._store.nbytes
    with pytest.raises((TypeError, ValueError)):
        MultiDimensionalColumn(shape=2, dtype=np.int32)
    dm.x = SeriesColumn(depth=2, dtype=np.float64)
    assert dm.x.dtype is float
