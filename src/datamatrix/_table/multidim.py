"""Multidimensional columns: one array cell per row.

The values live in an :class:`~datamatrix._engine.storage.ArrayStore` that the memory
manager may move between RAM and a spill file; every access goes through
:meth:`_MultiDimensionalColumn._use`, which tells the manager that the column
was used (one comparison when it is the most recently used column already).
Everything that touches many rows goes through :mod:`datamatrix._engine.stream`, so it
works the same, in bounded memory, for offloaded columns.
"""
from __future__ import annotations

import logging
import math
import numbers
import operator
from typing import Any, Callable

import numpy as np

from datamatrix._table import keys as _keys
from datamatrix._engine import stream as _stream
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.hints import listing, nearest, suggestion
from datamatrix._table.keys import is_int
from datamatrix._engine.memory import manager
from datamatrix.errors import (InvalidKeyError, InvalidValueError, MemoryBudgetError,
                     ShapeMismatchError)

logger = logging.getLogger('datamatrix')


class CallableArray(np.ndarray):
    """An ndarray that returns itself when called, so ``np.mean(col)`` works."""

    def __call__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        return np.asarray(self)


def _callable(array: np.ndarray) -> CallableArray:
    return np.asarray(array, dtype=np.float64).view(CallableArray)


def parse_shape(shape: Any) -> list:
    """Normalise a shape spec to a list of dimensions: ``int`` or ``tuple`` of names.

    Raises
    ------
    ValueError
        For string dimensions.
    TypeError
        For dimensions that are neither a non-negative int nor a collection of names.
    """
    if isinstance(shape, str):
        raise InvalidValueError(f'a shape cannot be a string: {shape!r}')
    if is_int(shape):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise InvalidValueError(f'invalid shape {shape!r}: expected an int or a tuple')
    dims = []
    for dim in shape:
        if isinstance(dim, (str, bytes)):
            raise InvalidValueError(f'a dimension cannot be a string: {dim!r}')
        if is_int(dim):
            if dim < 0:
                raise InvalidValueError(f'a dimension cannot be negative: {dim}')
            dims.append(int(dim))
        elif hasattr(dim, '__len__') and hasattr(dim, '__iter__') and \
                not isinstance(dim, dict):
            dims.append(tuple(dim.tolist() if isinstance(dim, np.ndarray) else dim))
        else:
            raise InvalidValueError(
                f'invalid dimension {dim!r} of type {type(dim).__name__}: expected an '
                f'int size or a collection of index names')
    return dims


def _size(dim: int | tuple) -> int:
    return dim if isinstance(dim, int) else len(dim)


def _check_dtype(dtype: Any) -> np.dtype:
    if dtype is float or dtype is None:
        return np.dtype(np.float64)
    result = np.dtype(dtype)
    if result not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise InvalidValueError(f'unsupported dtype {dtype!r}: use float or np.float32')
    return result


