"""Tests of the table: ``DataMatrix`` and ``Row`` (SPEC section 2, 6.5 basics, 12 errors)."""
import importlib.util
import logging
import math
import pickle

import numpy as np
import pytest

from datamatrix import (INF, NAN, DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, Row, SeriesColumn)
from datamatrix import errors

needs_operations = pytest.mark.skipif(
    importlib.util.find_spec('datamatrix.operations') is None,
    reason='datamatrix.operations is not implemented yet')
needs_convert = pytest.mark.skipif(
    importlib.util.find_spec('datamatrix.convert') is None,
    reason='datamatrix.convert is not implemented yet')


def ids(dm):
    """The row ids of ``dm`` as a list."""
    return dm._rowid.tolist()


# ---------------------------------------------------------------------------
# 2.1 construction
# ---------------------------------------------------------------------------

def test_keyword_columns():
    """Keyword lists become columns of the default type, in keyword order."""
    dm = DataMatrix(b=[1, 2], a=['x', 'y'])
    assert len(dm) == 2
    dm.sorted = False
    assert dm.column_names == ['b', 'a']
    assert isinstance(dm.b, MixedColumn)
    assert list(dm.b) == [1, 2] and list(dm.a) == ['x', 'y']


def test_dict_construction_pads_short_columns():
    """A dict gives the length of the longest sequence; shorter columns keep defaults."""
    dm = DataMatrix({'a': [1, 2, 3], 'b': [4, 5]})
    assert len(dm) == 3
    assert list(dm.b) == [4, 5, '']
    assert list(dm.a) == [1, 2, 3]


def test_dict_construction_ignores_keywords(caplog):
    """With a dict, keyword columns are ignored with a logged warning."""
    with caplog.at_level(logging.WARNING):
        dm = DataMatrix({'a': [1]}, b=[2])
    assert 'b' not in dm and 'a' in dm
    assert caplog.records


def test_default_col_type_float_and_int():
    """``float``/``int`` as default_col_type mean FloatColumn/IntColumn."""
    dm = DataMatrix(length=3, default_col_type=float)
    dm.x = 1
    assert isinstance(dm.x, FloatColumn)
    assert DataMatrix(length=1, default_col_type=int).default_col_type is IntColumn
    dm = DataMatrix(a=[1, 2], default_col_type=IntColumn)
    assert isinstance(dm.a, IntColumn)


def test_length_conversion_and_errors():
    """The length is converted with int(); unparsable → TypeError, negative → ValueError."""
    assert len(DataMatrix(length='3')) == 3
    assert len(DataMatrix(length=2.7)) == 2
    with pytest.raises(TypeError):
        DataMatrix(length='three')
    with pytest.raises(TypeError):
        DataMatrix(length=None)
    with pytest.raises(ValueError):
        DataMatrix(length=-1)


def test_keyword_column_errors():
    """Non-list columns → TypeError; unequal lengths or a conflicting length → ValueError."""
    with pytest.raises(TypeError):
        DataMatrix(a=(1, 2))
    with pytest.raises(ValueError):
        DataMatrix(a=[1, 2], b=[1])
    with pytest.raises(ValueError):
        DataMatrix(length=3, a=[1, 2])
    assert len(DataMatrix(length=2, a=[1, 2])) == 2
    with pytest.raises(errors.InvalidValueError):
        DataMatrix(a='ab')


def test_metadata_constructor():
    """The metadata argument is stored as ``dm.metadata``."""
    assert DataMatrix(metadata={'k': 1}).metadata == {'k': 1}
    assert DataMatrix().metadata is None


# ---------------------------------------------------------------------------
# 2.2 row ids, family, equality, truthiness
# ---------------------------------------------------------------------------

def test_fresh_ids_and_growth():
    """Fresh ids are 0..n-1; growing appends max+1...; an emptied DataMatrix restarts at 0."""
    dm = DataMatrix(length=4)
    assert ids(dm) == [0, 1, 2, 3]
    sub = dm[[3, 1]]
    assert ids(sub) == [3, 1]
    sub.length = 4
    assert ids(sub) == [3, 1, 4, 5]
    dm.length = 0
    dm.length = 2
    assert ids(dm) == [0, 1]


def test_family_equality():
    """Selections share the family (==); independent identical tables are not equal."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    assert dm == dm[1:]
    assert dm == (dm.x > 1)
    assert not dm != dm[:1]
    other = DataMatrix(length=3)
    other.x = 1, 2, 3
    assert dm != other
    assert not dm == other
    assert dm != 'not a datamatrix'


def test_family_survives_mutation():
    """Reference quirk: a selection taken earlier can index the table after mutation."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    selection = dm.x > 1
    dm.y = 'new'
    dm.x[0] = 10
    assert dm[selection] == [1, 2]
    assert list(dm.x[selection]) == [2, 3]


def test_truthiness():
    """bool(dm) is len(dm) > 0, whatever the columns."""
    assert not DataMatrix()
    assert DataMatrix(length=1)
    dm = DataMatrix(length=2)
    dm.x = 1, 2
    assert not (dm.x == 5)
    assert dm.x == [1, 5]  # at least one row matches


@needs_convert
def test_hash_is_content_based():
    """hash(dm) follows the content and changes when it changes."""
    from datamatrix import convert
    dm = DataMatrix(length=2)
    dm.x = 1, 2
    assert hash(dm) == hash(convert.to_json(dm))
    before = hash(dm)
    dm.x[0] = 5
    assert hash(dm) != before


