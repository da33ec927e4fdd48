"""Dask: ``to_dask`` and ``from_dask`` (zarr-backed columns through ``dask.array.from_zarr``)."""
from __future__ import annotations

import math
import uuid
from typing import Any, Mapping

import numpy as np

from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import text_form
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix._engine.storage import release_pages, row_blocks
from datamatrix.errors import InvalidValueError, LengthMismatchError
from datamatrix.convert._common import (_checked_int64, _columns, _md_class, _md_column,
                                        _mixed_values, _require)


# -- dask -------------------------------------------------------------------------------

class _StoreReader:
    """Array-like over an MD column's store for ``dask.array.from_array``.

    Each read copies the requested part of the store's current array (RAM or
    memory map) and releases the mapped pages, so dask reads an offloaded or
    lazily opened column chunk by chunk without loading it.
    """

    def __init__(self, store) -> None:
        self._store = store
        self.shape = store.shape
        self.dtype = store.dtype
        self.ndim = len(self.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        array = self._store.array
        part = np.array(array[key])
        release_pages(array)
        return part


def _rows_per_chunk(n_rows: int, row_nbytes: int, chunk_rows: int | None) -> int:
    if chunk_rows is None:
        return next(row_blocks(max(n_rows, 1), row_nbytes))[1]
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) \
            or chunk_rows < 1:
        raise InvalidValueError(f'chunk_rows must be a positive int, not {chunk_rows!r}')
    return int(chunk_rows)


def _dask_column(da, column: BaseColumn, chunk_rows: int | None):
    if isinstance(column, _MultiDimensionalColumn):
        store = column._store
        rows = _rows_per_chunk(len(column), store.row_nbytes, chunk_rows)
        chunks = (rows,) + column._cell_shape
        source = getattr(store, 'source', None)
        if source is not None:  # zarr-backed (io.readzarr) and not yet used: scales out
            return da.from_zarr(source, chunks=chunks)
        return da.from_array(_StoreReader(store), chunks=chunks,
                             name=f'datamatrix-{uuid.uuid4().hex}', asarray=False,
                             meta=np.empty((0,) * len(chunks), dtype=store.dtype))
    if isinstance(column, MixedColumn):
        values = np.empty(len(column), dtype=object)
        values[:] = column._seq
    else:
        values = column._seq.copy()
    rows = _rows_per_chunk(len(values), values.itemsize, chunk_rows)
    return da.from_array(values, chunks=(rows,), name=f'datamatrix-{uuid.uuid4().hex}')


def to_dask(obj: Any, chunk_rows: int | None = None):
    """Convert a column to a ``dask.array.Array`` (a DataMatrix to a dict of them).

    Parameters
    ----------
    obj : DataMatrix or column
    chunk_rows : int, optional
        Rows per chunk; default: as many rows as fit in ``cfg.save_chunk_size``
        bytes (at least one). Only rows are chunked, cell dimensions are not.

    Returns
    -------
    dask.array.Array or dict
        For a DataMatrix, ``{name: array}`` in column order. MixedColumns give
        object arrays. 1-D columns are copied; MD columns are read chunk by
        chunk from their store when the array is computed (so an offloaded
        column is never loaded as a whole, and the values are those of the
        column at compute time).

    Raises
    ------
    TypeError
        For other objects.

    Examples
    --------
    >>> from datamatrix import SeriesColumn
    >>> from datamatrix.convert import to_dask
    >>> dm = DataMatrix(length=4)
    >>> dm.pupil = SeriesColumn(depth=3)
    >>> dm.pupil = np.arange(12.).reshape(4, 3)
    >>> array = to_dask(dm.pupil, chunk_rows=2)
    >>> array.chunks
    ((2, 2), (3,))
    >>> array.mean(axis=0).compute()
    array([4.5, 5.5, 6.5])
    """
    da = _require('dask.array', 'to_dask')
    if isinstance(obj, BaseColumn):
        return _dask_column(da, obj, chunk_rows)
    return {name: _dask_column(da, column, chunk_rows)
            for name, column in _columns(obj)}


def _column_from_array(dm: DataMatrix, array: Any, name: str) -> BaseColumn:
    """One column from a dask (or numpy) array, computed one block of rows at a time."""
    def rows(start: int, stop: int) -> np.ndarray:
        part = array[start:stop]
        return np.asarray(part.compute() if hasattr(part, 'compute') else part)

    dtype = np.dtype(array.dtype)
    if array.ndim > 1:
        dims = [int(size) for size in array.shape[1:]]
        return _md_column(dm, _md_class(array.ndim), dims, dtype, rows)
    if array.ndim == 0:
        raise InvalidValueError(f'array {name!r} has no row dimension')
    values = rows(0, len(dm))
    if dtype.kind in 'iub':
        return IntColumn._from_data(dm, _checked_int64(values, f'array {name!r}'))
    if dtype.kind == 'f':
        return FloatColumn._from_data(dm, values.astype(np.float64))
    return MixedColumn._from_data(dm, _mixed_values(values.tolist(), f'array {name!r}'))


def from_dask(obj: Any, name: str = 'array') -> DataMatrix:
    """Convert dask arrays (the output of :func:`to_dask`) to a new DataMatrix.

    Parameters
    ----------
    obj : dict or dask.array.Array
        ``{name: array}`` (one column each, in dict order), or a single array,
        which becomes the column ``name``. All arrays must have the same
        length (their first dimension, the rows). numpy arrays are accepted too.
    name : str
        The column name for a single array.

    Returns
    -------
    DataMatrix
        A new DataMatrix with ids ``0..n-1``. 1-D integer/bool arrays give
        IntColumns, float arrays FloatColumns, others MixedColumns; 2-D arrays
        series columns and more dimensions plain MD columns (float32 is kept,
        other dtypes become float64). MD columns are written block by block of
        at most ``cfg.save_chunk_size`` bytes, computing only those rows, so
        the result may be larger than memory (it is then offloaded).

    Raises
    ------
    TypeError
        For other objects.
    ValueError
        For arrays of different or unknown lengths.

    Examples
    --------
    >>> import dask.array as da
    >>> from datamatrix.convert import from_dask
    >>> rt = da.from_array(np.array([500., 600.]))
    >>> pupil = da.ones((2, 3), chunks=1)
    >>> dm = from_dask({'rt': rt, 'pupil': pupil})
    >>> dm.column_names
    ['pupil', 'rt']
    >>> print(dm.pupil)
    col[[1. 1. 1.]
     [1. 1. 1.]]
    """
    arrays = obj if isinstance(obj, Mapping) else {name: obj}
    for key, array in arrays.items():
        if not (hasattr(array, 'shape') and hasattr(array, 'dtype')):
            raise TypeError(f'from_dask expects dask arrays, not '
                            f'{type(array).__name__} (for {key!r})')
    lengths = {array.shape[0] if array.ndim else None for array in arrays.values()}
    if any(n is None or (isinstance(n, float) and math.isnan(n)) for n in lengths):
        raise ValueError('every array needs a known length (call '
                         'compute_chunk_sizes() on arrays of unknown chunk sizes)')
    if len(lengths) > 1:
        raise LengthMismatchError(f'the arrays have different lengths: {sorted(lengths)}')
    dm = DataMatrix(length=lengths.pop() if lengths else 0)
    for key, array in arrays.items():
        column_name = text_form(key)
        dm[column_name] = _column_from_array(dm, array, column_name)
    return dm
