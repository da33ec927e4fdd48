"""Bad input, thrown at random: every call works or fails cleanly, leaving data unchanged.

Hypothesis generates keys, values, shapes and column types. Each call must
either do what SPEC says or raise an exception from :mod:`datamatrix.errors`
(or a built-in that SPEC names), and a call that raises must leave the
DataMatrix exactly as it was. A fuzz test feeds damaged files to ``readbin``
and ``readtxt``: they either read or raise a clear error, never crash or hang.
"""
import math
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from datamatrix import (DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, SeriesColumn, io)
from datamatrix.errors import BinFormatError, DataMatrixError

# the exceptions SPEC allows a bad call to raise (sections 0, 3.5, 3.10 and 12)
ALLOWED = (DataMatrixError, IndexError, TypeError, ValueError, KeyError, AttributeError,
           NotImplementedError, MemoryError, OverflowError)
ARITHMETIC = ALLOWED + (ZeroDivisionError,)  # MixedColumn divides like Python (3.5)

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


# -- a DataMatrix with every column type, and snapshots of it -------------------------------

def make_dm(n, storage):
    """n rows with Mixed, Float, Int, series, named 3-D and float32 columns."""
    dm = DataMatrix(length=n)
    dm.m = [[1, 'a', None, math.nan, 2.5, ''][i % 6] for i in range(n)]
    dm.f = FloatColumn
    dm.f = [i * 1.5 if i % 3 else math.nan for i in range(n)]
    dm.i = IntColumn
    dm.i = list(range(n))
    dm.s = SeriesColumn(depth=3)
    dm.s = np.arange(n * 3, dtype=float).reshape(n, 3)
    dm.md = MultiDimensionalColumn(shape=(('x', 'y'), 3))
    dm.md = np.arange(n * 6, dtype=float).reshape(n, 2, 3) - 5
    dm.h = MultiDimensionalColumn(shape=(2,), dtype=np.float32)
    dm.h = 0.5
    for name in ('s', 'md', 'h'):
        storage.prepare(dm[name])
    return dm


def cells(col):
    """The stored values of a column, read without counting as a use."""
    if hasattr(col, '_store'):
        return np.array(col._store.array)
    if isinstance(col, MixedColumn):
        return list(col._seq)
    return np.array(col._seq)


def same_cell(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def same_cells(a, b):
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_cell, a, b))
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b,
                                                                        equal_nan=True)


def snapshot(dm):
    """Everything a failed call must leave unchanged."""
    return {
        'rowid': dm._rowid.tolist(), 'family': dm._family, 'sorted': dm._sorted,
        'default_col_type': dm._default_col_type, 'metadata': dm._metadata,
        'columns': [(name, id(col), type(col), getattr(col, '_dims', None),
                     getattr(col, '_dtype', None), col.metadata, cells(col))
                    for name, col in dm._cols.items()],
    }


def assert_unchanged(dm, before, copy=None):
    after = snapshot(dm)
    for key in ('rowid', 'family', 'sorted', 'default_col_type', 'metadata'):
        assert after[key] == before[key], key
    assert len(after['columns']) == len(before['columns']), 'columns added or removed'
    for old, new in zip(before['columns'], after['columns']):
        assert old[:6] == new[:6], f'column {old[0]!r} changed identity, type or spec'
        assert same_cells(old[6], new[6]), f'values of column {old[0]!r} changed'
    if copy is not None:
        assert dm.equals(copy)


