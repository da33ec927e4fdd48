"""Per-row reductions and NaN/INF counts of blocks."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from datamatrix._kernels._common import FloatArray, _as_block


def reduce_block(block: ArrayLike,
                 operation: Callable[..., Any] = np.nanmean) -> FloatArray:
    """Reduce every row's cell to one number.

    First tries ``operation(block, axis=<all cell axes>)``; if that raises
    ``TypeError`` (an operation without ``axis``), calls ``operation(cell)`` for
    each row.

    Parameters
    ----------
    block : array_like
        Array of shape ``(rows, ...)``.
    operation : callable, default numpy.nanmean
        The reduction.

    Returns
    -------
    ndarray
        Float array of shape ``(rows,)``.

    Raises
    ------
    ValueError
        If the operation does not give one number per row.

    Examples
    --------
    >>> reduce_block([[1., 2.], [3., np.nan]])
    array([1.5, 3. ])
    """
    block = _as_block(block)
    if operation is np.nanmedian and block.ndim > 1 and block.size:
        return _nanmedian_rows(block)
    try:
        result = operation(block, axis=tuple(range(1, block.ndim)))
    except TypeError:
        result = [operation(cell) for cell in block]
    try:
        result = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f'operation must return numbers, not {result!r:.80}') from exc
    if result.shape != (len(block),):
        raise ValueError(f'operation must give one number per row ({len(block)}), '
                         f'not shape {result.shape}')
    return result


def _nanmedian_rows(block: np.ndarray) -> FloatArray:
    """``np.nanmedian`` of every row's cell, with the same values and warning.

    One partition per row (numpy's own takes a slow path for short rows).
    """
    from datamatrix._engine.stream import _median_rows
    values = np.array(block.reshape(len(block), -1), dtype=np.float64)  # overwritten
    if np.isnan(values).all(axis=1).any():
        warnings.warn('All-NaN slice encountered', RuntimeWarning, stacklevel=3)
    return _median_rows(values)


def _count_per_row(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Number of True elements in every row of ``mask``."""
    per_row = mask.reshape(len(mask), int(np.prod(mask.shape[1:])))
    return per_row.sum(axis=1, dtype=np.int64)


def nancount_block(block: ArrayLike) -> NDArray[np.int64]:
    """Per row, the number of NaN elements in its cell.

    Examples
    --------
    >>> nancount_block([[np.nan, 1.], [np.nan, np.nan]])
    array([1, 2])
    """
    return _count_per_row(np.isnan(_as_block(block)))


def infcount_block(block: ArrayLike) -> NDArray[np.int64]:
    """Per row, the number of +INF and -INF elements in its cell.

    Examples
    --------
    >>> infcount_block([[np.inf, -np.inf], [1., np.nan]])
    array([2, 0])
    """
    return _count_per_row(np.isinf(_as_block(block)))
