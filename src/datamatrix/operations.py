"""Operations on whole DataMatrix objects and columns (SPEC 7).

Row selections (``sort``, ``shuffle``, ``random_sample``, ``split``,
``weight``) compute positions and let :meth:`DataMatrix._select_positions`
copy the columns, which streams multidimensional columns block by block
(:func:`datamatrix._stream.take_rows`); ``stack`` builds its multidimensional
columns with :func:`datamatrix._stream.build`. So all of them work, in bounded
memory, on offloaded columns larger than the memory budget.
"""
from __future__ import annotations

import itertools
import math
import random
import warnings
from typing import Any, Iterator

import numpy as np

from . import _keys, _stream
from ._column import BaseColumn, FloatColumn, IntColumn, MixedColumn, NumericColumn
from ._datamatrix import DataMatrix, Row
from ._multidim import _MultiDimensionalColumn, _SeriesColumn
from ._storage import release_pages
from .functional import filter_, map_, setcol

__all__ = ['auto_type', 'bin_split', 'fullfactorial', 'group', 'keep_only',
           'pivot_table', 'random_sample', 'replace', 'shuffle', 'shuffle_horiz',
           'sort', 'split', 'stack', 'weight', 'z', 'tuple_split', 'map_', 'filter_',
           'setcol']


# -- helpers --------------------------------------------------------------------------

def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _view(dm: DataMatrix, cols: dict) -> DataMatrix:
    """A DataMatrix sharing ``dm``'s rows and settings but holding only ``cols``.

    Nothing is copied; the view is only used as the source of a selection.
    """
    view = DataMatrix.__new__(DataMatrix)
    for key, value in dm.__dict__.items():
        object.__setattr__(view, key, value)
    object.__setattr__(view, '_cols', cols)
    return view


def _attach(dm: DataMatrix, name: str, column: BaseColumn, metadata: Any) -> None:
    """Insert an unbound column object into ``dm`` under ``name``."""
    column._datamatrix = dm
    column._rowid = dm._rowid
    column.metadata = metadata
    dm._cols[name] = column


def _fresh_rows(dm: DataMatrix) -> DataMatrix:
    """Give ``dm`` a new family and row ids ``0..n-1`` (in place) and return it."""
    from ._datamatrix import _families
    object.__setattr__(dm, '_family', next(_families))
    dm._set_rowid(np.arange(len(dm), dtype=np.int64))
    return dm


def _column_name(column: BaseColumn) -> str:
    """The name under which a column's own DataMatrix holds it."""
    name = column.name
    if isinstance(name, list):
        raise TypeError(f'the column is held under several names {name}; pass one of '
                        f'the names instead')
    if name is None:
        raise ValueError('the column is not held by its DataMatrix, so it has no name; '
                         'pass a column of the DataMatrix or a name')
    return name


def _values_in_dm_order(col: BaseColumn, dm: DataMatrix) -> list:
    """The values of a 1-D column, one per row of ``dm`` in ``dm``'s order.

    A column of ``dm`` (or bound to it with the same rows) is read as is; a column
    bound to ``dm`` whose rows are in another order is aligned by row ids; any
    other column is used positionally and must have ``len(dm)`` rows.
    """
    if len(col) != len(dm):
        raise ValueError(f'the column has {len(col)} rows but the DataMatrix has '
                         f'{len(dm)}')
    values = list(col)
    if col._datamatrix is dm and col._rowid is not dm._rowid and \
            not np.array_equal(col._rowid, dm._rowid):
        order = _keys.positions_of(col._rowid, dm._rowid)
        values = [values[i] for i in order]
    return values


# -- keep_only ------------------------------------------------------------------------

def keep_only(dm: DataMatrix, *cols: Any) -> DataMatrix:
    """A copy of ``dm`` (same family) with only the given columns (SPEC 7.5).

    Parameters
    ----------
    dm : DataMatrix
    *cols : str or column, or a single list of them
        Names or column objects; a column stands for its name in its own
        DataMatrix, so columns of an earlier version of ``dm`` work too.

    Returns
    -------
    DataMatrix
        Columns in ``dm``'s order (not the argument order).

    Raises
    ------
    TypeError
        For a column held under several names.
    ValueError
        For an item that is neither a name nor a column.

    Examples
    --------
    >>> dm = DataMatrix(a=[1], b=[2], c=[3])
    >>> keep_only(dm, dm.c, 'a').column_names
    ['a', 'c']
    """
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = tuple(cols[0])
    names = set()
    for item in cols:
        if isinstance(item, bytes):
            item = item.decode('utf-8')
        if isinstance(item, str):
            name = item
        elif isinstance(item, BaseColumn):
            name = _column_name(item)
        else:
            raise ValueError(f'keep_only expects column names or columns, not {item!r}')
        if name not in dm._cols:
            warnings.warn(f'keep_only: there is no column {name!r}; skipped')
            continue
        names.add(name)
    kept = {name: dm._cols[name] for name in dm._cols if name in names}
    return _view(dm, kept)._select_positions(slice(None))


