"""The one streaming mechanism: row blocks in, row blocks or reductions out.

Every operation on multidimensional data that may be out of core goes through
these functions: they read the source in contiguous blocks of rows of at most
``cfg.save_chunk_size`` bytes (:meth:`ArrayStore.blocks`), release each block's
mapped pages when done, and write results into a store that the memory manager
placed in RAM if it fits the budget, or in a spill file otherwise. The same code
runs for loaded arrays, so a result never depends on where the data lives.
"""
from __future__ import annotations

import warnings
from typing import Callable, Iterable, Iterator

import numpy as np

from datamatrix._engine.memory import manager
from datamatrix._engine.progress import tracked
from datamatrix._engine.storage import ArrayStore, populate_pages, release_pages, row_blocks


def new_store(shape: tuple, dtype, fill: float | None = None) -> ArrayStore:
    """A new store, in RAM if the memory manager admits it, else in a spill file."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    store = ArrayStore.allocate(shape, dtype, manager.reserve(nbytes), fill)
    manager.add(store)
    return store


def blocks_of(array: np.ndarray,
              max_bytes: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, rows)`` blocks of any array, releasing mapped pages."""
    row_nbytes = array.itemsize * int(np.prod(array.shape[1:]))
    for start, stop in row_blocks(len(array), row_nbytes, max_bytes):
        block = array[start:stop]
        yield start, stop, block
        release_pages(block)


def build(shape: tuple, dtype, fill_blocks: Callable[[int, int], np.ndarray | float],
          max_bytes: int | None = None) -> ArrayStore:
    """A new store of ``shape`` whose rows ``start:stop`` are ``fill_blocks(start, stop)``."""
    store = new_store(shape, dtype)
    for start, stop, block in blocks_of(store.array, max_bytes):
        populate_pages(block)
        block[...] = fill_blocks(start, stop)
    return store


def take_rows(array: np.ndarray, positions: np.ndarray | slice) -> ArrayStore:
    """A new store with the given rows of ``array`` (a copy), block by block."""
    if isinstance(positions, slice):
        positions = np.arange(len(array))[positions]
    shape = (len(positions),) + array.shape[1:]

    def fill(start: int, stop: int) -> np.ndarray:
        rows = positions[start:stop]
        if len(rows) and rows[-1] - rows[0] == len(rows) - 1 and \
                np.all(np.diff(rows) == 1):
            result = array[rows[0]:rows[-1] + 1]
        else:
            result = array[rows]
        release_pages(array)
        return result

    return build(shape, array.dtype, fill)


def map_blocks(array: np.ndarray, fnc: Callable[[np.ndarray, int, int], np.ndarray],
               cell_shape: tuple, dtype) -> ArrayStore:
    """A new store whose row blocks are ``fnc(block, start, stop)`` of ``array``'s.

    Blocks hold at most ``cfg.save_chunk_size`` bytes of input *and* of output,
    so a function that shrinks rows (e.g. downsampling) reads no larger blocks.
    """
    from datamatrix._engine.config import cfg
    shape = (len(array),) + tuple(cell_shape)
    in_row = array.itemsize * int(np.prod(array.shape[1:]))
    out_row = np.dtype(dtype).itemsize * int(np.prod(cell_shape))
    max_bytes = int(cfg.save_chunk_size)
    if in_row > out_row:  # limit the input block; row_blocks counts output bytes
        max_bytes = max_bytes * max(out_row, 1) // in_row

    def fill(start: int, stop: int) -> np.ndarray:
        result = fnc(array[start:stop], start, stop)
        release_pages(array[start:stop])
        return result

    return build(shape, dtype, fill, max_bytes)


# -- reductions over rows ------------------------------------------------------------

def _warn_empty(count: np.ndarray, what: str) -> None:
    if np.any(count == 0):
        warnings.warn(what, RuntimeWarning, stacklevel=4)


