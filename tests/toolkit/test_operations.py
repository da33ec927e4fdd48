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
    assert result.s.loaded is not offloaded  # over the tiny budget: built in a spill file


# -- sort -------------------------------------------------------------------------------

def test_sort_mixed_order_and_stability():
    """MixedColumn order is -INF, numbers, INF, strings, None, NaN, and stable."""
    dm = DataMatrix(a=['b', None, NAN, INF, 2, -INF, 'B', 1, 2], i=list(range(9)))
    result = ops.sort(dm, by=dm.a)
    assert result == dm
    assert list(result.i) == [5, 7, 4, 8, 3, 6, 0, 1, 2]
    assert list(result._rowid) == [5, 7, 4, 8, 3, 6, 0, 1, 2]
    assert list(ops.sort(dm, by='a').i) == list(result.i)


def test_sort_numeric_nan_last():
    """Numeric columns sort ascending with NaN last."""
    dm = DataMatrix(length=4)
    dm.f = FloatColumn
    dm.f = [2, NAN, -INF, 1]
    assert np.array_equal(ops.sort(dm.f).array, [-INF, 1, 2, NAN], equal_nan=True)
    dm.i = IntColumn
    dm.i = [3, 1, 2, 1]
    dm.k = range(4)
    assert list(ops.sort(dm, by=dm.i).k) == [1, 3, 2, 0]


def test_sort_column_aligned_to_row_ids():
    """A sorted column keeps the row ids, so assigning it sorts only that column."""
    dm = DataMatrix(a=[3, 1, 2], b=['x', 'y', 'z'])
    dm.a = ops.sort(dm.a)
    assert list(dm.a) == [1, 2, 3] and list(dm.b) == ['x', 'y', 'z']
    dm.b = ops.sort(dm.b, by=DataMatrix(k=[2, 1, 0]).k)
    assert list(dm.b) == ['z', 'y', 'x']


def test_sort_errors():
    """No by, an MD by and a by of the wrong length raise."""
    dm = DataMatrix(a=[1, 2])
    dm.s = SeriesColumn(depth=2)
    with pytest.raises(ValueError):
        ops.sort(dm)
    with pytest.raises(TypeError):
        ops.sort(dm, by=dm.s)
    with pytest.raises(ValueError):
        ops.sort(dm, by=DataMatrix(a=[1, 2, 3]).a)


def test_sort_md(offloaded):
    """Sorting copies MD rows in the new order, for loaded and offloaded columns."""
    dm = _series_dm(offloaded)
    dm.k = [2, 0, 3, 1]
    result = ops.sort(dm, by=dm.k)
    assert np.array_equal(result.s._use()[:, 0], [3, 9, 0, 6])
    assert np.array_equal(dm.s._use()[:, 0], [0, 3, 6, 9])
    assert result.s.loaded is not offloaded
    sorted_col = ops.sort(dm.s, by=dm.k)
    assert np.array_equal(sorted_col._use()[:, 0], [3, 9, 0, 6])


# -- shuffle, random_sample ----------------------------------------------------------------

def test_shuffle_dm_keeps_rows_intact(offloaded):
    """Shuffled rows stay intact (MD included) and share the family."""
    dm = _series_dm(offloaded, n=6)
    random.seed(1)
    result = ops.shuffle(dm)
    assert result == dm
    assert sorted(result.i) == list(range(6))
    for row in result:
        assert np.array_equal(row.s, np.arange(3) + 3 * row.i)
    assert list(result._rowid) == list(result.i)


def test_shuffle_column():
    """A shuffled column is a permutation aligned to the original row ids."""
    dm = DataMatrix(a=list(range(20)), b=list(range(20)))
    random.seed(2)
    dm.a = ops.shuffle(dm.a)
    assert sorted(dm.a) == list(range(20)) and list(dm.a) != list(range(20))
    assert list(dm.b) == list(range(20))


def test_random_sample(offloaded):
    """random_sample gives k distinct rows of the same family, MD rows intact."""
    dm = _series_dm(offloaded, n=5)
    result = ops.random_sample(dm, 3)
    assert result == dm and len(result) == 3 and len(set(result.i)) == 3
    for row in result:
        assert np.array_equal(row.s, np.arange(3) + 3 * row.i)
    with pytest.raises(ValueError):
        ops.random_sample(dm, 6)
    with pytest.raises(ValueError):
        ops.random_sample(dm, -1)