# -- stack ----------------------------------------------------------------------------

def _as_datamatrix(obj: Any) -> DataMatrix:
    if isinstance(obj, DataMatrix):
        return obj
    if isinstance(obj, Row):
        return obj.as_slice
    if isinstance(obj, dict):
        return DataMatrix(obj)
    raise TypeError(f'stack expects DataMatrix, Row or dict objects, not '
                    f'{type(obj).__name__}')


def _check_stackable(name: str, template: BaseColumn, col: BaseColumn) -> None:
    if type(col) is not type(template):
        raise TypeError(f'cannot stack column {name!r}: it is a {type(template).__name__} '
                        f'in one DataMatrix and a {type(col).__name__} in another')
    if isinstance(col, _MultiDimensionalColumn) and \
            col._cell_shape != template._cell_shape and \
            not (len(col._dims) == 1 and len(template._dims) == 1):
        raise TypeError(f'cannot stack column {name!r}: cell shapes '
                        f'{template._cell_shape} and {col._cell_shape} differ')


def _stack_1d(result: DataMatrix, name: str, parts: list, template: BaseColumn) -> None:
    cls = type(template)
    if isinstance(template, NumericColumn):
        data = np.concatenate(
            [np.asarray(col._seq, dtype=cls._storage_dtype) if col is not None
             else np.full(n, cls.default_value, dtype=cls._storage_dtype)
             for col, n in parts] or [np.zeros(0, dtype=cls._storage_dtype)])
    else:
        data = []
        for col, n in parts:
            data.extend(col._seq if col is not None else [cls.default_value] * n)
    result._cols[name] = cls._from_data(result, data, template.metadata)


def _stack_md(result: DataMatrix, name: str, parts: list,
              template: _MultiDimensionalColumn) -> None:
    present = [col for col, _ in parts if col is not None]
    dtype = np.result_type(*[col._dtype for col in present])
    if len(template._dims) == 1:
        widest = max(present, key=lambda col: col._cell_shape[0])
        dims = template._dims if widest.depth == template.depth else widest._dims
    else:
        dims = template._dims
    cell_shape = tuple(d if isinstance(d, int) else len(d) for d in dims)
    missing = template._fill
    offsets = np.cumsum([0] + [n for _, n in parts])

    def fill(start: int, stop: int) -> np.ndarray:
        block = np.empty((stop - start,) + cell_shape, dtype)
        index = int(np.searchsorted(offsets, start, side='right')) - 1
        while index < len(parts) and offsets[index] < stop:
            (col, n), offset = parts[index], int(offsets[index])
            index += 1
            first, last = max(start, offset), min(stop, offset + n)
            if first >= last:
                continue
            target = block[first - start:last - start]
            if col is None:
                target[...] = missing
                continue
            source = col._store.array[first - offset:last - offset]
            width = source.shape[1] if len(cell_shape) == 1 else None
            if width is not None and width < cell_shape[0]:
                target[:, :width] = source
                target[:, width:] = col._fill
            else:
                target[...] = source
            release_pages(source)
        return block

    store = _stream.build((int(offsets[-1]),) + cell_shape, dtype, fill)
    result._cols[name] = type(template)._from_store(result, store, dims,
                                                    template.defaultnan,
                                                    template.metadata)


def stack(*dms: Any) -> DataMatrix:
    """Vertical concatenation of DataMatrix objects (SPEC 7.12).

    Parameters
    ----------
    *dms : DataMatrix, Row or dict, or a single list of them
        Rows are 1-row DataMatrix objects; dicts are ``DataMatrix(dict)``.

    Returns
    -------
    DataMatrix
        A new DataMatrix (fresh family, ids ``0..N-1``) with the union of the
        column names in order of first appearance. Each column takes type,
        shape spec, ``defaultnan`` and metadata from the first input that has
        it; rows of inputs without the column hold the default value. 2-D
        columns of different depths get the largest depth (its index names
        come from the first input of that depth); a float32 column stays
        float32 unless another input holds float64 values.
        ``sorted`` is taken from the first input, ``metadata`` is None.

    Raises
    ------
    TypeError
        For arguments of other types, and for columns whose types, kinds or
        (non 2-D) cell shapes differ between inputs.

    Notes
    -----
    Linear in the total size; inputs are never modified. Multidimensional
    columns are built block by block, so offloaded columns are stacked in
    bounded memory.

    Examples
    --------
    >>> dm = stack(DataMatrix(a=[1, 2]), {'b': ['x']})
    >>> list(dm.a), list(dm.b)
    ([1, 2, ''], ['', '', 'x'])
    """
    if len(dms) == 1 and isinstance(dms[0], list):
        dms = tuple(dms[0])
    inputs = [_as_datamatrix(obj) for obj in dms]
    result = DataMatrix(length=sum(len(dm) for dm in inputs))
    if not inputs:
        return result
    result.sorted = inputs[0].sorted
    names = list(dict.fromkeys(name for dm in inputs for name in dm._cols))
    for name in names:
        parts = [(dm._cols.get(name), len(dm)) for dm in inputs]
        template = next(col for col, _ in parts if col is not None)
        for col, _ in parts:
            if col is not None:
                _check_stackable(name, template, col)
        if isinstance(template, _MultiDimensionalColumn):
            _stack_md(result, name, parts, template)
        else:
            _stack_1d(result, name, parts, template)
    return result


