"""Searching and alignment kernels for ``(rows, samples)`` blocks: occurrences, rolling,
locking, trimming and time normalisation."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from datamatrix._kernels._common import (_as_2d, _as_block, _per_row, _trailing_nan_count,
                                         FloatArray)


def _matches(block2d: FloatArray, value: Any, equal: bool) -> NDArray[np.bool_]:
    """Per sample, whether it equals its row's ``value`` (NaN matches NaN)."""
    values = _per_row(value, len(block2d), 'value')[:, None]
    match = (block2d == values) | (np.isnan(block2d) & np.isnan(values))
    return match if equal else ~match


def first_occurrence_block(block2d: ArrayLike, value: Any,
                           equal: bool = True) -> FloatArray:
    """Per row, the index of the first sample equal to (or, with ``equal=False``,
    different from) ``value``; NaN if there is none.

    Parameters
    ----------
    block2d : array_like
        Array of shape ``(rows, samples)``.
    value : float or sequence of float
        A value for all rows, or one value per row. NaN matches NaN.
    equal : bool, default True
        Search for equal (True) or different (False) samples.

    Returns
    -------
    ndarray
        Float array of shape ``(rows,)``.

    Examples
    --------
    >>> first_occurrence_block([[0., 1., 1.], [0., 0., 0.]], 1)
    array([ 1., nan])
    """
    match = _matches(_as_2d(block2d), value, equal)
    return np.where(match.any(axis=1), match.argmax(axis=1), np.nan)


def last_occurrence_block(block2d: ArrayLike, value: Any,
                          equal: bool = True) -> FloatArray:
    """Per row, the index of the last sample equal to (or, with ``equal=False``,
    different from) ``value``; NaN if there is none.

    Parameters and return value are as for :func:`first_occurrence_block`.

    Examples
    --------
    >>> last_occurrence_block([[0., 1., 1.], [0., 0., 0.]], [1, 0])
    array([2., 2.])
    """
    match = _matches(_as_2d(block2d), value, equal)
    last = match.shape[1] - 1 - match[:, ::-1].argmax(axis=1)
    return np.where(match.any(axis=1), last, np.nan)


def roll_block(block: ArrayLike, shift: Any) -> FloatArray:
    """Circularly shift every row along the last axis.

    Parameters
    ----------
    block : array_like
        Array of shape ``(rows, ..., samples)``; at least two-dimensional.
    shift : int or sequence of numbers
        An integer (Python or numpy) shifts all rows; a sequence gives one shift
        per row, truncated to int. Positive shifts move samples to the right.

    Returns
    -------
    ndarray
        The shifted block, same shape.

    Raises
    ------
    TypeError
        For a non-integer scalar or non-numeric shifts.
    ValueError
        For a sequence whose length is not the number of rows, or non-finite
        shifts.

    Examples
    --------
    >>> roll_block([[1., 2., 3.], [1., 2., 3.]], [1, -1])
    array([[3., 1., 2.],
           [2., 3., 1.]])
    """
    block = _as_block(block, min_ndim=2)
    rows, depth = block.shape[0], block.shape[-1]
    if np.ndim(shift) == 0 and not isinstance(shift, (str, bytes)):
        if not isinstance(shift, numbers.Integral) and not (
                isinstance(shift, np.ndarray) and np.issubdtype(shift.dtype, np.integer)):
            raise TypeError(f'shift must be an integer or a sequence, not {shift!r}')
        shifts = np.full(rows, int(shift), dtype=np.int64)
    else:
        values = _per_row(shift, rows, 'shift', allow_scalar=False)
        if not np.isfinite(values).all():
            raise ValueError(f'shifts must be finite, not {shift!r:.80}')
        shifts = np.trunc(values).astype(np.int64)
    if depth == 0 or block.size == 0:
        return block.copy()
    shifts = shifts.reshape((rows,) + (1,) * (block.ndim - 1))
    index = np.broadcast_to((np.arange(depth) - shifts) % depth, block.shape)
    return np.take_along_axis(block, index, axis=-1)


def endlock_block(block2d: ArrayLike) -> FloatArray:
    """Move every row's trailing NaNs to its start.

    Rows are shifted right by the length of their trailing NaN run; interior NaNs
    move with their neighbours; all-NaN rows and rows without trailing NaN are
    unchanged.

    Examples
    --------
    >>> endlock_block([[1., 2., np.nan], [np.nan, 2., np.nan]])
    array([[nan,  1.,  2.],
           [nan, nan,  2.]])
    """
    block2d = _as_2d(block2d)
    trailing = _trailing_nan_count(block2d)
    trailing[trailing == block2d.shape[1]] = 0
    return roll_block(block2d, trailing)


def lock_pads(lock: Any, rows: int) -> tuple[NDArray[np.int64], int]:
    """The right shift of every row and the zero point of :func:`lock_block`.

    ``zero_point = int(max(lock))`` and ``pad_i = int(zero_point - lock[i])``
    (truncated, never negative); ``(empty, 0)`` without rows. Callers that lock
    a column block by block use this to align all blocks alike.

    Raises
    ------
    TypeError
        For non-numeric or scalar ``lock`` values.
    ValueError
        For a wrong number of lock values or non-finite ones.

    Examples
    --------
    >>> lock_pads([1.5, 0, 1], 3)
    (array([0, 1, 0]), 1)
    """
    locks = _per_row(lock, rows, 'lock', allow_scalar=False)
    if not np.isfinite(locks).all():
        raise ValueError(f'lock values must be finite, not {lock!r:.80}')
    if rows == 0:
        return np.zeros(0, dtype=np.int64), 0
    zero_point = int(locks.max())
    return np.trunc(zero_point - locks).astype(np.int64), zero_point