def test_random_sample_column_length():
    """A sampled column reports its own length (bound to a fresh DataMatrix of k rows)."""
    dm = DataMatrix(a=list(range(10)))
    col = ops.random_sample(dm.a, 4)
    assert len(col) == 4 and len(col.dm) == 4 and col.dm != dm
    assert len(set(col)) == 4 and set(col) <= set(range(10))


# -- split, bin_split ------------------------------------------------------------------------

def test_split_unique_values():
    """split(col) yields (value, subset) in unique order; NaN groups work."""
    dm = DataMatrix(a=[2, 1, NAN, 2, NAN], i=list(range(5)))
    result = list(ops.split(dm.a))
    assert [v for v, _ in result][:2] == [1, 2] and math.isnan(result[2][0])
    assert [list(s.i) for _, s in result] == [[1], [0, 3], [2, 4]]
    assert all(s == dm for _, s in result)


def test_split_values_and_warning():
    """split(col, v1, v2) yields subsets in that order; a missing value warns."""
    dm = DataMatrix(a=['x', 'y', 'x'], i=[0, 1, 2])
    x, y = ops.split(dm.a, 'x', 'y')
    assert list(x.i) == [0, 2] and list(y.i) == [1]
    with pytest.warns(UserWarning):
        (z,) = ops.split(dm.a, 'z')
    assert len(z) == 0


def test_split_nested():
    """Splitting by several columns yields existing combinations in sorted order."""
    dm = DataMatrix(a=[2, 1, 2, 1, 2], b=['y', 'x', 'x', 'x', 'y'], i=list(range(5)))
    result = list(ops.split(dm.a, dm.b))
    assert [(a, b, list(s.i)) for a, b, s in result] == [
        (1, 'x', [1, 3]), (2, 'x', [2]), (2, 'y', [0, 4])]
    with pytest.raises(ValueError):
        list(ops.split(dm.a, dm.b, 'x'))


def test_split_lazy_columns(offloaded):
    """Subset columns are copied only when accessed, and then correctly (MD too)."""
    dm = _series_dm(offloaded)
    dm.g = [0, 1, 0, 1]
    (_, first), (_, second) = ops.split(dm.g)
    assert all(type(v).__name__ == '_Pending' for v in dict.values(first._cols))
    assert np.array_equal(first.s._use(), [[0, 1, 2], [6, 7, 8]])
    assert type(dict.__getitem__(first._cols, 'i')).__name__ == '_Pending'
    assert list(first.i) == [0, 2]
    assert second.equals(dm[1, 3]) and len(dict(second._cols)) == 3
    assert list(first._rowid) == [0, 2]
    (_, third), _ = ops.split(dm.g)
    assert all(type(col).__name__ != '_Pending' for col in dict(third._cols).values())
    assert list({**third._cols}['i']) == [0, 2]


def test_tuple_split_deprecated():
    """tuple_split behaves as split and emits a DeprecationWarning."""
    dm = DataMatrix(a=[1, 2, 1])
    with pytest.warns(DeprecationWarning):
        result = list(ops.tuple_split(dm.a, 1))
    assert len(result[0]) == 2


def test_bin_split():
    """bin_split sorts and yields bins of sizes int(n*i/bins) apart."""
    dm = DataMatrix(a=[4, 1, 3, 2])
    bins = list(ops.bin_split(dm.a, 3))
    assert [list(b.a) for b in bins] == [[1], [2], [3, 4]]
    assert all(b == dm for b in bins)
    assert list(ops.bin_split(dm.a, 0)) == []
    generator = ops.bin_split(dm.a, 5)
    with pytest.raises(ValueError):
        next(generator)


# -- group ------------------------------------------------------------------------------

def test_group_basic():
    """Groups in order of first appearance; others become NaN-padded series."""
    dm = DataMatrix(c=['b', 'a', 'b'], x=[1, 2, 3])
    dm.f = FloatColumn
    dm.f = [0.5, NAN, 1.5]
    result = ops.group(dm, by=dm.c)
    assert list(result.c) == ['b', 'a']
    with pytest.warns(UserWarning, match="column 'c'"):
        assert isinstance(ops.group(dm, by='x').x, MixedColumn)
    assert np.array_equal(result.x._use(), [[1, 3], [2, NAN]], equal_nan=True)
    assert type(result.x).__name__ == '_SeriesColumn'
    assert np.array_equal(result.f._use(), [[0.5, 1.5], [NAN, NAN]], equal_nan=True)