# -- sorting ----------------------------------------------------------------------------

def _mixed_sort_key(value: Any) -> tuple:
    """-INF, numbers, INF, strings (code points), None, NaN (SPEC 7.13)."""
    if value is None:
        return (4, 0)
    if isinstance(value, str):
        return (3, value)
    if _is_nan(value):
        return (5, 0)
    if value == -math.inf:
        return (0, 0)
    if value == math.inf:
        return (2, 0)
    return (1, value)


def _sort_order(by: BaseColumn) -> np.ndarray:
    """Positions that sort ``by`` stably."""
    if isinstance(by, _MultiDimensionalColumn):
        raise TypeError('cannot sort by a multidimensional column')
    if isinstance(by, NumericColumn):
        return np.argsort(by._seq, kind='stable')
    keys = [_mixed_sort_key(value) for value in by._seq]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def _by_column(obj: Any, by: Any) -> BaseColumn:
    """The sort key column: a column, or a name in ``obj``'s DataMatrix."""
    if isinstance(by, (str, bytes)):
        dm = obj if isinstance(obj, DataMatrix) else obj._datamatrix
        return dm[by]
    if not isinstance(by, BaseColumn):
        raise TypeError(f'by must be a column or a column name, not {by!r}')
    if len(by) != len(obj):
        raise ValueError(f'cannot sort {len(obj)} rows by a column of {len(by)} rows')
    return by


def sort(obj: DataMatrix | BaseColumn, by: Any = None) -> DataMatrix | BaseColumn:
    """Sort the rows of a DataMatrix, or the values of a column (SPEC 7.13).

    Parameters
    ----------
    obj : DataMatrix or column
    by : column or str, optional
        Required for a DataMatrix: a column (used positionally, so a column of
        another DataMatrix must have ``len(obj)`` rows) or a column name.
        For a column it defaults to the column itself.

    Returns
    -------
    DataMatrix or column
        A DataMatrix of the same family with the rows reordered, or a column
        with the values reordered and aligned to the original row ids (so
        ``dm.a = sort(dm.a)`` sorts only that column).

    Notes
    -----
    Stable. MixedColumn order: -INF, numbers, INF, strings (code points),
    None, NaN; numeric columns ascending with NaN last. Multidimensional
    columns are copied block by block.

    Examples
    --------
    >>> dm = DataMatrix(a=[2, 'x', None, 1])
    >>> list(sort(dm, by='a').a)
    [1, 2, 'x', None]
    """
    if isinstance(obj, DataMatrix):
        if by is None:
            raise ValueError('sorting a DataMatrix requires a by column')
        return obj._select_positions(_sort_order(_by_column(obj, by)))
    if not isinstance(obj, BaseColumn):
        raise TypeError(f'cannot sort a {type(obj).__name__}')
    order = _sort_order(obj if by is None else _by_column(obj, by))
    return _reordered(obj, order)


def _reordered(col: BaseColumn, positions: np.ndarray) -> BaseColumn:
    """A copy of ``col`` with values at ``positions`` but the original row ids."""
    new = col._take(positions)
    new.metadata = col.metadata
    return col._bind(new, col._rowid)


def shuffle(obj: DataMatrix | BaseColumn) -> DataMatrix | BaseColumn:
    """Random order of rows (DataMatrix, same family) or values (column) (SPEC 7.9).

    A shuffled column keeps the original row ids, so ``dm.a = shuffle(dm.a)``
    shuffles only that column. Uses :mod:`random`, so ``random.seed`` applies.
    """
    positions = list(range(len(obj)))
    random.shuffle(positions)
    positions = np.array(positions, dtype=np.int64)
    if isinstance(obj, DataMatrix):
        return obj._select_positions(positions)
    if not isinstance(obj, BaseColumn):
        raise TypeError(f'cannot shuffle a {type(obj).__name__}')
    return _reordered(obj, positions)