def lock_block(block2d: ArrayLike, lock: Any) -> tuple[FloatArray, int]:
    """Shift rows so that their ``lock`` positions line up.

    ``zero_point = int(max(lock))``; row ``i`` is shifted right by
    ``pad_i = int(zero_point - lock[i])`` (truncated) into a block of depth
    ``depth + max(pad)``, NaN elsewhere.

    Parameters
    ----------
    block2d : array_like
        Array of shape ``(rows, samples)``.
    lock : sequence of numbers
        One finite lock position per row.

    Returns
    -------
    new : ndarray
        The locked block.
    zero_point : int
        The position in ``new`` that all lock positions map to. 0 for a block
        without rows (which is returned as a copy).

    Raises
    ------
    TypeError
        For non-numeric or scalar ``lock`` values.
    ValueError
        For a wrong number of lock values or non-finite ones.

    Examples
    --------
    >>> new, zero_point = lock_block([[1., 2.], [3., 4.]], [1, 0])
    >>> new, zero_point
    (array([[ 1.,  2., nan],
           [nan,  3.,  4.]]), 1)
    """
    block2d = _as_2d(block2d)
    rows, depth = block2d.shape
    pads, zero_point = lock_pads(lock, rows)
    if rows == 0:
        return block2d.copy(), 0
    new = np.full((rows, depth + int(pads.max())), np.nan)
    columns = pads[:, None] + np.arange(depth)
    new[np.arange(rows)[:, None], columns] = block2d
    return new, zero_point


def trim_bounds(block2d: ArrayLike, value: float = np.nan, start: bool = False,
                end: bool = True) -> tuple[int, int]:
    """Slice bounds that trim positions where every row equals ``value``.

    Parameters
    ----------
    block2d : array_like
        Array of shape ``(rows, samples)``.
    value : float, default NaN
        The value to trim; NaN matches NaN.
    start, end : bool
        Whether to trim leading and/or trailing positions.

    Returns
    -------
    (first, last_plus_1) : tuple of int
        Use as ``block2d[:, first:last_plus_1]``. If every position matches and
        ``start`` or ``end`` is set, ``(0, 0)``. A block without rows matches
        everywhere (vacuous truth).

    Examples
    --------
    >>> trim_bounds([[np.nan, 1., np.nan], [np.nan, np.nan, np.nan]], start=True)
    (1, 2)
    """
    block2d = _as_2d(block2d)
    depth = block2d.shape[1]
    if isinstance(value, (str, bytes)) or np.ndim(value) != 0:
        raise TypeError(f'value must be a single number, not {value!r}')
    kept = np.flatnonzero(~_matches(block2d, value, equal=True).all(axis=0))
    if not len(kept):
        return (0, 0) if start or end else (0, depth)
    return (int(kept[0]) if start else 0), (int(kept[-1]) + 1 if end else depth)


def normalize_time_block(data2d: ArrayLike, times2d: ArrayLike) -> FloatArray:
    """Place every value at the sample position of its time stamp.

    Each value goes to position ``ceil(time)``; later values win on collisions;
    all other positions are NaN. The result depth is ``ceil(max time) + 1``
    (0 if there are no valid time stamps).

    Parameters
    ----------
    data2d : array_like
        Values, shape ``(rows, samples)``.
    times2d : array_like
        Time stamps in sample units, same shape. Per row, trailing NaN time stamps
        are ignored together with their values.

    Returns
    -------
    ndarray
        Array of shape ``(rows, ceil(max time) + 1)``.

    Raises
    ------
    ValueError
        If the shapes differ, a time stamp is negative or infinite, a NaN time
        stamp is followed by a valid one, or time stamps do not strictly increase
        within a row.

    Examples
    --------
    >>> normalize_time_block([[1., 2., 3.]], [[0., 1.5, 3.]])
    array([[ 1., nan,  2.,  3.]])
    """
    data2d, times2d = _as_2d(data2d, 'dataseries'), _as_2d(times2d, 'timeseries')
    if data2d.shape != times2d.shape:
        raise ValueError(
            f'dataseries and timeseries must have the same shape, not {data2d.shape} '
            f'and {times2d.shape}')
    rows, depth = times2d.shape
    valid = np.arange(depth) < (depth - _trailing_nan_count(times2d))[:, None]
    if np.isnan(times2d[valid]).any():
        raise ValueError('timeseries contains NaN time stamps before valid ones; '
                         'only trailing NaNs are allowed')
    if (times2d[valid] < 0).any():
        raise ValueError('timeseries contains negative time stamps')
    if np.isinf(times2d[valid]).any():
        raise ValueError('timeseries contains infinite time stamps')
    both_valid = valid[:, 1:] & valid[:, :-1]
    if (np.diff(times2d, axis=1)[both_valid] <= 0).any():
        raise ValueError('time stamps must strictly increase within every row')
    if not valid.any():
        return np.empty((rows, 0))
    positions = np.zeros((rows, depth), dtype=np.int64)
    positions[valid] = np.ceil(times2d[valid])
    # Ceil is non-decreasing, so collisions are neighbours: keep the later value.
    superseded = np.zeros_like(valid)
    superseded[:, :-1] = both_valid & (positions[:, 1:] == positions[:, :-1])
    write = valid & ~superseded
    result = np.full((rows, int(positions[valid].max()) + 1), np.nan)
    row_index = np.broadcast_to(np.arange(rows)[:, None], (rows, depth))
    result[row_index[write], positions[write]] = data2d[write]
    return result