@contextmanager
def quiet():
    """Conversion warnings (invalid type, empty slices) are expected and not tested here."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with np.errstate(all='ignore'):
            yield


# -- strategies ---------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.integers(-2 ** 70, 2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
    st.sampled_from(['1', ' 2.5 ', 'nan', '-inf', '1e3', 'x', '']),
    st.binary(max_size=3), st.complex_numbers(max_magnitude=5),
    st.sampled_from([np.float32(1.5), np.int8(-3), np.int64(7), np.nan, math.inf]),
    st.builds(object), st.sampled_from([int, float, str, type(None)]),
)
arrays = hnp.arrays(
    st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.dtype('U2')]),
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
sequences = st.one_of(
    st.lists(scalars, max_size=8), st.tuples(scalars, scalars),
    st.lists(st.lists(st.floats(-5, 5), max_size=4), max_size=7),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sets(st.integers(0, 5), max_size=3), st.builds(lambda k: iter(range(k)),
                                                      st.integers(0, 8)),
    st.builds(range, st.integers(0, 8)),
)
specs = st.one_of(
    st.sampled_from([MixedColumn, FloatColumn, IntColumn, int, float, str, list]),
    st.builds(lambda d: SeriesColumn(depth=d), st.integers(0, 4)),
    st.builds(lambda s: MultiDimensionalColumn(shape=s),
              st.one_of(st.integers(0, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)),
                        st.just((('a', 'b'),)), st.just((('a', 'b'), 2)))),
    st.builds(lambda s: (s, {}), st.sampled_from([MixedColumn, FloatColumn])),
)
values = st.one_of(scalars, sequences, arrays, specs)

int_keys = st.one_of(st.integers(-9, 9), st.sampled_from([np.int64(1), np.int32(-1)]))
row_keys = st.one_of(
    int_keys, st.slices(9), st.lists(st.integers(-9, 9), max_size=6),
    st.lists(st.booleans(), max_size=7), st.builds(range, st.integers(0, 7)),
    hnp.arrays(np.int64, st.integers(0, 5), elements=st.integers(-9, 9)),
    hnp.arrays(np.bool_, st.integers(0, 7)),
)
odd_keys = st.one_of(
    st.floats(), st.text(max_size=3), st.none(), st.just(Ellipsis), st.builds(object),
    st.just((slice(None), None)), st.dictionaries(st.integers(), st.integers(), max_size=1),
    st.sampled_from(['x', 'y', 'z']),
)
keys = st.one_of(row_keys, odd_keys,
                 st.tuples(st.one_of(row_keys, odd_keys), st.one_of(row_keys, odd_keys)),
                 st.tuples(row_keys, row_keys, row_keys, st.one_of(row_keys, odd_keys)))
names = st.one_of(st.sampled_from(['m', 'f', 'i', 's', 'md', 'h', 'new', 'length']),
                  st.text(max_size=3), st.binary(max_size=3), st.integers(), st.none())
column_names = st.sampled_from(['m', 'f', 'i', 's', 'md', 'h'])
lengths = st.integers(0, 6)


def model_positions(key, n):
    """The rows a 1-D row key addresses, by numpy's rules; None if not a plain row key."""
    if isinstance(key, (bool, np.bool_)):
        return None
    try:
        if isinstance(key, (int, np.integer)):
            return np.array([key % n]) if -n <= key < n else None
        if isinstance(key, (slice, range)):
            return np.arange(n)[key] if isinstance(key, slice) else np.arange(n)[list(key)]
        array = np.asarray(key)
        if isinstance(key, (list, np.ndarray)) and array.ndim == 1:
            if array.dtype == bool:
                return np.flatnonzero(array) if len(array) == n else None
            if len(array) == 0:
                return np.array([], dtype=int)
            if array.dtype.kind == 'i' and np.all((array >= -n) & (array < n)):
                return np.arange(n)[array]
    except (IndexError, ValueError, TypeError):
        return None
    return None


# -- DataMatrix ---------------------------------------------------------------------------------

@SETTINGS
@given(length=st.one_of(lengths, st.integers(-3, -1), st.floats(-2, 5), st.text(max_size=2),
                        st.none(), st.lists(st.integers(), max_size=2),
                        st.dictionaries(st.text(max_size=2), st.lists(scalars, max_size=4),
                                        max_size=3)),
       default_col_type=st.sampled_from([MixedColumn, FloatColumn, IntColumn, float, int,
                                         str, None, SeriesColumn]),
       columns=st.dictionaries(st.text('abc', min_size=1, max_size=2),
                               st.one_of(st.lists(scalars, max_size=4), scalars),
                               max_size=3))