def random_sample(obj: DataMatrix | BaseColumn, k: int) -> DataMatrix | BaseColumn:
    """``k`` distinct random rows (DataMatrix) or cells (column) (SPEC 7.7).

    Returns
    -------
    DataMatrix or column
        A DataMatrix of the same family, or a column of ``k`` cells bound to a
        fresh DataMatrix of length ``k``.

    Raises
    ------
    ValueError
        If ``k`` is negative or larger than ``len(obj)``.
    """
    if not isinstance(obj, (DataMatrix, BaseColumn)):
        raise TypeError(f'cannot sample from a {type(obj).__name__}')
    if not _keys.is_int(k):
        raise TypeError(f'k must be an int, not {k!r}')
    if not 0 <= k <= len(obj):
        raise ValueError(f'cannot sample {k} rows from {len(obj)}')
    positions = np.array(random.sample(range(len(obj)), int(k)), dtype=np.int64)
    if isinstance(obj, DataMatrix):
        return obj._select_positions(positions)
    new = obj._take(positions)
    holder = DataMatrix(length=int(k))
    new._datamatrix, new._rowid, new.metadata = holder, holder._rowid, obj.metadata
    return new


# -- splitting --------------------------------------------------------------------------

class _Pending:
    """A column of a lazy selection, copied from its source on first access."""

    __slots__ = ('source', 'positions', 'owner', 'column')

    def __init__(self, source: BaseColumn, positions: np.ndarray, owner: DataMatrix):
        self.source, self.positions, self.owner = source, positions, owner
        self.column = None

    def resolve(self) -> BaseColumn:
        if self.column is None:
            column = self.source._take(self.positions)
            column._datamatrix = self.owner
            column._rowid = self.owner._rowid
            column.metadata = self.source.metadata
            self.column = column
        return self.column


class _LazyColumns(dict):
    """A column dict whose values are copied from the source on first access.

    Every way of reading values (indexing, ``get``, ``values``, ``items``,
    ``pop``, ``copy``, ``dict(...)``) resolves them, so the rest of the library
    never sees a pending column.
    """

    def _resolve(self, name: str) -> BaseColumn:
        value = dict.__getitem__(self, name)
        if isinstance(value, _Pending):
            value = value.resolve()
            dict.__setitem__(self, name, value)
        return value

    def __getitem__(self, name: str) -> BaseColumn:
        return self._resolve(name)

    def __iter__(self):  # defeats dict's fast copy path, which would skip _resolve
        return dict.__iter__(self)

    def get(self, name: str, default: Any = None) -> Any:
        return self._resolve(name) if name in self else default

    def values(self) -> list:
        return [self._resolve(name) for name in list(dict.keys(self))]

    def items(self) -> list:
        return [(name, self._resolve(name)) for name in list(dict.keys(self))]

    def pop(self, name: str, *default: Any) -> Any:
        if name in self:
            self._resolve(name)
        return dict.pop(self, name, *default)

    def popitem(self) -> tuple:
        name = next(reversed(dict.keys(self)))
        return name, self.pop(name)

    def setdefault(self, name: str, default: Any = None) -> Any:
        if name in self:
            return self._resolve(name)
        dict.__setitem__(self, name, default)
        return default

    def copy(self) -> dict:
        return dict(self.items())

    def __reduce_ex__(self, protocol):
        return dict, (self.copy(),)


def _lazy_select(dm: DataMatrix, positions: np.ndarray) -> DataMatrix:
    """Like ``dm._select_positions(positions)``, but columns are copied when accessed."""
    new = DataMatrix.__new__(DataMatrix)
    for key in ('_family', '_sorted', '_default_col_type', '_metadata'):
        object.__setattr__(new, key, getattr(dm, key))
    object.__setattr__(new, '_rowid', np.array(dm._rowid[positions], dtype=np.int64))
    columns = _LazyColumns()
    pending: dict[int, _Pending] = {}
    for name, col in dm._cols.items():
        if id(col) not in pending:
            pending[id(col)] = _Pending(col, positions, new)
        dict.__setitem__(columns, name, pending[id(col)])
    object.__setattr__(new, '_cols', columns)
    return new


def _value_key(value: Any) -> Any:
    """A dict key under which equal values (NaN included) meet."""
    if _is_nan(value):
        return _NAN_KEY
    return value


_NAN_KEY = ('__datamatrix_nan__',)


def _split_columns(cols: list) -> Iterator[tuple]:
    dm = cols[0]._datamatrix
    ranks = []
    uniques = []
    for col in cols:
        if isinstance(col, _MultiDimensionalColumn):
            raise TypeError('cannot split by a multidimensional column')
        unique = list(col.unique)
        lookup = {_value_key(value): rank for rank, value in enumerate(unique)}
        ranks.append(np.array([lookup[_value_key(v)] for v in _values_in_dm_order(col, dm)],
                              dtype=np.int64))
        uniques.append(unique)
    if not len(dm):
        return
    order = np.lexsort(ranks[::-1])  # stable: rows keep their order within a group
    keys = np.stack([rank[order] for rank in ranks], axis=1)
    boundaries = np.flatnonzero(np.any(keys[1:] != keys[:-1], axis=1)) + 1
    for group in np.split(order, boundaries):
        values = tuple(unique[rank[group[0]]] for unique, rank in zip(uniques, ranks))
        yield values + (_lazy_select(dm, np.sort(group)),)