# ---------------------------------------------------------------------------
# 2.3 properties and simple methods
# ---------------------------------------------------------------------------

def test_shape_empty_rows():
    """shape, empty and rows describe the table."""
    dm = DataMatrix(length=3)
    assert dm.shape == (3, 0) and dm.empty
    dm.x = 1
    assert dm.shape == (3, 1) and not dm.empty
    assert dm.rows == [0, 1, 2]
    assert dm.length == 3 == len(dm)
    dm.length = 0
    assert dm.empty


def test_column_names_sorted_flag():
    """column_names/columns are alphabetical when sorted, else in insertion order."""
    dm = DataMatrix(length=1)
    dm.b = 1
    dm.a = 2
    assert dm.sorted is True
    assert dm.column_names == ['a', 'b']
    assert [name for name, _ in dm.columns] == ['a', 'b']
    assert dm.columns[0][1] is dm.a
    dm.sorted = False
    assert dm.column_names == ['b', 'a']
    assert [name for name, _ in dm.columns] == ['b', 'a']


def test_default_col_type_assignment():
    """default_col_type accepts column classes and float/int (the reference rejects those)."""
    dm = DataMatrix(length=1)
    dm.default_col_type = float
    assert dm.default_col_type is FloatColumn
    dm.default_col_type = int
    assert dm.default_col_type is IntColumn
    dm.default_col_type = MixedColumn
    assert dm.default_col_type is MixedColumn
    with pytest.raises(TypeError):
        dm.default_col_type = str
    with pytest.raises(TypeError):
        dm.default_col_type = 'FloatColumn'
    assert dm.default_col_type is MixedColumn
    assert 'default_col_type' not in dm


def test_metadata_assignment():
    """dm.metadata = x sets the metadata, not a column (the reference gets this wrong)."""
    dm = DataMatrix(length=2)
    dm.metadata = {'subject': 1}
    assert dm.metadata == {'subject': 1}
    assert 'metadata' not in dm


def test_is_2d():
    """is_2d is True iff no column is multidimensional."""
    dm = DataMatrix(length=2)
    dm.x = 1
    assert dm.is_2d
    dm.s = SeriesColumn(depth=3)
    assert not dm.is_2d


def test_contains_names_and_columns():
    """``in`` tests names, and column objects by identity (the reference raises)."""
    dm = DataMatrix(length=2)
    dm.x = 1
    other = DataMatrix(length=2)
    other.x = 1
    assert 'x' in dm and 'y' not in dm
    assert dm.x in dm
    assert other.x not in dm


def test_dir_lists_columns():
    """dir(dm) includes the column names."""
    dm = DataMatrix(length=1)
    dm.my_col = 1
    assert 'my_col' in dir(dm)


def test_equals():
    """equals compares content, column by column (NaN equal to NaN)."""
    a = DataMatrix(length=2)
    a.x = 1, NAN
    b = DataMatrix(length=2)
    b.x = 1, NAN
    assert a.equals(b)
    b.y = 0
    assert not a.equals(b)
    c = DataMatrix(length=2)
    c.x = 1, 2
    assert not a.equals(c)
    assert not a.equals('x')


def test_numpy_array_of_dm():
    """np.array(dm) is (n, n_columns) in column order, int if possible, else float/object."""
    dm = DataMatrix(length=2)
    dm.a = 1, 2
    dm.b = 3, 4
    array = np.array(dm)
    assert array.shape == (2, 2)
    assert array.dtype.kind == 'i'
    assert array.tolist() == [[1, 3], [2, 4]]
    dm.b = 1.5
    assert np.array(dm).dtype.kind == 'f'
    dm.c = 'x'
    assert np.array(dm).dtype == object


def test_numpy_array_with_md_cells():
    """MD cells are stored as array objects in np.array(dm)."""
    dm = DataMatrix(length=2)
    dm.a = 1
    dm.s = SeriesColumn(depth=3)
    dm.s = 0
    array = np.array(dm)
    assert array.shape == (2, 2)
    assert array.dtype == object
    assert isinstance(array[0, 1], np.ndarray) and array[0, 1].shape == (3,)


# ---------------------------------------------------------------------------
# 2.4 creating and assigning columns
# ---------------------------------------------------------------------------

def test_attribute_and_key_assignment_are_equivalent():
    """dm.name = v and dm['name'] = v do the same; names may be any str."""
    dm = DataMatrix(length=2)
    dm.a = 1, 2
    dm['b'] = 1, 2
    dm['a b'] = 3
    assert dm.a.equals(dm.b)
    assert list(dm['a b']) == [3, 3]
    dm[b'c'] = 4
    assert list(dm.c) == [4, 4]


def test_column_names_must_be_str():
    """Non-str column names → TypeError (an InvalidValueError)."""
    dm = DataMatrix(length=1)
    with pytest.raises(TypeError):
        dm[1.5] = 1
    with pytest.raises(TypeError):
        dm[None] = 1
    assert dm.column_names == []


def test_reserved_names():
    """Attribute assignment to reserved names sets properties; keys still create columns."""
    dm = DataMatrix(length=2)
    dm.length = 3
    assert len(dm) == 3 and 'length' not in dm
    dm['length'] = 5
    assert list(dm['length']) == [5, 5, 5]
    assert dm.length == 3
    dm['sorted'] = 1
    assert dm.sorted is True
    dm['metadata'] = 'm'
    assert dm.metadata is None and list(dm['metadata']) == ['m'] * 3


