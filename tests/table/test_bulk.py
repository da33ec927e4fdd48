"""The whole-array paths of the 1-D columns against the per-value rules (SPEC 3.3-3.10).

Every bulk path (``datamatrix._table.bulk``, whole-array arithmetic, comparisons,
factorising for split/group/sort) must give exactly what the per-value rule or
the row-by-row path gives. Parsing runs twice: with ``fastnumbers`` (when it is
installed) and with the pure-Python fallback, forced by ``bulk.USE_FASTNUMBERS``.
"""
import math
import operator
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from datamatrix import DataMatrix, FloatColumn, IntColumn, MixedColumn
from datamatrix import operations as ops
from datamatrix._table import bulk, columns
from datamatrix._table.keys import convert_float, convert_int, convert_mixed
from datamatrix.operations import _group, _order

TRICKY_STRINGS = [
    '', ' ', 'nan', 'NaN', '-nan', 'nan(1)', 'inf', '-inf', 'Infinity', 'infinit', ' 1 ',
    '\t2\n', '1e3', '1E-3', '1e400', '-1e400', '1e-400', '1_000', '1__0', '_1', '+5', '-0',
    '-0.0', '.5', '1.', '.', '0x10', '007', 'None', 'True', '١٢', '½', '1\u00a0', '\x1c1',
    '12345678901234567890123', '9007199254740993', 'é', 'a,b', '2.5', '-2.5', '3.0',
]
TRICKY_VALUES = TRICKY_STRINGS + [
    None, True, False, 0, -0.0, 1.0, 2.5, math.nan, math.inf, -math.inf, 2 ** 63, -2 ** 70,
    np.int8(3), np.float32(0.1), np.float64(4.0), np.bool_(True), b'1', b'x', 10 ** 20,
]


@pytest.fixture(params=[True, False], ids=['fastnumbers', 'python'])
def parser(request, monkeypatch):
    """Run a test with fastnumbers (if installed) and with the pure-Python parser."""
    monkeypatch.setattr(bulk, 'USE_FASTNUMBERS', request.param)
    return request.param


def typed(values):
    """Values with their types, NaN made comparable."""
    return [(type(v), 'nan' if isinstance(v, float) and math.isnan(v) else v)
            for v in values]


def column(values, cls=MixedColumn):
    dm = DataMatrix(length=len(values))
    dm.x = cls
    dm.x = values
    return dm.x


def per_value(rule, values):
    """The per-value rule applied to each value, or the type of the first error."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            result = [rule(v) for v in values]
        return typed(result), len(caught)
    except Exception as exc:  # noqa: BLE001 - the error type is compared
        return type(exc)


def assigned(cls, values):
    """What assigning ``values`` to a column of ``cls`` stores, or the error type."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            result = list(column(values, cls))
        return typed(result), len(caught)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


# -- conversions --------------------------------------------------------------------------

def test_mixed_strings_convert_as_the_per_value_rule(parser):
    values = TRICKY_STRINGS * 3  # repeats take the one-parse-per-distinct-string path
    assert assigned(MixedColumn, values) == per_value(convert_mixed, values)


def test_mixed_tricky_values_convert_as_the_per_value_rule(parser):
    assert assigned(MixedColumn, TRICKY_VALUES) == per_value(convert_mixed, TRICKY_VALUES)


def test_float_column_converts_as_the_per_value_rule(parser):
    numeric = [v for v in TRICKY_STRINGS if isinstance(convert_mixed(v), (int, float))]
    assert assigned(FloatColumn, numeric) == per_value(convert_float, numeric)
    # invalid strings and None warn once per value, as the per-value rule does
    assert assigned(FloatColumn, TRICKY_VALUES) == per_value(convert_float, TRICKY_VALUES)
    assert assigned(FloatColumn, TRICKY_VALUES)[1] > 0


def test_int_column_converts_as_the_per_value_rule(parser):
    good = ['1', ' 2 ', '2.9', '-2.9', '1e3', '+5', '-0', True, 3.7, -3.7, np.int8(4)]
    assert assigned(IntColumn, good) == per_value(convert_int, good)
    for bad in (['nan'], ['x'], [None], [math.inf], [2 ** 63], ['1e400']):
        assert assigned(IntColumn, bad * 3) == per_value(convert_int, bad) is not None
        assert isinstance(assigned(IntColumn, bad * 3), type)


def test_ints_beyond_the_float_range_raise_in_a_mixed_column():
    for values in ([10 ** 400, 1], [None, -10 ** 400]):
        with pytest.raises(OverflowError):
            column(values)
    assert list(column([2 ** 1023, None])) == [2 ** 1023, None]