def test_group_key_collision_and_nan():
    """Tuples of values are keys: ('ab','c') and ('a','bc') differ; NaN groups together."""
    dm = DataMatrix(a=['ab', 'a', NAN, NAN], b=['c', 'bc', 1, 1], x=[1, 2, 3, 4])
    result = ops.group(dm, by=[dm.a, dm.b])
    assert len(result) == 3
    assert np.array_equal(result.x._use(), [[1, NAN], [2, NAN], [3, 4]], equal_nan=True)


def test_group_strings_none_and_md():
    """String groups stay NaN with a warning; MD columns are skipped with a warning."""
    dm = DataMatrix(c=[1, 1, 2], s=['x', 'y', 3])
    dm.m = SeriesColumn(depth=2)
    with pytest.warns(UserWarning):
        result = ops.group(dm, by=dm.c)
    assert 'm' not in result
    assert np.array_equal(result.s._use(), [[NAN, NAN], [3, NAN]], equal_nan=True)
    whole = ops.group(DataMatrix(x=[1, 2]), by=None)
    assert np.array_equal(whole.x._use(), [[1, 2]])
    with pytest.raises(ValueError):
        ops.group(dm, by=DataMatrix(c=[1, 2, 3]).c)


# -- weight ------------------------------------------------------------------------------

def test_weight(offloaded):
    """Rows repeat col[i] times in order, MD columns included; the result is fresh."""
    dm = _series_dm(offloaded, n=3)
    dm.w = IntColumn
    dm.w = [2, 0, 1]
    result = ops.weight(dm.w)
    assert list(result.i) == [0, 0, 2]
    assert np.array_equal(result.s._use()[:, 0], [0, 0, 6])
    assert list(result._rowid) == [0, 1, 2] and result != dm
    mixed = DataMatrix(w=[1, 2])
    assert len(ops.weight(mixed.w)) == 3


def test_weight_errors():
    """Floats (even 1.0 in a FloatColumn) and negatives raise TypeError."""
    dm = DataMatrix(length=2)
    dm.f = FloatColumn
    dm.f = 1.0
    with pytest.raises(TypeError):
        ops.weight(dm.f)
    with pytest.raises(TypeError):
        ops.weight(DataMatrix(w=[1, -1]).w)
    with pytest.raises(TypeError):
        ops.weight(DataMatrix(w=[1, 1.5]).w)


# -- fullfactorial, auto_type ---------------------------------------------------------------

def test_fullfactorial():
    """The first column varies fastest; ignored cells are not levels."""
    dm = DataMatrix(a=['x', 'y', ''], b=[1, 2, 3])
    result = ops.fullfactorial(dm)
    assert list(result.a) == ['x', 'y'] * 3
    assert list(result.b) == [1, 1, 2, 2, 3, 3]
    assert len(ops.fullfactorial(DataMatrix())) == 0
    assert list(ops.fullfactorial(DataMatrix(a=[1, 2]), ignore=1.0).a) == [2]
    dm.f = FloatColumn
    with pytest.raises(TypeError):
        ops.fullfactorial(dm)


def test_auto_type():
    """Mixed columns get the best type; metadata, sorted and MD specs are kept."""
    dm = DataMatrix(i=[1, 2.0], f=[1, NAN], m=[1, ''], n=[None, 1], metadata='meta')
    dm.i.metadata = 'col'
    dm.sorted = False
    dm.s = SeriesColumn(depth=2, defaultnan=False)
    result = ops.auto_type(dm)
    assert [type(c).__name__ for _, c in result.columns] == [
        'IntColumn', 'FloatColumn', 'MixedColumn', 'MixedColumn', '_SeriesColumn']
    assert result.metadata == 'meta' and result.i.metadata == 'col'
    assert result.sorted is False and result.s.defaultnan is False
    assert result != dm and list(result.i) == [1, 2]
    assert isinstance(ops.auto_type(DataMatrix(a=[])).a, IntColumn)


# -- replace ------------------------------------------------------------------------------

def test_replace_simultaneous_and_nan_keys():
    """Pairs apply at once to the original values; NaN keys match in every type."""
    dm = DataMatrix(a=[1, 2, NAN, 'x'])
    assert list(ops.replace(dm.a, {1: 2, 2: 3, NAN: 'n'})) == [2, 3, 'n', 'x']
    dm.f = FloatColumn
    dm.f = [1, 2, NAN, 4]
    result = ops.replace(dm.f, {1: 2, 2: 3, NAN: 0, 'x': 5})
    assert list(result) == [2.0, 3.0, 0.0, 4.0]
    assert list(dm.f)[:2] == [1.0, 2.0]