@pytest.mark.parametrize('value, cls, default', [
    (MixedColumn, MixedColumn, ''), (FloatColumn, FloatColumn, NAN),
    (IntColumn, IntColumn, 0), (float, FloatColumn, NAN), (int, IntColumn, 0)])
def test_column_class_creates_empty_column(value, cls, default):
    """A column class (or float/int) (re)creates an empty column with type defaults."""
    dm = DataMatrix(length=2)
    dm.x = 'old', 'data'
    dm.x = value
    assert type(dm.x) is cls
    values = list(dm.x)
    if isinstance(default, float):
        assert all(math.isnan(v) for v in values)
    else:
        assert values == [default, default]


@pytest.mark.parametrize('defaultnan, fill', [(True, NAN), (False, 0.0)])
def test_spec_creates_md_column(defaultnan, fill):
    """A column spec creates an MD column filled with NaN, or 0 if defaultnan=False."""
    dm = DataMatrix(length=2)
    dm.m = MultiDimensionalColumn(shape=(2, 3), defaultnan=defaultnan)
    dm.s = SeriesColumn(depth=4, defaultnan=defaultnan)
    assert dm.m.shape == (2, 2, 3) and dm.s.shape == (2, 4)
    for col in (dm.m, dm.s):
        np.testing.assert_array_equal(col.array, np.full(col.shape, fill))
    dm.m = SeriesColumn(depth=2)  # re-creation discards the old column
    assert dm.m.shape == (2, 2)


def test_generic_spec_tuple():
    """Any (callable, dict) pair is called as cls(dm, **kwargs) and inserted."""
    calls = []

    def make(dm, **kwargs):
        calls.append(kwargs)
        column = FloatColumn(dm)
        column[:] = kwargs['value']
        return column

    dm = DataMatrix(length=2)
    dm.x = (make, {'value': 3})
    assert calls == [{'value': 3}]
    assert list(dm.x) == [3.0, 3.0]


def test_alias_same_dm():
    """A bound column with the same row ids is inserted as the same object (alias)."""
    dm = DataMatrix(length=3)
    dm.a = 1, 2, 3
    dm.b = dm.a
    assert dm.b is dm.a
    assert dm.a.name == ['a', 'b']
    dm.b[0] = 9
    assert dm.a[0] == 9