@pytest.mark.parametrize('array', [
    np.array([1.0, -0.0, 2.5, np.nan, np.inf, -np.inf, 1e20, 2.0 ** 63, -2.0 ** 64]),
    np.array([0, -5, 2 ** 62], dtype=np.int64), np.array([3, 255], dtype=np.uint8),
    np.array([True, False]), np.array(['1', ' 2.5', 'x', '', 'nan', '1e3']),
    np.array([1.5, 2.0], dtype=np.float32),
])
def test_arrays_convert_as_their_items(parser, array):
    items = array.tolist() if array.dtype.kind != 'f' or array.dtype == np.float64 \
        else list(array)
    assert assigned(MixedColumn, array) == per_value(convert_mixed, items)
    if array.dtype.kind != 'U':
        assert assigned(FloatColumn, array) == per_value(convert_float, items)
    assert assigned(IntColumn, array) == per_value(convert_int, items)


def test_scalars_broadcast_as_the_per_value_rule(parser):
    for value in ('2.0', ' nan', 'x', None, 3.0, np.float32(1.5), b'7'):
        dm = DataMatrix(length=3)
        dm.x = value
        assert typed(dm.x) == typed([convert_mixed(value)] * 3)


def test_subset_assignment_converts_in_bulk(parser):
    col = column(['a'] * 6)
    col[1::2] = ['1.0', '1.5', ' x']
    col[np.array([0, 4])] = np.array([7.0, 8.5])
    assert typed(col) == typed([7, 1, 'a', 1.5, 8.5, ' x'])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from('0123456789.eE+-_ \tinfatyx\u00a0١')
                        | st.characters(), max_size=8), max_size=20))
def test_fastnumbers_and_python_parse_alike(strings):
    expected = typed([convert_mixed(s) for s in strings])
    for fast in (True, False):
        bulk.USE_FASTNUMBERS = fast
        try:
            assert typed(bulk.mixed_from_strings(strings)) == expected
            values, ok = bulk.parse_strings(list(strings))
            codes = np.arange(len(strings))
            assert typed(bulk.mixed_from_codes(list(strings), codes)) == expected
        finally:
            bulk.USE_FASTNUMBERS = True
        for text, value, parsed in zip(strings, values, ok):
            assert parsed == isinstance(convert_mixed(text), (int, float))


# -- arithmetic, comparisons, statistics ---------------------------------------------------

ARITHMETIC = [operator.add, operator.sub, operator.mul, operator.truediv,
              operator.floordiv, operator.mod, operator.pow]


@pytest.mark.parametrize('cls', [FloatColumn, IntColumn])
@pytest.mark.parametrize('fnc', ARITHMETIC, ids=lambda f: f.__name__)
def test_whole_array_arithmetic_equals_the_per_value_path(cls, fnc):
    values = [3, -7, 0, 12, 5, -1] if cls is IntColumn else [3.5, -7.0, 0.0, 1e300, np.nan,
                                                              -np.inf]
    operands = [2, -3, 0, 4, 1, 7]
    col = column(values, cls)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        for operand in (2, 0, -3, 1.5, True, np.int16(4), np.float64(-0.5)):
            if fnc is operator.pow and cls is IntColumn and operand < 0:
                continue
            bulk_result = outcome(fnc, col, operand)  # a scalar: whole-array path
            assert bulk_result == outcome(fnc, col, [operand] * len(col))  # per value
            assert bulk_result[0] in (cls, ValueError)
            assert outcome(fnc, operand, col) == outcome(fnc, [operand] * len(col), col)
        for other in (np.array(operands), column(operands, FloatColumn),
                      column(operands, IntColumn)):
            assert outcome(fnc, col, other) == outcome(fnc, col, list(other))
        other = np.array(operands)  # on the left (a column there sets the result type)
        assert outcome(fnc, other, col) == outcome(fnc, list(other), col)


def outcome(fnc, a, b):
    """The type and values of ``fnc(a, b)`` (NaN comparable), or its error type."""
    try:
        result = fnc(a, b)
    except Exception as exc:  # noqa: BLE001
        return type(exc), None
    return type(result), typed(result)


def test_int_column_arithmetic_errors_stay():
    col = column([1, 2], IntColumn)
    with pytest.raises(ValueError):
        col ** -1
    with pytest.raises(Exception):
        col + math.nan
    with pytest.raises(OverflowError):
        col + 2 ** 70
    assert list(col + 2.9) == [3, 4]