def split(col: BaseColumn, *values: Any) -> Iterator:
    """Split the DataMatrix of ``col`` by the values of ``col`` (SPEC 7.11).

    Parameters
    ----------
    col : column
    *values : values, or columns of the same DataMatrix
        No values: every value of ``col.unique``. Plain values: one subset per
        value, in that order. Columns: a nested split by all columns.

    Yields
    ------
    tuple or DataMatrix
        ``(value, subset)`` without values; ``subset`` for each plain value (an
        empty subset, with a warning, for a value without rows); ``(value1,
        value2, ..., subset)`` for columns, ordered by the unique values of the
        first column, then the second, etc., for existing combinations only.

    Notes
    -----
    Subsets share the family of ``col.dm``. Their columns are copied from
    ``col.dm`` when first accessed, so splitting a wide DataMatrix is cheap;
    changing ``col.dm`` before a subset's column was accessed therefore shows
    in the subset.
    """
    if not isinstance(col, BaseColumn):
        raise TypeError(f'split expects a column, not {type(col).__name__}')
    if isinstance(col, _MultiDimensionalColumn):
        raise TypeError('cannot split by a multidimensional column')
    columns = [v for v in values if isinstance(v, BaseColumn)]
    if columns and len(columns) != len(values):
        raise ValueError('split accepts either values or columns, not both')
    if columns or not values:
        for col_ in columns:
            if len(col_) != len(col):
                raise ValueError('split: all columns must have the same length')
        for item in _split_columns([col] + columns):
            yield item
        return
    dm = col._datamatrix
    for value in values:
        mask = np.asarray(col._compare_mask('==', value), dtype=bool)
        positions = np.sort(_keys.positions_of(dm._rowid, col._rowid[mask]))
        if not len(positions):
            warnings.warn(f'split: no rows with value {value!r}')
        yield _lazy_select(dm, positions)


def tuple_split(col: BaseColumn, *values: Any) -> Iterator:
    """Deprecated alias of :func:`split`."""
    warnings.warn('tuple_split is deprecated; use split', DeprecationWarning,
                  stacklevel=2)
    return split(col, *values)


def bin_split(col: BaseColumn, bins: int) -> Iterator[DataMatrix]:
    """Sort ``col.dm`` by ``col`` and yield ``bins`` consecutive slices (SPEC 7.2).

    Bin ``i`` holds positions ``int(n*i/bins)`` to ``int(n*(i+1)/bins)``; so 4
    rows in 3 bins give sizes 1, 1, 2.

    Raises
    ------
    ValueError
        When iteration starts, if ``bins > len(col)``.
    """
    n = len(col)
    if bins > n:
        raise ValueError(f'cannot split {n} rows into {bins} bins')
    ordered = sort(col._datamatrix, by=col)
    for index in range(bins):
        yield ordered[int(n * index / bins):int(n * (index + 1) / bins)]


# -- weight, group, fullfactorial, auto_type ---------------------------------------------

def weight(col: BaseColumn) -> DataMatrix:
    """Repeat each row of ``col.dm`` ``col[i]`` times, in order (SPEC 7.14).

    Returns
    -------
    DataMatrix
        A new DataMatrix (fresh family, ids ``0..N-1``) with all columns,
        multidimensional ones included (copied block by block).

    Raises
    ------
    TypeError
        If a weight is not a non-negative int (floats such as ``1.0`` included).
    """
    if isinstance(col, _MultiDimensionalColumn) or not isinstance(col, BaseColumn):
        raise TypeError('weight expects an IntColumn or a MixedColumn of ints')
    if isinstance(col, FloatColumn):
        raise TypeError('weights must be ints, not the floats of a FloatColumn')
    dm = col._datamatrix
    weights = _values_in_dm_order(col, dm)
    for value in weights:
        if not _keys.is_int(value) or value < 0:
            raise TypeError(f'weights must be non-negative ints, not {value!r}')
    positions = np.repeat(np.arange(len(dm), dtype=np.int64),
                          np.array(weights, dtype=np.int64))
    return _fresh_rows(dm._select_positions(positions))


def _group_series(values: list, groups: list, depth: int) -> tuple[np.ndarray, int]:
    """One row per group holding its values, NaN-padded; non-numeric groups stay NaN."""
    data = np.full((len(groups), depth), np.nan)
    failed = 0
    for row, positions in enumerate(groups):
        cells = [values[i] for i in positions]
        if any(isinstance(v, (str, bytes)) for v in cells):
            failed += 1
            continue
        data[row, :len(cells)] = [np.nan if v is None else float(v) for v in cells]
    return data, failed


