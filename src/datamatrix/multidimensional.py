"""Functions for multidimensional columns: per-row reductions and flattening.

Every function streams over the rows of a column in blocks (:mod:`datamatrix._engine.stream`),
so it works in bounded memory on offloaded columns; the per-block work is done by the
pure kernels of :mod:`datamatrix._kernels`.

Examples
--------
>>> from datamatrix import DataMatrix, SeriesColumn, multidimensional as mdim
>>> dm = DataMatrix(length=2)
>>> dm.s = SeriesColumn(depth=3)
>>> dm.s = [[1, 2, 3], [4, float('nan'), 6]]
>>> list(mdim.reduce(dm.s))
[2.0, 5.0]
>>> list(mdim.nancount(dm.s))
[0, 1]
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from datamatrix import _kernels
from datamatrix._engine import stream as _stream
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, NumericColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.errors import ShapeMismatchError

__all__ = ['reduce', 'reduce_', 'nancount', 'infcount', 'flatten']


def _check_md(col: Any, name: str = 'col') -> None:
    """Raise ``TypeError`` unless ``col`` is a multidimensional column."""
    if not isinstance(col, _MultiDimensionalColumn):
        raise TypeError(f'{name} must be a multidimensional column (made with '
                        f'MultiDimensionalColumn or SeriesColumn), not '
                        f'{type(col).__name__}')


def _per_row_column(col: _MultiDimensionalColumn,
                   kernel: Callable[[np.ndarray, int, int], Any],
                   column_type: type = FloatColumn) -> BaseColumn:
    """A 1-D column with ``kernel(block, start, stop)`` for every block of rows.

    The result is bound to ``col``'s DataMatrix and rows.
    """
    values = np.empty(len(col), dtype=column_type._storage_dtype)
    for start, stop, block in _stream.blocks_of(col._use()):
        values[start:stop] = kernel(block, start, stop)
    result = column_type._from_data(col._datamatrix, values)
    return col._bind(result, col._rowid)


def reduce(col: _MultiDimensionalColumn,
           operation: Callable[..., Any] = np.nanmean) -> FloatColumn:
    """Reduce every cell of a multidimensional column to one number.

    Parameters
    ----------
    col : MultiDimensionalColumn or SeriesColumn
        The column to reduce.
    operation : callable, default numpy.nanmean
        First called as ``operation(data, axis=<all cell axes>)`` on blocks of
        rows; if that raises ``TypeError`` (no ``axis`` argument), called once
        per cell as ``operation(cell)``.

    Returns
    -------
    FloatColumn
        One value per row, bound to ``col``'s DataMatrix.

    Raises
    ------
    TypeError
        If ``col`` is not a multidimensional column.
    ValueError
        If ``operation`` does not give one number per row.

    Examples
    --------
    >>> from datamatrix.multidimensional import reduce
    >>> from datamatrix import DataMatrix, MultiDimensionalColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.m = MultiDimensionalColumn(shape=(2, 2))
    >>> dm.m = [[1, 2], [3, 4]]
    >>> list(reduce(dm.m, np.max))
    [4.0, 4.0]
    """
    _check_md(col)
    return _per_row_column(
        col, lambda block, start, stop: _kernels.reduce_block(block, operation))


reduce_ = reduce


def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _is_inf(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isinf(value)


def _count_elements(obj: Any, array_test: Callable[[np.ndarray], np.ndarray],
                    value_test: Callable[[Any], bool]) -> int:
    """Count the elements of a (nested) sequence or array that pass the test.

    Numeric arrays are tested at once; other sequences element by element, so
    that strings such as ``'nan'`` never count.
    """
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in 'fc':
            return int(np.count_nonzero(array_test(obj)))
        if obj.dtype.kind != 'O':
            return 0
        obj = obj.ravel()
    elif isinstance(obj, NumericColumn):
        return _count_elements(obj._seq, array_test, value_test)
    elif isinstance(obj, (str, bytes)) or not hasattr(obj, '__iter__'):
        return int(value_test(obj))
    return sum(_count_elements(item, array_test, value_test) for item in obj)


def _count(obj: Any, kernel: Callable[[np.ndarray], np.ndarray],
           array_test: Callable[[np.ndarray], np.ndarray],
           value_test: Callable[[Any], bool]) -> IntColumn | int:
    if isinstance(obj, _MultiDimensionalColumn):
        return _per_row_column(obj, lambda block, start, stop: kernel(block), IntColumn)
    return _count_elements(obj, array_test, value_test)


def nancount(obj: Any) -> IntColumn | int:
    """Count NaN values.

    Parameters
    ----------
    obj : column, sequence or array
        A multidimensional column, a 1-D column, or any (nested) sequence or array.

    Returns
    -------
    IntColumn or int
        For a multidimensional column, an IntColumn with the number of NaN
        elements in each cell; otherwise the number of NaN cells or elements.
        Only float values count (the string ``'nan'`` is not NaN).

    Examples
    --------
    >>> from datamatrix.multidimensional import nancount
    >>> nancount([1, float('nan'), 'nan'])
    1
    """
    return _count(obj, _kernels.nancount_block, np.isnan, _is_nan)


def infcount(obj: Any) -> IntColumn | int:
    """Count ``INF`` and ``-INF`` values; see :func:`nancount`.

    Examples
    --------
    >>> from datamatrix.multidimensional import infcount
    >>> infcount(np.array([np.inf, -np.inf, 1.0]))
    2
    """
    return _count(obj, _kernels.infcount_block, np.isinf, _is_inf)


def flatten(dm: DataMatrix) -> DataMatrix:
    """One row per element of the multidimensional columns of a DataMatrix.

    Parameters
    ----------
    dm : DataMatrix
        All its multidimensional columns must have the same full shape.

    Returns
    -------
    DataMatrix
        Without multidimensional columns, a copy (``dm[:]``, same family).
        Otherwise a new DataMatrix of ``len(dm) * prod(cell_shape)`` rows, in
        which every multidimensional column is a FloatColumn of its elements in
        C order (row by row, last axis fastest) and every 1-D column repeats each
        value ``prod(cell_shape)`` times, keeping its type. Column order, aliases
        and 1-D column metadata are kept.

    Raises
    ------
    TypeError
        If ``dm`` is not a DataMatrix.
    ValueError
        If the multidimensional columns differ in shape.

    Examples
    --------
    >>> from datamatrix.multidimensional import flatten
    >>> from datamatrix import DataMatrix, SeriesColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.trial = 1, 2
    >>> dm.s = SeriesColumn(depth=2)
    >>> dm.s = [[1, 2], [3, 4]]
    >>> flat = flatten(dm)
    >>> list(flat.trial), list(flat.s)
    ([1, 1, 2, 2], [1.0, 2.0, 3.0, 4.0])
    """
    if not isinstance(dm, DataMatrix):
        raise TypeError(f'flatten needs a DataMatrix, not {type(dm).__name__}')
    md = {name: col for name, col in dm._cols.items()
          if isinstance(col, _MultiDimensionalColumn)}
    if not md:
        return dm[:]
    shapes = {col.shape for col in md.values()}
    if len(shapes) > 1:
        described = ', '.join(f'{name} {col.shape}' for name, col in md.items())
        raise ShapeMismatchError(
            f'flatten needs multidimensional columns of one shape, not: {described}')
    n = len(dm)
    size = int(np.prod(next(iter(md.values()))._cell_shape))
    flat = DataMatrix(length=n * size)
    repeat = np.repeat(np.arange(n), size)
    done: dict[int, BaseColumn] = {}
    for name, col in dm._cols.items():
        if id(col) not in done:
            if isinstance(col, _MultiDimensionalColumn):
                values = np.empty(n * size)
                for start, stop, block in _stream.blocks_of(col._use()):
                    values[start * size:stop * size] = block.reshape(-1)
                new = FloatColumn._from_data(flat, values)
            else:
                new = col._take(repeat)
                new._datamatrix, new._rowid = flat, flat._rowid
                new.metadata = col.metadata
            done[id(col)] = new
        flat[name] = done[id(col)]
    return flat