def test_arithmetic_result_is_inserted_without_copy():
    """A result bound to dm with dm's ids (dm.x * 2) is inserted as that very object."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    result = dm.x * 2
    assert result.name is None
    dm.y = result
    assert dm.y is result
    assert result.name == 'y'


def test_reordered_same_length_copies_positionally():
    """dm.x[::-1] (ids reordered) gives a new column of the same type, values by position."""
    dm = DataMatrix(length=3)
    dm.x = FloatColumn
    dm.x = 1, 2, 3
    dm.y = dm.x[::-1]
    assert isinstance(dm.y, FloatColumn)
    assert list(dm.y) == [3.0, 2.0, 1.0]
    assert dm.y is not dm.x
    assert ids(dm) == [0, 1, 2]
    assert dm.y._rowid.tolist() == [0, 1, 2]


def test_wrong_length_same_dm_raises():
    """dm.x = dm.c[1:3] on a longer table → ValueError (the reference corrupts the table)."""
    dm = DataMatrix(length=4)
    dm.c = 1, 2, 3, 4
    with pytest.raises(ValueError):
        dm.x = dm.c[1:3]
    assert 'x' not in dm
    assert len(dm) == 4 and len(dm.c) == 4


def test_foreign_column_copied_with_its_type():
    """A column from another table is copied positionally and keeps its type."""
    src = DataMatrix(length=2)
    src.i = IntColumn
    src.i = 5, 6
    src.i.metadata = 'meta'
    dm = DataMatrix(length=2)
    dm.x = 'text'
    dm.x = src.i
    assert isinstance(dm.x, IntColumn)
    assert list(dm.x) == [5, 6]
    assert dm.x is not src.i
    dm.x[0] = 1
    assert src.i[0] == 5
    assert dm.x.dm is dm


def test_foreign_md_column_keeps_spec():
    """A foreign MD column is copied with its shape spec and names."""
    src = DataMatrix(length=2)
    src.m = MultiDimensionalColumn(shape=(('a', 'b'), 2), defaultnan=False)
    src.m = [[1, 2], [3, 4]]
    dm = DataMatrix(length=2)
    dm.m = src.m
    assert isinstance(dm.m, MultiDimensionalColumn)
    assert dm.m.shape == (2, 2, 2)
    assert dm.m.index_names == [['a', 'b'], [0, 1]]
    assert dm.m.defaultnan is False
    assert dm.m[0, 'b', 1] == 4.0


def test_foreign_column_wrong_length():
    """A foreign column of another length → ValueError (LengthMismatchError)."""
    src = DataMatrix(length=3)
    src.x = 1
    dm = DataMatrix(length=2)
    with pytest.raises(errors.LengthMismatchError):
        dm.x = src.x
    assert 'x' not in dm


def test_2d_ndarray_creates_series():
    """A 2-D array makes a series column; (d, n) is transposed; other shapes → ValueError."""
    dm = DataMatrix(length=2)
    dm.s = np.arange(6).reshape(2, 3)
    assert isinstance(dm.s, SeriesColumn)
    assert dm.s.shape == (2, 3)
    assert dm.s[1].tolist() == [3.0, 4.0, 5.0]
    dm.t = np.arange(6).reshape(3, 2)
    assert dm.t.shape == (2, 3)
    assert dm.t[1].tolist() == [1.0, 3.0, 5.0]
    with pytest.raises(ValueError):
        dm.u = np.zeros((3, 3))
    assert 'u' not in dm


def test_2d_ndarray_into_existing_column():
    """A 2-D array assigned to an existing column is written like dm[name][:] = value."""
    dm = DataMatrix(length=2)
    dm.m = MultiDimensionalColumn(shape=(2, 3))
    dm.m = np.arange(6).reshape(2, 3)
    assert dm.m.shape == (2, 2, 3)
    assert dm.m[1].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_plain_values_use_default_type_and_existing_type_is_kept():
    """New columns from values get default_col_type; existing columns keep their type."""
    dm = DataMatrix(length=2, default_col_type=FloatColumn)
    dm.x = '1', 2
    assert isinstance(dm.x, FloatColumn) and list(dm.x) == [1.0, 2.0]
    dm.i = IntColumn
    dm.i = 2.9, '3'
    assert isinstance(dm.i, IntColumn) and list(dm.i) == [2, 3]
    with pytest.warns(UserWarning):
        dm.n = 'a'  # default type: a non-numeric string becomes NaN with a warning
    assert isinstance(dm.n, FloatColumn) and math.isnan(dm.n[0])
    dm.default_col_type = MixedColumn
    dm.z = 'a'
    assert isinstance(dm.z, MixedColumn) and list(dm.z) == ['a', 'a']


def test_generator_values():
    """Iterables are consumed lazily, so generators work."""
    dm = DataMatrix(length=3)
    dm.x = (i * 2 for i in range(3))
    assert list(dm.x) == [0, 2, 4]


def test_failed_assignment_leaves_no_new_column():
    """A failed conversion leaves no new column behind (the reference leaves an empty one)."""
    dm = DataMatrix(length=2)
    with pytest.raises(TypeError):
        dm.x = [1, [2]]
    assert 'x' not in dm
    with pytest.raises(ValueError):
        dm.y = [1, 2, 3]
    assert 'y' not in dm
    dm.default_col_type = IntColumn
    with pytest.raises(TypeError):
        dm.z = [1, 'a']
    assert 'z' not in dm
    assert dm.column_names == []


def test_failed_assignment_keeps_existing_content():
    """A failed assignment to an existing column keeps its old content (all types)."""
    dm = DataMatrix(length=2)
    dm.i = IntColumn
    dm.i = 1, 2
    dm.f = FloatColumn
    dm.f = 1, 2
    dm.x = 'a', 'b'
    dm.s = SeriesColumn(depth=2)
    dm.s = 1
    with pytest.raises(TypeError):
        dm.i = [3, 'x']
    with pytest.raises(TypeError):
        dm.f = [3, object()]
    with pytest.raises(TypeError):
        dm.x = ['c', {}]
    with pytest.raises(TypeError):
        dm.s = 'text'
    with pytest.raises(ValueError):
        dm.s = [1, 2, 3]
    with pytest.raises(ValueError):
        dm.x = ['only one']
    assert list(dm.i) == [1, 2]
    assert list(dm.f) == [1.0, 2.0]
    assert list(dm.x) == ['a', 'b']
    assert dm.s.array.tolist() == [[1, 1], [1, 1]]


# ---------------------------------------------------------------------------
# 2.5 changing the length
# ---------------------------------------------------------------------------

def test_shrink_and_grow():
    """Shrinking keeps the first rows; growing pads with each type's default."""
    dm = DataMatrix(length=3)
    dm.m = 1, 2, 3
    dm.f = FloatColumn
    dm.f = 1
    dm.i = IntColumn
    dm.i = 1
    dm.length = 2
    assert list(dm.m) == [1, 2]
    dm.length = 4
    assert list(dm.m) == [1, 2, '', '']
    assert list(dm.f)[:2] == [1.0, 1.0] and all(math.isnan(v) for v in list(dm.f)[2:])
    assert list(dm.i) == [1, 1, 0, 0]
    assert ids(dm) == [0, 1, 2, 3]


def test_grow_pads_md_with_nan(storage):
    """Growing pads MD columns with NaN, or 0 if defaultnan=False (the reference uses 0)."""
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=3)
    dm.s = 1
    dm.z = MultiDimensionalColumn(shape=(2, 2), defaultnan=False)
    dm.z = 2
    storage.prepare(dm.s)
    storage.prepare(dm.z)
    dm.length = 3
    assert dm.s.shape == (3, 3) and dm.z.shape == (3, 2, 2)
    assert dm.s[0].tolist() == [1, 1, 1]
    assert np.isnan(dm.s[2]).all()
    assert dm.z[2].tolist() == [[0, 0], [0, 0]]
    assert dm.z[1].tolist() == [[2, 2], [2, 2]]
    dm.length = 1
    assert dm.s.shape == (1, 3) and dm.s[0].tolist() == [1, 1, 1]


def test_aliased_column_resized_once():
    """An aliased column is resized once and stays one object."""
    dm = DataMatrix(length=2)
    dm.a = 1, 2
    dm.b = dm.a
    dm.length = 3
    assert dm.a is dm.b and list(dm.a) == [1, 2, '']