@pytest.mark.parametrize('cls', [FloatColumn, IntColumn])
def test_statistics_with_and_without_nan(cls):
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    col = column(values, cls)
    assert col.mean == pytest.approx(np.mean(values)) and col.median == np.median(values)
    assert (col.min, col.max, col.sum) == (1, 9, sum(values))
    if cls is FloatColumn:
        col[0] = math.nan
        rest = values[1:]
        assert col.mean == pytest.approx(np.mean(rest)) and col.median == np.median(rest)
        assert (col.min, col.max, col.sum) == (1, 9, sum(rest))
        col[:] = math.nan
        assert math.isnan(col.min) and col.sum == 0
        col[:2] = [math.inf, -math.inf]
        with pytest.warns(RuntimeWarning):  # inf - inf, once (as the nan-function warns)
            assert math.isnan(col.mean)
        assert col.max == math.inf


MIXED = ['b', 1, 'a', 2.5, None, math.nan, 1, '', -math.inf, 'b', 3, math.inf, None]


@pytest.mark.parametrize('op', ['==', '!=', '<', '<=', '>', '>='])
@pytest.mark.parametrize('other', ['b', 1, 2.5, '', 0])
def test_mixed_comparisons_equal_the_row_by_row_path(monkeypatch, op, other):
    col = column(MIXED)
    fast = col._scalar_mask(op, other)
    monkeypatch.setattr(columns, '_PLAIN_OPERANDS', frozenset())
    assert np.array_equal(fast, col._scalar_mask(op, other))


def test_selection_by_comparison_keeps_row_order():
    dm = DataMatrix(length=6)
    dm.a = [3, 1, 3, 2, 3, 1]
    dm.b = FloatColumn
    dm.b = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert list((dm.a == 3).b) == [0.5, 2.5, 4.5]
    shuffled = ops.sort(dm, by=dm.b)[::-1]
    assert list((shuffled.a == 3).b) == [4.5, 2.5, 0.5]
    assert list((dm.b > 2).a) == [3, 2, 3, 1]


# -- factorising, grouping, sorting ---------------------------------------------------------

def test_mixed_factorise_gives_the_unique_of_the_row_by_row_path():
    for values in (MIXED, ['x', 'y', 'x'], [2, 1.5, 2, -1], [None, 'a', 1], [math.nan] * 3,
                   [], ['1', 1, 'a']):
        col = column(values)
        col._seq = list(values)  # stored as is (as ``col @ f`` may store values)
        unique, codes = bulk.mixed_factorise(col._seq)
        assert typed(unique) == typed(col._unique_slow())
        assert typed([unique[c] for c in codes]) == typed(
            [math.nan if isinstance(v, float) and math.isnan(v) else v for v in values])
    assert bulk.mixed_factorise([1, True]) is None  # not a stored type: row by row


@pytest.mark.parametrize('size', [0, 1, 200, 300, 70000, 2 ** 40])
def test_stable_order_is_a_stable_argsort(size):
    rng = np.random.default_rng(size)
    codes = rng.integers(0, max(size, 1), 5000) if size else np.zeros(0, dtype=np.int64)
    assert np.array_equal(bulk.stable_order(codes, size), np.argsort(codes, kind='stable'))


@pytest.mark.parametrize('array', [np.array([5, -3, 5, 1000, -3]), np.array([2 ** 62, -2 ** 62]),
                                   np.zeros(0, dtype=np.int64), np.array([0.5, np.nan, 0.5])])
def test_int_factorise_equals_np_unique(array):
    unique, codes = bulk.int_factorise(array)
    expected, inverse = np.unique(array, return_inverse=True)
    assert np.array_equal(unique, expected, equal_nan=True) and unique.dtype == expected.dtype
    assert np.array_equal(codes, inverse.reshape(-1))


def _table():
    dm = DataMatrix(length=12)
    dm.s = IntColumn
    dm.s = [3, 1, 3, 2, 1, 3, 2, 2, 1, 3, 1, 2]
    dm.c = ['b', 'a', 'b', 1, 'a', None, 1, 'b', 'a', 'b', math.nan, 1]
    dm.rt = FloatColumn
    dm.rt = np.arange(12) * 1.5
    dm.m = ['x', 1, 2, 3, 4, 5.5, 6, 7, 8, 9, 10, 11]
    return dm


def test_split_on_two_columns_groups_rows_in_order():
    dm = _table()
    groups = list(ops.split(dm.s, dm.c))
    expected = {}
    for row in range(len(dm)):
        c = dm.c[row]
        key = (dm.s[row], 'nan' if isinstance(c, float) and math.isnan(c) else c)
        expected.setdefault(key, []).append(dm.rt[row])
    found = {(s, 'nan' if isinstance(c, float) and math.isnan(c) else c): list(sub.rt)
             for s, c, sub in groups}
    assert found == expected
    assert [s for s, _, _ in groups] == sorted(s for s, _, _ in groups)


