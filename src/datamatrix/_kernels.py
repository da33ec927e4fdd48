"""Pure array kernels behind ``datamatrix.series`` and ``datamatrix.multidimensional``.

Every function takes plain numpy arrays and returns new ones; inputs are never
modified and nothing here knows about DataMatrix objects or columns. A *block* has
shape ``(rows, ..., samples)``: per-trace algorithms (the SPEC 8.2 mapping functions)
act along the **last** axis of every row/cell, so a 1-D array is a single trace.
Functions whose name ends in ``2d`` in their signature work on ``(rows, samples)``
blocks only.

Results are float64. Apart from :func:`trim_bounds`, :func:`lock_block` (zero
point) and :func:`normalize_time_block` (result depth), every kernel treats rows
independently, so callers may process large blocks in row chunks.
"""
from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

logger = logging.getLogger('datamatrix')

FloatArray = NDArray[np.float64]

WINDOW_TYPES = ('flat', 'hanning', 'hamming', 'bartlett', 'blackman')
FILTER_TYPES = ('lowpass', 'highpass', 'bandpass')
BLINK_MODES = ('original', 'advanced')

__all__ = [
    'along_last_axis', 'smooth_block', 'downsample_block', 'interpolate_block',
    'z_block', 'filter_block', 'fft_block', 'threshold_block',
    'first_occurrence_block', 'last_occurrence_block', 'endlock_block', 'roll_block',
    'lock_block', 'lock_pads', 'trim_bounds', 'normalize_time_block',
    'blinkreconstruct_trace', 'blinkreconstruct_block', 'reduce_block',
    'nancount_block', 'infcount_block',
]


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# Mapping (per-trace) kernels, SPEC 8.2
# --------------------------------------------------------------------------------------

def smooth_block(block: ArrayLike, winlen: int = 11,
                 wintype: str = 'hanning') -> FloatArray:
    """Smooth every trace by convolution with a normalised window (SPEC 8.2).

    Each trace is extended at both ends by its mirror image, excluding the edge
    sample, over ``(winlen - 1) / 2`` samples, and convolved with the window scaled
    to sum 1, so the result has the input's length. NaNs spread through the
    convolution.

    Parameters
    ----------
    block : array_like
        Array of shape ``(..., samples)``.
    winlen : int, default 11
        Window length: odd, and at most the number of samples. Below 3 the data
        are returned unchanged (as a copy).
    wintype : {'hanning', 'flat', 'hamming', 'bartlett', 'blackman'}
        ``'flat'`` is a moving average; the others are numpy window functions.

    Returns
    -------
    ndarray
        The smoothed block, same shape.

    Raises
    ------
    ValueError
        Checked in this order: traces are not 1-D (a 0-d input); traces are
        shorter than ``winlen``; unknown ``wintype``; even or non-integer
        ``winlen`` (the last two only when ``winlen >= 3``).
    TypeError
        If ``winlen`` is not a number.

    Examples
    --------
    >>> smooth_block([1., 2., 3., 4., 5.], winlen=3, wintype='flat')
    array([1.66666667, 2.        , 3.        , 4.        , 4.33333333])
    """
    block = _as_block(block, min_ndim=0)
    if block.ndim == 0:
        raise ValueError('smooth needs one-dimensional traces, not a scalar')
    if isinstance(winlen, bool) or not isinstance(winlen, numbers.Real):
        raise TypeError(f'winlen must be an odd integer, not {winlen!r}')
    depth = block.shape[-1]
    if depth < winlen:
        raise ValueError(
            f'traces of {depth} samples are shorter than the window (winlen={winlen})')
    if winlen < 3:
        return block.copy()
    if wintype not in WINDOW_TYPES:
        raise ValueError(
            f'wintype must be one of {", ".join(WINDOW_TYPES)}, not {wintype!r}')
    if not float(winlen).is_integer() or int(winlen) % 2 == 0:
        raise ValueError(f'winlen must be an odd integer, not {winlen!r}')
    winlen = int(winlen)
    window = np.ones(winlen) if wintype == 'flat' else getattr(np, wintype)(winlen)
    window = window / window.sum()
    if block.size == 0:
        return block.copy()
    # scipy's 'mirror' mode is the reflection that excludes the edge sample; one
    # pass in C, several times faster than a numpy loop over the window.
    from scipy.ndimage import convolve1d
    return convolve1d(block, window, axis=-1, mode='mirror')