def test_length_errors():
    """length = -1 → ValueError (the reference drops a row); non-int → TypeError."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    with pytest.raises(ValueError):
        dm.length = -1
    with pytest.raises(TypeError):
        dm.length = 2.5
    with pytest.raises(TypeError):
        dm.length = '2'
    assert len(dm) == 3 and list(dm.x) == [1, 2, 3]
    dm.length = np.int64(2)
    assert len(dm) == 2


# ---------------------------------------------------------------------------
# 2.6 renaming and deleting
# ---------------------------------------------------------------------------

def test_rename_keeps_position():
    """rename works in place and keeps the insertion position."""
    dm = DataMatrix(length=1)
    dm.sorted = False
    dm.a = 1
    dm.b = 2
    dm.c = 3
    column = dm.b
    dm.rename('b', 'z')
    assert dm.column_names == ['a', 'z', 'c']
    assert dm.z is column and 'b' not in dm
    dm.rename('a', 'a')
    assert dm.column_names == ['a', 'z', 'c']


@pytest.mark.parametrize('old, new', [('missing', 'y'), ('a', 'b'), ('a', 'x.y'),
                                      ('a', 'class'), ('a', '1abc')])
def test_rename_errors(old, new):
    """Missing old, existing new, or invalid identifiers → ValueError (no NameError)."""
    dm = DataMatrix(length=1)
    dm.a = 1
    dm.b = 2
    with pytest.raises(ValueError):
        dm.rename(old, new)
    assert sorted(dm.column_names) == ['a', 'b']


def test_delete_columns():
    """del by attribute, key or column object; missing → AttributeError / ValueError."""
    dm = DataMatrix(length=1)
    dm.a = 1
    dm.b = 2
    dm.c = 3
    del dm.a
    del dm['b']
    del dm[dm.c]
    assert dm.column_names == []
    with pytest.raises(AttributeError):
        del dm.a
    with pytest.raises(ValueError):
        del dm['a']
    other = DataMatrix(length=1)
    other.x = 1
    with pytest.raises(ValueError):
        del dm[other.x]


def test_delete_aliased_column_object():
    """del dm[column] on an aliased column removes it under all names."""
    dm = DataMatrix(length=1)
    dm.a = 1
    dm.b = dm.a
    dm.c = 2
    del dm[dm.a]
    assert dm.column_names == ['c']


def test_delete_rows_in_place():
    """del dm[i], dm[i, j], dm[a:b] remove rows in place; ids and family are kept."""
    dm = DataMatrix(length=6)
    dm.x = range(6)
    dm.s = SeriesColumn(depth=2)
    dm.s = [[i, i] for i in range(6)]
    selection = dm.x > 3
    del dm[0]
    assert list(dm.x) == [1, 2, 3, 4, 5] and ids(dm) == [1, 2, 3, 4, 5]
    del dm[0, 2]
    assert list(dm.x) == [2, 4, 5]
    del dm[1:2]
    assert list(dm.x) == [2, 5] and ids(dm) == [2, 5]
    assert dm.s.array.tolist() == [[2, 2], [5, 5]]
    del dm[-1]
    assert list(dm.x) == [2]
    assert dm == selection  # same family


# ---------------------------------------------------------------------------
# 2.7 reading columns
# ---------------------------------------------------------------------------

def test_missing_column_errors():
    """A missing name raises ColumnNotFoundError: AttributeError, KeyError and ValueError."""
    dm = DataMatrix(length=1)
    with pytest.raises(AttributeError):
        dm.missing
    with pytest.raises(KeyError):
        dm['missing']
    with pytest.raises(errors.ColumnNotFoundError) as info:
        dm.missing
    assert 'missing' in str(info.value)
    assert not hasattr(dm, 'missing')
    assert getattr(dm, 'missing', 'default') == 'default'


def test_columns_are_live():
    """dm.name returns the column object itself; writing into it changes dm."""
    dm = DataMatrix(length=2)
    dm.x = 1
    col = dm.x
    assert dm['x'] is col
    col[1] = 5
    assert dm.x[1] == 5


# ---------------------------------------------------------------------------
# 2.8 rows and iteration
# ---------------------------------------------------------------------------

def test_iteration_yields_rows():
    """Iterating a DataMatrix yields Row objects for positions 0..n-1."""
    dm = DataMatrix(length=3)
    dm.x = 'a', 'b', 'c'
    rows = list(dm)
    assert all(isinstance(row, Row) for row in rows)
    assert [row.x for row in rows] == ['a', 'b', 'c']


def test_row_access():
    """dm[i] (negative, numpy ints) is a Row; out of range → IndexError."""
    dm = DataMatrix(length=3)
    dm.x = 'a', 'b', 'c'
    dm.y = 1, 2, 3
    assert dm[-1].x == 'c'
    assert dm[np.int64(1)]['x'] == 'b'
    with pytest.raises(IndexError):
        dm[3]
    with pytest.raises(IndexError):
        dm[-4]
    row = dm[0]
    assert row[0] == 'a' and row[1] == 1  # k-th name of column_names
    assert len(row) == 2
    assert row.column_names == ['x', 'y']
    assert list(row) == [('x', 'a'), ('y', 1)]


def test_row_assignment():
    """Writing row.name writes the cell; unknown names create a column first."""
    dm = DataMatrix(length=2)
    dm.x = 1
    row = dm[1]
    row.x = 5
    row['x'] = 6
    assert list(dm.x) == [1, 6]
    row.new = 'v'
    assert list(dm.new) == ['', 'v']
    dm.default_col_type = FloatColumn
    dm[0]['f'] = 2
    assert isinstance(dm.f, FloatColumn)
    assert dm.f[0] == 2.0 and math.isnan(dm.f[1])


def test_row_as_slice():
    """row.as_slice is a one-row DataMatrix of the same family."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    part = dm[1].as_slice
    assert isinstance(part, DataMatrix) and len(part) == 1
    assert list(part.x) == [2] and ids(part) == [1]
    assert part == dm


