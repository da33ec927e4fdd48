"""Argument checks and run helpers shared by the kernels."""
from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


logger = logging.getLogger('datamatrix')

FloatArray = NDArray[np.float64]

WINDOW_TYPES = ('flat', 'hanning', 'hamming', 'bartlett', 'blackman')
FILTER_TYPES = ('lowpass', 'highpass', 'bandpass')
BLINK_MODES = ('original', 'advanced')

def _as_block(block: ArrayLike, name: str = 'block', min_ndim: int = 1) -> FloatArray:
    """Convert ``block`` to a float64 array with at least ``min_ndim`` dimensions.

    The result may share memory with ``block``; callers must not write into it.

    Raises
    ------
    TypeError
        If the values are not numeric.
    ValueError
        If the array has fewer than ``min_ndim`` dimensions.
    """
    try:
        array = np.asarray(block, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f'{name} must hold numbers, not {block!r:.80}') from exc
    if array.ndim < min_ndim:
        raise ValueError(
            f'{name} must have at least {min_ndim} dimension(s), not shape {array.shape}')
    return array


def _as_2d(block: ArrayLike, name: str = 'block') -> FloatArray:
    """Like :func:`_as_block`, but require exactly two dimensions (rows, samples)."""
    array = _as_block(block, name)
    if array.ndim != 2:
        raise ValueError(
            f'{name} must be two-dimensional (rows, samples), not shape {array.shape}')
    return array


def _integer(value: Any, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int``, accepting ints and integral floats.

    Raises
    ------
    TypeError
        If ``value`` is not an integral number.
    ValueError
        If ``value`` is smaller than ``minimum``.
    """
    if isinstance(value, numbers.Integral):
        result = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        result = int(value)
    else:
        raise TypeError(f'{name} must be an integer, not {value!r}')
    if minimum is not None and result < minimum:
        raise ValueError(f'{name} must be at least {minimum}, not {result}')
    return result


def _per_row(values: Any, n: int, name: str, allow_scalar: bool = True) -> FloatArray:
    """Return one float per row: a scalar is broadcast, a sequence needs length ``n``.

    Raises
    ------
    TypeError
        For non-numeric values, or a scalar when ``allow_scalar`` is False.
    ValueError
        For a sequence whose length is not ``n``.
    """
    if isinstance(values, (str, bytes)):
        raise TypeError(f'{name} must be numeric, not {values!r}')
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f'{name} must be numeric, not {values!r:.80}') from exc
    if array.ndim == 0:
        if not allow_scalar:
            raise TypeError(f'{name} must be a sequence of {n} numbers, not {values!r}')
        return np.full(n, float(array))
    if array.shape != (n,):
        raise ValueError(
            f'{name} must have one value per row ({n}), not shape {array.shape}')
    return array


def _traces(block: FloatArray) -> FloatArray:
    """A ``(traces, samples)`` view (or copy) of ``block``."""
    return block.reshape(int(np.prod(block.shape[:-1])), block.shape[-1])


def gil_bound(kernel: Callable) -> Callable:
    """Mark a block kernel that runs Python code per trace (it holds the GIL):
    streams then compute its blocks in one thread."""
    kernel.gil_bound = True
    return kernel


def along_last_axis(fnc: Callable[[FloatArray], ArrayLike], block: ArrayLike,
                    depth: int | None = None) -> FloatArray:
    """Apply a 1-D algorithm to every trace along the last axis of ``block``.

    Parameters
    ----------
    fnc : callable
        Called with one trace (a 1-D float array that it must not modify) and
        returning a 1-D array of the same length for every trace.
    block : array_like
        Array of shape ``(..., samples)``; at least one-dimensional.
    depth : int, optional
        Length of the result traces; only needed to shape the result when
        ``block`` holds no traces at all. Defaults to the input depth.

    Returns
    -------
    ndarray
        Array of shape ``block.shape[:-1] + (result depth,)``.

    Examples
    --------
    >>> along_last_axis(np.cumsum, np.ones((2, 3)))
    array([[1., 2., 3.],
           [1., 2., 3.]])
    """
    block = _as_block(block)
    traces = _traces(block)
    if len(traces) == 0:
        return np.empty(block.shape[:-1] + (block.shape[-1] if depth is None else depth,))
    first = np.asarray(fnc(traces[0]), dtype=np.float64)
    out = np.empty((len(traces),) + first.shape)
    out[0] = first
    for i in range(1, len(traces)):
        out[i] = fnc(traces[i])
    return out.reshape(block.shape[:-1] + first.shape)


def _runs(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and end (exclusive) positions of the runs of True in a 1-D mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _runs_mask(length: int, starts: ArrayLike, ends: ArrayLike) -> NDArray[np.bool_]:
    """A 1-D mask of ``length`` that is True inside every ``[start, end)`` range.

    Ranges may overlap; they must already lie within ``[0, length]``.
    """
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, np.asarray(starts, dtype=np.intp), 1)
    np.add.at(delta, np.asarray(ends, dtype=np.intp), -1)
    return np.cumsum(delta[:length]) > 0


def _first_index(condition: NDArray[np.bool_], start: int) -> int | None:
    """The first index ``>= start`` at which ``condition`` holds, or None."""
    hits = np.flatnonzero(condition[start:])
    return int(hits[0]) + start if len(hits) else None


def _trailing_nan_count(block2d: FloatArray) -> NDArray[np.intp]:
    """Per row, the length of the run of NaNs at the end (the depth if all NaN)."""
    rows, depth = block2d.shape
    if depth == 0:
        return np.zeros(rows, dtype=np.intp)
    reversed_nan = np.isnan(block2d[:, ::-1])
    return np.where(reversed_nan.all(axis=1), depth, reversed_nan.argmin(axis=1))
