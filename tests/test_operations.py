"""Tests for datamatrix.operations (SPEC 7)."""
import math
import os
import random
import warnings

import numpy as np
import pytest

from datamatrix import (DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, SeriesColumn, cfg, functional)
from datamatrix import operations as ops

NAN = float('nan')
INF = float('inf')

_CFG_KEYS = ('always_load_max_size', 'memory_limit', 'save_chunk_size', 'tmp_dir')


@pytest.fixture(params=['loaded', 'offloaded'])
def offloaded(request, tmp_path):
    """Run a test once with loaded and once with offloaded MD columns (tiny budget)."""
    saved = {key: getattr(cfg, key) for key in _CFG_KEYS}
    cfg.tmp_dir = str(tmp_path)
    is_offloaded = request.param == 'offloaded'
    if is_offloaded:
        cfg.always_load_max_size = 0
        cfg.memory_limit = 64
        cfg.save_chunk_size = 48
    try:
        yield is_offloaded
    finally:
        for key, value in saved.items():
            setattr(cfg, key, value)
    assert os.listdir(tmp_path) == []


def _place(col, offloaded):
    """Offload an MD column when the test runs in offloaded mode."""
    if offloaded:
        col.loaded = False
        assert not col.loaded
    return col


def _series_dm(offloaded, n=4, depth=3):
    dm = DataMatrix(length=n)
    dm.i = range(n)
    dm.s = SeriesColumn(depth=depth)
    dm.s = np.arange(n * depth, dtype=float).reshape(n, depth)
    _place(dm.s, offloaded)
    return dm


# -- keep_only --------------------------------------------------------------------

def test_keep_only_names_and_columns():
    """keep_only accepts names, columns and a list; order follows dm; same family."""
    dm = DataMatrix(a=[1, 2], b=[3, 4], c=[5, 6])
    result = ops.keep_only(dm, 'c', dm.a)
    assert list(result._cols) == ['a', 'c']
    assert result == dm
    assert list(result.c) == [5, 6]
    assert list(ops.keep_only(dm, ['b'])._cols) == ['b']
    assert list(dm['b', 'a']._cols) == ['a', 'b']


def test_keep_only_copies():
    """The result holds copies: writing into it leaves dm unchanged."""
    dm = DataMatrix(a=[1, 2])
    result = ops.keep_only(dm, 'a')
    result.a[0] = 9
    assert list(dm.a) == [1, 2]


def test_keep_only_column_of_earlier_version():
    """A column of an earlier version of dm stands for its name."""
    dm = DataMatrix(a=[1, 2], b=[3, 4])
    old = dm[:]
    dm.c = 1
    result = ops.keep_only(dm, old.b)
    assert list(result._cols) == ['b']


def test_keep_only_errors():
    """Aliased columns raise TypeError, other items ValueError, unknown names warn."""
    dm = DataMatrix(a=[1, 2])
    dm.b = dm.a
    with pytest.raises(TypeError):
        ops.keep_only(dm, dm.a)
    with pytest.raises(ValueError):
        ops.keep_only(dm, 1)
    with pytest.warns(UserWarning):
        result = ops.keep_only(dm, 'a', 'nope')
    assert list(result._cols) == ['a']


def test_keep_only_md(offloaded):
    """keep_only copies MD columns, loaded or offloaded."""
    dm = _series_dm(offloaded)
    result = ops.keep_only(dm, 's')
    assert np.array_equal(result.s._use(), dm.s._use())
    assert result.s._store is not dm.s._store


def test_keep_only_empty_tuple():
    """The empty key gives a DataMatrix without columns (reference quirk)."""
    dm = DataMatrix(a=[1, 2])
    assert dm[()].shape == (2, 0)


# -- stack --------------------------------------------------------------------------

def test_stack_union_and_defaults():
    """Columns are unioned in order of first appearance; missing cells hold defaults."""
    dm1 = DataMatrix(a=[1, 2])
    dm1.f = FloatColumn
    dm1.f = 1.5
    dm2 = DataMatrix(b=['x'])
    dm2.i = IntColumn
    dm2.i = 7
    result = ops.stack(dm1, dm2)
    assert list(result._cols) == ['a', 'f', 'b', 'i']
    assert list(result.a) == [1, 2, '']
    assert np.array_equal(result.f.array, [1.5, 1.5, NAN], equal_nan=True)
    assert list(result.i) == [0, 0, 7]
    assert list(result.b) == ['', '', 'x']
    assert isinstance(result.f, FloatColumn) and isinstance(result.i, IntColumn)
    assert list(result._rowid) == [0, 1, 2]
    assert result != dm1 and result != dm2