def test_row_equals_with_nan():
    """Row.equals treats NaN as equal to NaN, also in numeric columns (reference bug)."""
    dm = DataMatrix(length=3)
    dm.f = FloatColumn
    dm.f = NAN, NAN, 1
    dm.m = NAN, NAN, 2
    dm.s = SeriesColumn(depth=2)
    assert dm[0].equals(dm[1])
    assert not dm[0].equals(dm[2])
    other = DataMatrix(length=1)
    other.f = NAN
    assert not dm[0].equals(other[0])


def test_row_str():
    """str(row) is a Name | Value table."""
    dm = DataMatrix(length=1)
    dm.x = 'hello'
    text = str(dm[0])
    assert 'Name' in text and 'Value' in text and 'hello' in text


def test_row_md_cell_is_writable_view(storage):
    """For MD columns row.name is a writable view of the cell."""
    dm = DataMatrix(length=2)
    dm.trace = SeriesColumn(depth=6)
    dm.trace = 1
    storage.prepare(dm.trace)
    dm[0].trace[-2:] = NAN
    assert np.isnan(dm.trace[0][-2:]).all()
    assert dm.trace[0][:4].tolist() == [1, 1, 1, 1]
    assert dm.trace[1].tolist() == [1] * 6


# ---------------------------------------------------------------------------
# 2.9 dm[key]
# ---------------------------------------------------------------------------

@pytest.fixture
def dm4():
    """A four-row DataMatrix with x = 10, 20, 30, 40."""
    dm = DataMatrix(length=4)
    dm.x = 10, 20, 30, 40
    dm.y = 'a', 'b', 'c', 'd'
    return dm


def test_key_column_object(dm4):
    """A column of dm returns itself; a foreign column → ValueError/KeyError."""
    assert dm4[dm4.x] is dm4.x
    other = DataMatrix(length=4)
    other.x = 1
    with pytest.raises(ValueError):
        dm4[other.x]
    with pytest.raises(KeyError):
        dm4[other.x]


def test_key_slice_copies(dm4):
    """A slice gives a new DataMatrix of the same family whose columns are copies."""
    part = dm4[1:3]
    assert list(part.x) == [20, 30] and ids(part) == [1, 2]
    assert part == dm4
    part.x[0] = 0
    assert dm4.x[1] == 20
    copy = dm4[:]
    assert copy.x is not dm4.x and copy.x.equals(dm4.x)


@needs_operations
def test_key_column_subset(dm4):
    """A list/tuple of names or columns is a column subset (empty → no columns)."""
    subset = dm4['x', 'x']
    assert subset.column_names == ['x']
    subset = dm4[[dm4.y]]
    assert subset.column_names == ['y']
    assert dm4[[]].column_names == []
    assert dm4[()].column_names == []


def test_key_name_then_indices(dm4):
    """dm['col', i, j] selects rows of a 1-D column and indexes an MD column per dimension."""
    column = dm4['x', 0, 2]
    assert list(column) == [10, 30]
    dm4.m = MultiDimensionalColumn(shape=(2, 3))
    dm4.m = np.arange(24).reshape(4, 2, 3)
    assert dm4['m', 1, 1, 2] == 11.0
    assert dm4['m', 0, 1].tolist() == [3.0, 4.0, 5.0]


def test_key_int_sequences(dm4):
    """Lists, tuples and int arrays select rows in order (negatives, repeats)."""
    assert list(dm4[[3, 0, -1, 0]].x) == [40, 10, 40, 10]
    assert ids(dm4[[3, 0]]) == [3, 0]
    assert list(dm4[0, 2].x) == [10, 30]
    assert list(dm4[np.array([2, 1])].x) == [30, 20]
    assert dm4[[2]] == dm4
    with pytest.raises(IndexError):
        dm4[[0, 4]]


def test_key_bool_mask(dm4):
    """A bool list/array of length n is a mask; another length → ValueError."""
    assert list(dm4[[True, False, True, False]].x) == [10, 30]
    assert list(dm4[np.array([False, True, False, True])].x) == [20, 40]
    with pytest.raises(ValueError):
        dm4[[True, False]]


def test_key_mixing_ints_and_names(dm4):
    """Mixing ints and names in a list → TypeError."""
    with pytest.raises(TypeError):
        dm4[[0, 'x']]


def test_key_rows_with_md_column(dm4):
    """dm[0, 2] and dm[[0, 2]] work with MD columns of many dimensions (reference crashes)."""
    dm4.m = MultiDimensionalColumn(shape=(2, 2, 2))
    dm4.m = np.arange(32).reshape(4, 2, 2, 2)
    for part in (dm4[0, 2], dm4[[0, 2]]):
        assert len(part) == 2
        assert part.m.shape == (2, 2, 2, 2)
        assert part.m[1].ravel().tolist() == list(range(16, 24))


def test_key_where(dm4):
    """A same-family DataMatrix key gives the positions of its rows (where)."""
    assert dm4[(dm4.x > 10) & (dm4.x < 40)] == [1, 2]
    assert dm4[dm4[[3, 1]]] == [3, 1]
    part = dm4[1:]
    assert part[dm4.x == 30] == [1]
    with pytest.raises(ValueError):
        part[dm4.x == 10]
    with pytest.raises(errors.NotASubsetError):
        dm4[DataMatrix(length=1)]


