"""Per-trace mapping kernels: smoothing, downsampling, interpolation, filters, FFT, z-scores,
thresholds. Each acts along the last axis and treats rows independently."""
from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from datamatrix._optional import optional_import
from datamatrix._kernels._common import (_as_block, _integer, _runs, _runs_mask, _traces,
                                         FILTER_TYPES, FloatArray, WINDOW_TYPES, gil_bound)


def smooth_block(block: ArrayLike, winlen: int = 11,
                 wintype: str = 'hanning') -> FloatArray:
    """Smooth every trace by convolution with a normalised window.

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
    convolve1d = optional_import('scipy.ndimage', 'smooth').convolve1d
    return convolve1d(block, window, axis=-1, mode='mirror')


def downsample_block(block: ArrayLike, by: int,
                     fnc: Callable[..., ArrayLike] = np.nanmean) -> FloatArray:
    """Reduce every run of ``by`` consecutive samples to one value.

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
    """Fill NaN samples by linear interpolation between valid samples.

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
    """Z-transform every trace: ``(x - nanmean(x)) / nanstd(x)`` (ddof=0).

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
    """Apply a Butterworth filter once, forward only, to every trace.

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
    signal = optional_import('scipy.signal', 'filtering')  # lazily: keeps import cheap
    sos = signal.butter(order, freq, btype=btype, fs=sampling_freq, output='sos')
    if block.size == 0:
        return block.copy()
    return np.asarray(signal.sosfilt(sos, block, axis=-1), dtype=np.float64)


def fft_block(block: ArrayLike, truncate: bool = True) -> FloatArray:
    """Real part of the FFT of every trace (as datamatrix 1.0 computes it).

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


@gil_bound
def threshold_block(block: ArrayLike, fnc: Callable[[float], Any],
                    min_length: int = 1) -> FloatArray:
    """Mark runs of at least ``min_length`` samples for which ``fnc`` is true.

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