def group(dm: DataMatrix, by: Any) -> DataMatrix:
    """One row per combination of the values of ``by`` (SPEC 7.4).

    Parameters
    ----------
    dm : DataMatrix
    by : column, name, list of columns/names, or None
        Columns of ``dm`` (names are accepted too); ``None`` puts all rows in
        one group.

    Returns
    -------
    DataMatrix
        A new DataMatrix with one row per group, in order of first
        appearance. ``by`` columns keep their type and hold the group's value;
        every other 1-D column becomes a series column (depth = largest group)
        holding the group's values, NaN-padded. A group whose values include
        strings stays all NaN (with a warning). Multidimensional columns are
        skipped with a warning.

    Raises
    ------
    ValueError
        For a column that does not belong to ``dm``.

    Examples
    --------
    >>> dm = DataMatrix(c=['a', 'b', 'a'], x=[1, 2, 3])
    >>> g = group(dm, by=dm.c)
    >>> list(g.c), g.x.shape
    (['a', 'b'], (2, 2))
    """
    if by is None:
        by = []
    elif not isinstance(by, (list, tuple)):
        by = [by]
    by_columns = []
    for item in by:
        if isinstance(item, (str, bytes)):
            item = dm[item]
        if not isinstance(item, BaseColumn) or item not in dm:
            raise ValueError(f'group: {item!r} is not a column of the DataMatrix')
        if isinstance(item, _MultiDimensionalColumn):
            raise TypeError('group: cannot group by a multidimensional column')
        by_columns.append(item)
    n = len(dm)
    if by_columns:
        keys = zip(*[[_value_key(v) for v in col] for col in by_columns])
    else:
        keys = itertools.repeat((), n)
    groups: dict[tuple, list] = {}
    for position, key in zip(range(n), keys):
        groups.setdefault(key, []).append(position)
    members = list(groups.values())
    first = np.array([positions[0] for positions in members], dtype=np.int64)
    depth = max((len(positions) for positions in members), default=0)
    result = DataMatrix(length=len(members), default_col_type=dm._default_col_type)
    result.sorted = dm.sorted
    for name, col in dm._cols.items():
        if any(col is b for b in by_columns):
            _attach(result, name, col._take(first), col.metadata)
        elif isinstance(col, _MultiDimensionalColumn):
            warnings.warn(f'group: multidimensional column {name!r} is skipped')
        else:
            data, failed = _group_series(list(col), members, depth)
            if failed:
                warnings.warn(f'group: {failed} group(s) of column {name!r} hold '
                              f'non-numeric values and are left NaN')
            store = _stream.new_store(data.shape, np.float64)
            store.array[...] = data
            result._cols[name] = _SeriesColumn._from_store(result, store, [depth],
                                                           True, col.metadata)
    return result


def fullfactorial(dm: DataMatrix, ignore: Any = '') -> DataMatrix:
    """All combinations of the levels of every column (SPEC 7.3).

    Each column is a factor whose levels are its cells that differ from
    ``ignore`` (converted like a MixedColumn value, so ``1.0`` ignores ``1``;
    NaN ignores NaN), in order of appearance (repeats are separate levels). The first
    column (in ``dm.columns`` order) varies fastest.

    Raises
    ------
    TypeError
        If a column is not a MixedColumn.

    Examples
    --------
    >>> dm = DataMatrix(a=['x', 'y', ''], b=[1, 2, 3])
    >>> ff = fullfactorial(dm)
    >>> list(ff.a), list(ff.b)
    (['x', 'y', 'x', 'y', 'x', 'y'], [1, 1, 2, 2, 3, 3])
    """
    columns = dm.columns
    for name, col in columns:
        if type(col) is not MixedColumn:
            raise TypeError(f'fullfactorial requires MixedColumns; {name!r} is a '
                            f'{type(col).__name__}')
    if not columns:
        return DataMatrix()
    try:  # cells are stored converted, so compare with the converted value
        ignore = _keys.convert_mixed(ignore)
    except (TypeError, ValueError):
        pass
    levels = [[v for v in col._seq if not (v == ignore or _is_nan(v) and _is_nan(ignore))]
              for _, col in columns]
    combinations = list(itertools.product(*levels[::-1]))
    result = DataMatrix(length=len(combinations))
    result.sorted = dm.sorted
    for index, (name, _) in enumerate(columns):
        values = [combination[len(columns) - 1 - index] for combination in combinations]
        result._cols[name] = MixedColumn._from_data(result, values)
    return result


def _best_type(values: list) -> type:
    if all(type(v) is int for v in values):
        if all(_keys._INT64.min <= v <= _keys._INT64.max for v in values):
            return IntColumn
        return FloatColumn
    if all(type(v) in (int, float) for v in values):
        return FloatColumn
    return MixedColumn