def nanmean(blocks: Iterable[np.ndarray], cell_shape: tuple,
            axes: tuple = ()) -> np.ndarray:
    """NaN-ignoring mean over rows (and the cell ``axes``) of a stream of blocks."""
    return _nanmean_count(blocks, cell_shape, axes)[0]


def _nanmean_count(blocks: Iterable[np.ndarray], cell_shape: tuple,
                   axes: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """The NaN-ignoring mean and the number of values it is made of."""
    keep = tuple(s for i, s in enumerate(cell_shape) if i + 1 not in axes)
    total = np.zeros(keep)
    count = np.zeros(keep, dtype=np.int64)
    reduce_axes = (0,) + tuple(axes)
    for block in blocks:
        valid = ~np.isnan(block)
        total += np.where(valid, block, 0).sum(axis=reduce_axes, dtype=np.float64)
        count += valid.sum(axis=reduce_axes)
    _warn_empty(count, 'Mean of empty slice')
    with np.errstate(invalid='ignore', divide='ignore'):
        return total / count, count


# The reductions below take a store and read it through ``store.blocks()``, so they
# work wherever the store keeps its rows (RAM, spill file, saved file, zarr).

def nanmean_rows(store: ArrayStore, cell_shape: tuple) -> np.ndarray:
    """NaN-ignoring mean over the rows of a store, streamed."""
    return nanmean((block for _, _, block in store.blocks()), cell_shape)


def nanstd(store: ArrayStore, cell_shape: tuple, ddof: int = 1) -> np.ndarray:
    """NaN-ignoring standard deviation over rows, in two streamed passes."""
    mean, count = _nanmean_count((block for _, _, block in store.blocks()), cell_shape)
    squares = np.zeros(cell_shape)
    for _, _, block in store.blocks():
        squared = np.subtract(block, mean, dtype=np.float64)  # the only block-sized copy
        np.square(squared, out=squared)
        squared[np.isnan(block)] = 0  # missing values; inf - inf stays NaN, as numpy's
        squares += squared.sum(axis=0)
    _warn_empty(np.maximum(count - ddof, 0), 'Degrees of freedom <= 0 for slice.')
    with np.errstate(invalid='ignore', divide='ignore'):
        result = squares / (count - ddof)
    result[count - ddof <= 0] = np.nan
    return np.sqrt(result)


def nansum(store: ArrayStore, cell_shape: tuple) -> np.ndarray:
    """NaN-ignoring sum over rows (0 where every value is NaN)."""
    total = np.zeros(cell_shape)
    for _, _, block in store.blocks():
        total += np.nansum(block, axis=0, dtype=np.float64)
    return total


def nanextreme(store: ArrayStore, cell_shape: tuple, fnc: Callable) -> np.ndarray:
    """NaN-ignoring min (``np.fmin``) or max (``np.fmax``) over rows."""
    result = np.full(cell_shape, np.nan)
    for _, _, block in store.blocks():
        if len(block):
            result = fnc(result, fnc.reduce(block, axis=0))
    return result


def nanmedian(store: ArrayStore, cell_shape: tuple) -> np.ndarray:
    """NaN-ignoring median over rows, computed for blocks of cell positions."""
    from datamatrix._engine.config import cfg
    array = store.array
    flat = array.reshape(len(array), int(np.prod(cell_shape)))  # -1 fails for 0 rows
    n_cells = flat.shape[1]
    result = np.empty(n_cells)
    step = max(1, int(cfg.save_chunk_size) // max(1, len(array) * array.itemsize))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        for start in tracked(range(0, n_cells, step), array.nbytes):
            # one cell position per row: numpy's nanmedian is leanest along axis 1
            part = np.array(flat[:, start:start + step].T, dtype=np.float64, order='C')
            result[start:start + step] = np.nanmedian(part, axis=1) if len(array) \
                else np.nan
            release_pages(flat)
    if np.isnan(result).any():
        warnings.warn('All-NaN slice encountered', RuntimeWarning, stacklevel=3)
    return result.reshape(cell_shape)