def test_constructor(length, default_col_type, columns):
    """The constructor builds what SPEC 2.1 says or raises an allowed exception."""
    with quiet():
        try:
            dm = DataMatrix(length, default_col_type=default_col_type, **columns)
        except ALLOWED:
            return
    if not isinstance(length, dict):
        assert len(dm) == (len(next(iter(columns.values()))) if columns else int(length))
        assert dm.column_names == sorted(columns)
    for name, col in dm.columns:
        assert len(col) == len(dm)


@SETTINGS
@given(n=lengths, name=names, value=values)
def test_assign_column(storage, n, name, value):
    """dm[name] = value works (other columns untouched) or fails leaving dm unchanged."""
    dm = make_dm(n, storage)
    before, copy = snapshot(dm), dm[:]
    with quiet():
        try:
            dm[name] = value
        except ALLOWED:
            assert_unchanged(dm, before, copy)
            return
    name = name.decode() if isinstance(name, bytes) else name
    assert name in dm and len(dm) == n and len(dm[name]) == n
    for old in before['columns']:  # the other columns are untouched
        if old[0] != name:
            assert same_cells(old[6], cells(dm._cols[old[0]])), old[0]


def _check_write(dm, before, name, key, value):
    """After a successful write: no other column or row changed, cells as SPEC says."""
    n = len(before['rowid'])
    assert len(dm) == n and dm._rowid.tolist() == before['rowid']
    col = dm[name]
    for old in before['columns']:
        if old[0] != name:
            assert same_cells(old[6], cells(dm._cols[old[0]])), old[0]
        else:
            old_cells = old[6]
    positions = model_positions(key, n)
    if positions is None:
        return
    untouched = np.setdiff1d(np.arange(n), positions)
    new_cells = cells(col)
    if isinstance(old_cells, list):
        assert all(same_cell(old_cells[i], new_cells[i]) for i in untouched)
    else:
        assert np.array_equal(old_cells[untouched], new_cells[untouched], equal_nan=True)
    number = isinstance(value, (int, float, np.integer, np.floating)) \
        and not isinstance(value, (bool, np.bool_))
    if number and len(positions):
        if isinstance(col, FloatColumn) or hasattr(col, '_store'):
            expected = np.asarray(value, dtype=new_cells.dtype)
            assert np.array_equal(new_cells[positions],
                                  np.broadcast_to(expected, new_cells[positions].shape),
                                  equal_nan=True)
        elif isinstance(col, IntColumn):
            assert np.all(new_cells[positions] == int(value))


@SETTINGS
@given(n=lengths, name=column_names, key=keys, value=values)
def test_write_cells(storage, n, name, key, value):
    """col[key] = value changes only the addressed cells, or raises and changes nothing."""
    dm = make_dm(n, storage)
    before, copy = snapshot(dm), dm[:]
    with quiet():
        try:
            dm[name][key] = value
        except ALLOWED:
            assert_unchanged(dm, before, copy)
            return
    _check_write(dm, before, name, key, value)


@SETTINGS
@given(n=lengths, name=column_names, key=keys)
def test_read_cells(storage, n, name, key):
    """col[key] returns or raises an allowed exception, and never changes anything."""
    dm = make_dm(n, storage)
    before = snapshot(dm)
    with quiet():
        try:
            result = dm[name][key]
        except ALLOWED:
            pass
        else:
            positions = model_positions(key, n)
            if positions is not None and not isinstance(key, (int, np.integer)):
                assert len(result) == len(positions)
    assert_unchanged(dm, before)