@pytest.mark.parametrize('key', [1.5, None, Ellipsis, {1}])
def test_key_invalid(dm4, key):
    """float, None, Ellipsis and other objects → KeyError."""
    with pytest.raises(KeyError):
        dm4[key]


# ---------------------------------------------------------------------------
# 2.10 selection results and set operators
# ---------------------------------------------------------------------------

def test_selection_copies_all_columns(storage):
    """A comparison result copies every column (types and shapes) and shares the family."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    dm.f = FloatColumn
    dm.f = 1.5
    dm.s = SeriesColumn(depth=2)
    dm.s = [[1, 1], [2, 2], [3, 3]]
    storage.prepare(dm.s)
    result = dm.x >= 2
    assert result == dm
    assert ids(result) == [1, 2]
    assert isinstance(result.f, FloatColumn) and isinstance(result.s, SeriesColumn)
    assert result.s.array.tolist() == [[2, 2], [3, 3]]
    result.x[0] = 99
    result.s[0] = 0
    assert list(dm.x) == [1, 2, 3]
    assert dm.s[1].tolist() == [2, 2]


def test_set_operators_within_a():
    """& and ^ give the intersection / symmetric difference, ordered by row id."""
    dm = DataMatrix(length=5)
    dm.x = 0, 1, 2, 3, 4
    a = dm[[4, 2, 1]]
    b = dm[[2, 4, 0]]
    both = a & b
    assert ids(both) == [2, 4] and list(both.x) == [2, 4]
    assert both == dm
    a.x[0] = 'from a'  # row id 4
    assert list((a & b).x) == [2, 'from a']


@needs_operations
def test_set_operators_union_and_xor():
    """| and ^ take rows from a when present there, else from b, ordered by id."""
    dm = DataMatrix(length=5)
    dm.x = 0, 1, 2, 3, 4
    a = dm[[4, 2]]
    b = dm[[3, 2, 0]]
    a.x[1] = 'a2'
    b.x[1] = 'b2'
    union = a | b
    assert ids(union) == [0, 2, 3, 4]
    assert list(union.x) == [0, 'a2', 3, 4]
    assert union == dm
    xor = a ^ b
    assert ids(xor) == [0, 3, 4] and list(xor.x) == [0, 3, 4]
    assert xor == dm


def test_set_operator_errors():
    """Different families → ValueError; a non-DataMatrix operand → TypeError."""
    a = DataMatrix(length=2)
    b = DataMatrix(length=2)
    with pytest.raises(ValueError):
        a & b
    with pytest.raises(errors.NotASubsetError):
        a | b
    with pytest.raises(TypeError):
        a & 1
    with pytest.raises(TypeError):
        a ^ [0]


# ---------------------------------------------------------------------------
# 2.11 stacking
# ---------------------------------------------------------------------------

@needs_operations
def test_lshift_stacks_without_modifying():
    """dm1 << dm2 stacks; dm <<= row/dict works; operands are not modified."""
    a = DataMatrix(x=[1, 2])
    b = DataMatrix(x=[3])
    c = a << b
    assert list(c.x) == [1, 2, 3]
    assert len(a) == 2 and len(b) == 1
    d = a
    d <<= b[0]
    assert list(d.x) == [1, 2, 3]
    e = DataMatrix(x=[1])
    e <<= {'x': 5}
    assert list(e.x) == [1, 5]


# ---------------------------------------------------------------------------
# 2.12 printing
# ---------------------------------------------------------------------------

def test_str_shows_ids_and_columns():
    """str(dm) is a prettytable whose # column holds the row ids."""
    dm = DataMatrix(length=4)
    dm.x = 'a', 'b', 'c', 'd'
    text = str(dm[[3, 1]])
    lines = text.splitlines()
    assert '#' in lines[1] and 'x' in lines[1]
    assert lines[3].split('|')[1].strip() == '3'
    assert lines[4].split('|')[1].strip() == '1'
    assert lines[3].split('|')[2].strip() == 'd'


def test_str_column_and_row_limits():
    """More than 6 columns / 20 rows are noted below the table."""
    dm = DataMatrix(length=25)
    for name in 'abcdefgh':
        dm[name] = name
    text = str(dm)
    assert text.endswith('(+ 5 rows not shown)')
    assert '(+ 2 columns not shown)' in text
    header = text.splitlines()[1]
    assert 'f' in header and 'g' not in header
    assert sum(1 for line in text.splitlines() if line.startswith('|')) == 21
    assert 'rows not shown' not in str(dm[:20])


def test_str_number_formats():
    """Python/float64 numbers > 999999 use %E (INF as INF); IntColumn ints do not."""
    dm = DataMatrix(length=2)
    dm.sorted = False
    dm.m = 1234567, INF
    dm.f = FloatColumn
    dm.f = 1234567.0, 5
    dm.i = IntColumn
    dm.i = 1234567
    text = str(dm)
    body = text.splitlines()[3]
    assert '1.234567E+06' in body.split('|')[2]
    assert '1.234567E+06' in body.split('|')[3]
    assert body.split('|')[4].strip() == '1234567'
    assert 'INF' in text.splitlines()[4]


def test_str_md_cells_summarised():
    """MD cells are printed with numpy precision 4, threshold 4 and 2 edge items."""
    dm = DataMatrix(length=1)
    dm.s = SeriesColumn(depth=10)
    dm.s = np.arange(10) / 3
    text = str(dm)
    assert '...' in text
    assert '0.3333' in text and '0.33333' not in text