def downsample_block(block: ArrayLike, by: int,
                     fnc: Callable[..., ArrayLike] = np.nanmean) -> FloatArray:
    """Reduce every run of ``by`` consecutive samples to one value (SPEC 8.2).

    Trailing samples that do not fill a whole run are dropped, so the new depth is
    ``depth // by`` (possibly 0).

    Parameters
    ----------
    block : array_like
        Array of shape ``(..., samples)``.
    by : int
        Number of samples per run, at least 1.
    fnc : callable, default numpy.nanmean
        Called as ``fnc(matrix, axis=1)`` on a 2-D matrix with one run per row;
        it must return one value per row. All traces' runs are passed in a single
        call.

    Returns
    -------
    ndarray
        Array of shape ``block.shape[:-1] + (depth // by,)``.

    Raises
    ------
    TypeError
        If ``by`` is not an integer.
    ValueError
        If ``by < 1``, or if ``fnc`` does not return one value per run.

    Examples
    --------
    >>> downsample_block([1., 3., 5., 7., 9.], by=2)
    array([2., 6.])
    """
    block = _as_block(block)
    by = _integer(by, 'by', minimum=1)
    new_depth = block.shape[-1] // by
    runs = block[..., :new_depth * by].reshape(-1, by)
    if len(runs) == 0:
        return np.empty(block.shape[:-1] + (new_depth,))
    reduced = np.asarray(fnc(runs, axis=1), dtype=np.float64)
    if reduced.shape != (len(runs),):
        raise ValueError(
            f'fnc must reduce axis 1 of a {runs.shape} matrix to shape ({len(runs)},), '
            f'but returned shape {reduced.shape}')
    return reduced.reshape(block.shape[:-1] + (new_depth,))


def _interpolate_trace(trace: FloatArray) -> FloatArray:
    """Linearly interpolate the NaNs of one trace that has at least one valid value."""
    missing = np.isnan(trace)
    if not missing.any():
        return trace.copy()
    positions = np.arange(len(trace))
    result = trace.copy()
    result[missing] = np.interp(positions[missing], positions[~missing], trace[~missing])
    return result


def interpolate_block(block: ArrayLike) -> FloatArray:
    """Fill NaN samples by linear interpolation between valid samples (SPEC 8.2).

    Leading and trailing NaNs take the nearest valid value. All-NaN traces are
    returned unchanged, with a single ``UserWarning`` per call.

    Parameters
    ----------
    block : array_like
        Array of shape ``(..., samples)``.

    Returns
    -------
    ndarray
        The interpolated block, same shape.

    Examples
    --------
    >>> interpolate_block([np.nan, 1., np.nan, 3., np.nan])
    array([1., 1., 2., 3., 3.])
    """
    block = _as_block(block)
    out = block.copy()
    traces = _traces(out)  # a view, because ``out`` is contiguous
    missing = np.isnan(traces)
    all_missing = missing.all(axis=1) & (traces.shape[1] > 0)
    if all_missing.any():
        warnings.warn(
            f'{int(all_missing.sum())} trace(s) contain only NaN values and cannot be '
            f'interpolated; they are returned unchanged', UserWarning, stacklevel=2)
    for i in np.flatnonzero(missing.any(axis=1) & ~all_missing):
        traces[i] = _interpolate_trace(traces[i])
    return out


def z_block(block: ArrayLike) -> FloatArray:
    """Z-transform every trace: ``(x - nanmean(x)) / nanstd(x)`` (ddof=0, SPEC 8.2).

    NaNs stay NaN; a constant trace gives NaN (0 / 0).

    Examples
    --------
    >>> z_block([1., np.nan, 3.])
    array([-1., nan,  1.])
    """
    block = _as_block(block)
    mean = np.nanmean(block, axis=-1, keepdims=True)
    std = np.nanstd(block, axis=-1, keepdims=True)
    with np.errstate(divide='ignore', invalid='ignore'):
        return (block - mean) / std


