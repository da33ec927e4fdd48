"""Whole-table operations that DataMatrix itself needs: keeping some columns, stacking
tables vertically, and choosing the best column type for MixedColumns.

Nothing here imports the DataMatrix class: results are made with ``type(dm)``, so the
class module can import this one."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from datamatrix._table import keys as _keys
from datamatrix._table.keys import RowSet
from datamatrix._engine import stream as _stream
from datamatrix._table.columns import (BaseColumn, FloatColumn, IntColumn, MixedColumn,
                                       NumericColumn)
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix._engine.storage import release_pages


def _view(dm: RowSet, cols: dict) -> RowSet:
    """A DataMatrix sharing ``dm``'s rows and settings but holding only ``cols``.

    Nothing is copied; the view is only used as the source of a selection.
    """
    view = type(dm).__new__(type(dm))
    for key, value in dm.__dict__.items():
        object.__setattr__(view, key, value)
    object.__setattr__(view, '_cols', cols)
    return view


def _attach(dm: RowSet, name: str, column: BaseColumn, metadata: Any) -> None:
    """Insert an unbound column object into ``dm`` under ``name``."""
    column._datamatrix = dm
    column._rowid = dm._rowid
    column.metadata = metadata
    dm._cols[name] = column


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


# -- keep_only ------------------------------------------------------------------------

def keep_only(dm: RowSet, *cols: Any) -> RowSet:
    """A copy of ``dm`` (same family) with only the given columns.

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
    >>> from datamatrix.operations import keep_only
    >>> from datamatrix import DataMatrix
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


def _check_stackable(name: str, template: BaseColumn, col: BaseColumn) -> None:
    if type(col) is not type(template):
        raise TypeError(f'cannot stack column {name!r}: it is a {type(template).__name__} '
                        f'in one DataMatrix and a {type(col).__name__} in another')
    if isinstance(col, _MultiDimensionalColumn) and \
            col._cell_shape != template._cell_shape and \
            not (len(col._dims) == 1 and len(template._dims) == 1):
        raise TypeError(f'cannot stack column {name!r}: cell shapes '
                        f'{template._cell_shape} and {col._cell_shape} differ')


def _stack_1d(result: RowSet, name: str, parts: list, template: BaseColumn) -> None:
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


def _stack_md(result: RowSet, name: str, parts: list,
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


def stack_tables(inputs: list[RowSet]) -> RowSet:
    """Vertical concatenation of one or more DataMatrix objects.

    This is :func:`datamatrix.operations.stack` once its arguments are DataMatrix
    objects; the result is of the type of the first input.

    Parameters
    ----------
    inputs : list of DataMatrix
        At least one.

    Returns
    -------
    DataMatrix
        As :func:`datamatrix.operations.stack` describes (which columns, their
        types and defaults, ``sorted``, ``metadata``).

    Raises
    ------
    TypeError
        For columns whose types, kinds or (non 2-D) cell shapes differ between
        inputs.
    """
    result = type(inputs[0])(length=sum(len(dm) for dm in inputs))
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


def _best_type(values: list) -> type:
    if all(type(v) is int for v in values):
        if all(_keys._INT64.min <= v <= _keys._INT64.max for v in values):
            return IntColumn
        return FloatColumn
    if all(type(v) in (int, float) for v in values):
        return FloatColumn
    return MixedColumn


def auto_type(dm: RowSet) -> RowSet:
    """A new DataMatrix where MixedColumns get the best-fitting type.

    A MixedColumn becomes an IntColumn if every value is an int, else a
    FloatColumn if every value is a number (NaN and INF included), else it
    stays mixed (any string, ``''`` included, or ``None``). A 0-row
    MixedColumn becomes an IntColumn. Ints beyond the int64 range make a
    FloatColumn. Other columns are copied as they are. The result has a fresh
    family and ids ``0..n-1``; ``dm.metadata``, ``dm.sorted``, the default
    column type and column metadata are kept.

    Examples
    --------
    >>> from datamatrix.operations import auto_type
    >>> from datamatrix import DataMatrix
    >>> dm = auto_type(DataMatrix(a=[1, 2.0], b=[1, 1.5], c=[1, 'x']))
    >>> [type(col).__name__ for _, col in dm.columns]
    ['IntColumn', 'FloatColumn', 'MixedColumn']
    """
    result = type(dm)(length=len(dm), default_col_type=dm._default_col_type,
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