@SETTINGS
@given(n=lengths, key=st.one_of(keys, names, st.lists(names, max_size=3),
                                st.tuples(names, row_keys)))
def test_read_datamatrix(storage, n, key):
    """dm[key] returns or raises an allowed exception, and never changes anything."""
    dm = make_dm(n, storage)
    before = snapshot(dm)
    with quiet():
        try:
            dm[key]
        except ALLOWED:
            pass
    assert_unchanged(dm, before)


@SETTINGS
@given(n=lengths, name=column_names,
       op=st.sampled_from(['+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '>=']),
       reflected=st.booleans(), value=st.one_of(scalars, sequences, arrays))
def test_operators_never_change_the_operands(storage, n, name, op, reflected, value):
    """Arithmetic and comparisons return a result or raise; the DataMatrix is unchanged."""
    dm = make_dm(n, storage)
    before = snapshot(dm)
    col = dm[name]
    expression = f'value {op} col' if reflected else f'col {op} value'
    with quiet():
        try:
            result = eval(expression)
        except ARITHMETIC:
            pass
        else:
            if op in ('==', '!=', '<', '>=') and isinstance(result, DataMatrix):
                assert len(result) <= n
    assert_unchanged(dm, before)


@SETTINGS
@given(n=lengths, action=st.sampled_from(['length', 'del', 'delattr', 'rename',
                                          'default_col_type', 'metadata', 'sorted']),
       argument=st.one_of(keys, names, values),
       other=st.one_of(names, st.just('ok_name')))
def test_datamatrix_mutations(storage, n, action, argument, other):
    """Resizing, deleting and renaming work or raise, leaving the DataMatrix unchanged."""
    dm = make_dm(n, storage)
    before, copy = snapshot(dm), dm[:]
    with quiet():
        try:
            if action == 'length':
                if isinstance(argument, int) and not isinstance(argument, bool):
                    argument %= 100  # a huge table is valid, but not a fast test
                dm.length = argument
            elif action == 'del':
                del dm[argument]
            elif action == 'delattr':
                delattr(dm, argument)
            elif action == 'rename':
                dm.rename(argument, other)
            elif action == 'default_col_type':
                dm.default_col_type = argument
            elif action == 'metadata':
                dm.metadata = argument
            else:
                dm.sorted = argument
        except ALLOWED:
            assert_unchanged(dm, before, copy)
            return
    if action == 'length':
        assert len(dm) == int(argument)
        assert all(len(col) == len(dm) for col in dm._cols.values())
    if action == 'metadata':
        assert dm.metadata is argument


@SETTINGS
@given(n=lengths, shape=st.one_of(st.integers(-2, 4), st.floats(0, 3), st.text(max_size=2),
                                  st.lists(st.one_of(st.integers(-1, 3),
                                                     st.lists(st.text(max_size=1),
                                                              max_size=3),
                                                     st.floats(0, 2), st.text(max_size=1)),
                                           max_size=3).map(tuple)),
       depth=st.one_of(st.none(), st.integers(-1, 4), st.floats(0, 2)),
       dtype=st.sampled_from([float, np.float64, np.float32, int, 'f4', str, None]),
       series=st.booleans())
def test_md_specs(storage, n, shape, depth, dtype, series):
    """Random shape specs create a column of that shape or raise an allowed exception."""
    dm = make_dm(n, storage)
    before = snapshot(dm)
    with quiet():
        try:
            spec = (SeriesColumn(depth=depth, dtype=dtype) if series
                    else MultiDimensionalColumn(shape=shape, dtype=dtype))
            dm.new = spec
        except ALLOWED:
            assert_unchanged(dm, before)
            return
    assert dm.new.shape[0] == n and all(size >= 0 for size in dm.new.shape)
    assert np.all(np.isnan(dm.new._store.array))


# -- fuzzing the readers -----------------------------------------------------------------------

class Hang(Exception):
    """An example ran past its time limit."""


@contextmanager
def time_limit(seconds):
    def expire(signum, frame):
        raise Hang(f'no result after {seconds} s')
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def mutate(data, draw):
    """A damaged copy of ``data``: truncated, with flipped bytes, garbage or splices."""
    kind = draw(st.sampled_from(['truncate', 'flip', 'garbage', 'insert', 'zero', 'random']))
    if kind == 'random':
        return draw(st.binary(max_size=2000))
    data = bytearray(data)
    if kind == 'truncate':
        return bytes(data[:draw(st.integers(0, max(0, len(data) - 1)))])
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == 'flip':
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif kind == 'garbage':
            chunk = draw(st.binary(min_size=1, max_size=32))
            data[where:where + len(chunk)] = chunk
        elif kind == 'insert':
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[where:where + draw(st.integers(1, 64))] = b''
    return bytes(data)


def use_everything(dm):
    """Read every cell of every column (mapped arrays included)."""
    for col in dm._cols.values():
        if hasattr(col, '_store'):
            np.asarray(col._store.array).sum()
            col.mean
        else:
            list(col)


_BINFILE = []


def binfile(tmp_path_factory):
    """The bytes of a valid binary file with every column type (made once)."""
    if _BINFILE:
        return _BINFILE[0]
    dm = DataMatrix(length=6)
    dm.m = 1, 'a', None, math.nan, -math.inf, 'é'
    dm.f = FloatColumn
    dm.f = np.linspace(0, 1, 6)
    dm.i = IntColumn
    dm.i = range(6)
    dm.s = SeriesColumn(depth=4)
    dm.s = np.arange(24.0).reshape(6, 4)
    dm.md = MultiDimensionalColumn(shape=(('x', 'y'), 2), dtype=np.float32)
    dm.md = 3
    dm.alias = dm.f
    dm.metadata = {'a': [1, 2.5, None]}
    path = tmp_path_factory.mktemp('fuzz') / 'x.dm'
    io.writebin(dm, path)
    _BINFILE.append(path.read_bytes())
    return _BINFILE[0]


@SETTINGS
@given(data=st.data(), verify=st.booleans())
def test_fuzz_readbin(tmp_path_factory, data, verify):
    """readbin on a damaged file reads or raises BinFormatError, within 5 s."""
    path = tmp_path_factory.mktemp('fuzzbin') / 'x.dm'
    damaged = mutate(binfile(tmp_path_factory), data.draw)
    path.write_bytes(damaged)
    with quiet(), time_limit(5):
        try:
            dm = io.readbin(path, verify=verify)
        except BinFormatError:
            return
        use_everything(dm)
    path.unlink()


CSV = ('a,b,"c ""q""",d\n1,2.5,x,\n"multi\nline",nan,-inf,é\n,,,\n'
       '3,"4,5",None,1e3\n').encode('utf-8')


@SETTINGS
@given(data=st.data(), col_type=st.sampled_from([MixedColumn, FloatColumn, IntColumn]),
       delimiter=st.sampled_from([',', ';', '\t']))
def test_fuzz_readtxt(tmp_path_factory, data, col_type, delimiter):
    """readtxt on a damaged file reads or raises a clear error, within 5 s."""
    path = tmp_path_factory.mktemp('fuzztxt') / 'x.csv'
    path.write_bytes(mutate(CSV.replace(b',', delimiter.encode()), data.draw))
    allowed = (UnicodeDecodeError,) if col_type is not IntColumn else (
        UnicodeDecodeError, TypeError, OverflowError)  # IntColumn refuses text (3.10)
    with quiet(), time_limit(5):
        try:
            dm = io.readtxt(path, delimiter=delimiter, default_col_type=col_type)
        except allowed:
            return
        except ValueError as exc:  # a row with more fields than the header
            assert 'fields, but the header has' in str(exc)
            return
        use_everything(dm)
    for name, col in dm.columns:
        assert type(col) is col_type and len(col) == len(dm)
