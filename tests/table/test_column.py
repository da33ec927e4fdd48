"""Tests of the 1-D column types (SPEC section 3): Mixed, Float and Int columns."""
import functools
import math
import warnings

import numpy as np
import pytest

from datamatrix import (INF, NAN, DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        SeriesColumn)
from datamatrix import errors

TYPES = [MixedColumn, FloatColumn, IntColumn]


def make(values, cls=MixedColumn, **kwargs):
    """A column of type ``cls`` holding ``values``, in a fresh DataMatrix."""
    dm = DataMatrix(length=len(values), **kwargs)
    dm.x = cls
    dm.x = values
    return dm.x


def same(a, b):
    """Whether two lists are equal, NaN equal to NaN and types compared too."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if type(x) is not type(y) or x != y:
            return False
    return True


# ---------------------------------------------------------------------------
# 3.1 column objects
# ---------------------------------------------------------------------------

def test_column_binding_and_name():
    """col.dm is its table; name is a str, a list when aliased, None for results."""
    dm = DataMatrix(length=2)
    dm.a = 1, 2
    assert dm.a.dm is dm
    assert dm.a.name == 'a'
    dm.b = dm.a
    assert dm.a.name == ['a', 'b']
    assert (dm.a + 1).name is None
    assert dm.a[:1].name is None


def test_metadata():
    """col.metadata defaults to None and is assignable."""
    dm = DataMatrix(length=1)
    dm.x = 1
    assert dm.x.metadata is None
    dm.x.metadata = {'unit': 'ms'}
    assert dm.x.metadata == {'unit': 'ms'}


@pytest.mark.parametrize('cls, values, cell_type', [
    (MixedColumn, [1, 'a', None], None), (FloatColumn, [1, 2.5, NAN], float),
    (IntColumn, [3, 1, 2], int)])
def test_sequence_protocol(cls, values, cell_type):
    """len, iteration (Python cell types), reversed, in and sorted work."""
    col = make(values, cls)
    assert len(col) == 3
    cells = list(col)
    if cell_type is not None:
        assert all(type(v) is cell_type for v in cells)
        assert type(col[0]) is cell_type
    else:
        assert cells == [1, 'a', None]
    assert same(list(reversed(col)), cells[::-1])
    assert cells[0] in col
    if cls is IntColumn:
        assert sorted(col) == [1, 2, 3]


def test_shape_and_loaded():
    """shape is (n,); loaded is True and cannot be set to False for 1-D columns."""
    for cls in TYPES:
        col = make([1, 2], cls)
        assert col.shape == (2,)
        assert col.loaded is True
        with pytest.raises(NotImplementedError):
            col.loaded = False
        col.loaded = True


def test_dtype_and_array():
    """dtype is float/int; array is a copy; MixedColumn has neither."""
    f = make([1, 2], FloatColumn)
    i = make([1, 2], IntColumn)
    assert f.dtype is float and i.dtype is int
    array = f.array
    assert array.dtype == np.float64 and array.tolist() == [1.0, 2.0]
    array[0] = 99
    assert f[0] == 1.0
    assert i.array.dtype == np.int64
    m = make([1, 2])
    with pytest.raises(AttributeError):
        m.dtype
    with pytest.raises(AttributeError):
        m.array
    assert not hasattr(m, 'dtype')


def test_np_array():
    """np.array works for every type; MixedColumn uses numpy's inference."""
    assert np.array(make([1, 2])).tolist() == [1, 2]
    assert np.array(make([1, 'a'])).dtype.kind == 'U'
    assert np.array(make([1, 2], FloatColumn)).dtype == np.float64
    assert np.array(make([1, 2], IntColumn)).dtype == np.int64


def test_equals():
    """equals: same length, pairwise equal values, NaN equal to NaN."""
    assert make([1, NAN, 'a']).equals(make([1, NAN, 'a']))
    assert make([1, NAN], FloatColumn).equals(make([1, NAN], FloatColumn))
    assert make([1, 2], FloatColumn).equals(make([1, 2], IntColumn))
    assert not make([1, 2]).equals(make([1, 3]))
    assert not make([1, 2]).equals(make([1, 2, 3]))
    assert not make([1]).equals([1])


