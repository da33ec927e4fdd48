"""Regression tests for the bugs listed in issue 12 ("Bugs found").

* ellipsis averaging over a cell axis of 2-D+ cells (SPEC 4.3, 4.4), checked for
  every combination of ``...`` with ints, slices and lists against numpy, loaded
  and offloaded (the ``storage`` fixture of ``conftest.py``);
* MixedColumn arithmetic converts the other operand by the MixedColumn rules first,
  and float results stay floats (SPEC 3.5, 3.8);
* ``io.readtxt`` of an empty file.
"""
import itertools
import math

import numpy as np
import pytest

from datamatrix import (DataMatrix, FloatColumn, MixedColumn, MultiDimensionalColumn,
                        SeriesColumn, io)

# ---------------------------------------------------------------------------
# Ellipsis averaging
# ---------------------------------------------------------------------------

# one choice of each kind per axis; every axis has at least 2 positions, so an
# averaged axis always has a valid value despite the single NaN in the data
_ROW_ITEMS = [Ellipsis, 1, slice(1, 3), [2, 0]]
_CELL_ITEMS = [Ellipsis, -1, slice(0, 2), [1, 0]]
_CELL_SHAPES = [(4,), (2, 3), (3, 2, 2), (2, 2, 2, 2)]


def _values(cell_shape, n=3):
    """Distinct values, with one NaN, for ``n`` rows of ``cell_shape``."""
    values = np.arange(n * math.prod(cell_shape), dtype=float).reshape(
        (n,) + cell_shape) ** 1.5
    values[(0,) * (1 + len(cell_shape))] = np.nan
    return values


def _expected(values, key):
    """What SPEC 4.3 asks for, computed with plain numpy: ``(kind, array)``.

    kind is ``'float'``, ``'array'`` (rows averaged or one row), or the name of the
    column class for a multi-row result.
    """
    items = list(key) + [slice(None)] * (values.ndim - len(key))
    result = values
    averaged, singles = [], []
    for axis, item in enumerate(items):
        if item is Ellipsis:
            averaged.append(axis)
        elif isinstance(item, int):
            result = np.take(result, [item], axis=axis)
            singles.append(axis)
        elif isinstance(item, slice):
            result = result[(slice(None),) * axis + (item,)]
        else:
            result = np.take(result, item, axis=axis)
    result = np.nanmean(result, axis=tuple(averaged)) if averaged else result
    kept = [axis for axis in range(values.ndim) if axis not in averaged]
    rows_item = items[0]
    if rows_item is Ellipsis or isinstance(rows_item, int):
        drop = tuple(i for i, axis in enumerate(kept) if axis in singles)
        result = np.squeeze(result, axis=drop)
        return ('float' if result.ndim == 0 else 'array'), result
    # several rows: a column whose length-1 cell axes are squeezed away
    cell = [s for s in result.shape[1:] if s != 1]
    result = result.reshape((len(result),) + tuple(cell))
    if not cell:
        if any(isinstance(item, slice) for item in items[1:]):
            return '_SeriesColumn', result.reshape(len(result), 1)
        return 'FloatColumn', result
    return ('_SeriesColumn' if len(cell) == 1 else '_MultiDimensionalColumn'), result


def _keys(ndim):
    """Every tuple key (full length and shortened) with at least one ``...``."""
    for length in range(1, ndim + 1):
        choices = [_ROW_ITEMS] + [_CELL_ITEMS] * (length - 1)
        for key in itertools.product(*choices):
            if Ellipsis in key:
                yield key


@pytest.mark.parametrize('cell_shape', _CELL_SHAPES, ids=str)
def test_ellipsis_every_combination(storage, cell_shape):
    """Every placement of ``...`` (with ints, slices, lists) equals numpy's nanmean."""
    values = _values(cell_shape)
    dm = DataMatrix(length=len(values))
    dm.m = MultiDimensionalColumn(shape=cell_shape)
    dm.m = values
    storage.prepare(dm.m)
    count = 0
    for key in _keys(1 + len(cell_shape)):
        kind, expected = _expected(values, key)
        result = dm.m[key]
        if kind == 'float':
            assert type(result) is float, key
            assert result == pytest.approx(float(expected)), key
        elif kind == 'array':
            assert isinstance(result, np.ndarray), key
            assert result.shape == expected.shape, key
            np.testing.assert_allclose(result, expected, err_msg=str(key))
        else:
            assert type(result).__name__ == kind, (key, type(result))
            assert result.shape == expected.shape, key
            np.testing.assert_allclose(np.asarray(result.array if kind != 'FloatColumn'
                                                  else list(result)),
                                       expected, err_msg=str(key))
        count += 1
    # all keys of every length with at least one ... were checked
    assert count == sum(4 ** k - 3 ** k for k in range(1, 2 + len(cell_shape)))
    # the data are unchanged, and still where the storage mode put them
    np.testing.assert_array_equal(dm.m.array, values)
    assert dm.m.loaded is not storage.offloaded