def test_group_fast_series_equal_the_row_by_row_series(monkeypatch):
    dm = _table()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        fast = ops.group(dm, by=[dm.s, dm.c])
    monkeypatch.setattr(_group, '_group_series_fast', lambda col, layout: None)
    with warnings.catch_warnings(record=True) as caught_slow:
        warnings.simplefilter('always')
        slow = ops.group(dm, by=[dm.s, dm.c])
    assert fast.column_names == slow.column_names and len(fast) == len(slow)
    for name in fast.column_names:
        assert fast[name].equals(slow[name]), name
    assert [str(w.message) for w in caught] == [str(w.message) for w in caught_slow]


@pytest.mark.parametrize('values', [MIXED, ['b', 'a', 'b', 'c'], [3, 1.5, -2, 1.5], []])
def test_mixed_sort_by_ranks_equals_the_key_sort(monkeypatch, values):
    col = column(values)
    fast = _order._sort_order(col)
    monkeypatch.setattr(_order, '_mixed_sort_ranks', lambda seq: None)
    assert np.array_equal(fast, _order._sort_order(col))


def test_shuffle_follows_random_seed():
    import random
    dm = DataMatrix(length=50)
    dm.a = range(50)
    random.seed(3)
    first = list(ops.shuffle(dm).a)
    random.seed(3)
    assert list(ops.shuffle(dm).a) == first and sorted(first) == list(range(50))


def test_taking_many_or_few_rows_of_a_mixed_column():
    dm = DataMatrix(length=40)
    dm.a = [f'v{i % 7}' if i % 3 else i for i in range(40)]
    values = list(dm.a)
    many, few = np.arange(0, 40, 2), np.array([39, 3])
    assert list(dm[many].a) == values[::2] and list(dm[few].a) == [values[39], values[3]]
    selected = dm.a == 'v1'  # the comparison's cells serve its own selection only
    assert list(selected.a) == [v for v in values if v == 'v1']
    assert '_object_cells' not in vars(dm.a)
    dm.a[2] = 'changed'
    assert list(dm[many].a)[1] == 'changed' and 'changed' in list((dm.a != 'v1').a)


@pytest.mark.parametrize('cls,values,members', [
    (MixedColumn, MIXED, {'b', 1, math.nan}),
    (MixedColumn, MIXED, {2.5, None, '', 1.0}),
    (MixedColumn, MIXED, set()),
    (MixedColumn, ['a', 1, 2.0], {np.float64(2.0), b'a'}),  # not plain types: row by row
    (FloatColumn, [1.0, math.nan, -0.0, 2.5, math.inf], {0, math.nan, '2.5'}),
    (FloatColumn, [1.0, math.nan, 3.0], {1, math.inf}),
    (IntColumn, [1, 5, -3, 0], {5, '0', 2.7}),
])
def test_set_comparisons_equal_the_row_by_row_path(monkeypatch, cls, values, members):
    col = column(values, cls)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # '2.5' as a FloatColumn member converts
        fast = [col._compare_mask(op, members) for op in ('==', '!=')]
        monkeypatch.setattr(cls, '_set_mask', lambda self, members: None)
        slow = [col._compare_mask(op, members) for op in ('==', '!=')]
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow))


@pytest.mark.parametrize('cls', [FloatColumn, IntColumn])
def test_elementwise_comparisons_convert_as_the_per_value_rule(cls):
    col = column([1, 2, 3, 4], cls)
    others = ['1', 2.0, np.int8(2), '4.0']
    expected = np.array([col[i] == cls._comparable(col, v) for i, v in enumerate(others)])
    assert np.array_equal(col._compare_mask('==', others), expected)
    assert np.array_equal(col._compare_mask('<', np.array([2, 2, 2, 2])), [1 < 2, 0, 0, 0])
    if cls is IntColumn:
        with pytest.raises(TypeError):
            col == ['x', 1, 2, 3]


def test_mixed_unique_is_the_unique_of_the_row_by_row_path():
    for values in (MIXED, ['1', 1, 'a'], [], [math.nan, math.nan, 'x']):
        col = column(values)
        col._seq = list(values)
        assert typed(col.unique) == typed(col._unique_slow())


def test_lists_of_numpy_scalars_convert_as_the_per_value_rule():
    values = [np.float32(0.1), np.float16(3.3), np.int64(2 ** 62 + 1), np.uint64(2 ** 64 - 1),
              True, np.bool_(False), 2 ** 70, 1.5, np.longdouble(1) / 3, -0.0]
    assert assigned(FloatColumn, values) == per_value(convert_float, values)
    assert assigned(FloatColumn, [10 ** 400, 1.0]) == per_value(convert_float, [10 ** 400])
    assert assigned(MixedColumn, values) == per_value(convert_mixed, values)
