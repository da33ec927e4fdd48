"""Splitting a DataMatrix by the values of columns: ``split``, ``tuple_split``,
``bin_split``; the parts select their columns lazily."""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterator

import numpy as np

from datamatrix._table import keys as _keys
from datamatrix._table import bulk as _bulk
from datamatrix._table.columns import BaseColumn, MixedColumn, NumericColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.operations._common import _is_nan, _values_in_dm_order
from datamatrix.operations._order import sort


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


def factorise(col: BaseColumn, dm: DataMatrix) -> tuple[list, np.ndarray]:
    """``(col.unique as a list, codes)``: ``codes[i]`` locates row ``i`` of ``dm``.

    One pass over the column: ``np.unique`` for numeric columns, one look-up
    per distinct value for a MixedColumn; NaN values share one code.
    """
    if isinstance(col, _MultiDimensionalColumn):
        raise TypeError('cannot split by a multidimensional column')
    aligned = len(col) == len(dm) and (col._datamatrix is not dm or col._rowid is dm._rowid
                                       or np.array_equal(col._rowid, dm._rowid))
    if aligned and isinstance(col, NumericColumn):
        unique, codes = _bulk.int_factorise(col._seq)
        return list(unique), codes
    if aligned and isinstance(col, MixedColumn):
        factorised = _bulk.mixed_factorise(col._seq)
        if factorised is not None:
            return factorised
    unique = list(col.unique)
    lookup = {_value_key(value): rank for rank, value in enumerate(unique)}
    return unique, np.array([lookup[_value_key(v)] for v in _values_in_dm_order(col, dm)],
                            dtype=np.int64)


def combined_codes(codes: list, sizes: list) -> np.ndarray:
    """One code per row for the combination of several codes (lexicographic order)."""
    if math.prod(max(size, 1) for size in sizes) < 2 ** 62:
        combined = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
        for code, size in zip(codes, sizes):
            combined = combined * size + code
        return combined
    keys = np.stack(codes, axis=1)  # too many combinations for one int64: renumber
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)


def _split_columns(cols: list) -> Iterator[tuple]:
    dm = cols[0]._datamatrix
    ranks = []
    uniques = []
    for col in cols:
        unique, codes = factorise(col, dm)
        ranks.append(codes)
        uniques.append(unique)
    if not len(dm):
        return
    combined = combined_codes(ranks, [len(unique) for unique in uniques])
    size = math.prod(len(unique) for unique in uniques)
    order = _bulk.stable_order(combined, size)  # rows keep their order within a group
    ordered = combined[order]
    boundaries = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    for group in np.split(order, boundaries):
        values = tuple(unique[rank[group[0]]] for unique, rank in zip(uniques, ranks))
        yield values + (_lazy_select(dm, np.sort(group)),)


def split(col: BaseColumn, *values: Any) -> Iterator:
    """Split the DataMatrix of ``col`` by the values of ``col``.

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

    Examples
    --------
    >>> from datamatrix.operations import split
    >>> dm = DataMatrix(condition=['a', 'b', 'a'], rt=[500, 600, 520])
    >>> for condition, subset in split(dm.condition):
    ...     print(condition, list(subset.rt))
    ...
    a [500, 520]
    b [600]
    >>> a, b = split(dm.condition, 'a', 'b')
    >>> list(a.rt), list(b.rt)
    ([500, 520], [600])
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
        if col._rowid is dm._rowid:
            positions = np.flatnonzero(mask)
        else:
            positions = np.sort(_keys.positions_of(dm._rowid, col._rowid[mask]))
        if not len(positions):
            warnings.warn(f'split: no rows with value {value!r}')
        yield _lazy_select(dm, positions)


def tuple_split(col: BaseColumn, *values: Any) -> Iterator:
    """Deprecated alias of :func:`split`.

    Examples
    --------
    >>> import warnings
    >>> from datamatrix.operations import tuple_split
    >>> dm = DataMatrix(condition=['a', 'b', 'a'])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore', DeprecationWarning)
    ...     subsets = [len(subset) for _, subset in tuple_split(dm.condition)]
    ...
    >>> subsets
    [2, 1]
    """
    warnings.warn('tuple_split is deprecated; use split', DeprecationWarning,
                  stacklevel=2)
    return split(col, *values)


def bin_split(col: BaseColumn, bins: int) -> Iterator[DataMatrix]:
    """Sort ``col.dm`` by ``col`` and yield ``bins`` consecutive slices.

    Bin ``i`` holds positions ``int(n*i/bins)`` to ``int(n*(i+1)/bins)``; so 4
    rows in 3 bins give sizes 1, 1, 2.

    Raises
    ------
    ValueError
        When iteration starts, if ``bins > len(col)``.

    Examples
    --------
    >>> from datamatrix.operations import bin_split
    >>> dm = DataMatrix(rt=[400, 800, 500, 700])
    >>> for fast_to_slow in bin_split(dm.rt, bins=2):
    ...     print(list(fast_to_slow.rt))
    ...
    [400, 500]
    [700, 800]
    """
    n = len(col)
    if bins > n:
        raise ValueError(f'cannot split {n} rows into {bins} bins')
    ordered = sort(col._datamatrix, by=col)
    for index in range(bins):
        yield ordered[int(n * index / bins):int(n * (index + 1) / bins)]
