"""Functions for series columns: one signal ("trace") per row.

All functions take 2-D multidimensional columns (a ``SeriesColumn``, or a
``MultiDimensionalColumn`` with one cell dimension). The *mapping* functions
(:func:`smooth`, :func:`downsample`, :func:`interpolate`, :func:`z`, the filters and
:func:`blinkreconstruct`) also take columns with more dimensions, and then work
along the last axis of every cell, and they take a plain 1-D array, sequence or 1-D
column, for which they return an ndarray.

Results are new columns bound to the input's DataMatrix; inputs are never
modified. Mapping functions, :func:`roll` and :func:`baseline` keep the input's
kind (series or plain multidimensional column) and dtype; other functions that
return a multidimensional column return a series column.

Large data: every function works block by block of rows
(:func:`datamatrix._engine.stream.map_blocks`, :func:`datamatrix._engine.stream.blocks_of`), so on
an offloaded column larger than ``cfg.memory_limit`` the result is created
offloaded and the extra memory stays at a few ``cfg.save_chunk_size``. The
per-block algorithms are the kernels of :mod:`datamatrix._kernels`.

Examples
--------
>>> from datamatrix import DataMatrix, SeriesColumn, series as srs
>>> dm = DataMatrix(length=2)
>>> dm.s = SeriesColumn(depth=4)
>>> dm.s = [[1, 2, 3, 4], [5, 6, 7, 8]]
>>> srs.window(dm.s, 1, 3)[0]
array([2., 3.])
>>> srs.baseline(dm.s, dm.s, bl_start=0, bl_end=1)[1]
array([0., 1., 2., 3.])
"""
from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any, Callable, Iterator

import numpy as np

from datamatrix import _kernels
from datamatrix._kernels._common import _per_row as _kernel_per_row
from datamatrix._engine import stream as _stream
from datamatrix._table.columns import BaseColumn, FloatColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import is_int
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix.errors import LengthMismatchError
from datamatrix.multidimensional import (_check_md, _per_row_column, flatten, infcount, nancount,
                               reduce, reduce_)

NAN = math.nan

__all__ = ['window', 'baseline', 'roll', 'lock', 'endlock', 'concatenate', 'trim',
           'normalize_time', 'smooth', 'downsample', 'interpolate', 'z',
           'filter_lowpass', 'filter_highpass', 'filter_bandpass', 'fft', 'threshold',
           'first_occurrence', 'last_occurrence', 'blinkreconstruct', 'reduce',
           'reduce_', 'nancount', 'infcount', 'flatten']

Column = _MultiDimensionalColumn


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def _check_2d(series: Any, name: str = 'series') -> None:
    """Raise TypeError for a non-MD argument, ValueError for an MD one that is not 2-D."""
    _check_md(series, name)
    if len(series._dims) != 1:
        raise ValueError(f'{name} must be a two-dimensional column (rows x samples), '
                         f'not of shape {series.shape}')


def _result(series: Column, store, dims: list | None = None,
            cls: type | None = None) -> Column:
    """A column around ``store`` with ``series``' spec (or ``dims``/``cls``), bound."""
    return series._bind(series._with_store(store, dims=dims, cls=cls), series._rowid)