def auto_type(dm: DataMatrix) -> DataMatrix:
    """A new DataMatrix where MixedColumns get the best-fitting type (SPEC 7.1).

    A MixedColumn becomes an IntColumn if every value is an int, else a
    FloatColumn if every value is a number (NaN and INF included), else it
    stays mixed (any string, ``''`` included, or ``None``). A 0-row
    MixedColumn becomes an IntColumn. Ints beyond the int64 range make a
    FloatColumn. Other columns are copied as they are. The result has a fresh
    family and ids ``0..n-1``; ``dm.metadata``, ``dm.sorted``, the default
    column type and column metadata are kept.

    Examples
    --------
    >>> dm = auto_type(DataMatrix(a=[1, 2.0], b=[1, 1.5], c=[1, 'x']))
    >>> [type(col).__name__ for _, col in dm.columns]
    ['IntColumn', 'FloatColumn', 'MixedColumn']
    """
    result = DataMatrix(length=len(dm), default_col_type=dm._default_col_type,
                        metadata=dm.metadata)
    result.sorted = dm.sorted
    done: dict[int, BaseColumn] = {}
    for name, col in dm._cols.items():
        if id(col) in done:
            result._cols[name] = done[id(col)]
            continue
        if type(col) is MixedColumn:
            cls = _best_type(col._seq)
            if cls is MixedColumn:
                new = MixedColumn._from_data(result, list(col._seq))
            else:
                new = cls._from_data(result, np.array(col._seq, dtype=cls._storage_dtype))
        else:
            new = col._take(slice(None))
        _attach(result, name, new, col.metadata)
        done[id(col)] = new
    return result


# -- value transformations -----------------------------------------------------------------

def _numeric_value(value: Any, col: BaseColumn) -> float:
    """A replacement value for a numeric or MD column (non-numeric strings refused)."""
    if value is None:
        converted = math.nan
    else:
        if isinstance(value, bytes):
            value = value.decode('utf-8')
        converted = _keys.convert_mixed(value)
        if isinstance(converted, str) or converted is None:
            raise ValueError(f'cannot put {value!r} into a {type(col).__name__}')
    if isinstance(col, IntColumn):
        return _keys.convert_int(converted)
    return float(converted)


def _numeric_key(key: Any) -> float | None:
    """A key as a float, or None if it is not numeric (it then matches nothing)."""
    if isinstance(key, (bool, np.bool_)):
        return float(key)
    if isinstance(key, (int, float, np.integer, np.floating)):
        return float(key)
    if isinstance(key, (str, bytes)):
        converted = _keys.convert_mixed(key)
        if isinstance(converted, (int, float)):
            return float(converted)
    return None


def _replace_array(array: np.ndarray, pairs: list) -> np.ndarray:
    """``array`` with every ``(key, value)`` applied to the original values at once."""
    result = np.array(array)
    masks = [np.isnan(array) if math.isnan(key) else array == key for key, _ in pairs]
    for mask, (_, value) in zip(masks, pairs):
        result[mask] = value
    return result


def replace(col: BaseColumn, mappings: dict = {}) -> BaseColumn:
    """A copy of ``col`` with cells equal to a key replaced by its value (SPEC 7.8).

    All pairs apply at once to the original values, so ``{1: 2, 2: 3}`` turns 1
    into 2 and 2 into 3. A NaN key matches NaN cells. New values follow the
    column's conversion rule, except that non-numeric strings raise
    ``ValueError`` in numeric and multidimensional columns (``None`` becomes
    NaN there). Non-numeric keys never match numeric or MD cells; for MD
    columns every element is compared. In a MixedColumn, keys are compared with
    cells as they are (no conversion, so ``'1'`` does not match ``1``).

    Raises
    ------
    ValueError
        For values that the column type cannot hold.

    Examples
    --------
    >>> dm = DataMatrix(a=[1, 2, 3])
    >>> list(replace(dm.a, {1: 2, 2: 3}))
    [2, 3, 3]
    """
    if not isinstance(mappings, dict):
        raise TypeError(f'mappings must be a dict, not {type(mappings).__name__}')
    if isinstance(col, MixedColumn):
        plain = {}
        nan_value, has_nan = None, False
        for key, value in mappings.items():
            value = _keys.convert_mixed(value)
            if _is_nan(key):
                nan_value, has_nan = value, True
            else:
                plain[key] = value
        seq = []
        for cell in col._seq:
            if _is_nan(cell):
                seq.append(nan_value if has_nan else cell)
            else:
                seq.append(plain.get(cell, cell))
        new = MixedColumn._from_data(col._datamatrix, seq)
    else:
        pairs = [(k, _numeric_value(v, col)) for k, v in
                 ((_numeric_key(key), value) for key, value in mappings.items())
                 if k is not None]
        if isinstance(col, _MultiDimensionalColumn):
            store = _stream.map_blocks(col._use(), lambda b, s, e: _replace_array(b, pairs),
                                       col._cell_shape, col._dtype)
            new = col._with_store(store)
        else:
            if isinstance(col, IntColumn):
                pairs = [(k, v) for k, v in pairs if math.isfinite(k)]
            new = type(col)._from_data(col._datamatrix, _replace_array(col._seq, pairs))
    new.metadata = col.metadata
    return col._bind(new, col._rowid)