def _check_frequencies(freq: Any, btype: str,
                       sampling_freq: float | None) -> float | tuple[float, float]:
    """Validate filter frequencies against the Nyquist frequency; return them."""
    if sampling_freq is None:
        nyquist, unit = 1.0, ' (as a fraction of the Nyquist frequency)'
    else:
        if isinstance(sampling_freq, bool) or not isinstance(sampling_freq, numbers.Real):
            raise TypeError(f'sampling_freq must be a number, not {sampling_freq!r}')
        if not sampling_freq > 0:
            raise ValueError(f'sampling_freq must be positive, not {sampling_freq!r}')
        nyquist, unit = sampling_freq / 2, f' Hz (sampling_freq={sampling_freq})'
    if btype == 'bandpass':
        if isinstance(freq, (str, bytes)) or np.ndim(freq) != 1 or len(freq) != 2:
            raise TypeError(f'freq_range must be a (low, high) pair, not {freq!r}')
        values = [float(f) for f in freq]
        if not values[0] < values[1]:
            raise ValueError(f'freq_range must have low < high, not {freq!r}')
    else:
        if isinstance(freq, bool) or not isinstance(freq, numbers.Real):
            raise TypeError(f'the cut-off frequency must be a number, not {freq!r}')
        values = [float(freq)]
    for value in values:
        if not 0 < value < nyquist:
            raise ValueError(
                f'filter frequency {value}{unit} must lie strictly between 0 and the '
                f'Nyquist frequency {nyquist}')
    return (values[0], values[1]) if btype == 'bandpass' else values[0]


def filter_block(block: ArrayLike, btype: str, freq: Any, order: int = 2,
                 sampling_freq: float | None = None) -> FloatArray:
    """Apply a Butterworth filter once, forward only, to every trace (SPEC 8.2).

    The filter is ``scipy.signal.butter(order, freq, btype=btype, fs=sampling_freq,
    output='sos')`` applied with ``scipy.signal.sosfilt``. NaNs propagate.

    Parameters
    ----------
    block : array_like
        Array of shape ``(..., samples)``.
    btype : {'lowpass', 'highpass', 'bandpass'}
        Filter type.
    freq : float or (float, float)
        Cut-off frequency, or ``(low, high)`` for a band-pass filter. Without
        ``sampling_freq`` a fraction of the Nyquist frequency (0-1, exclusive);
        with it, in the same unit as ``sampling_freq``.
    order : int, default 2
        Filter order, at least 1.
    sampling_freq : float, optional
        Sampling frequency of the traces.

    Returns
    -------
    ndarray
        The filtered block, same shape.

    Raises
    ------
    ValueError
        For an unknown ``btype``, a frequency at or above the Nyquist frequency
        (or not above 0), ``low >= high``, or a non-positive ``order`` or
        ``sampling_freq``.
    TypeError
        For non-numeric frequencies or a non-integer ``order``.
    """
    block = _as_block(block)
    if btype not in FILTER_TYPES:
        raise ValueError(f'btype must be one of {", ".join(FILTER_TYPES)}, not {btype!r}')
    order = _integer(order, 'order', minimum=1)
    freq = _check_frequencies(freq, btype, sampling_freq)
    from scipy import signal  # lazily: importing datamatrix must stay cheap
    sos = signal.butter(order, freq, btype=btype, fs=sampling_freq, output='sos')
    if block.size == 0:
        return block.copy()
    return np.asarray(signal.sosfilt(sos, block, axis=-1), dtype=np.float64)