def test_repr():
    """repr(dm) starts with DataMatrix[<family>, 0x<id>] and a newline."""
    dm = DataMatrix(length=1)
    dm.x = 1
    first, rest = repr(dm).split('\n', 1)
    assert first == f'DataMatrix[{dm._family}, 0x{id(dm):x}]'
    assert rest == str(dm)


def test_repr_html():
    """_repr_html_ is a table with cell shapes in MD headers, first and last rows."""
    dm = DataMatrix(length=101)
    dm.s = SeriesColumn(depth=5)
    dm.s = 1
    for index in range(20):
        dm[f'c{index}'] = index
    html = dm._repr_html_()
    assert '<table' in html
    assert '… 91 rows …' in html  # 5 first and 5 last rows (issue 15)
    assert 'Showing 20 of 21 columns' in html
    small = DataMatrix(length=1)
    small.s = SeriesColumn(depth=5)
    assert 's<br /><small>5</small>' in small._repr_html_()
    assert 'Showing' not in small._repr_html_()


# ---------------------------------------------------------------------------
# 6.5 pickling (basics)
# ---------------------------------------------------------------------------

def test_pickle_roundtrip(storage):
    """Content, types, shapes, metadata, ids and sorted survive; the family is fresh."""
    dm = DataMatrix(length=3, metadata={'m': 1})
    dm.sorted = False
    dm.x = 1, 'a', None
    dm.f = FloatColumn
    dm.f = 1.5, NAN, INF
    dm.i = IntColumn
    dm.i = 1, 2, 3
    dm.i.metadata = 'int meta'
    dm.s = SeriesColumn(depth=2, dtype=np.float32)
    dm.s = [[1, 2], [3, 4], [5, 6]]
    dm.m = MultiDimensionalColumn(shape=(('a', 'b'), 2), defaultnan=False)
    dm.m = 1
    storage.prepare(dm.m)
    part = dm[[2, 0]]
    copy = pickle.loads(pickle.dumps(part))
    assert copy != part
    assert copy.equals(part)
    assert ids(copy) == [2, 0]
    assert copy.metadata == {'m': 1}
    assert copy.sorted is False and copy.column_names == ['x', 'f', 'i', 's', 'm']
    assert [type(c) for _, c in copy.columns] == [type(c) for _, c in part.columns]
    assert copy.i.metadata == 'int meta'
    assert copy.s.dtype is np.float32
    assert copy.m.index_names == [['a', 'b'], [0, 1]] and copy.m.defaultnan is False
    copy.x[0] = 'changed'
    assert part.x[0] is None


# ---------------------------------------------------------------------------
# 2.3 pandas compatibility (needs pandas and datamatrix.convert)
# ---------------------------------------------------------------------------

@needs_convert
def test_pandas_compatibility():
    """get, drop_duplicates, groupby and __dataframe__ go through cnv.to_pandas."""
    pd = pytest.importorskip('pandas')
    dm = DataMatrix(length=3)
    dm.a = 1, 1, 2
    dm.b = 'x', 'x', 'y'
    series = dm.get('a')
    assert isinstance(series, pd.Series) and series.tolist() == [1, 1, 2]
    assert dm.get('missing', 'default') == 'default'
    assert dm.get('missing') is None
    deduplicated = dm.drop_duplicates()
    assert isinstance(deduplicated, pd.DataFrame) and len(deduplicated) == 2
    assert dm.groupby('b')['a'].sum().to_dict() == {'x': 2, 'y': 2}
    assert isinstance(dm.__dataframe__(), pd.DataFrame)


# ---------------------------------------------------------------------------
# 12 exception classes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('name, bases', [
    ('ColumnNotFoundError', (AttributeError, KeyError, ValueError)),
    ('InvalidKeyError', (KeyError, TypeError)),
    ('InvalidValueError', (TypeError, ValueError)),
    ('LengthMismatchError', (ValueError,)),
    ('ShapeMismatchError', (ValueError,)),
    ('NotASubsetError', (ValueError,)),
    ('MemoryBudgetError', (MemoryError,)),
    ('BinFormatError', (ValueError,))])
def test_exception_classes(name, bases):
    """Each error class derives from DataMatrixError and the reference's built-in types."""
    cls = getattr(errors, name)
    assert issubclass(cls, errors.DataMatrixError)
    assert issubclass(errors.DataMatrixError, Exception)
    for base in bases:
        assert issubclass(cls, base)
    assert name in errors.__all__


def test_error_messages_name_the_problem():
    """Messages name the offending column or key and are not repr()-quoted."""
    dm = DataMatrix(length=2)
    with pytest.raises(errors.ColumnNotFoundError) as info:
        dm['nope']
    assert str(info.value) == "no column named 'nope'"
    with pytest.raises(errors.InvalidKeyError) as info:
        dm[1.5]
    assert '1.5' in str(info.value)
    with pytest.raises(errors.LengthMismatchError) as info:
        dm.x = [1, 2, 3]
    assert '3' in str(info.value) and '2' in str(info.value)


def test_pickle_offloaded_column_warns(storage, caplog):
    """Pickling an offloaded MD column stores its data with a logged warning."""
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(depth=2)
    dm.s = [[1, 2], [3, 4], [5, 6]]
    storage.prepare(dm.s)
    with caplog.at_level(logging.WARNING, logger='datamatrix'):
        data = pickle.dumps(dm)
    assert bool(caplog.records) == storage.offloaded
    copy = pickle.loads(data)
    assert copy.s.array.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert ids(copy) == [0, 1, 2] and copy != dm