class _MultiDimensionalColumn(BaseColumn):
    """A column whose cells are float arrays of one shape.

    Examples
    --------
    >>> from datamatrix import MultiDimensionalColumn
    >>> dm = DataMatrix(condition=['a', 'b'])
    >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz'), 3))
    >>> dm.erp = np.arange(12.).reshape(2, 2, 3)
    >>> dm.erp[0]
    array([[0., 1., 2.],
           [3., 4., 5.]])
    >>> print(dm.erp[:, 'Cz', 0])
    col[3. 9.]
    >>> print(dm.erp[:, 'Cz', ...])
    col[ 4. 10.]
    >>> dm.erp[..., 'Fz']
    array([3., 4., 5.])
    >>> isinstance(dm.erp, MultiDimensionalColumn)
    True
    """

    _multidimensional = True

    def __init__(self, datamatrix, shape: Any = None, defaultnan: bool = True,
                 metadata: Any = None, dtype: Any = float, rowid=None,
                 **kwargs: Any) -> None:
        if shape is None:
            raise InvalidValueError('a multidimensional column needs a shape')
        self._dims = parse_shape(shape)
        self.defaultnan = bool(defaultnan)
        self._dtype = _check_dtype(dtype)
        super().__init__(datamatrix, metadata=metadata, rowid=rowid)

    # -- storage -------------------------------------------------------------------
    @property
    def _cell_shape(self) -> tuple:
        return tuple(_size(d) for d in self._dims)

    @property
    def _fill(self) -> float:
        return math.nan if self.defaultnan else 0.0

    def _init_data(self, n: int) -> None:
        self._store = _stream.new_store((n,) + self._cell_shape, self._dtype, self._fill)

    def _copy_spec(self, other: '_MultiDimensionalColumn') -> None:
        self._dims = list(other._dims)
        self.defaultnan = other.defaultnan
        self._dtype = other._dtype

    def _with_store(self, store, dims: list | None = None,
                    cls: type | None = None) -> '_MultiDimensionalColumn':
        """A new unbound column of this spec (or ``dims``/``cls``) around ``store``."""
        new = object.__new__(cls or type(self))
        new._copy_spec(self)
        if dims is not None:
            new._dims = dims
        new._dtype = store.dtype
        new._store = store
        new.metadata = None
        return new

    @classmethod
    def _from_store(cls, datamatrix, store, dims: Any, defaultnan: bool = True,
                    metadata: Any = None) -> '_MultiDimensionalColumn':
        """A column bound to ``datamatrix`` around an existing store.

        ``store`` is an :class:`~datamatrix._engine.storage.ArrayStore` of shape
        ``(len(datamatrix),) + cell shape``, already known to the memory manager
        (made by ``_stream.new_store``/``build``, or registered with
        ``manager.add``). Used by readers and converters.
        """
        column = object.__new__(cls)
        column._dims = parse_shape(dims)
        column.defaultnan = bool(defaultnan)
        column._dtype = store.dtype
        column._store = store
        column.metadata = metadata
        column._datamatrix = datamatrix
        column._rowid = datamatrix._rowid
        return column

    def _use(self) -> np.ndarray:
        """The array, after telling the memory manager that the column was used."""
        store = self._store
        if manager.last != store.key or not store.loaded:
            manager.touch(store)
        return store.array

    @property
    def _seq(self) -> np.ndarray:
        """The column's array, writable: the name datamatrix 1.0 clients write through.

        ``col._seq[rows] = values`` writes cells in place (client packages such as
        ``eeg_eyetracking_parser`` do this). New code should assign ``col[rows] =``.
        """
        return self._use_for_write()

    def _use_for_write(self, everything: bool = False) -> np.ndarray:
        """The array for writing (``everything``: all values will be overwritten)."""
        store = self._store
        if manager.last != store.key or not store.loaded:
            manager.touch(store, keep_data=not everything)
        if store.readonly_source:
            store.make_writable()
        return store.array

    def _take(self, positions):
        return self._with_store(_stream.take_rows(self._use(), positions))

    def _resize(self, n: int) -> None:
        old = self._use()
        keep = min(n, len(old))

        def fill(start: int, stop: int):
            if stop <= keep:
                return old[start:stop]
            block = np.full((stop - start,) + self._cell_shape, self._fill, self._dtype)
            if start < keep:
                block[:keep - start] = old[start:keep]
            return block

        self._replace_store(_stream.build((n,) + self._cell_shape, self._dtype, fill))

    def _replace_store(self, store) -> None:
        self._store = store

    def _adopt(self, other: BaseColumn) -> None:
        self._store = other._store

    # -- properties ------------------------------------------------------------------
    def __len__(self) -> int:
        return self._store.shape[0]

    @property
    def shape(self) -> tuple:
        """``(rows,) + cell shape``.

        Examples
        --------
        >>> from datamatrix import MultiDimensionalColumn
        >>> dm = DataMatrix(length=4)
        >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz', 'Pz'), 100))
        >>> dm.erp.shape
        (4, 3, 100)
        """
        return self._store.shape

    @property
    def dtype(self):
        """``float`` for float64 columns, ``np.float32`` for compact ones.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.a = SeriesColumn(depth=3)
        >>> dm.b = SeriesColumn(depth=3, dtype=np.float32)
        >>> dm.a.dtype, dm.b.dtype
        (<class 'float'>, <class 'numpy.float32'>)
        """
        return float if self._dtype == np.float64 else np.float32

    @property
    def depth(self) -> int:
        """The size of the first cell dimension; assign to lengthen or shorten a 2-D column.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=1)
        >>> dm.s = SeriesColumn(depth=3)
        >>> dm.s = [[1, 2, 3]]
        >>> dm.s.depth
        3
        >>> dm.s.depth = 5
        >>> print(dm.s)
        col[[ 1.  2.  3. nan nan]]
        """
        return self._cell_shape[0]

    @depth.setter
    def depth(self, depth: int) -> None:
        if len(self._dims) != 1:
            raise TypeError('depth can only be changed for 2-D columns')
        depth = int(depth)
        if depth < 0:
            raise InvalidValueError(f'depth cannot be negative: {depth}')
        old = self._use()
        keep = min(depth, old.shape[1])

        def fill(start: int, stop: int):
            block = np.full((stop - start, depth), self._fill, self._dtype)
            block[:, :keep] = old[start:stop, :keep]
            return block

        store = _stream.build((len(old), depth), self._dtype, fill)
        self._dims = [depth]
        self._replace_store(store)

    @property
    def index_names(self) -> list:
        """The index names of every cell dimension (positions for unnamed dimensions).

        Examples
        --------
        >>> from datamatrix import MultiDimensionalColumn
        >>> dm = DataMatrix(length=1)
        >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz'), 3))
        >>> dm.erp.index_names
        [['Fz', 'Cz'], [0, 1, 2]]
        """
        return [list(d) if isinstance(d, tuple) else list(range(d)) for d in self._dims]

    @property
    def index_values(self) -> list:
        """The positions ``0..size-1`` of every cell dimension.

        Examples
        --------
        >>> from datamatrix import MultiDimensionalColumn
        >>> dm = DataMatrix(length=1)
        >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz'), 3))
        >>> dm.erp.index_values
        [[0, 1], [0, 1, 2]]
        """
        return [list(range(_size(d))) for d in self._dims]

    @property
    def plottable(self) -> np.ndarray:
        """The data with the row axis last, as ``matplotlib.pyplot.plot`` wants it.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=3)
        >>> dm.s = [[1, 2, 3], [4, 5, 6]]
        >>> dm.s.plottable
        array([[1., 4.],
               [2., 5.],
               [3., 6.]])
        """
        return np.swapaxes(self._use(), 0, -1)

    @property
    def loaded(self) -> bool:
        """Whether the data is in memory; assign to load or offload by hand.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=1000)
        >>> dm.s = 1
        >>> dm.s.loaded
        True
        >>> dm.s.loaded = False
        >>> dm.s.loaded
        False
        >>> float(dm.s.mean[0])
        1.0
        >>> dm.s[0, 0] = 2
        >>> dm.s.loaded
        True
        """
        return self._store.loaded

    @loaded.setter
    def loaded(self, value: bool) -> None:
        if value:
            manager.admit(self._store, manual=True)
            manager.touch(self._store)
        else:
            manager.offload(self._store)

    @property
    def array(self) -> np.ndarray:
        """A copy of the full data, in memory.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=2)
        >>> dm.s = [[1, 2], [3, 4]]
        >>> copy = dm.s.array
        >>> copy[0, 0] = 100
        >>> copy
        array([[100.,   2.],
               [  3.,   4.]])
        >>> print(dm.s)
        col[[1. 2.]
         [3. 4.]]
        """
        return self._in_memory_copy()

    def _in_memory_copy(self) -> np.ndarray:
        array = self._use()
        from datamatrix._engine.config import cfg
        if not self._store.loaded and array.nbytes > cfg.memory_limit:
            raise MemoryBudgetError(
                f'the column holds {array.nbytes} bytes, more than cfg.memory_limit '
                f'({cfg.memory_limit}); use streaming operations instead of a full copy')
        return np.array(array)

    def __array__(self, dtype=None, copy=None):
        array = self._in_memory_copy()
        return array if dtype is None else array.astype(dtype)

    def setallrows(self, value: Any) -> None:
        """Write ``value``, broadcast to the cell shape, into every row.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=3)
        >>> dm.s.setallrows([1, 2, 3])
        >>> print(dm.s)
        col[[1. 2. 3.]
         [1. 2. 3.]]
        """
        array = self._value_array(value)
        try:
            cell = np.broadcast_to(array, self._cell_shape)
        except ValueError as exc:
            raise ShapeMismatchError(f'cannot broadcast a value of shape {array.shape} '
                                     f'to the cell shape {self._cell_shape}') from exc
        with self._store.lock:
            target = self._use_for_write()
            for _, _, block in _stream.blocks_of(target):
                block[...] = cell

    @property
    def unique(self):
        """Not supported for multidimensional columns: ``NotImplementedError``.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=3)
        >>> dm.s.unique
        Traceback (most recent call last):
            ...
        NotImplementedError: unique is not supported for multidimensional columns
        >>> dm.s = [[1, 2, 2], [2, 3, 3]]
        >>> np.unique(dm.s.array)
        array([1., 2., 3.])
        """
        raise NotImplementedError('unique is not supported for multidimensional columns')

    @property
    def count(self):
        """Not supported for multidimensional columns: ``NotImplementedError``.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=3)
        >>> dm.s.count
        Traceback (most recent call last):
            ...
        NotImplementedError: count is not supported for multidimensional columns
        """
        raise NotImplementedError('count is not supported for multidimensional columns')

    # -- reading -----------------------------------------------------------------------
    def _cell(self, index: int) -> np.ndarray:
        return self._use()[index]

    def __iter__(self):
        for index in range(len(self)):
            yield self._use()[index]

    def __getitem__(self, key: Any) -> Any:
        if type(key) is int:  # the hot path: one cell, a view
            array = self._use()
            if type(array) is not np.ndarray:  # a memmap's rows are slow memmaps
                array = array.view(np.ndarray)
            return array[key]
        if is_int(key):
            return self._use()[int(key)]
        if key is Ellipsis:  # ellipsis averaging is a use
            self._use()
            return self.mean
        if isinstance(key, tuple):
            if len(key) > 1 + len(self._dims):
                return self[list(key)]
            return self._get_tuple(key)
        if isinstance(key, (str, bytes, float, dict, set)) or key is None:
            raise InvalidKeyError(f'invalid key for a column: {key!r}')
        positions = _keys.row_positions(key, len(self), self._rowid,
                                        self._datamatrix._family)
        return self._select_rows(positions)

    def _axis(self, axis: int, item: Any, writing: bool = False) -> tuple[str, Any]:
        """Normalise one item of a tuple key: ``(kind, index)``.

        Kinds: ``'single'`` (an int position), ``'slice'``, ``'list'`` (an int
        array) and ``'avg'`` (all positions, averaged).
        """
        if item is Ellipsis:
            if writing:
                raise InvalidValueError('... (Ellipsis) cannot be used in assignments')
            return 'avg', slice(None)
        if axis == 0:
            if is_int(item):
                return 'single', _keys.check_position(item, len(self))
            if isinstance(item, (slice, list, range, np.ndarray)) or \
                    hasattr(item, '_family') or isinstance(item, tuple):
                positions = _keys.row_positions(item, len(self), self._rowid,
                                                self._datamatrix._family)
                return ('slice' if isinstance(positions, slice) else 'list'), positions
            raise InvalidKeyError(f'names cannot be used to index rows: {item!r}')
        dim = self._dims[axis - 1]
        size = _size(dim)
        if is_int(item):
            if not -size <= item < size:
                raise IndexError(f'index {item} is out of range for dimension {axis} '
                                 f'of size {size}')
            return 'single', int(item) % size
        if isinstance(item, slice):
            return 'slice', item
        if isinstance(item, (list, tuple, range, np.ndarray)):
            positions = [self._position(dim, v, axis) for v in
                         (item.tolist() if isinstance(item, np.ndarray) else item)]
            return 'list', np.array(positions, dtype=np.int64).reshape(-1)
        return 'single', self._position(dim, item, axis)

    @staticmethod
    def _position(dim: int | tuple, item: Any, axis: int) -> int:
        size = _size(dim)
        if is_int(item):
            if not -size <= item < size:
                raise IndexError(f'index {item} is out of range for dimension {axis} '
                                 f'of size {size}')
            return int(item) % size
        if isinstance(dim, tuple):
            for position, name in enumerate(dim):
                if name == item or (isinstance(name, float) and isinstance(item, float)
                                    and math.isnan(name) and math.isnan(item)):
                    return position
        if isinstance(dim, tuple):
            close = suggestion(item, dim) if nearest(item, dim) else ''
            raise InvalidValueError(f'{item!r} is not an index name of dimension {axis} '
                                    f'(its names: {listing(dim)}){close}')
        raise InvalidValueError(f'{item!r} is not an index of dimension {axis}, which has '
                                f'no names: use a position from 0 to {size - 1}')

    def _cell_selector(self, axes: list) -> Callable[[np.ndarray], np.ndarray]:
        """A function that applies the cell-axis part of a key to a block of rows.

        Single positions keep a length-1 axis, so the axes stay aligned.
        """
        def select(block: np.ndarray) -> np.ndarray:
            basic = [slice(None)]
            arrays = []
            for axis, (kind, index) in enumerate(axes[1:], start=1):
                if kind == 'single':
                    basic.append(slice(index, index + 1))
                elif kind == 'list':
                    basic.append(slice(None))
                    arrays.append((axis, index))
                else:
                    basic.append(index)
            result = block[tuple(basic)]
            for axis, index in arrays:
                result = np.take(result, index, axis=axis)
            return result
        return select

    def _get_tuple(self, key: tuple) -> Any:
        items = list(key) + [slice(None)] * (1 + len(self._dims) - len(key))
        axes = [self._axis(axis, item) for axis, item in enumerate(items)]
        select = self._cell_selector(axes)
        averaged = tuple(axis for axis, (kind, _) in enumerate(axes) if kind == 'avg'
                         and axis > 0)
        array = self._use()
        row_kind, rows = axes[0]
        if row_kind in ('avg', 'single'):
            # drop single axes (the averaged ones are gone already)
            drop = tuple(i for i, (kind, _) in enumerate(
                [a for a in axes[1:] if a[0] != 'avg']) if kind == 'single')
            if row_kind == 'single':
                result = select(array[rows:rows + 1])[0]
                if averaged:
                    result = np.nanmean(result, axis=tuple(a - 1 for a in averaged))
            else:
                kept_shape = select(array[:0]).shape[1:]
                kept_shape = tuple(s for axis, s in enumerate(kept_shape, start=1)
                                   if axis not in averaged)
                result = _stream.nanmean_rows(array, kept_shape, averaged, select)
            result = np.squeeze(result, axis=drop) if drop else result
            if result.ndim == 0:
                return float(result)
            return result
        positions = _keys.as_positions(rows, len(array))
        if len(positions) and len(array):
            sample = select(array[positions[:1]])
        else:
            sample = select(np.zeros((1,) + array.shape[1:], array.dtype))
        cell_shape = tuple(s for axis, s in enumerate(sample.shape[1:], start=1)
                           if axis not in averaged)
        dtype = array.dtype
        # every row in order (``col[:, ...]``): the stream brings the rows in ahead
        all_rows = len(positions) == len(array) and \
            bool(np.all(positions == np.arange(len(array))))

        def fill(start: int, stop: int, out: np.ndarray) -> None:
            rows_block = positions[start:stop]
            if not len(rows_block):
                return
            block = select(_rows(array, rows_block))
            if averaged:
                _stream.nanmean_cells(block, averaged, out=out)
            else:
                out[...] = block
            if not all_rows:
                _stream.release_pages(array[rows_block.min():rows_block.max() + 1])

        store = _stream.build((len(positions),) + cell_shape, dtype, fill,
                              _stream.output_block_bytes(array, cell_shape, dtype),
                              parallel=True, into=True,
                              sources=(array,) if all_rows else ())
        return self._row_result(store, axes)

    def _row_result(self, store, axes: list) -> BaseColumn:
        """A column for a multi-row selection of several cells."""
        rows = axes[0][1]
        rowid = self._rowid[rows]
        cell_dims = []
        kept_cell_axes = [axis for axis, (kind, _) in enumerate(axes)
                          if axis > 0 and kind != 'avg']
        for axis, size in zip(kept_cell_axes, store.shape[1:]):
            if size == 1:
                continue
            dim = self._dims[axis - 1]
            kind, index = axes[axis]
            if isinstance(dim, tuple):
                names = np.array(dim, dtype=object)
                cell_dims.append(tuple(names[index].tolist()) if kind != 'single'
                                 else size)
            else:
                cell_dims.append(size)
        array = store.array
        new_shape = (len(array),) + tuple(_size(d) for d in cell_dims)
        if not cell_dims:
            any_slice = any(kind == 'slice' for kind, _ in axes[1:])
            values = array.reshape(len(array))
            if not any_slice:
                column = FloatColumn.__new__(FloatColumn)
                column.metadata = None
                column._seq = np.asarray(values, dtype=np.float64).copy()
                return self._bind(column, rowid)
            cell_dims = [1]
            new_shape = (len(array), 1)
        if new_shape != array.shape:
            store.array = array.reshape(new_shape)
        cls = _SeriesColumn if len(cell_dims) == 1 else _MultiDimensionalColumn
        return self._bind(self._with_store(store, dims=cell_dims, cls=cls), rowid)

    # -- writing ---------------------------------------------------------------------------
    def _value_array(self, value: Any) -> np.ndarray:
        """A value to write, as a float array (scalars as 0-d arrays)."""
        if value is None:
            return np.array(math.nan)
        if isinstance(value, (str, bytes)):
            raise InvalidValueError(f'a multidimensional column cannot hold a string: '
                                    f'{value!r}')
        if isinstance(value, BaseColumn):
            value = list(value) if not isinstance(value, _MultiDimensionalColumn) \
                else value._use()
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f'cannot store {value!r} in a multidimensional '
                                    f'column: {exc}') from exc
        return array

    def __setitem__(self, key: Any, value: Any) -> None:
        n = len(self)
        if isinstance(key, tuple):
            if len(key) > 1 + len(self._dims):
                key = list(key)
            else:
                items = list(key) + [slice(None)] * (1 + len(self._dims) - len(key))
                axes = [self._axis(axis, item, writing=True)
                        for axis, item in enumerate(items)]
                with self._store.lock:
                    return self._write(axes, self._value_array(value), legacy=False)
        if key is Ellipsis:
            raise InvalidValueError('... (Ellipsis) cannot be used in assignments')
        if is_int(key):
            axes = [('single', _keys.check_position(key, n))]
        else:
            if isinstance(key, (str, bytes, float, dict, set)) or key is None:
                raise InvalidKeyError(f'invalid key for a column: {key!r}')
            positions = _keys.row_positions(key, n, self._rowid, self._datamatrix._family)
            axes = [('slice' if isinstance(positions, slice) else 'list', positions)]
        axes += [('slice', slice(None))] * len(self._dims)
        with self._store.lock:
            self._write(axes, self._value_array(value), legacy=True)

    def _write(self, axes: list, value: np.ndarray, legacy: bool) -> None:
        """Write ``value`` into the region that ``axes`` address."""
        array = self._store.array
        row_kind, rows = axes[0]
        positions = _keys.as_positions(rows, len(array)) if row_kind != 'single' \
            else np.array([rows])
        full_shape = [len(positions)]
        logical_shape = [] if row_kind == 'single' else [len(positions)]
        for axis, (kind, index) in enumerate(axes[1:], start=1):
            size = self._cell_shape[axis - 1]
            count = 1 if kind == 'single' else (
                len(range(*index.indices(size))) if kind == 'slice' else len(index))
            full_shape.append(count)
            if kind != 'single':
                logical_shape.append(count)
        logical_shape = tuple(logical_shape)
        if 0 in full_shape:
            return
        if legacy and len(self._dims) == 1 and value.ndim == 1 and \
                len(value) == len(positions):
            value = value.reshape(len(positions), 1)
            value = np.broadcast_to(value, tuple(full_shape))
        elif value.ndim == 0 or value.shape == logical_shape[len(logical_shape) -
                                                            value.ndim:]:
            value = np.broadcast_to(value, logical_shape).reshape(full_shape) \
                if value.ndim else value
        elif value.size == int(np.prod(logical_shape)) and \
                value.ndim < len(logical_shape):
            value = value.reshape(full_shape)
        elif value.size == int(np.prod(logical_shape)) and value.ndim:
            # Same number of values but as many axes in another order or grouping:
            # reshaping would silently mix e.g. channels and samples.
            raise ShapeMismatchError(
                f'cannot assign a value of shape {value.shape} to a region of shape '
                f'{logical_shape}: the values would be reshaped, mixing up its axes; '
                f'reorder the axes first, e.g. with numpy.moveaxis(value, source, '
                f'destination), or pass a flat array of '
                f'{value.size // max(len(positions), 1)} values per row')
        else:
            raise ShapeMismatchError(
                f'cannot assign a value of shape {value.shape} to a region of shape '
                f'{logical_shape}')
        everything = len(positions) == len(array) and all(
            kind == 'slice' and index == slice(None) for kind, index in axes[1:])
        target = self._use_for_write(everything)
        cell_index = []
        fancy = False
        for kind, index in axes[1:]:
            if kind == 'single':
                cell_index.append(slice(index, index + 1))
            elif kind == 'list':
                cell_index.append(index)
                fancy = True
            else:
                cell_index.append(index)
        row_nbytes = target.itemsize * int(np.prod(full_shape[1:]))
        for start, stop in _stream.row_blocks(len(positions), row_nbytes):
            block_rows = positions[start:stop]
            part = value if value.ndim == 0 else value[start:stop]
            contiguous = block_rows[-1] - block_rows[0] == len(block_rows) - 1 and \
                np.all(np.diff(block_rows) == 1)
            if fancy:
                arrays = [block_rows] + [
                    np.arange(size)[i] if isinstance(i, slice) else i
                    for i, size in zip(cell_index, self._cell_shape)]
                target[np.ix_(*arrays)] = part
            elif contiguous:
                target[(slice(block_rows[0], block_rows[-1] + 1),) +
                       tuple(cell_index)] = part
            else:
                target[(block_rows,) + tuple(cell_index)] = part
            _stream.release_pages(target[block_rows[0]:block_rows[-1] + 1])

    # -- comparisons, arithmetic, mapping ------------------------------------------
    def _compare(self, op: str, other: Any):
        raise NotImplementedError('multidimensional columns cannot be compared')

    def _operand_blocks(self, other: Any) -> tuple[Callable[[int, int], Any], tuple]:
        """The other operand of arithmetic, as a function of a row block, and the
        arrays of as many rows as this column's that it reads row for row."""
        n = len(self)
        cell_shape = self._cell_shape
        if isinstance(other, _MultiDimensionalColumn):
            if other.shape != self.shape:
                raise ShapeMismatchError(f'cannot combine columns of shapes '
                                         f'{self.shape} and {other.shape}')
            source = other._use()
            return (lambda start, stop: source[start:stop]), (source,)
        if isinstance(other, (str, bytes)):
            raise TypeError(f'unsupported operand for a multidimensional column: '
                            f'{other!r}')
        if isinstance(other, (numbers.Number, np.generic)) or other is None:
            scalar = math.nan if other is None else other
            return (lambda start, stop: scalar), ()
        if isinstance(other, BaseColumn) and len(other) != n:  # a 1-D column is per row
            raise ShapeMismatchError(f'cannot combine a column of {n} rows with a '
                                     f'column of {len(other)} rows')
        value = self._value_array(other)
        if value.ndim == 1 and len(value) == n:  # one value per row (wins if depth == n)
            per_row = value.reshape((n,) + (1,) * len(cell_shape))
            return (lambda start, stop: per_row[start:stop]), ()
        if value.shape == self.shape:
            return (lambda start, stop: value[start:stop]), (value,)
        try:
            np.broadcast_shapes(value.shape, cell_shape)
        except ValueError:
            raise ShapeMismatchError(f'cannot combine a column of shape {self.shape} '
                                     f'with a value of shape {value.shape}') from None
        if np.broadcast_shapes(value.shape, cell_shape) != cell_shape:
            raise ShapeMismatchError(f'cannot combine a column of shape {self.shape} '
                                     f'with a value of shape {value.shape}')
        return (lambda start, stop: value), ()

    def _arith(self, other: Any, fnc: Callable, reflected: bool = False) -> BaseColumn:
        operand, rows_read = self._operand_blocks(other)
        array = self._use()
        sample = operand(0, min(1, len(array)))
        probe = np.ones((1,) + self._cell_shape, array.dtype)
        with np.errstate(all='ignore'):
            dtype = np.result_type(fnc(sample, probe) if reflected else fnc(probe, sample))

        ufunc = _UFUNCS.get(fnc) if dtype in (np.float32, np.float64) else None

        def compute(block: np.ndarray, start: int, stop: int, out: np.ndarray) -> None:
            value = operand(start, stop)
            if ufunc is not None:  # straight into the result's block
                ufunc(value, block, out=out) if reflected else ufunc(block, value, out=out)
            else:
                out[...] = fnc(value, block) if reflected else fnc(block, value)

        if dtype not in (np.float32, np.float64):
            dtype = np.float64
        store = _stream.map_blocks(array, compute, self._cell_shape, dtype, into=True,
                                   also=rows_read)
        return self._bind(self._with_store(store), self._rowid)

    def _map(self, fnc: Callable) -> BaseColumn:
        """``col @ fnc``: the first result's type decides the column type."""
        n = len(self)
        if n == 0:
            return self._bind(self._with_store(
                _stream.new_store(self.shape, self._dtype)), self._rowid)
        results = [fnc(self._use()[0])]
        first = results[0]
        holder = type(self._datamatrix)(length=n)
        if isinstance(first, (float, np.floating)):
            column = FloatColumn(holder)
        elif isinstance(first, (int, np.integer)) and not isinstance(first, bool):
            column = IntColumn(holder)
        elif isinstance(first, str):
            column = MixedColumn(holder)
        else:
            cell_shape = np.shape(first)
            cls = type(self) if len(cell_shape) == 1 else _MultiDimensionalColumn
            column = cls(holder, shape=cell_shape, defaultnan=self.defaultnan,
                         dtype=self._dtype)
        column[0] = first
        for index in range(1, n):
            column[index] = fnc(self._use()[index])
        return self._bind(column, self._rowid)

    # -- descriptives over rows -----------------------------------------------------------
    # Not a "use" (indexing, writes, arithmetic and mapping are): they stream
    # over the array where it is, so they never load or evict anything.
    def _reduce(self, fnc: Callable, *args: Any) -> CallableArray:
        return _callable(fnc(self._store, self._cell_shape, *args))

    @property
    def mean(self) -> CallableArray:
        """The mean over rows, per cell position, ignoring NaN (streamed, never loads).

        Examples
        --------
        >>> from datamatrix import SeriesColumn, NAN
        >>> dm = DataMatrix(length=3)
        >>> dm.s = SeriesColumn(depth=3)
        >>> dm.s = [[1, 2, 3], [3, 4, NAN], [5, 6, 9]]
        >>> print(dm.s.mean)
        [3. 4. 6.]
        """
        return self._reduce(_stream.nanmean_rows)

    @property
    def median(self) -> CallableArray:
        """The median over rows, per cell position, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=3)
        >>> dm.s = SeriesColumn(depth=2)
        >>> dm.s = [[1, 10], [2, 20], [9, 90]]
        >>> print(dm.s.median)
        [ 2. 20.]
        """
        return self._reduce(_stream.nanmedian)

    @property
    def std(self) -> CallableArray:
        """The standard deviation over rows (``ddof=1``), per cell position, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=3)
        >>> dm.s = SeriesColumn(depth=2)
        >>> dm.s = [[1, 10], [2, 20], [3, 30]]
        >>> print(dm.s.std)
        [ 1. 10.]
        """
        return self._reduce(_stream.nanstd)

    @property
    def min(self) -> CallableArray:
        """The minimum over rows, per cell position, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=2)
        >>> dm.s = [[1, 20], [2, 10]]
        >>> print(dm.s.min)
        [ 1. 10.]
        """
        return self._reduce(_stream.nanextreme, np.fmin)

    @property
    def max(self) -> CallableArray:
        """The maximum over rows, per cell position, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=2)
        >>> dm.s = [[1, 20], [2, 10]]
        >>> print(dm.s.max)
        [ 2. 20.]
        """
        return self._reduce(_stream.nanextreme, np.fmax)

    @property
    def sum(self) -> CallableArray:
        """The sum over rows, per cell position, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import SeriesColumn, NAN
        >>> dm = DataMatrix(length=2)
        >>> dm.s = SeriesColumn(depth=2)
        >>> dm.s = [[1, 20], [2, NAN]]
        >>> print(dm.s.sum)
        [ 3. 20.]
        """
        return self._reduce(_stream.nansum)

    # -- equality, printing, pickling ----------------------------------------------------
    def equals(self, other: Any) -> bool:
        """Whether ``other`` is a multidimensional column of the same shape and values.

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.a = SeriesColumn(depth=2)
        >>> dm.b = SeriesColumn(depth=2)
        >>> dm.a.equals(dm.b)
        True
        >>> dm.b[0] = 1
        >>> dm.a.equals(dm.b)
        False
        """
        if not isinstance(other, _MultiDimensionalColumn):
            return False
        if other.shape != self.shape:
            return False
        mine, theirs = self._use(), other._use()
        return all(np.array_equal(a, theirs[start:stop], equal_nan=True)
                   for start, stop, a in _stream.blocks_of(mine))

    def _print_form(self) -> Any:
        return self._use()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        store = state.pop('_store')
        if not store.loaded:
            logger.warning('pickling an offloaded column: its data is included')
        state['_array'] = np.array(store.array)
        return state

    def __setstate__(self, state: dict) -> None:
        array = state.pop('_array')
        self.__dict__.update(state)
        store = _stream.new_store(array.shape, array.dtype)
        for start, stop, block in _stream.blocks_of(store.array):
            block[...] = array[start:stop]
        self._store = store


