"""Tests of ``datamatrix.multidimensional`` (SPEC 9) on loaded and offloaded columns."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from datamatrix import (DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, SeriesColumn)
from datamatrix import multidimensional as mdim

NAN, INF = np.nan, np.inf
RNG = np.random.default_rng(9)


def md_dm(storage, values, name='m', names=None):
    """A DataMatrix with an MD column ``name`` holding ``values``."""
    values = np.asarray(values, dtype=float)
    dm = DataMatrix(length=len(values))
    shape = values.shape[1:] if names is None else names
    dm[name] = MultiDimensionalColumn(shape=shape)
    dm[name] = values
    storage.prepare(dm[name])
    return dm


# ------------------------------------------------------------------------------ reduce

def test_reduce_default_nanmean_over_all_cell_axes(storage):
    """reduce gives a bound FloatColumn of per-row NaN-ignoring means over every cell axis."""
    data = RNG.normal(size=(4, 2, 3))
    data[0, 0, 0] = NAN
    dm = md_dm(storage, data)
    result = mdim.reduce(dm.m)
    assert type(result) is FloatColumn and result.dm is dm
    assert_array_equal(result, np.nanmean(data.reshape(4, -1), axis=1))
    if storage.offloaded:
        assert not dm.m.loaded


def test_reduce_operation_without_axis_is_called_per_cell(storage):
    """An operation that has no axis argument is called with each cell."""
    dm = md_dm(storage, [[1., 5.], [7., 2.]])
    calls = []

    def first(cell):
        calls.append(cell.shape)
        return cell[0]

    assert_array_equal(mdim.reduce(dm.m, first), [1, 7])
    assert calls == [(2,), (2,)]


def test_reduce_alias_and_bad_input():
    """reduce_ is reduce; non-MD columns are TypeErrors; bad operations ValueErrors."""
    assert mdim.reduce_ is mdim.reduce
    dm = DataMatrix(length=2)
    dm.x = 1, 2
    with pytest.raises(TypeError):
        mdim.reduce(dm.x)
    dm.s = SeriesColumn(depth=3)
    with pytest.raises(ValueError):
        mdim.reduce(dm.s, lambda x, axis=None: np.zeros(5))


# ------------------------------------------------------------------- nancount/infcount

def test_counts_per_cell_are_int_columns(storage):
    """For MD columns nancount/infcount give IntColumns with per-cell counts (±INF both)."""
    dm = md_dm(storage, [[[NAN, INF], [-INF, 1.]], [[NAN, NAN], [0., 0.]]])
    nan, inf = mdim.nancount(dm.m), mdim.infcount(dm.m)
    assert type(nan) is IntColumn and type(inf) is IntColumn and nan.dm is dm
    assert list(nan) == [1, 2]
    assert list(inf) == [2, 0]


def test_counts_of_1d_columns_are_ints():
    """For 1-D columns the counts are ints; MixedColumns count -INF too."""
    dm = DataMatrix(length=4)
    dm.f = FloatColumn
    dm.f = NAN, INF, -INF, 1
    dm.i = IntColumn
    dm.x = MixedColumn
    dm.x = NAN, -INF, 'text', 3
    assert mdim.nancount(dm.f) == 1 and type(mdim.nancount(dm.f)) is int
    assert mdim.infcount(dm.f) == 2
    assert mdim.nancount(dm.i) == 0
    assert mdim.nancount(dm.x) == 1
    assert mdim.infcount(dm.x) == 1


@pytest.mark.parametrize('value, nans, infs', [
    ([1, NAN, INF, -INF], 1, 2),
    (np.array([[NAN, 1], [INF, NAN]]), 2, 1),
    ((NAN, 'nan', [NAN, -INF]), 2, 1),
    (np.array(['a', 'b']), 0, 0),
    ([], 0, 0),
])
def test_counts_of_sequences(value, nans, infs):
    """For other sequences and arrays the counts run over all (nested) elements."""
    assert mdim.nancount(value) == nans
    assert mdim.infcount(value) == infs


# ----------------------------------------------------------------------------- flatten

def test_flatten_elements_in_c_order(storage):
    """MD columns become FloatColumns in C order; 1-D columns repeat and keep their type."""
    dm = md_dm(storage, np.arange(12.).reshape(2, 2, 3))
    dm.trial = IntColumn
    dm.trial = 1, 2
    dm.label = 'a', 'b'
    flat = mdim.flatten(dm)
    assert len(flat) == 12 and flat.column_names == ['label', 'm', 'trial']
    assert type(flat.m) is FloatColumn and list(flat.m) == list(range(12))
    assert type(flat.trial) is IntColumn and list(flat.trial) == [1] * 6 + [2] * 6
    assert type(flat.label) is MixedColumn and list(flat.label) == ['a'] * 6 + ['b'] * 6
    assert len(dm) == 2 and dm.m.shape == (2, 2, 3)


def test_flatten_several_md_columns_and_aliases(storage):
    """Several MD columns of one shape flatten side by side; aliases stay aliases."""
    dm = md_dm(storage, [[1., 2.], [3., 4.]], name='a')
    dm.b = SeriesColumn(depth=2)
    dm.b = [[5, 6], [7, 8]]
    storage.prepare(dm.b)
    dm.c = dm.a
    flat = mdim.flatten(dm)
    assert list(flat.a) == [1, 2, 3, 4] and list(flat.b) == [5, 6, 7, 8]
    assert flat.c is flat.a


def test_flatten_without_md_columns_is_a_copy():
    """Without MD columns flatten returns a copy of the same family."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    flat = mdim.flatten(dm)
    assert flat is not dm and list(flat.x) == [1, 2, 3]
    assert flat.x is not dm.x
    assert len(dm[flat]) == 3  # same family: usable as a row key


def test_flatten_bad_input(storage):
    """MD columns of different shapes raise ValueError; a non-DataMatrix a TypeError."""
    dm = md_dm(storage, np.zeros((2, 3)))
    dm.s = SeriesColumn(depth=4)
    with pytest.raises(ValueError, match='shape'):
        mdim.flatten(dm)
    with pytest.raises(TypeError):
        mdim.flatten(dm.m)