def test_ellipsis_issue_examples(storage):
    """The examples of issue 12: cell axes averaged together with the rows."""
    dm = DataMatrix(length=2)
    dm.m = MultiDimensionalColumn(shape=(3, 4))
    dm.m = np.arange(24).reshape(2, 3, 4)
    storage.prepare(dm.m)
    np.testing.assert_array_equal(dm.m[..., ...], [10, 11, 12, 13])
    assert dm.m[..., ..., 0] == 10.0
    assert dm.m[..., 1, ...] == pytest.approx(np.mean([[4, 5, 6, 7], [16, 17, 18, 19]]))
    assert dm.m[..., ..., ...] == pytest.approx(11.5)
    np.testing.assert_array_equal(dm.m[:, ..., ...], [5.5, 17.5])
    assert type(dm.m[:, ..., ...]) is FloatColumn


def test_ellipsis_named_dimensions(storage):
    """Names work beside ``...``; the named axis's names survive a row selection."""
    dm = DataMatrix(length=3)
    dm.m = MultiDimensionalColumn(shape=(('x', 'y'), 3, 2))
    values = np.arange(36, dtype=float).reshape(3, 2, 3, 2)
    dm.m = values
    storage.prepare(dm.m)
    np.testing.assert_allclose(dm.m[..., 'y', ...], values[:, 1].mean(axis=(0, 1)))
    result = dm.m[:, :, ..., 1]
    assert isinstance(result, SeriesColumn)
    assert result.index_names == [['x', 'y']]
    np.testing.assert_allclose(result.array, values[:, :, :, 1].mean(axis=2))


def test_ellipsis_all_nan_warns(storage):
    """An all-NaN averaged slice gives NaN with numpy's RuntimeWarning."""
    dm = DataMatrix(length=2)
    dm.m = MultiDimensionalColumn(shape=(2, 2))
    dm.m[:, :, 0] = 1  # the second position of the last axis stays NaN
    storage.prepare(dm.m)
    with pytest.warns(RuntimeWarning):
        result = dm.m[..., ...]
    assert result[0] == 1 and math.isnan(result[1])


# ---------------------------------------------------------------------------
# MixedColumn arithmetic (SPEC 3.5, 3.8)
# ---------------------------------------------------------------------------

def _same(values, expected):
    """Equal values of equal types."""
    return [(type(v), v) for v in values] == [(type(v), v) for v in expected]


def test_mixed_operand_converted_first():
    """Operands follow the MixedColumn rules: '2' is the number 2, not text."""
    dm = DataMatrix(length=2)
    dm.col = 3, 3
    assert _same(list(dm.col + (1, '2')), [4, 5])
    assert _same(list(dm.col * '2'), [6, 6])
    assert _same(list('2' * dm.col), [6, 6])
    assert _same(list(dm.col - b'1'), [2, 2])
    assert _same(list(dm.col + ' 1.5 '), [4.5, 4.5])
    assert _same(list(dm.col ** '2'), [9, 9])
    # non-numeric operands keep the old rules: text for +, the cell otherwise
    assert _same(list(dm.col + 'x'), ['3x', '3x'])
    assert _same(list('x' + dm.col), ['x3', 'x3'])
    assert _same(list(dm.col * 'x'), [3, 3])
    # text results are stored by the MixedColumn rules: '3' + '' is the number 3
    assert _same(list(dm.col + (None, '')), ['3None', 3])
    assert type(dm.col + '2') is MixedColumn
    assert _same(list(dm.col), [3, 3])  # the operand column is unchanged


def test_mixed_float_results_stay_floats():
    """A float result is stored as a float, also when it is integral."""
    dm = DataMatrix(length=3)
    dm.col = 0, 'a', 20
    assert _same(list(dm.col * .5), [0.0, 'a', 10.0])
    assert _same(list(dm.col * 2), [0, 'a', 40])
    assert _same(list(dm.col / 4), [0.0, 'a', 5.0])
    assert _same(list(dm.col + 1.0), [1, 'a1', 21])  # 1.0 is the int 1 first
    nan = dm.col * float('nan')
    assert math.isnan(nan[0]) and nan[1] == 'a' and math.isnan(nan[2])


def test_mixed_operand_that_cannot_be_held():
    """An operand a MixedColumn cannot hold -> TypeError; the DataMatrix is unchanged."""
    dm = DataMatrix(length=2)
    dm.col = 3, 3
    with pytest.raises(TypeError, match='list'):
        dm.col + ([1], 2)
    with pytest.raises(TypeError):
        dm.col + 1j
    assert _same(list(dm.col), [3, 3])


# ---------------------------------------------------------------------------
# readtxt of an empty file (SPEC 6.1)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('content', [b'', b'\n\n', b'\xef\xbb\xbf', b'\r\n'],
                         ids=['empty', 'blank-lines', 'bom-only', 'crlf'])
def test_readtxt_empty_file(tmp_path, content):
    """An empty (or blank) file gives an empty DataMatrix without columns."""
    path = tmp_path / 'empty.csv'
    path.write_bytes(content)
    dm = io.readtxt(path)
    assert isinstance(dm, DataMatrix)
    assert len(dm) == 0 and dm.column_names == []
    dm.length = 2  # a normal, usable DataMatrix
    dm.x = 1, 2
    assert list(dm.x) == [1, 2]
