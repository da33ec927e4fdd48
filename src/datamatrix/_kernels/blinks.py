"""Blink reconstruction of pupil traces (``original`` and ``advanced`` modes)."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from datamatrix._kernels._common import (_as_block, _first_index, _integer, _runs,
                                         _runs_mask, along_last_axis, gil_bound, BLINK_MODES,
                                         FloatArray, logger)
from datamatrix._kernels.traces import smooth_block


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
    """Reconstruct the pupil size during blinks in one trace.

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


@gil_bound
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