def z(col: BaseColumn) -> BaseColumn:
    """Standardised scores (SPEC 7.15).

    A 1-D column gives a FloatColumn ``(x - mean) / std`` (ddof=1, as
    ``col.std``); non-numeric cells give NaN, and a std of 0 or NaN makes
    every score NaN. An MD column gives a copy standardised with the grand
    NaN-ignoring mean and standard deviation (ddof=0, reference quirk) of all
    its elements, computed block by block.
    """
    if isinstance(col, _MultiDimensionalColumn):
        array = col._use()
        total, count = 0.0, 0
        for _, _, block in _stream.blocks_of(array):
            valid = ~np.isnan(block)
            total += float(np.sum(block, where=valid, dtype=np.float64))
            count += int(valid.sum())
        mean = total / count if count else math.nan
        squares = 0.0
        for _, _, block in _stream.blocks_of(array):
            deviation = np.asarray(block, dtype=np.float64) - mean
            squares += float(np.sum(deviation ** 2, where=~np.isnan(deviation)))
        std = math.sqrt(squares / count) if count else math.nan

        def standardise(block: np.ndarray, start: int, stop: int) -> np.ndarray:
            with np.errstate(divide='ignore', invalid='ignore'):
                return (block - mean) / std

        new = col._with_store(_stream.map_blocks(array, standardise, col._cell_shape,
                                                 col._dtype))
    elif isinstance(col, BaseColumn):
        values = np.array([float(v) if isinstance(v, (int, float, np.number)) and
                           not isinstance(v, bool) else math.nan for v in col],
                          dtype=np.float64)
        mean, std = float(col.mean), float(col.std)
        if std == 0 or math.isnan(std):
            data = np.full(len(values), math.nan)
        else:
            data = (values - mean) / std
        new = FloatColumn._from_data(col._datamatrix, data)
    else:
        raise TypeError(f'z expects a column, not {type(col).__name__}')
    new.metadata = col.metadata
    return col._bind(new, col._rowid)


def shuffle_horiz(*obj: Any) -> DataMatrix:
    """Permute, independently per row, the values among some columns (SPEC 7.10).

    Parameters
    ----------
    *obj : DataMatrix or columns
        One DataMatrix (all its columns) or columns of one DataMatrix.

    Returns
    -------
    DataMatrix
        A copy (same family); values moved into a column are converted by that
        column's type (conversion errors propagate).

    Raises
    ------
    ValueError
        For no arguments, several DataMatrix objects, or columns of different
        DataMatrix objects.
    """
    if len(obj) == 1 and isinstance(obj[0], DataMatrix):
        dm = obj[0]
        names = list(dm._cols)
    elif obj and all(isinstance(col, BaseColumn) for col in obj):
        dm = obj[0]._datamatrix
        if any(col._datamatrix is not dm for col in obj):
            raise ValueError('shuffle_horiz: all columns must belong to one DataMatrix')
        names = []
        for col in obj:
            name = col.name
            if name is None:
                raise ValueError('shuffle_horiz: a column is not held by its DataMatrix')
            names.append(name[0] if isinstance(name, list) else name)
    else:
        raise ValueError('shuffle_horiz expects one DataMatrix or columns of one '
                         'DataMatrix')
    result = dm._select_positions(slice(None))
    columns = [result._cols[name] for name in names]
    for row in range(len(result)):
        values = [np.array(col[row]) if isinstance(col, _MultiDimensionalColumn)
                  else col[row] for col in columns]
        random.shuffle(values)
        for col, value in zip(columns, values):
            col[row] = value
    return result


def pivot_table(dm: DataMatrix, values: Any, index: Any, columns: Any, *args: Any,
                **kwargs: Any) -> DataMatrix:
    """A pivot table computed by ``pandas.pivot_table`` (SPEC 7.6; needs pandas).

    Parameters
    ----------
    values, index, columns : str, column, or list of them
        Column names or columns of ``dm``.
    *args, **kwargs
        Passed to pandas, e.g. ``aggfunc='sum'``.

    Returns
    -------
    DataMatrix
        One column per level of ``columns``, named by the level values
        (converted by ``convert.from_pandas``); the pivot's row index is not
        kept.

    Raises
    ------
    TypeError
        For ``values``/``index``/``columns`` of other types.
    ImportError
        If pandas is not installed.
    """
    try:
        import pandas
    except ImportError as exc:
        raise ImportError('pivot_table requires the pandas package') from exc
    from .convert import from_pandas, to_pandas

    def names(arg: Any, what: str) -> str | list:
        if isinstance(arg, (str, BaseColumn)):
            return _column_name(arg) if isinstance(arg, BaseColumn) else arg
        if isinstance(arg, (list, tuple)) and all(isinstance(a, (str, BaseColumn))
                                                  for a in arg):
            return [_column_name(a) if isinstance(a, BaseColumn) else a for a in arg]
        raise TypeError(f'pivot_table: {what} must be a name, a column or a list of '
                        f'them, not {arg!r}')

    table = pandas.pivot_table(to_pandas(dm), names(values, 'values'),
                               names(index, 'index'), names(columns, 'columns'), *args,
                               **kwargs)
    return from_pandas(table.reset_index(drop=True))