def test_str_and_repr():
    """str is 'col' + list/ndarray; repr adds <ClassName>[0x<id>]."""
    m = make([1, 'a'])
    assert str(m) == "col[1, 'a']"
    f = make([1, 2], FloatColumn)
    assert str(f) == 'col' + str(np.array([1.0, 2.0]))
    i = make([1, 2], IntColumn)
    assert str(i) == 'col[1 2]'
    assert repr(i) == f'<IntColumn>[0x{id(i):x}]\ncol[1 2]'
    assert '<table' in m._repr_html_()


def test_result_binding():
    """Results of full length are bound to col.dm with the source ids; others to a fresh dm."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    part = dm[[2, 0, 1]]
    doubled = part.x * 2
    assert doubled.dm is part and doubled._rowid.tolist() == [2, 0, 1]
    reversed_ = dm.x[::-1]
    assert reversed_.dm is dm and reversed_._rowid.tolist() == [2, 1, 0]
    short = dm.x[1:]
    assert short.dm is not dm and len(short.dm) == 2
    assert short.dm._rowid.tolist() == [0, 1]
    assert list(short) == [2, 3]


def test_copy_semantics():
    """dm[:] copies, dm.e = dm.d[:] has its own storage, dm.c = dm.d aliases."""
    dm = DataMatrix(length=2)
    dm.d = FloatColumn
    dm.d = 1, 2
    dm2 = dm[:]
    dm.e = dm.d[:]
    dm.c = dm.d
    dm.d[0] = 5
    assert dm2.d[0] == 1.0
    assert dm.e[0] == 1.0
    assert dm.c[0] == 5.0 and dm.c is dm.d


# ---------------------------------------------------------------------------
# 3.2 reading cells
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('cls', TYPES)
def test_read_keys(cls):
    """int (negative, numpy), slice, sequences, masks, DataMatrix keys all select rows."""
    dm = DataMatrix(length=4)
    dm.x = cls
    dm.x = 1, 2, 3, 4
    col = dm.x
    assert col[-1] == 4 and col[np.int32(1)] == 2
    with pytest.raises(IndexError):
        col[4]
    with pytest.raises(IndexError):
        col[-5]
    for key, expected in [(slice(1, 3), [2, 3]), ([3, 0, 0], [4, 1, 1]), ((1, -1), [2, 4]),
                          (range(2), [1, 2]), (np.array([2, 1]), [3, 2]),
                          (np.array([1], dtype=np.uint8), [2]),
                          ([True, False, False, True], [1, 4]),
                          (np.array([False, True, True, False]), [2, 3])]:
        result = col[key]
        assert type(result) is cls, key
        assert list(result) == expected, key
    with pytest.raises(ValueError):
        col[[True, False]]
    subset = dm[[3, 1]]
    assert list(col[subset]) == [4, 2]
    with pytest.raises(ValueError):
        col[DataMatrix(length=4)]
    with pytest.raises(IndexError):
        col[[0, 9]]


def test_read_slice_is_copy():
    """A slice is a copy: writing into it leaves the source unchanged."""
    for cls in TYPES:
        col = make([1, 2], cls)
        part = col[:]
        part[0] = 9
        assert col[0] == 1


def test_read_ellipsis_and_newaxis():
    """col[...] is the mean; col[:, None] is a 2-D ndarray."""
    col = make([1, 2, 6], FloatColumn)
    assert col[...] == 3.0
    assert make([1, 'a', 3])[...] == 2.0
    array = col[:, None]
    assert isinstance(array, np.ndarray) and array.shape == (3, 1)


@pytest.mark.parametrize('key', ['a', 1.5, None, {}, {1}])
def test_read_invalid_keys(key):
    """Other keys → TypeError (an InvalidKeyError)."""
    col = make([1, 2])
    with pytest.raises(TypeError):
        col[key]
    with pytest.raises(errors.InvalidKeyError):
        col[key]


# ---------------------------------------------------------------------------
# 3.3 writing cells
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('cls', TYPES)
def test_write_keys(cls):
    """Every key form writes the addressed rows; sequence keys accept negative indices."""
    col = make([0, 0, 0, 0], cls)
    col[0] = 1
    col[-1] = 4
    col[1:3] = 7
    assert list(col) == [1, 7, 7, 4]
    col[[-1, 0]] = 5, 6
    assert list(col) == [6, 7, 7, 5]
    col[np.array([1, 2])] = [8, 9]
    col[[False, False, False, True]] = 3
    assert list(col) == [6, 8, 9, 3]
    col[...] = 2
    assert list(col) == [2, 2, 2, 2]
    col[range(2)] = (i for i in (4, 5))
    assert list(col) == [4, 5, 2, 2]
    with pytest.raises(IndexError):
        col[[0, 4]] = 1
    with pytest.raises(IndexError):
        col[4] = 1


@pytest.mark.parametrize('cls', TYPES)
def test_write_length_mismatch(cls):
    """An iterable of the wrong length → ValueError, and nothing is written."""
    col = make([1, 2, 3], cls)
    with pytest.raises(ValueError):
        col[:] = [4, 5]
    with pytest.raises(errors.LengthMismatchError):
        col[:2] = (v for v in [4, 5, 6])
    assert list(col) == [1, 2, 3]


def test_write_bytes():
    """bytes values are decoded and broadcast (the reference iterates them as ints)."""
    col = make(['', ''])
    col[:] = b'ab'
    assert list(col) == ['ab', 'ab']
    col[0] = b'7'
    assert col[0] == 7
    f = make([0, 0], FloatColumn)
    f[:] = b'2.5'
    assert list(f) == [2.5, 2.5]


@pytest.mark.parametrize('cls', TYPES)
def test_write_subset_after_reordering(cls):
    """A DataMatrix key writes the right rows even after re-ordering (reference bug)."""
    dm = DataMatrix(length=4)
    dm.key = 1, 2, 3, 4
    dm.x = cls
    dm.x = 0
    dm.s = SeriesColumn(depth=2)
    dm.s = 0
    shuffled = dm[[3, 1, 0, 2]]
    subset = shuffled.key > 2  # ids 3 and 2
    shuffled.x[subset] = 9
    shuffled.s[subset] = 9
    assert list(shuffled.x) == [9, 0, 0, 9]
    assert shuffled.s.array[:, 0].tolist() == [9, 0, 0, 9]
    # and on the source, with a subset of a re-ordered selection
    dm.x[subset] = 5
    assert dm.x[2] == 5 and dm.x[3] == 5 and dm.x[0] != 5


# ---------------------------------------------------------------------------
# 3.4 comparisons
# ---------------------------------------------------------------------------

def rows_of(result):
    """The row ids of a comparison result."""
    assert isinstance(result, DataMatrix)
    return result._rowid.tolist()


def test_comparison_examples():
    """The SPEC 3.4 examples on a MixedColumn."""
    dm = DataMatrix(length=5)
    dm.x = 1, 'a', None, NAN, 2.5
    assert rows_of(dm.x == {1, None}) == [0, 2]
    assert rows_of(dm.x == (lambda v: v == 'a')) == [1]
    assert rows_of(dm.x == float) == [3, 4]
    assert rows_of(dm.x != NAN) == [0, 1, 2, 4]
    assert rows_of(dm.x > 1) == [4]


def test_comparison_result_order_and_family():
    """Results keep the original order and share the family."""
    dm = DataMatrix(length=4)
    dm.x = 4, 1, 3, 2
    part = dm[[3, 2, 1, 0]]
    result = part.x > 1
    assert rows_of(result) == [3, 2, 0]
    assert result == dm


def test_nan_operand_first():
    """NaN selects NaN cells with == and the others with !=; ordering → TypeError."""
    for cls in (MixedColumn, FloatColumn):
        col = make([1, NAN, 3], cls)
        assert rows_of(col == NAN) == [1]
        assert rows_of(col == np.float64('nan')) == [1]
        assert rows_of(col != NAN) == [0, 2]
        with pytest.raises(TypeError):
            col < NAN


def test_type_operand():
    """A type selects instances with ==, the others with !=; ordering → TypeError."""
    col = make([1, 'a', None, INF])
    assert rows_of(col == int) == [0]
    assert rows_of(col == str) == [1]
    assert rows_of(col == type(None)) == [2]
    assert rows_of(col != float) == [0, 1, 2]
    with pytest.raises(TypeError):
        col > int
    assert rows_of(make([1, NAN], FloatColumn) == float) == [0, 1]
    assert rows_of(make([1, 2], IntColumn) == int) == [0, 1]
    assert rows_of(make([1, 2], IntColumn) == float) == []


def test_set_operand():
    """A set selects cells equal to any member; != the others; ordering → TypeError."""
    col = make([1, 2, 3, 'a'])
    assert rows_of(col == {2, 'a'}) == [1, 3]
    assert rows_of(col != {2, 'a'}) == [0, 2]
    with pytest.raises(TypeError):
        col < {1}
    assert rows_of(make([1, 2, 3], IntColumn) == {1, 3}) == [0, 2]
    assert rows_of(make([1, NAN, 3], FloatColumn) == {3.0, NAN}) == [1, 2]


def test_function_operand():
    """Functions select by truthiness; they must take one argument; errors propagate."""
    col = make([1, 2, 3])
    assert rows_of(col == (lambda v: v > 1)) == [1, 2]
    assert rows_of(col != (lambda v: v > 1)) == [0]

    def two(a, b):
        return True

    with pytest.raises(TypeError):
        col == two
    with pytest.raises(TypeError):
        col < (lambda v: True)

    def boom(v):
        raise RuntimeError('boom')

    with pytest.raises(RuntimeError):
        col == boom
    for cls in (FloatColumn, IntColumn):
        assert rows_of(make([1, 2, 3], cls) == (lambda v: v >= 2)) == [1, 2]


def test_other_callables_are_values():
    """Reference quirk: builtins, partials and callable objects compare as plain values."""
    col = make([1, 2])
    assert rows_of(col == len) == []
    assert rows_of(col != functools.partial(max, 0)) == [0, 1]


def test_sequence_operand():
    """Sequences compare row by row; a wrong length → TypeError."""
    col = make([1, 2, 3])
    assert rows_of(col == [1, 0, 3]) == [0, 2]
    assert rows_of(col < (2, 2, 2)) == [0]
    assert rows_of(col == np.array([0, 2, 0])) == [1]
    other = make([1, 5, 3])
    assert rows_of(col == other) == [0, 2]
    with pytest.raises(TypeError):
        col == [1, 2]
    f = make([1, 2, 3], FloatColumn)
    assert rows_of(f >= [1, 3, 3]) == [0, 2]


def test_mixed_comparison_rules():
    """MixedColumn: failing comparisons are False, operands are not converted, None == None."""
    col = make([1, '1', None, 'b', 'x y'])
    assert col[1] == 1  # stored as a number
    assert rows_of(col == '1') == []
    assert rows_of(col == 1) == [0, 1]
    assert rows_of(col == 'x y') == [4]
    assert rows_of(col == None) == [2]  # noqa: E711
    assert rows_of(col > 0) == [0, 1]
    assert rows_of(col >= 'a') == [3, 4]
    assert rows_of(col != 1) == [2, 3, 4]


def test_float_comparison_rules():
    """FloatColumn: operands convert like stored values; ±INF are told apart."""
    col = make([1, 2, NAN, INF, -INF], FloatColumn)
    assert rows_of(col == '2') == [1]
    with pytest.warns(UserWarning):
        assert rows_of(col == '') == [2]
    with pytest.warns(UserWarning):
        assert rows_of(col == None) == [2]  # noqa: E711
    assert rows_of(col == INF) == [3]
    assert rows_of(col == -INF) == [4]
    assert rows_of(col != -INF) == [0, 1, 2, 3]
    assert rows_of(col > 1) == [1, 3]
    assert rows_of(col <= 1) == [0, 4]
    for bad in (INF, -INF):
        with pytest.raises(TypeError):
            col < bad
    with pytest.raises(TypeError):
        col == object()


def test_int_comparison_rules():
    """IntColumn: operands are truncated; unconvertible: == none, != all, < TypeError."""
    col = make([1, 2, 3], IntColumn)
    assert rows_of(col == 2.5) == [1]
    assert rows_of(col == '1.1') == [0]
    assert rows_of(col > 1.9) == [1, 2]
    assert rows_of(col == 'abc') == []
    assert rows_of(col != 'abc') == [0, 1, 2]
    with pytest.raises(TypeError):
        col < 'abc'
    assert rows_of(col == NAN) == []
    assert rows_of(col != NAN) == [0, 1, 2]
    assert rows_of(col == None) == []  # noqa: E711
    assert rows_of(col != None) == [0, 1, 2]  # noqa: E711


def test_int_not_equal_sequence():
    """IntColumn != sequence is the element-wise inequality (the reference inverts it)."""
    col = make([1, 2, 3], IntColumn)
    assert rows_of(col != [1, 0, 3]) == [1]
    assert rows_of(col == [1, 0, 3]) == [0, 2]


def test_selection_is_a_copy():
    """Modifying a selection never changes the source."""
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    result = dm.x > 1
    result.x[0] = 100
    assert list(dm.x) == [1, 2, 3]


# ---------------------------------------------------------------------------
# 3.5 arithmetic
# ---------------------------------------------------------------------------

def test_mixed_arithmetic_numbers():
    """Numeric cells get the numeric operation; bools count as numbers."""
    col = make([1, 2.5, True])
    assert same(list(col + 1), [2, 3.5, 2])
    assert same(list(col * 2), [2, 5.0, 2])  # float results stay floats (issue 12)
    assert same(list(col - 1), [0, 1.5, 0])
    assert same(list(col / 2), [0.5, 1.25, 0.5])
    assert same(list(col // 2), [0, 1.0, 0])
    assert same(list(col % 2), [1, 0.5, 1])
    assert same(list(col ** 2), [1, 6.25, 1])
    assert type(col + 1) is MixedColumn
    with pytest.raises(ZeroDivisionError):
        col / 0


def test_mixed_arithmetic_text():
    """+ concatenates text forms; other operators keep non-numeric cells."""
    col = make(['a', None, NAN, 2])
    assert same(list(col + 1), ['a1', 'None1', NAN, 3])
    assert same(list(col + 'x'), ['ax', 'Nonex', 'nanx', '2x'])
    assert same(list(col * 2), ['a', None, NAN, 4])
    assert same(list(col - 'z'), ['a', None, NAN, 2])


def test_mixed_reflected():
    """Reflected + prepends (the reference appends); reflected - / etc. compute other OP v."""
    col = make(['a', 2, 4])
    assert list('x' + col) == ['xa', 'x2', 'x4']
    assert same(list(10 - col), ['a', 8, 6])
    assert same(list(8 / col), ['a', 4.0, 2.0])
    assert same(list(9 // col), ['a', 4, 2])
    assert same(list(9 % col), ['a', 1, 1])
    assert same(list(2 ** col), ['a', 4, 16])


def test_mixed_operand_errors():
    """A non-scalar non-iterable → TypeError; a wrong-length sequence → ValueError."""
    col = make([1, 2])
    with pytest.raises(TypeError):
        col + object()
    with pytest.raises(ValueError):
        col + [1, 2, 3]
    assert list(col + [10, 'a']) == [11, '2a']


def test_column_with_column():
    """Columns combine element-wise; the left column decides the type."""
    m = make([1, 2])
    f = make([0.5, 1.5], FloatColumn)
    i = make([10, 20], IntColumn)
    assert type(m + f) is MixedColumn and list(m + f) == [1.5, 3.5]
    assert type(f + i) is FloatColumn and list(f + i) == [10.5, 21.5]
    assert type(i + f) is IntColumn and list(i + f) == [10, 21]
    assert type(3 + i) is IntColumn


def test_float_arithmetic():
    """FloatColumn: numpy float arithmetic; strings convert, others become NaN (warning)."""
    col = make([1, 2, 0], FloatColumn)
    assert list(col + '1') == [2.0, 3.0, 1.0]
    with pytest.warns(UserWarning):
        result = col + 'abc'
    assert all(math.isnan(v) for v in result)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        divided = list(col / 0)
        reflected = list(1 / col)
    assert divided[0] == INF and divided[1] == INF and math.isnan(divided[2])
    assert reflected == [1.0, 0.5, INF]
    assert list(2 ** col) == [2.0, 4.0, 1.0]
    assert list(col % 2) == [1.0, 0.0, 0.0]
    assert type(col * 2) is FloatColumn


def test_int_arithmetic_quirks():
    """IntColumn converts the operand first: col + 1.7 adds 1, col * 2.5 doubles."""
    col = make([1, 2, 7], IntColumn)
    assert list(col + 1.7) == [2, 3, 8]
    assert list(col * 2.5) == [2, 4, 14]
    assert type(col + 1) is IntColumn
    assert (col + 1)._seq.dtype == np.int64
    for bad in (NAN, None, 'abc'):
        with pytest.raises(TypeError):
            col + bad


def test_int_division():
    """col / x behaves like //; x / col is truncated true division; x / 0 gives 0."""
    col = make([7, -7, 0], IntColumn)
    assert list(col / 2) == [3, -4, 0]
    assert list(col // 2) == [3, -4, 0]
    assert list(col / 0) == [0, 0, 0]
    assert list(col // 0) == [0, 0, 0]
    assert list(col % 0) == [0, 0, 0]
    assert list(15 / make([2, -2, 4], IntColumn)) == [7, -7, 3]
    assert list(15 / col) == [2, -2, 0]
    assert list(col % 3) == [1, 2, 0]
    with pytest.raises(ValueError):
        col ** -1
    assert list(col ** 2) == [49, 49, 0]


def test_numpy_operand_on_the_left():
    """ndarray/numpy-scalar OP col gives a column (reflected), while ufuncs still work."""
    col = make([1, 2], FloatColumn)
    result = np.array([10, 20]) - col
    assert type(result) is FloatColumn and list(result) == [9.0, 18.0]
    result = np.float64(2) * col
    assert type(result) is FloatColumn and list(result) == [2.0, 4.0]
    assert type(np.int64(1) + make([1, 'a'])) is MixedColumn
    assert np.isnan(col).tolist() == [False, False]


@pytest.mark.parametrize('cls', TYPES)
def test_unary_not_supported(cls):
    """Unary -, + and abs() → TypeError on 1-D columns."""
    col = make([1, 2], cls)
    for fnc in (lambda c: -c, lambda c: +c, abs):
        with pytest.raises(TypeError):
            fnc(col)


# ---------------------------------------------------------------------------
# 3.6 mapping
# ---------------------------------------------------------------------------

def test_map_mixed_stores_as_returned():
    """MixedColumn @ f stores results as returned: '1' stays a string (reference quirk)."""
    col = make([1, 2])
    result = col @ (lambda v: str(v))
    assert type(result) is MixedColumn and list(result) == ['1', '2']
    assert list(col @ (lambda v: v * 10)) == [10, 20]
    assert result.dm is col.dm


def test_map_numeric_converts():
    """Float/Int columns convert f's results; unconvertible results → ValueError."""
    f = make([1, 2], FloatColumn)
    result = f @ (lambda v: str(v * 2))
    assert type(result) is FloatColumn and list(result) == [2.0, 4.0]
    i = make([1, 2], IntColumn)
    result = i @ (lambda v: v * 1.5)
    assert type(result) is IntColumn and list(result) == [1, 3]
    with pytest.raises(ValueError):
        i @ (lambda v: 'abc')
    with pytest.raises(ValueError):
        f @ (lambda v: [v])


# ---------------------------------------------------------------------------
# 3.7 descriptives
# ---------------------------------------------------------------------------

def test_callable_statistics():
    """Statistics are floats that are also callable; numpy functions return them."""
    col = make([1, 2, 3, 4], FloatColumn)
    assert col.mean == 2.5 and col.mean() == 2.5 and isinstance(col.mean, float)
    assert np.mean(col) == 2.5
    assert np.std(col) == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert np.min(col) == 1 and np.max(col) == 4 and np.sum(col) == 10
    assert col.median == 2.5
    assert col.std == pytest.approx(1.2909944)
    assert col[...] == col.mean


def test_mixed_statistics_use_finite_numbers():
    """MixedColumn uses only finite numbers (±INF, NaN and strings excluded)."""
    col = make([1, 'a', None, NAN, INF, -INF, 3, '', 2, 6])
    assert col.mean == 3.0
    assert col.median == 2.5
    assert col.min == 1 and col.max == 6 and col.sum == 12
    assert col.std == pytest.approx(np.std([1, 3, 2, 6], ddof=1))


def test_mixed_statistics_empty_do_not_warn():
    """No usable values → NaN for all six; std of one value → NaN; no warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        col = make(['a', INF])
        for name in ('mean', 'median', 'std', 'min', 'max', 'sum'):
            assert math.isnan(getattr(col, name)), name
        assert math.isnan(make([1, 'a']).std)
        assert math.isnan(make([]).mean)


@pytest.mark.parametrize('cls', [FloatColumn, IntColumn])
def test_numeric_statistics_empty(cls):
    """An empty numeric column gives NaN for all six, warning for mean, median and std."""
    col = make([], cls)
    for name in ('mean', 'median', 'std'):
        with pytest.warns(RuntimeWarning):
            assert math.isnan(getattr(col, name))
    for name in ('min', 'max', 'sum'):
        assert math.isnan(getattr(col, name))


def test_float_statistics_all_nan():
    """All-NaN: NaN for mean/median/std/min/max (with warnings), 0.0 for sum."""
    col = make([NAN, NAN], FloatColumn)
    for name in ('mean', 'median', 'std'):
        with pytest.warns(RuntimeWarning):
            assert math.isnan(getattr(col, name))
    assert math.isnan(col.min) and math.isnan(col.max)
    assert col.sum == 0.0


def test_numeric_std_needs_two_values():
    """std of fewer than two valid values is NaN with a RuntimeWarning."""
    with pytest.warns(RuntimeWarning):
        assert math.isnan(make([1], IntColumn).std)
    with pytest.warns(RuntimeWarning):
        assert math.isnan(make([1, NAN, NAN], FloatColumn).std)


def test_numeric_statistics_with_inf():
    """±INF participate in FloatColumn statistics; NaN is ignored."""
    col = make([1, NAN, INF], FloatColumn)
    assert col.mean == INF and col.max == INF and col.min == 1
    assert make([1, NAN, 3], FloatColumn).mean == 2.0
    assert make([-INF, 1], FloatColumn).min == -INF


def test_unique_and_count():
    """unique: Mixed sorted naturally or by text form, NaN once; numeric np.unique."""
    assert make([3, 1, 2, 1]).unique == [1, 2, 3]
    assert make(['b', 1, 'a', 3, 1]).unique == [1, 3, 'a', 'b']
    unique = make([NAN, 1, NAN, 'x']).unique
    assert len(unique) == 3 and sum(1 for v in unique if v != v) == 1
    assert make([NAN, 1, NAN, 'x']).count == 3
    result = make([2, NAN, 1, NAN, 2], FloatColumn).unique
    assert isinstance(result, np.ndarray)
    assert result[:2].tolist() == [1.0, 2.0] and math.isnan(result[2]) and len(result) == 3
    assert make([3, 1, 3], IntColumn).unique.tolist() == [1, 3]
    assert make([3, 1, 3], IntColumn).count == 2


# ---------------------------------------------------------------------------
# 3.8 MixedColumn conversion
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    (None, None), (True, 1), (False, 0), (2.0, 2), (2.5, 2.5), (np.float32(2.0), 2),
    (np.int8(3), 3), (np.float64(1.5), 1.5), (INF, INF), (-INF, -INF),
    (' 3 ', 3), ('1e3', 1000), ('1_000', 1000), ('+5', 5), ('2.50', 2.5),
    ('inf', INF), ('-inf', -INF), ('Infinity', INF), ('', ''), (' ', ' '),
    ('None', 'None'), ('True', 'True'), ('0x10', '0x10'), ('abc', 'abc'),
    (b'x', 'x'), (b'4', 4), (10 ** 20, 10 ** 20)])
def test_mixed_conversion(value, expected):
    """Values are converted by the MixedColumn rule (bytes decoded, integral → int)."""
    col = make([''])
    col[0] = value
    assert same([col[0]], [expected])


@pytest.mark.parametrize('text', ['nan', 'NaN'])
def test_mixed_nan_strings(text):
    """'nan' strings become the float NaN."""
    col = make([''])
    col[0] = text
    assert isinstance(col[0], float) and math.isnan(col[0])


@pytest.mark.parametrize('value', [[1], {'a': 1}, 1 + 2j, object(), int, (1,)])
def test_mixed_rejects_other_values(value):
    """Lists, dicts, complex numbers, objects and classes → TypeError."""
    col = make(['old'])
    with pytest.raises(TypeError):
        col[0] = value
    assert col[0] == 'old'


# ---------------------------------------------------------------------------
# 3.9 FloatColumn conversion
# ---------------------------------------------------------------------------

def test_float_conversion():
    """Numbers and numeric strings become floats; other strings and None NaN with a warning."""
    col = make([0, 0, 0, 0], FloatColumn)
    col[:] = 1, True, '2.5', np.int8(3)
    assert list(col) == [1.0, 1.0, 2.5, 3.0]
    with pytest.warns(UserWarning, match='invalid type'):
        col[0] = 'abc'
    with pytest.warns(UserWarning):
        col[1] = None
    assert math.isnan(col[0]) and math.isnan(col[1])
    for bad in ([1], object(), float, {}):
        with pytest.raises(TypeError):
            col[2] = bad
    assert col[2] == 2.5


# ---------------------------------------------------------------------------
# 3.10 IntColumn conversion
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    (True, 1), (5, 5), (np.int16(4), 4), (1.9, 1), (-1.9, -1), ('2.9', 2), ('-2', -2),
    (b'7', 7), (np.float32(2.5), 2)])
def test_int_conversion(value, expected):
    """Ints as is; floats and numeric strings are truncated toward zero."""
    col = make([0], IntColumn)
    col[0] = value
    assert col[0] == expected and type(col[0]) is int


@pytest.mark.parametrize('value', [NAN, INF, -INF, None, 'abc', '', object(), [1]])
def test_int_rejects(value):
    """NaN, ±INF, None, non-numeric strings and other objects → TypeError."""
    col = make([3], IntColumn)
    with pytest.raises(TypeError):
        col[0] = value
    assert col[0] == 3


def test_int_overflow():
    """Values beyond the int64 range → OverflowError."""
    col = make([0], IntColumn)
    with pytest.raises(OverflowError):
        col[0] = 2 ** 63
    with pytest.raises(OverflowError):
        col[0] = '1e30'
    col[0] = 2 ** 63 - 1
    assert col[0] == 2 ** 63 - 1