@contextlib.contextmanager
def _warnings_once() -> Iterator[None]:
    """Give each distinct warning raised by block-wise work only once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        yield
    seen = set()
    for warning in caught:
        key = (warning.category, str(warning.message))
        if key not in seen:
            seen.add(key)
            warnings.warn(warning.message, stacklevel=5)  # the user's call


def _as_traces(value: Any) -> np.ndarray:
    """A non-column argument of a mapping function as a float array."""
    if isinstance(value, DataMatrix) or isinstance(value, (str, bytes)):
        raise TypeError(f'series must be a series column, a 1-D column, array or '
                        f'sequence, not {type(value).__name__}')
    if isinstance(value, BaseColumn):
        value = list(value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f'series must hold numbers, not {value!r:.80}') from exc
    if array.ndim == 0:
        raise TypeError(f'series must be a column, array or sequence, not a single '
                        f'number ({value!r})')
    return array


def _map_traces(series: Any, kernel: Callable[..., np.ndarray], *args: Any,
                **kwargs: Any) -> Any:
    """Apply a per-trace kernel along the last axis of every cell (mapping functions).

    The kernel first runs on an empty block, which checks the arguments before any
    work and tells the result's cell shape; then it runs block by block. The
    result keeps the input's kind, dtype and index names (except those of a last
    axis whose length changes).
    """
    if not isinstance(series, Column):
        return kernel(_as_traces(series), *args, **kwargs)
    cell_shape = series._cell_shape
    with _warnings_once():
        new_cell = kernel(np.empty((0,) + cell_shape), *args, **kwargs).shape[1:]
        store = _stream.map_blocks(
            series._use(), lambda block, start, stop: kernel(block, *args, **kwargs),
            new_cell, series._dtype, parallel=not getattr(kernel, 'gil_bound', False))
    dims = series._dims if new_cell == cell_shape else \
        series._dims[:-1] + [new_cell[-1]]
    return _result(series, store, dims)


def _map_2d(series: Column, kernel: Callable[..., np.ndarray], *args: Any) -> Column:
    """Apply a kernel to blocks of a 2-D column; a series column results.

    Index names are kept if the depth does not change.
    """
    _check_2d(series)
    with _warnings_once():
        depth = kernel(np.empty((0, series.depth)), *args).shape[1]
        store = _stream.map_blocks(series._use(),
                                   lambda block, start, stop: kernel(block, *args),
                                   (depth,), series._dtype,
                                   parallel=not getattr(kernel, 'gil_bound', False))
    dims = series._dims if depth == series.depth else [depth]
    return _result(series, store, dims, _SeriesColumn)


def _slice_samples(series: Column, array: np.ndarray, first: int, stop: int) -> Column:
    """``series[:, first:stop]`` (``array`` is its data) as a series column.

    Index names of the samples are kept.
    """
    dim = series._dims[0]
    dims = [dim[first:stop] if isinstance(dim, tuple) else stop - first]
    store = _stream.map_blocks(array,
                               lambda block, start, end: block[:, first:stop],
                               (stop - first,), series._dtype)
    return _result(series, store, dims, _SeriesColumn)


def _bound(value: Any, depth: int, name: str) -> int | None:
    """Check one window bound: None or an int within ``[-depth, depth]``."""
    if value is None:
        return None
    if not is_int(value):
        raise TypeError(f'{name} must be an integer or None, not {value!r}')
    if not -depth <= value <= depth:
        raise ValueError(f'{name}={value} is out of range for a series of depth {depth}')
    return int(value)


def _per_row(values: Any, n: int, name: str) -> np.ndarray:
    """One float per row: a scalar is broadcast; a sequence needs ``n`` values."""
    if np.ndim(values) == 1 and not isinstance(values, (str, bytes)) and \
            len(values) != n:
        raise LengthMismatchError(f'{name} must have one value per row ({n}), not '
                                  f'{len(values)}')
    return _kernel_per_row(values, n, name)


# --------------------------------------------------------------------------------------
# Windows, shifting and alignment
# --------------------------------------------------------------------------------------

def window(series: Column, start: int | None = 0, end: int | None = None) -> Column:
    """The samples ``start:end`` of every trace: ``series[:, start:end]``.

    Parameters
    ----------
    series : SeriesColumn
        A 2-D column.
    start, end : int or None
        Python slice bounds; negative values count from the end. A bound beyond
        the depth (``|bound| > depth``) is taken as a mistake and raises (an
        interpretation: plain slicing would silently shorten the window).

    Returns
    -------
    SeriesColumn
        Depth ``end - start`` (1 for a one-sample window, 0 for an empty one).

    Raises
    ------
    TypeError
        For a non-MD column or non-integer bounds.
    ValueError
        For a column that is not 2-D or bounds out of range.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=5)
    >>> dm.pupil = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    >>> print(srs.window(dm.pupil, start=1, end=3))
    col[[2. 3.]
     [7. 8.]]
    """
    _check_2d(series)
    depth = series.depth
    first, stop, _ = slice(_bound(start, depth, 'start'),
                           _bound(end, depth, 'end')).indices(depth)
    return _slice_samples(series, series._use(), first, max(first, stop))


def baseline(series: Column, baseline: Column, bl_start: int | None = -100,
             bl_end: int | None = None, reduce_fnc: Callable | None = None,
             method: str = 'subtractive') -> Column:
    """Baseline-correct every trace with one number per row.

    For every row, ``baseline[:, bl_start:bl_end]`` is reduced to one number
    ``b`` with ``reduce_fnc`` (called as in :func:`reduce`), and the result is
    ``series - b`` (``'subtractive'``) or ``series / b`` (``'divisive'``).

    Parameters
    ----------
    series, baseline : SeriesColumn
        2-D columns with the same number of rows (possibly the same column).
    bl_start, bl_end : int or None
        Python slice bounds of the baseline window (out-of-range values are
        clipped, as in slicing, so the default ``-100`` also suits short
        baselines).
    reduce_fnc : callable, optional
        Default ``numpy.nanmedian``.
    method : {'subtractive', 'divisive'}

    Returns
    -------
    column
        Same kind, shape and dtype as ``series``.

    Raises
    ------
    TypeError
        For non-MD columns or non-integer window bounds.
    ValueError
        For columns that are not 2-D, a different number of rows, an empty
        baseline window (one that selects no sample of the baseline's depth) or an
        unknown method.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=4)
    >>> dm.pupil = [[10, 11, 12, 13], [20, 22, 24, 26]]
    >>> print(srs.baseline(dm.pupil, dm.pupil, bl_start=0, bl_end=2))
    col[[-0.5  0.5  1.5  2.5]
     [-1.   1.   3.   5. ]]
    >>> print(srs.baseline(dm.pupil, dm.pupil, bl_start=0, bl_end=1, method='divisive'))
    col[[1.  1.1 1.2 1.3]
     [1.  1.1 1.2 1.3]]
    """
    _check_2d(series)
    _check_2d(baseline, 'baseline')
    if method not in ('subtractive', 'divisive'):
        raise ValueError(f"method must be 'subtractive' or 'divisive', not {method!r}")
    if len(baseline) != len(series):
        raise LengthMismatchError(f'baseline has {len(baseline)} rows, series has '
                                  f'{len(series)}')
    for bound, name in ((bl_start, 'bl_start'), (bl_end, 'bl_end')):
        if bound is not None and not is_int(bound):
            raise TypeError(f'{name} must be an integer or None, not {bound!r}')
    first, stop, _ = slice(bl_start, bl_end).indices(baseline.depth)
    if stop <= first:
        raise ValueError(f'the baseline window [{bl_start}:{bl_end}] selects no samples '
                         f'of a baseline of depth {baseline.depth}')
    operation = np.nanmedian if reduce_fnc is None else reduce_fnc
    values = _per_row_column(baseline, lambda block, start, end: _kernels.reduce_block(
        block[:, first:stop], operation))._seq[:, None]
    combine = np.subtract if method == 'subtractive' else np.true_divide

    def correct(block: np.ndarray, start: int, end: int) -> np.ndarray:
        with np.errstate(divide='ignore', invalid='ignore'):
            return combine(block, values[start:end])

    store = _stream.map_blocks(series._use(), correct, series._cell_shape,
                               series._dtype)
    return _result(series, store)


def roll(series: Column, shift: Any) -> Column:
    """Circularly shift every trace to the right (negative shifts: to the left).

    Parameters
    ----------
    series : SeriesColumn
        A 2-D column.
    shift : int or sequence of numbers
        An integer (Python or numpy) for all rows, or one shift per row
        (numbers, truncated to int; e.g. a 1-D column).

    Returns
    -------
    column
        Same kind, shape and dtype as ``series``.

    Raises
    ------
    TypeError
        For a non-integer scalar shift or non-numeric shifts.
    ValueError
        For a column that is not 2-D or a sequence of the wrong length.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.s = SeriesColumn(depth=4)
    >>> dm.s = [[1, 2, 3, 4], [1, 2, 3, 4]]
    >>> print(srs.roll(dm.s, 1))
    col[[4. 1. 2. 3.]
     [4. 1. 2. 3.]]
    >>> print(srs.roll(dm.s, [1, -1]))
    col[[4. 1. 2. 3.]
     [2. 3. 4. 1.]]
    """
    _check_2d(series)
    n = len(series)
    if np.ndim(shift) == 0 or isinstance(shift, (str, bytes)):
        _kernels.roll_block(np.empty((n, 0)), shift)  # checks the scalar
        shifts = None
    else:
        shifts = _per_row(shift, n, 'shift')
        _kernels.roll_block(np.empty((n, 0)), shifts)  # checks finiteness

    def shifted(block: np.ndarray, start: int, stop: int) -> np.ndarray:
        return _kernels.roll_block(block, shift if shifts is None else shifts[start:stop])

    store = _stream.map_blocks(series._use(), shifted, series._cell_shape,
                               series._dtype)
    return _result(series, store)


def lock(series: Column, lock: Any) -> tuple[_SeriesColumn, int]:
    """Shift every trace right so that the ``lock`` positions line up.

    ``zero_point = int(max(lock))``; row ``i`` is shifted right by
    ``int(zero_point - lock[i])`` into a series of depth ``depth + max(shift)``,
    NaN elsewhere.

    Parameters
    ----------
    series : SeriesColumn
        A 2-D column.
    lock : sequence of numbers
        One lock position per row (e.g. a 1-D column).

    Returns
    -------
    (SeriesColumn, int)
        The locked series and ``zero_point``.

    Raises
    ------
    TypeError
        For non-numeric (or scalar) lock values.
    ValueError
        For a wrong number of lock values or non-finite ones.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.s = SeriesColumn(depth=3)
    >>> dm.s = [[1, 2, 3], [4, 5, 6]]
    >>> dm.onset = 0, 1
    >>> locked, zero_point = srs.lock(dm.s, dm.onset)
    >>> print(locked)
    col[[nan  1.  2.  3.]
     [ 4.  5.  6. nan]]
    >>> zero_point
    1
    """
    _check_2d(series)
    n, depth = len(series), series.depth
    if np.ndim(lock) == 1 and not isinstance(lock, (str, bytes)) and len(lock) != n:
        raise LengthMismatchError(f'lock must have one value per row ({n}), not '
                                  f'{len(lock)}')
    pads, zero_point = _kernels.lock_pads(lock, n)
    new_depth = depth + (int(pads.max()) if n else 0)

    def locked(block: np.ndarray, start: int, stop: int) -> np.ndarray:
        padded = np.full((len(block), new_depth), np.nan)
        padded[:, :depth] = block
        return _kernels.roll_block(padded, pads[start:stop])  # the NaNs wrap round

    store = _stream.map_blocks(series._use(), locked, (new_depth,), series._dtype)
    return _result(series, store, [new_depth], _SeriesColumn), zero_point


def endlock(series: Column) -> _SeriesColumn:
    """Move the trailing NaNs of every trace to its start.

    Every row is shifted right by the length of its trailing run of NaNs:
    ``[1, 2, nan]`` becomes ``[nan, 1, 2]``. Rows without trailing NaNs and
    all-NaN rows are unchanged.

    Returns
    -------
    SeriesColumn
        Same depth and dtype.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, NAN, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.s = SeriesColumn(depth=3)
    >>> dm.s = [[1, 2, NAN], [4, 5, 6]]
    >>> print(srs.endlock(dm.s))
    col[[nan  1.  2.]
     [ 4.  5.  6.]]
    """
    return _map_2d(series, _kernels.endlock_block)


def concatenate(*series: Column) -> _SeriesColumn:
    """Put 2-D columns of one DataMatrix side by side.

    Returns
    -------
    SeriesColumn
        Depth the sum of the depths; float32 only if every column is float32.

    Raises
    ------
    TypeError
        Without arguments, or for non-MD arguments.
    ValueError
        For columns that are not 2-D or belong to different DataMatrix objects.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.a = SeriesColumn(depth=2)
    >>> dm.a = [[1, 2], [3, 4]]
    >>> dm.b = SeriesColumn(depth=1)
    >>> dm.b = [[5], [6]]
    >>> print(srs.concatenate(dm.a, dm.b))
    col[[1. 2. 5.]
     [3. 4. 6.]]
    """
    if not series:
        raise TypeError('concatenate needs at least one series')
    for col in series:
        _check_2d(col)
    first = series[0]
    if any(col._datamatrix is not first._datamatrix for col in series):
        raise ValueError('concatenate needs series of the same DataMatrix')
    arrays = [col._use() for col in series]
    depth = sum(array.shape[1] for array in arrays)
    dtype = np.result_type(*arrays)

    def fill(start: int, stop: int) -> np.ndarray:
        return np.concatenate([array[start:stop] for array in arrays], axis=1)

    store = _stream.build((len(first), depth), dtype, fill, sources=tuple(arrays))
    return _result(first, store, [depth], _SeriesColumn)


def trim(series: Column, value: float = NAN, start: bool = False,
         end: bool = True) -> _SeriesColumn:
    """Remove leading and/or trailing sample positions where every row is ``value``.

    Parameters
    ----------
    series : SeriesColumn
        A 2-D column.
    value : float, default NaN
        NaN matches NaN.
    start, end : bool
        Trim at the start and/or at the end.

    Returns
    -------
    SeriesColumn
        ``series[:, first:last + 1]``; depth 0 if every sample equals ``value``.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, NAN, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.s = SeriesColumn(depth=4)
    >>> dm.s = [[NAN, 1, 2, NAN], [NAN, 3, NAN, NAN]]
    >>> print(srs.trim(dm.s, start=True, end=True))
    col[[ 1.  2.]
     [ 3. nan]]
    """
    _check_2d(series)
    depth = series.depth
    _kernels.trim_bounds(np.empty((0, depth)), value)  # checks value
    array = series._use()
    first, stop = depth, 0
    for _, _, block in _stream.blocks_of(array):
        lo, hi = _kernels.trim_bounds(block, value, start=True, end=True)
        if hi > lo:
            first, stop = min(first, lo), max(stop, hi)
    if stop == 0:  # every position matches
        first, stop = (0, 0) if start or end else (0, depth)
    else:
        first, stop = (first if start else 0), (stop if end else depth)
    return _slice_samples(series, array, first, stop)


def normalize_time(dataseries: Column, timeseries: Column) -> _SeriesColumn:
    """Place every value at the sample position given by its time stamp.

    Time stamps are sample positions: each value goes to ``ceil(time)`` (later
    values win on collisions); other positions are NaN. Per row, trailing NaN
    time stamps are ignored with their values.

    Returns
    -------
    SeriesColumn
        Depth ``ceil(max time) + 1``.

    Raises
    ------
    TypeError
        For non-MD arguments.
    ValueError
        For columns that are not 2-D, of different DataMatrix objects or depths,
        negative time stamps, NaN time stamps other than trailing ones, or time
        stamps that do not strictly increase.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, NAN, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=3)
    >>> dm.pupil = [[5, 6, 7], [8, 9, NAN]]
    >>> dm.time = SeriesColumn(depth=3)
    >>> dm.time = [[0, 2, 3], [0, 1, NAN]]
    >>> print(srs.normalize_time(dm.pupil, dm.time))
    col[[ 5. nan  6.  7.]
     [ 8.  9. nan nan]]
    """
    _check_2d(dataseries, 'dataseries')
    _check_2d(timeseries, 'timeseries')
    if dataseries._datamatrix is not timeseries._datamatrix:
        raise ValueError('dataseries and timeseries must belong to the same DataMatrix')
    if dataseries.depth != timeseries.depth:
        raise ValueError(f'dataseries and timeseries must have the same depth, not '
                         f'{dataseries.depth} and {timeseries.depth}')
    times = timeseries._use()
    depth = 0  # first pass: check the time stamps and find the result depth
    for _, _, block in _stream.blocks_of(times):
        depth = max(depth, _kernels.normalize_time_block(block, block).shape[1])

    def place(block: np.ndarray, start: int, stop: int) -> np.ndarray:
        result = np.full((len(block), depth), np.nan)
        part = _kernels.normalize_time_block(block, times[start:stop])
        result[:, :part.shape[1]] = part
        return result

    store = _stream.map_blocks(dataseries._use(), place, (depth,), dataseries._dtype)
    return _result(dataseries, store, [depth], _SeriesColumn)


# --------------------------------------------------------------------------------------
# Mapping (per-trace) functions
# --------------------------------------------------------------------------------------

def smooth(series: Any, winlen: int = 11, wintype: str = 'hanning') -> Any:
    """Smooth every trace by convolution with a window normalised to sum 1.

    Each trace is extended at both ends by its mirror image (without the edge
    sample) over ``(winlen - 1) / 2`` samples, so the length is kept. NaNs spread
    through the convolution.

    Parameters
    ----------
    series : column, array or sequence
        An MD column (smoothed along the last axis of every cell), or one trace.
    winlen : int, default 11
        Odd window length, at most the trace length; below 3 nothing changes.
    wintype : {'hanning', 'flat', 'hamming', 'bartlett', 'blackman'}

    Returns
    -------
    column or ndarray
        A column of the input's kind, shape and dtype, or an ndarray.

    Raises
    ------
    ValueError
        For traces shorter than ``winlen``, an unknown ``wintype``, or an even or
        non-integer ``winlen``.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=5)
    >>> dm.s = [[0, 0, 3, 0, 0]]
    >>> print(srs.smooth(dm.s, winlen=3, wintype='flat'))
    col[[0. 1. 1. 1. 0.]]
    >>> srs.smooth([0., 0., 3., 0., 0.], winlen=3, wintype='flat')
    array([0., 1., 1., 1., 0.])
    """
    return _map_traces(series, _kernels.smooth_block, winlen, wintype)


def downsample(series: Any, by: int, fnc: Callable = np.nanmean) -> Any:
    """Reduce every run of ``by`` samples to one value with ``fnc(matrix, axis=1)``.

    Trailing samples that do not fill a run are dropped: the new depth is
    ``depth // by`` (possibly 0).

    Returns
    -------
    column or ndarray
        A column of the input's kind and dtype, or an ndarray.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=5)
    >>> dm.s = [[1, 3, 5, 7, 9]]
    >>> print(srs.downsample(dm.s, by=2))
    col[[2. 6.]]
    """
    return _map_traces(series, _kernels.downsample_block, by, fnc)


def interpolate(series: Any) -> Any:
    """Fill NaN samples by linear interpolation; edges take the nearest valid value.

    All-NaN traces are returned unchanged, with a warning.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, NAN, series as srs
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=5)
    >>> dm.s = [[NAN, 1, NAN, 3, NAN]]
    >>> print(srs.interpolate(dm.s))
    col[[1. 1. 2. 3. 3.]]
    """
    return _map_traces(series, _kernels.interpolate_block)


def z(series: Any) -> Any:
    """Z-transform every trace: ``(x - nanmean(x)) / nanstd(x)`` (ddof=0).

    NaNs stay NaN.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=3)
    >>> dm.s = [[1, 2, 3]]
    >>> print(srs.z(dm.s))
    col[[-1.22474487  0.          1.22474487]]
    """
    return _map_traces(series, _kernels.z_block)


def filter_lowpass(series: Any, freq_max: float, order: int = 2,
                   sampling_freq: float | None = None) -> Any:
    """Butterworth low-pass filter (second-order sections), applied forward once.

    Parameters
    ----------
    freq_max : float
        Cut-off frequency: a fraction (0-1) of the Nyquist frequency without
        ``sampling_freq``, else in its unit.
    order : int, default 2
    sampling_freq : float, optional

    Raises
    ------
    ValueError
        For a frequency at or above the Nyquist frequency (or not above 0).

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> t = np.arange(100) / 100
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=100)
    >>> dm.s = [np.sin(2 * np.pi * 2 * t) + np.sin(2 * np.pi * 40 * t)]
    >>> slow = srs.filter_lowpass(dm.s, freq_max=10, sampling_freq=100)
    >>> round(float(np.std(slow[0][50:])), 2)
    0.71
    """
    return _map_traces(series, _kernels.filter_block, 'lowpass', freq_max, order,
                       sampling_freq)


def filter_highpass(series: Any, freq_min: float, order: int = 2,
                    sampling_freq: float | None = None) -> Any:
    """Butterworth high-pass filter; see :func:`filter_lowpass`.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> t = np.arange(100) / 100
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=100)
    >>> dm.s = [5 + np.sin(2 * np.pi * 40 * t)]
    >>> fast = srs.filter_highpass(dm.s, freq_min=10, sampling_freq=100)
    >>> abs(float(np.mean(fast[0][50:]))) < 0.1
    True
    """
    return _map_traces(series, _kernels.filter_block, 'highpass', freq_min, order,
                       sampling_freq)


def filter_bandpass(series: Any, freq_range: tuple[float, float], order: int = 2,
                    sampling_freq: float | None = None) -> Any:
    """Butterworth band-pass filter for ``freq_range = (low, high)``; see
    :func:`filter_lowpass`.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> t = np.arange(200) / 100
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=200)
    >>> dm.s = [3 + np.sin(2 * np.pi * 10 * t)]
    >>> band = srs.filter_bandpass(dm.s, freq_range=(5, 20), sampling_freq=100)
    >>> band.shape
    (1, 200)
    >>> abs(float(np.mean(band[0][100:]))) < 0.1
    True
    """
    return _map_traces(series, _kernels.filter_block, 'bandpass', freq_range, order,
                       sampling_freq)


def blinkreconstruct(series: Any, vt: float = 5, vt_start: float = 10,
                     vt_end: float = 5, maxdur: int = 500, margin: int = 10,
                     smooth_winlen: int = 21, std_thr: float = 3, gap_margin: int = 20,
                     gap_vt: float = 10, mode: str = 'original') -> Any:
    """Reconstruct pupil size during blinks, trace by trace.

    See :func:`datamatrix._kernels.blinkreconstruct_trace` for the two
    algorithms. ``mode='original'`` warns that ``'advanced'`` is recommended.

    Raises
    ------
    ValueError
        For an unknown ``mode``.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> rng = np.random.default_rng(0)
    >>> pupil = 1000 + rng.normal(0, 1, 200)
    >>> pupil[90:110] = 0
    >>> dm = DataMatrix(length=1)
    >>> dm.pupil = SeriesColumn(depth=200)
    >>> dm.pupil = [pupil]
    >>> reconstructed = srs.blinkreconstruct(dm.pupil, mode='advanced')
    >>> float(dm.pupil[0].min()), round(float(reconstructed[0].min()))
    (0.0, 998)
    """
    return _map_traces(series, _kernels.blinkreconstruct_block, vt=vt,
                       vt_start=vt_start, vt_end=vt_end, maxdur=maxdur, margin=margin,
                       smooth_winlen=smooth_winlen, std_thr=std_thr,
                       gap_margin=gap_margin, gap_vt=gap_vt, mode=mode)


def fft(series: Column, truncate: bool = True) -> _SeriesColumn:
    """The real part of the FFT of every trace (a *reference quirk*).

    With ``truncate``, only the first ``depth // 2`` values are kept.

    Returns
    -------
    SeriesColumn
        Of the input's dtype.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=4)
    >>> dm.s = [[1, 0, 0, 0]]
    >>> print(srs.fft(dm.s))
    col[[1. 1.]]
    >>> print(srs.fft(dm.s, truncate=False))
    col[[1. 1. 1. 1.]]
    """
    return _map_2d(series, _kernels.fft_block, truncate)


def threshold(series: Column, fnc: Callable[[float], Any],
              min_length: int = 1) -> _SeriesColumn:
    """1.0 where ``fnc(sample)`` is true for at least ``min_length`` samples in a row.

    Returns
    -------
    SeriesColumn
        0.0 and 1.0 values, same depth.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=6)
    >>> dm.s = [[1, 5, 5, 1, 5, 1]]
    >>> print(srs.threshold(dm.s, lambda x: x > 2, min_length=2))
    col[[0. 1. 1. 0. 0. 0.]]
    """
    return _map_2d(series, _kernels.threshold_block, fnc, min_length)


def _occurrence(series: Column, value: Any, equal: bool,
                kernel: Callable[..., np.ndarray]) -> FloatColumn:
    _check_2d(series)
    values = _per_row(value, len(series), 'value')
    return _per_row_column(series, lambda block, start, stop: kernel(
        block, values[start:stop], equal))


def first_occurrence(series: Column, value: Any, equal: bool = True) -> FloatColumn:
    """Per row, the index of the first sample equal to ``value``, NaN if none.

    Parameters
    ----------
    value : float or sequence
        NaN matches NaN; a sequence gives one value per row.
    equal : bool
        False: search for the first sample that differs from ``value``.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.s = SeriesColumn(depth=4)
    >>> dm.s = [[0, 1, 1, 0], [0, 0, 0, 0]]
    >>> print(srs.first_occurrence(dm.s, 1))
    col[ 1. nan]
    >>> print(srs.first_occurrence(dm.s, 1, equal=False))
    col[0. 0.]
    """
    return _occurrence(series, value, equal, _kernels.first_occurrence_block)


def last_occurrence(series: Column, value: Any, equal: bool = True) -> FloatColumn:
    """Per row, the index of the last sample equal to ``value``; see
    :func:`first_occurrence`.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, series as srs
    >>> dm = DataMatrix(length=2)
    >>> dm.s = SeriesColumn(depth=4)
    >>> dm.s = [[0, 1, 1, 0], [0, 0, 0, 0]]
    >>> print(srs.last_occurrence(dm.s, 1))
    col[ 2. nan]
    """
    return _occurrence(series, value, equal, _kernels.last_occurrence_block)


# --------------------------------------------------------------------------------------
# Per-trace functions of the reference, used by client packages
# --------------------------------------------------------------------------------------

def _one_trace(a: Any, name: str) -> np.ndarray:
    """``a`` as one 1-D float trace; ValueError for anything with more dimensions."""
    trace = _as_traces(a)
    if trace.ndim != 1:
        raise ValueError(f'{name} takes one trace (a 1-D array), not an array of shape '
                         f'{trace.shape}; use {name.lstrip("_")}() for a column')
    return trace


def _blinkreconstruct(a: Any, **kwargs: Any) -> np.ndarray:
    """:func:`blinkreconstruct` on one trace (1-D array in, 1-D array out).

    ``eyelinkparser`` calls this on every pupil trace it parses.
    """
    return blinkreconstruct(_one_trace(a, '_blinkreconstruct'), **kwargs)


def _downsample(a: Any, by: int, fnc: Callable = np.nanmean) -> np.ndarray:
    """:func:`downsample` on one trace (1-D array in, 1-D array out)."""
    return downsample(_one_trace(a, '_downsample'), by, fnc)


def _smooth(a: Any, winlen: int = 11, wintype: str = 'hanning') -> np.ndarray:
    """:func:`smooth` on one trace (1-D array in, 1-D array out)."""
    return smooth(_one_trace(a, '_smooth'), winlen, wintype)


def _interpolate(y: Any) -> np.ndarray:
    """:func:`interpolate` on one trace (1-D array in, 1-D array out)."""
    return interpolate(_one_trace(y, '_interpolate'))