class _SeriesColumn(_MultiDimensionalColumn):
    """A 2-D multidimensional column: one signal (trace) per row.

    Like in datamatrix 1.0, ``_SeriesColumn(dm, depth=n)`` makes an unattached
    column for ``dm`` (client packages do this); ``dm.x = SeriesColumn(n)`` is
    the usual way.

    Examples
    --------
    >>> from datamatrix import SeriesColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=3)
    >>> dm.pupil[0] = [1, 2, 3]
    >>> dm.pupil[1] = 4
    >>> print(dm.pupil)
    col[[1. 2. 3.]
     [4. 4. 4.]]
    >>> print(dm.pupil[:, 1:])
    col[[2. 3.]
     [4. 4.]]
    >>> isinstance(dm.pupil, SeriesColumn)
    True
    """

    def __init__(self, datamatrix, depth: int | None = None, shape: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(datamatrix, shape=(depth,) if depth is not None else shape,
                         **kwargs)


_UFUNCS = {operator.add: np.add, operator.sub: np.subtract, operator.mul: np.multiply,
           operator.truediv: np.true_divide}
"""Operators whose ufunc gives the same values and can write into the result."""


def _rows(array: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Rows of ``array`` at ``positions``, as a slice view when they are contiguous."""
    if len(positions) and positions[-1] - positions[0] == len(positions) - 1 and \
            np.all(np.diff(positions) == 1):
        return array[positions[0]:positions[-1] + 1]
    return array[positions]


class _SpecFactory(type):
    """Metaclass: calling the class returns a column spec; isinstance checks work."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls._column_class)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return isinstance(subclass, type) and issubclass(subclass, cls._column_class)


class MultiDimensionalColumn(metaclass=_SpecFactory):
    """Spec of a multidimensional column: ``dm.x = MultiDimensionalColumn(shape)``.

    Parameters
    ----------
    shape : int or tuple
        The cell shape; each dimension is a size or a collection of index names.
    defaultnan : bool
        Fill new cells with NaN (True) or 0 (False).
    metadata : object
        Stored as ``col.metadata``.
    dtype : float or numpy.float32
        Storage type of the values.

    Examples
    --------
    >>> from datamatrix import DataMatrix, MultiDimensionalColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz'), 3))
    >>> dm.erp.shape
    (2, 2, 3)
    """

    _column_class = _MultiDimensionalColumn

    def __new__(cls, shape: Any, defaultnan: bool = True, metadata: Any = None,
                dtype: Any = float, **kwargs: Any) -> tuple:
        parse_shape(shape)
        _check_dtype(dtype)
        return (_MultiDimensionalColumn,
                dict(shape=shape, defaultnan=defaultnan, metadata=metadata, dtype=dtype,
                     **kwargs))


class SeriesColumn(metaclass=_SpecFactory):
    """Spec of a series column (one trace per row): ``dm.x = SeriesColumn(depth)``.

    Examples
    --------
    >>> from datamatrix import SeriesColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=4, defaultnan=False)
    >>> print(dm.pupil)
    col[[0. 0. 0. 0.]
     [0. 0. 0. 0.]]
    >>> dm.pupil.shape
    (2, 4)
    """

    _column_class = _SeriesColumn

    def __new__(cls, depth: int | None = None, shape: Any = None,
                defaultnan: bool = True, metadata: Any = None, dtype: Any = float,
                **kwargs: Any) -> tuple:
        if depth is not None:
            if shape is not None:
                logger.warning('SeriesColumn: both depth and shape given; shape ignored')
            shape = (depth,)
        if shape is None:
            raise InvalidValueError('SeriesColumn needs a depth or a shape')
        if len(parse_shape(shape)) != 1:
            raise InvalidValueError(f'a series column has one dimension, not {shape!r}')
        _check_dtype(dtype)
        return (_SeriesColumn, dict(shape=shape, defaultnan=defaultnan,
                                    metadata=metadata, dtype=dtype, **kwargs))