def test_stack_rows_dicts_lists_and_empty():
    """Rows, dicts and a single list are accepted; no arguments give an empty dm."""
    dm = DataMatrix(a=[1, 2])
    assert list(ops.stack(dm, dm[1], {'a': [5]}).a) == [1, 2, 2, 5]
    assert list(ops.stack([dm, dm]).a) == [1, 2, 1, 2]
    assert len(ops.stack()) == 0 and len(ops.stack([])) == 0
    result = dm << dm[0]
    assert list(result.a) == [1, 2, 1]
    result = dm
    result <<= {'a': [3]}
    assert list(result.a) == [1, 2, 3] and list(dm.a) == [1, 2]


def test_stack_type_errors():
    """Other argument types and mismatching column types raise TypeError."""
    dm = DataMatrix(a=[1])
    with pytest.raises(TypeError):
        ops.stack(dm, 1)
    other = DataMatrix(length=1)
    other.a = FloatColumn
    with pytest.raises(TypeError):
        ops.stack(dm, other)
    s1 = DataMatrix(length=1)
    s1.x = SeriesColumn(depth=2)
    s2 = DataMatrix(length=1)
    s2.x = MultiDimensionalColumn(shape=(2,))
    with pytest.raises(TypeError):
        ops.stack(s1, s2)
    m1 = DataMatrix(length=1)
    m1.x = MultiDimensionalColumn(shape=(2, 2))
    m2 = DataMatrix(length=1)
    m2.x = MultiDimensionalColumn(shape=(2, 3))
    with pytest.raises(TypeError):
        ops.stack(m1, m2)


def test_stack_keeps_metadata():
    """Column metadata comes from the first input with the column (1-D too)."""
    dm1 = DataMatrix(a=[1])
    dm1.a.metadata = 'first'
    dm1.metadata = 'dm'
    dm2 = DataMatrix(a=[2])
    dm2.a.metadata = 'second'
    dm2.b = 1
    dm2.b.metadata = 'b'
    result = ops.stack(dm1, dm2)
    assert result.a.metadata == 'first'
    assert result.b.metadata == 'b'
    assert result.metadata is None


def test_stack_md_depths(offloaded):
    """2-D columns of different depth are padded (NaN or 0) and inputs are unchanged."""
    dm1 = _series_dm(offloaded, n=3, depth=2)
    dm2 = DataMatrix(length=2)
    dm2.s = SeriesColumn(depth=4, defaultnan=False)
    dm2.s = np.ones((2, 4))
    _place(dm2.s, offloaded)
    dm3 = DataMatrix(length=1)
    dm3.i = 9
    result = ops.stack(dm1, dm2, dm3)
    expected = np.array([[0, 1, NAN, NAN], [2, 3, NAN, NAN], [4, 5, NAN, NAN],
                         [1, 1, 1, 1], [1, 1, 1, 1], [NAN] * 4])
    assert np.array_equal(result.s._use(), expected, equal_nan=True)
    assert type(result.s).__name__ == '_SeriesColumn'
    assert dm1.s.shape == (3, 2) and dm2.s.shape == (2, 4)
    assert np.array_equal(dm1.s._use(), [[0, 1], [2, 3], [4, 5]])
    result = ops.stack(dm3, dm2)
    assert np.array_equal(result.s._use(), [[0] * 4, [1] * 4, [1] * 4])
    assert result.s.defaultnan is False


def test_stack_md_named_dims_and_float32(offloaded):
    """Named dimensions, defaultnan and float32 storage are kept."""
    dm1 = DataMatrix(length=2)
    dm1.m = MultiDimensionalColumn(shape=(('x', 'y'), 2), dtype=np.float32)
    dm1.m = 1
    _place(dm1.m, offloaded)
    dm2 = DataMatrix(length=3)
    dm2.m = MultiDimensionalColumn(shape=(('x', 'y'), 2), dtype=np.float32)
    dm2.m = 2
    _place(dm2.m, offloaded)
    result = dm1 << dm2
    assert result.m.shape == (5, 2, 2)
    assert result.m._dtype == np.float32
    assert result.m.index_names[0] == ['x', 'y']
    assert list(result.m[:, 'y', 0]) == [1, 1, 2, 2, 2]


def test_stack_many_inputs_offloaded(offloaded):
    """Many offloaded inputs are stacked block by block with the right values."""
    parts = []
    for index in range(10):
        dm = DataMatrix(length=3)
        dm.k = index
        dm.s = SeriesColumn(depth=5)
        dm.s = index
        _place(dm.s, offloaded)
        parts.append(dm)
    result = ops.stack(parts)
    assert len(result) == 30
    assert np.array_equal(result.s._use()[:, 0], np.repeat(np.arange(10.0), 3))
    assert list(result.k) == list(np.repeat(np.arange(10), 3))