def fft_block(block: ArrayLike, truncate: bool = True) -> FloatArray:
    """Real part of the FFT of every trace (SPEC 8.2, *reference quirk*).

    With ``truncate``, only the first ``depth // 2`` values are kept.

    Examples
    --------
    >>> fft_block([1., 0., 0., 0.])
    array([1., 1.])
    """
    block = _as_block(block)
    result = np.fft.fft(block, axis=-1).real if block.shape[-1] else block.copy()
    if truncate:
        result = result[..., :block.shape[-1] // 2]
    return np.ascontiguousarray(result)


def threshold_block(block: ArrayLike, fnc: Callable[[float], Any],
                    min_length: int = 1) -> FloatArray:
    """Mark runs of at least ``min_length`` samples for which ``fnc`` is true (SPEC 8.2).

    Parameters
    ----------
    block : array_like
        Array of shape ``(..., samples)``.
    fnc : callable
        Called once per sample with that sample (a numpy float); its truth value
        counts.
    min_length : int, default 1
        Minimum number of consecutive samples for a run to be marked.

    Returns
    -------
    ndarray
        Array of 0.0 and 1.0 values, same shape as ``block``.

    Examples
    --------
    >>> threshold_block([1., 5., 5., 1., 5.], lambda x: x > 2, min_length=2)
    array([0., 1., 1., 0., 0.])
    """
    block = _as_block(block)
    if not callable(fnc):
        raise TypeError(f'fnc must be callable, not {fnc!r}')
    min_length = _integer(min_length, 'min_length')
    hits = np.fromiter((bool(fnc(sample)) for sample in block.flat), dtype=bool,
                       count=block.size).reshape(block.shape)
    if min_length > 1 and hits.size:
        # A False column after every trace keeps runs from crossing traces.
        flat = np.pad(_traces(hits), ((0, 0), (0, 1))).ravel()
        starts, ends = _runs(flat)
        long_enough = ends - starts >= min_length
        flat = _runs_mask(len(flat), starts[long_enough], ends[long_enough])
        hits = flat.reshape(-1, block.shape[-1] + 1)[:, :-1].reshape(block.shape)
    return hits.astype(np.float64)


# --------------------------------------------------------------------------------------
# Searching and alignment kernels for (rows, samples) blocks, SPEC 8.1 / 8.2
# --------------------------------------------------------------------------------------

def _matches(block2d: FloatArray, value: Any, equal: bool) -> NDArray[np.bool_]:
    """Per sample, whether it equals its row's ``value`` (NaN matches NaN)."""
    values = _per_row(value, len(block2d), 'value')[:, None]
    match = (block2d == values) | (np.isnan(block2d) & np.isnan(values))
    return match if equal else ~match


def first_occurrence_block(block2d: ArrayLike, value: Any,
                           equal: bool = True) -> FloatArray:
    """Per row, the index of the first sample equal to (or, with ``equal=False``,
    different from) ``value``; NaN if there is none (SPEC 8.2).

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
    different from) ``value``; NaN if there is none (SPEC 8.2).

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
    """Circularly shift every row along the last axis (SPEC 8.1).

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
    """Move every row's trailing NaNs to its start (SPEC 8.1).

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
    """Shift rows so that their ``lock`` positions line up (SPEC 8.1).

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
    """Slice bounds that trim positions where every row equals ``value`` (SPEC 8.1).

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
    """Place every value at the sample position of its time stamp (SPEC 8.1).

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


# --------------------------------------------------------------------------------------
# Blink reconstruction, SPEC 8.2
# --------------------------------------------------------------------------------------

def _smoothed_velocity(trace: FloatArray, winlen: int) -> FloatArray:
    """First difference of the hanning-smoothed trace (raw trace if smoothing fails)."""
    try:
        smoothed = smooth_block(trace, winlen, 'hanning')
    except (TypeError, ValueError) as exc:
        warnings.warn(f'blinkreconstruct: cannot smooth the trace ({exc}); using the '
                      f'unsmoothed trace', UserWarning, stacklevel=4)
        smoothed = trace
    return np.diff(smoothed)


def _cubic(x: NDArray[np.intp], y: FloatArray, at: NDArray[np.intp]) -> FloatArray:
    """The cubic polynomial through four points ``(x, y)``, evaluated at ``at``."""
    at = at.astype(np.float64)
    result = np.zeros_like(at)
    for i in range(4):  # Lagrange form: exact and well-conditioned enough here
        basis = np.ones_like(at)
        for j in range(4):
            if j != i:
                basis *= (at - x[j]) / (x[i] - x[j])
        result += y[i] * basis
    return result


def _refill(trace: FloatArray, start: int, end: int, cubic: bool) -> None:
    """Replace ``trace[start:end]`` in place by interpolation.

    Cubic through ``start - dur, start, end, end + dur`` if ``cubic``, else linear
    between ``start`` and ``end``; ``dur = end - start``.
    """
    dur = end - start
    if dur <= 0:
        return
    at = np.arange(start, end)
    if cubic:
        x = np.array([start - dur, start, end, end + dur])
        trace[at] = _cubic(x, trace[x], at)
    else:
        trace[at] = trace[start] + (trace[end] - trace[start]) * (at - start) / dur


def _low_or_nan(trace: FloatArray, std_thr: float) -> NDArray[np.bool_]:
    """Samples that are NaN or more than ``std_thr`` plain SDs below the plain mean."""
    with np.errstate(invalid='ignore'):
        return np.isnan(trace) | (trace < trace.mean() - std_thr * trace.std())


def _blink_original(trace: FloatArray, vt: float, maxdur: int, margin: int,
                    smooth_winlen: int, std_thr: float) -> FloatArray:
    """The 'original' blink reconstruction of one trace (see blinkreconstruct_trace)."""
    trace = trace.copy()
    length = len(trace)
    velocity = _smoothed_velocity(trace, smooth_winlen)
    blinks = []
    position = 0
    while True:
        onset = _first_index(velocity < -vt, position)
        if onset is None or onset == position:
            break
        reversal = _first_index(velocity > vt, onset)
        if reversal is None:
            break
        offset = _first_index(velocity < 0, reversal)
        if offset is None:
            break
        start = onset - margin if onset - margin >= 0 else onset
        end = offset + margin if offset + margin < length else offset
        if end - start > maxdur:
            # max() guarantees progress when maxdur // 10 does not exceed the margin
            position = max(start + maxdur // 10, position + 1)
            continue
        blinks.append((start, end))
        position = offset
    for start, end in blinks:
        dur = end - start
        _refill(trace, start, end, cubic=start - dur >= 0 and end + dur < length)
    # Replace NaN and very low samples by the preceding sample (never the first).
    bad = _low_or_nan(trace, std_thr)
    bad[:1] = False
    source = np.maximum.accumulate(np.where(bad, 0, np.arange(length)))
    return trace[source]


def _first_blink_advanced(velocity: FloatArray, length: int, vt_start: float,
                          vt_end: float, maxdur: int,
                          margin: int) -> tuple[int, int] | None:
    """The first blink ``(start, end)`` in a velocity trace, or None."""
    position = 0
    offset_threshold = None
    while True:
        onset = _first_index(velocity < -vt_start, position)
        if onset is None:
            return None
        reversal = _first_index(velocity > vt_end, onset)
        if reversal is None:
            return None
        if offset_threshold is None:
            offset_threshold = np.nanstd(velocity) / 100
        offset = _first_index(velocity < offset_threshold, reversal)
        if offset is None:
            return None
        start = max(0, onset - margin)
        end = min(length - 1, offset + margin)
        if end - start <= maxdur:
            return start, end
        position = max(end, position + 1)  # search again after the widened offset


def _blank_gaps(trace: FloatArray, velocity: FloatArray, std_thr: float,
                gap_margin: int, gap_vt: float) -> FloatArray:
    """Set NaN/low runs and fast runs to NaN, with ``gap_margin`` on each side."""
    length = len(trace)
    starts, ends = _runs(_low_or_nan(trace, std_thr))
    inside = ends < length  # runs reaching the end of the trace are left alone
    with np.errstate(invalid='ignore'):
        fast_starts, fast_ends = _runs(np.abs(velocity) > gap_vt)
    starts = np.concatenate([starts[inside], fast_starts])
    ends = np.concatenate([ends[inside], fast_ends])
    blank = _runs_mask(length, np.maximum(starts - gap_margin, 0),  # clipped at 0
                       np.minimum(ends + gap_margin, length))
    result = trace.copy()
    result[blank] = np.nan
    return result


def _blink_advanced(trace: FloatArray, vt_start: float, vt_end: float, maxdur: int,
                    margin: int, smooth_winlen: int, std_thr: float, gap_margin: int,
                    gap_vt: float) -> FloatArray:
    """The 'advanced' blink reconstruction of one trace (see blinkreconstruct_trace)."""
    trace = trace.copy()
    length = len(trace)
    previous = None
    for _ in range(length + 1):  # every round removes a blink; this bounds cycles
        velocity = _smoothed_velocity(trace, smooth_winlen)
        blink = _first_blink_advanced(velocity, length, vt_start, vt_end, maxdur, margin)
        if blink is None:
            break
        if blink == previous:
            logger.warning('blinkreconstruct: blink %s found twice; stopping the '
                           'reconstruction of this trace', blink)
            break
        previous = start, end = blink
        dur = end - start
        anchors = np.array([start - dur, start, end, end + dur])
        cubic = (anchors[0] >= 0 and anchors[-1] < len(velocity)
                 and not np.isnan(velocity[anchors]).any())
        _refill(trace, start, end, cubic)
    else:
        logger.warning('blinkreconstruct: blinks keep reappearing; stopping the '
                       'reconstruction of this trace')
        velocity = _smoothed_velocity(trace, smooth_winlen)
    return _blank_gaps(trace, velocity, std_thr, gap_margin, gap_vt)


def _blink_params(mode: str, maxdur: Any, margin: Any, smooth_winlen: Any,
                  gap_margin: Any) -> dict[str, Any]:
    """Check blinkreconstruct's mode and integer parameters; warn for 'original'."""
    if mode not in BLINK_MODES:
        raise ValueError(f'mode must be one of {", ".join(BLINK_MODES)}, not {mode!r}')
    if mode == 'original':
        warnings.warn("blinkreconstruct: mode='advanced' is recommended over "
                      "mode='original'", UserWarning, stacklevel=3)
    return {'maxdur': _integer(maxdur, 'maxdur', minimum=0),
            'margin': _integer(margin, 'margin', minimum=0),
            'smooth_winlen': smooth_winlen,  # a bad one makes smoothing fail: a warning
            'gap_margin': _integer(gap_margin, 'gap_margin', minimum=0)}


def _blink_function(vt: float, vt_start: float, vt_end: float, std_thr: float,
                    gap_vt: float, mode: str, maxdur: int, margin: int,
                    smooth_winlen: int,
                    gap_margin: int) -> Callable[[FloatArray], FloatArray]:
    """A one-trace reconstruction function with validated parameters bound."""
    if mode == 'original':
        return lambda trace: _blink_original(trace, vt, maxdur, margin, smooth_winlen,
                                             std_thr)
    return lambda trace: _blink_advanced(trace, vt_start, vt_end, maxdur, margin,
                                         smooth_winlen, std_thr, gap_margin, gap_vt)


def blinkreconstruct_trace(trace1d: ArrayLike, vt: float = 5, vt_start: float = 10,
                           vt_end: float = 5, maxdur: int = 500, margin: int = 10,
                           smooth_winlen: int = 21, std_thr: float = 3,
                           gap_margin: int = 20, gap_vt: float = 10,
                           mode: str = 'original') -> FloatArray:
    """Reconstruct the pupil size during blinks in one trace (SPEC 8.2).

    In both modes the trace is smoothed (hanning window of ``smooth_winlen``; the
    raw trace with a warning if that fails) and the velocity is the first
    difference of the smoothed trace. Velocity index ``i`` is used as trace
    position ``i``.

    *original*: scan forward for intervals (onset: velocity ``< -vt``; reversal:
    next velocity ``> vt``; offset: next velocity ``< 0``), widened by ``margin``
    on each side where that stays inside the trace; intervals longer than
    ``maxdur`` are skipped. Each interval ``[start, end)`` is refilled by cubic
    interpolation through ``start-dur, start, end, end+dur`` or, if those do not
    all exist, linearly. Finally NaN samples and samples more than ``std_thr``
    SDs below the mean are replaced by the preceding sample.

    *advanced*: repeatedly find the first blink (thresholds ``vt_start``,
    ``vt_end`` and ``nanstd(velocity) / 100``; widened by ``margin``, clipped to
    the trace) and interpolate it, until none is left. Then set to NaN, with
    ``gap_margin`` samples on each side (clipped at 0), the runs of NaN or very
    low samples that do not reach the end of the trace, and the runs where
    ``|velocity| > gap_vt``.

    Parameters
    ----------
    trace1d : array_like
        One pupil-size trace.
    vt : float, default 5
        Velocity threshold of the 'original' mode.
    vt_start, vt_end : float, default 10 and 5
        Onset and reversal velocity thresholds of the 'advanced' mode.
    maxdur : int, default 500
        Longest accepted blink, in samples.
    margin : int, default 10
        Samples added to each side of a detected blink.
    smooth_winlen : int, default 21
        Smoothing window length.
    std_thr : float, default 3
        Samples more than this many SDs below the mean count as missing.
    gap_margin : int, default 20
        Samples blanked on each side of a gap ('advanced' only).
    gap_vt : float, default 10
        Velocity above which samples are blanked ('advanced' only).
    mode : {'original', 'advanced'}
        Algorithm; 'original' warns that 'advanced' is recommended.

    Returns
    -------
    ndarray
        The reconstructed trace.

    Raises
    ------
    ValueError
        For an unknown ``mode``, a non-1-D trace or negative integer parameters.
    TypeError
        For non-integer ``maxdur``, ``margin`` or ``gap_margin``. (A bad
        ``smooth_winlen`` only makes smoothing fail, with a warning.)
    """
    params = _blink_params(mode, maxdur, margin, smooth_winlen, gap_margin)
    trace = _as_block(trace1d, 'trace1d')
    if trace.ndim != 1:
        raise ValueError(f'trace1d must be one-dimensional, not shape {trace.shape}')
    return _blink_function(vt, vt_start, vt_end, std_thr, gap_vt, mode, **params)(trace)


def blinkreconstruct_block(block: ArrayLike, **kwargs: Any) -> FloatArray:
    """Apply :func:`blinkreconstruct_trace` along the last axis of ``block``.

    Keyword arguments are those of :func:`blinkreconstruct_trace`; the mode
    warning is given once per call.
    """
    defaults = dict(vt=5, vt_start=10, vt_end=5, maxdur=500, margin=10,
                    smooth_winlen=21, std_thr=3, gap_margin=20, gap_vt=10,
                    mode='original')
    unknown = set(kwargs) - set(defaults)
    if unknown:
        raise TypeError('unknown blinkreconstruct argument(s): '
                        + ', '.join(sorted(unknown)))
    options = {**defaults, **kwargs}
    params = _blink_params(options['mode'], options['maxdur'], options['margin'],
                           options['smooth_winlen'], options['gap_margin'])
    fnc = _blink_function(options['vt'], options['vt_start'], options['vt_end'],
                          options['std_thr'], options['gap_vt'], options['mode'],
                          **params)
    return along_last_axis(fnc, block)


# --------------------------------------------------------------------------------------
# Per-row reductions, SPEC 9
# --------------------------------------------------------------------------------------

def reduce_block(block: ArrayLike,
                 operation: Callable[..., Any] = np.nanmean) -> FloatArray:
    """Reduce every row's cell to one number (SPEC 9).

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


def _count_per_row(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Number of True elements in every row of ``mask``."""
    per_row = mask.reshape(len(mask), int(np.prod(mask.shape[1:])))
    return per_row.sum(axis=1, dtype=np.int64)


def nancount_block(block: ArrayLike) -> NDArray[np.int64]:
    """Per row, the number of NaN elements in its cell (SPEC 9).

    Examples
    --------
    >>> nancount_block([[np.nan, 1.], [np.nan, np.nan]])
    array([1, 2])
    """
    return _count_per_row(np.isnan(_as_block(block)))


def infcount_block(block: ArrayLike) -> NDArray[np.int64]:
    """Per row, the number of +INF and -INF elements in its cell (SPEC 9).

    Examples
    --------
    >>> infcount_block([[np.inf, -np.inf], [1., np.nan]])
    array([2, 0])
    """
    return _count_per_row(np.isinf(_as_block(block)))