def test_replace_value_rules():
    """Non-numeric strings into numeric columns raise; None becomes NaN."""
    dm = DataMatrix(length=2)
    dm.f = FloatColumn
    dm.f = [1, 2]
    with pytest.raises(ValueError):
        ops.replace(dm.f, {1: 'x'})
    assert math.isnan(ops.replace(dm.f, {1: None})[0])
    dm.i = IntColumn
    dm.i = [1, 2]
    with pytest.raises(ValueError):
        ops.replace(dm.i, {1: NAN})
    assert list(ops.replace(dm.i, {1: '7'})) == [7, 2]


def test_replace_md(offloaded):
    """For MD columns the mapping applies to every element."""
    dm = _series_dm(offloaded, n=2, depth=3)
    result = ops.replace(dm.s, {0: 10, 5: NAN, 'a': 1})
    assert np.array_equal(result._use(), [[10, 1, 2], [3, 4, NAN]], equal_nan=True)
    assert np.array_equal(dm.s._use(), [[0, 1, 2], [3, 4, 5]])


# -- z --------------------------------------------------------------------------------

def test_z_1d():
    """z scores use ddof=1; non-numeric cells and zero SD give NaN."""
    dm = DataMatrix(a=[1, 2, 3, 'x'])
    result = ops.z(dm.a)
    assert isinstance(result, FloatColumn)
    assert np.allclose(result.array[:3], [-1, 0, 1]) and math.isnan(result[3])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert np.all(np.isnan(ops.z(DataMatrix(a=[1, 1]).a).array))


def test_z_md(offloaded):
    """MD z uses the grand mean and SD (ddof=0) of all elements."""
    dm = _series_dm(offloaded, n=3, depth=2)
    result = ops.z(dm.s)
    data = np.arange(6.0)
    assert np.allclose(result._use(), ((data - data.mean()) / data.std()).reshape(3, 2))


# -- shuffle_horiz, pivot_table, re-exports -----------------------------------------------

def test_shuffle_horiz():
    """Values are permuted within rows among the given columns only."""
    dm = DataMatrix(a=list(range(30)), b=list(range(100, 130)), c=['x'] * 30)
    random.seed(3)
    result = ops.shuffle_horiz(dm.a, dm.b)
    assert result == dm and list(result.c) == ['x'] * 30
    pairs = list(zip(result.a, result.b))
    assert all(sorted(p) == [i, i + 100] for i, p in enumerate(pairs))
    assert any(p[0] >= 100 for p in pairs)
    assert list(dm.a) == list(range(30))
    with pytest.raises(ValueError):
        ops.shuffle_horiz(dm.a, DataMatrix(a=[1]).a)


def test_shuffle_horiz_md(offloaded):
    """MD cells are swapped between columns without corrupting each other."""
    dm = _series_dm(offloaded, n=8, depth=2)
    dm.t = SeriesColumn(depth=2)
    dm.t = -dm.s._use()
    _place(dm.t, offloaded)
    random.seed(4)
    result = ops.shuffle_horiz(dm.s, dm.t)
    swapped = 0
    for i in range(8):
        s, t = result.s[i], result.t[i]
        original = np.arange(2.0) + 2 * i
        assert {tuple(s), tuple(t)} == {tuple(original), tuple(-original)}
        swapped += bool(s[1] < 0)
    assert swapped > 0
    assert np.array_equal(dm.s._use()[:, 1], np.arange(8) * 2 + 1)


def test_pivot_table():
    """pivot_table wraps pandas and keeps one column per level."""
    pytest.importorskip('pandas')
    pytest.importorskip('datamatrix.convert')
    dm = DataMatrix(s=[1, 1, 2, 2], c=['x', 'y', 'x', 'y'], v=[1, 2, 3, 4])
    result = ops.pivot_table(dm, values='v', index=dm.s, columns='c', aggfunc='sum')
    assert sorted(result.column_names) == ['x', 'y']
    assert list(result.x) == [1, 3] and list(result.y) == [2, 4]
    with pytest.raises(TypeError):
        ops.pivot_table(dm, values=1, index='s', columns='c')


def test_reexports():
    """map_, filter_ and setcol are re-exported from functional."""
    assert ops.map_ is functional.map_ and ops.filter_ is functional.filter_
    assert ops.setcol is functional.setcol
