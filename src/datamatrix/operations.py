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
    kept = {name: col for name, col in dm._cols.items() if name in names}
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
        for (col, n), offset in zip(parts, offsets):
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
