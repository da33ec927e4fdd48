"""Tests of ``datamatrix.series`` (SPEC 8): wrappers around the kernels, on loaded and
offloaded columns (the ``storage`` fixture of conftest.py)."""
import os
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from datamatrix import DataMatrix, FloatColumn, MultiDimensionalColumn, SeriesColumn, cfg
from datamatrix import multidimensional as mdim
from datamatrix import series as srs
from datamatrix import _kernels as K
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn

NAN = np.nan
RNG = np.random.default_rng(5)


def make(storage, values, spec=SeriesColumn, dtype=float, name='s', dm=None):
    """A DataMatrix with a column ``name`` holding ``values``, in the storage's state."""
    values = np.asarray(values, dtype=float)
    if dm is None:
        dm = DataMatrix(length=len(values))
    if spec is SeriesColumn:
        dm[name] = SeriesColumn(depth=values.shape[1], dtype=dtype)
    else:
        dm[name] = MultiDimensionalColumn(shape=values.shape[1:], dtype=dtype)
    dm[name] = values
    storage.prepare(dm[name])
    return dm


def values_of(col):
    """The data of an MD column as an ndarray (streamed, works when offloaded)."""
    return np.concatenate([block.copy() for _, _, block in
                           _stream_blocks(col)]) if len(col) else np.asarray(col)


def _stream_blocks(col):
    from datamatrix._engine import stream as _stream
    return _stream.blocks_of(col._use())


def check(result, source, storage, kind=_SeriesColumn, before=None):
    """Common checks: kind, binding, offloaded result, unchanged input."""
    assert type(result) is kind
    assert result.dm is source.dm
    assert_array_equal(result._rowid, source._rowid)
    if storage.offloaded:
        assert not source.loaded
        if result._store.nbytes > cfg.memory_limit:
            assert not result.loaded
    if before is not None:
        assert_array_equal(values_of(source), before)


# ------------------------------------------------------------------------ bad input

ROW_FUNCTIONS = [
    lambda s: srs.window(s, 0, 1),
    lambda s: srs.baseline(s, s),
    lambda s: srs.roll(s, 1),
    lambda s: srs.lock(s, [0] * len(s)),
    srs.endlock,
    srs.concatenate,
    srs.trim,
    lambda s: srs.normalize_time(s, s),
    srs.fft,
    lambda s: srs.threshold(s, bool),
    lambda s: srs.first_occurrence(s, 0),
    lambda s: srs.last_occurrence(s, 0),
]
MAPPING_FUNCTIONS = [
    lambda s: srs.smooth(s, 3),
    lambda s: srs.downsample(s, 2),
    srs.interpolate,
    srs.z,
    lambda s: srs.filter_lowpass(s, .5),
    lambda s: srs.filter_highpass(s, .5),
    lambda s: srs.filter_bandpass(s, (.2, .5)),
    lambda s: srs.blinkreconstruct(s, mode='advanced'),
]


@pytest.mark.parametrize('fnc', ROW_FUNCTIONS + MAPPING_FUNCTIONS)
def test_mixed_column_is_a_type_error(fnc):
    """A MixedColumn (of strings) is rejected with TypeError by every series function."""
    dm = DataMatrix(length=3)
    dm.x = 'a', 'b', 'c'
    with pytest.raises(TypeError):
        fnc(dm.x)
    assert list(dm.x) == ['a', 'b', 'c']


@pytest.mark.parametrize('fnc', ROW_FUNCTIONS)
def test_row_functions_reject_non_md_input(fnc):
    """Non-mapping functions take MD columns only: a FloatColumn or an array is a TypeError."""
    dm = DataMatrix(length=3)
    dm.f = FloatColumn
    with pytest.raises(TypeError):
        fnc(dm.f)
    with pytest.raises(TypeError):
        fnc(np.zeros((3, 4)))


@pytest.mark.parametrize('fnc', ROW_FUNCTIONS)
def test_row_functions_reject_more_than_two_dimensions(fnc, storage):
    """Non-mapping functions raise ValueError for MD columns with more than 2 dimensions."""
    dm = make(storage, RNG.normal(size=(3, 2, 4)), MultiDimensionalColumn, name='m')
    with pytest.raises(ValueError):
        fnc(dm.m)


# --------------------------------------------------------------------------- window

def test_window_slices_samples(storage):
    """window(s, start, end) equals s[:, start:end] with negative bounds allowed."""
    data = RNG.normal(size=(4, 6))
    dm = make(storage, data)
    result = srs.window(dm.s, 1, -2)
    check(result, dm.s, storage, before=data)
    assert_array_equal(values_of(result), data[:, 1:-2])
    assert_array_equal(values_of(srs.window(dm.s, -3)), data[:, -3:])


def test_window_one_sample_and_empty(storage):
    """A one-sample window is a depth-1 series and an empty window a depth-0 series."""
    dm = make(storage, RNG.normal(size=(3, 5)))
    one = srs.window(dm.s, 2, 3)
    assert isinstance(one, SeriesColumn) and one.shape == (3, 1)
    empty = srs.window(dm.s, 3, 3)
    assert isinstance(empty, SeriesColumn) and empty.shape == (3, 0)
    assert srs.window(dm.s, 4, 1).shape == (3, 0)


def test_window_of_plain_2d_md_column_is_a_series(storage):
    """window returns a series column also for a plain 2-D MD column; names are kept."""
    dm = DataMatrix(length=2)
    dm.m = MultiDimensionalColumn(shape=(('a', 'b', 'c'),))
    dm.m = [[1, 2, 3], [4, 5, 6]]
    storage.prepare(dm.m)
    result = srs.window(dm.m, 1)
    assert type(result) is _SeriesColumn
    assert result.index_names == [['b', 'c']]
    assert result[1, 'c'] == 6


@pytest.mark.parametrize('start, end', [(0, 7), (-7, None), (10, 12)])
def test_window_out_of_range(start, end, storage):
    """Window bounds beyond the depth raise ValueError naming the depth."""
    dm = make(storage, np.zeros((2, 6)))
    with pytest.raises(ValueError, match='depth 6'):
        srs.window(dm.s, start, end)


def test_window_non_integer_bounds():
    """Non-integer window bounds raise TypeError; numpy integers are fine."""
    dm = make(_loaded(), np.zeros((2, 6)))
    with pytest.raises(TypeError):
        srs.window(dm.s, 1.5)
    assert srs.window(dm.s, np.int64(1), np.int32(3)).depth == 2


class _loaded:
    offloaded = False

    def prepare(self, col):
        return col


# ------------------------------------------------------------------------- baseline

def test_baseline_subtractive_uses_nanmedian_of_window(storage):
    """The default baseline subtracts, per row, the nanmedian of baseline[:, -100:]."""
    data = RNG.normal(size=(5, 150))
    data[0, -3:] = NAN
    dm = make(storage, data)
    dm = make(storage, RNG.normal(size=(5, 120)), name='b', dm=dm)
    bl = values_of(dm.b)
    result = srs.baseline(dm.s, dm.b)
    check(result, dm.s, storage, before=data)
    expected = data - np.nanmedian(bl[:, -100:], axis=1)[:, None]
    assert_allclose(values_of(result), expected)


def test_baseline_divisive_window_and_reduce_fnc(storage):
    """bl_start/bl_end select the window and reduce_fnc the reduction; 'divisive' divides."""
    data = np.array([[2., 4., 6., 8.], [1., 3., 5., 7.]])
    dm = make(storage, data)
    result = srs.baseline(dm.s, dm.s, bl_start=0, bl_end=2, reduce_fnc=np.nanmean,
                          method='divisive')
    assert_allclose(values_of(result), data / np.array([[3.], [2.]]))


def test_baseline_reduce_fnc_without_axis_is_called_per_row(storage):
    """A reduce_fnc without an axis argument is called once per row (as mdim.reduce)."""
    data = np.array([[2., 4., 6.], [1., 3., 5.]])
    dm = make(storage, data)
    result = srs.baseline(dm.s, dm.s, bl_start=0, reduce_fnc=lambda cell: cell[-1])
    assert_allclose(values_of(result), data - [[6.], [5.]])


def test_baseline_keeps_kind_and_float32(storage):
    """baseline keeps a plain MD column's kind and float32 storage."""
    dm = make(storage, np.arange(6.).reshape(2, 3), MultiDimensionalColumn,
              dtype=np.float32, name='m')
    result = srs.baseline(dm.m, dm.m, bl_start=0, bl_end=1)
    check(result, dm.m, storage, kind=_MultiDimensionalColumn)
    assert result._dtype == np.float32
    assert_array_equal(values_of(result), [[0, 1, 2], [0, 1, 2]])


def test_baseline_bad_input(storage):
    """Unknown methods, other lengths, empty windows and deep baselines raise ValueError."""
    dm = make(storage, np.ones((3, 4)))
    data_before = values_of(dm.s)
    with pytest.raises(ValueError, match='method'):
        srs.baseline(dm.s, dm.s, method='multiplicative')
    other = make(storage, np.ones((2, 4)))
    with pytest.raises(ValueError, match='rows'):
        srs.baseline(dm.s, other.s)
    with pytest.raises(ValueError, match='depth 4'):
        srs.baseline(dm.s, dm.s, bl_start=3, bl_end=1)
    deep = make(storage, np.ones((3, 2, 4)), MultiDimensionalColumn)
    with pytest.raises(ValueError):
        srs.baseline(dm.s, deep.s)
    with pytest.raises(TypeError):
        srs.baseline(dm.s, dm.s, bl_start=1.5)
    assert_array_equal(values_of(dm.s), data_before)


# ----------------------------------------------------------------------------- roll

def test_roll_by_integer_and_per_row(storage):
    """roll shifts all rows by an int (numpy too) or each row by its own truncated shift."""
    data = np.arange(8.).reshape(2, 4)
    dm = make(storage, data)
    result = srs.roll(dm.s, np.int64(1))
    check(result, dm.s, storage, before=data)
    assert_array_equal(values_of(result), np.roll(data, 1, axis=1))
    per_row = srs.roll(dm.s, [1.9, -1])
    assert_array_equal(values_of(per_row), [[3, 0, 1, 2], [5, 6, 7, 4]])


def test_roll_keeps_plain_md_kind(storage):
    """roll of a plain 2-D MD column is a plain MD column."""
    dm = make(storage, np.arange(6.).reshape(2, 3), MultiDimensionalColumn, name='m')
    result = srs.roll(dm.m, -1)
    check(result, dm.m, storage, kind=_MultiDimensionalColumn)
    assert_array_equal(values_of(result), [[1, 2, 0], [4, 5, 3]])


def test_roll_bad_shift(storage):
    """A float scalar or non-numeric shift is a TypeError; a wrong length a ValueError."""
    dm = make(storage, np.zeros((2, 3)))
    with pytest.raises(TypeError):
        srs.roll(dm.s, 1.5)
    with pytest.raises(TypeError):
        srs.roll(dm.s, ['a', 'b'])
    with pytest.raises(ValueError):
        srs.roll(dm.s, [1, 2, 3])


# ----------------------------------------------------------------------- lock, endlock

def test_lock_aligns_rows(storage):
    """lock shifts rows right by int(zero_point - lock) and returns the zero point."""
    dm = make(storage, [[1., 2.], [3., 4.], [5., 6.]])
    dm.lock = 1, 0, 1.5
    result, zero_point = srs.lock(dm.s, dm.lock)
    check(result, dm.s, storage)
    assert zero_point == 1
    assert_array_equal(values_of(result), [[1, 2, NAN], [NAN, 3, 4], [5, 6, NAN]])


def test_lock_bad_input(storage):
    """Wrong-length lock values raise ValueError, non-numeric ones TypeError."""
    dm = make(storage, np.zeros((2, 3)))
    with pytest.raises(ValueError):
        srs.lock(dm.s, [1, 2, 3])
    with pytest.raises(TypeError):
        srs.lock(dm.s, ['a', 'b'])


def test_endlock_moves_trailing_nans_to_the_start(storage):
    """endlock shifts each row by its trailing-NaN run; all-NaN rows stay."""
    data = [[1, 2, NAN], [NAN, 2, NAN], [1, 2, 3], [NAN, NAN, NAN]]
    dm = make(storage, data)
    result = srs.endlock(dm.s)
    check(result, dm.s, storage)
    assert_array_equal(values_of(result),
                       [[NAN, 1, 2], [NAN, NAN, 2], [1, 2, 3], [NAN, NAN, NAN]])


# ---------------------------------------------------------------------- concatenate

def test_concatenate_side_by_side(storage):
    """concatenate puts the columns of one DataMatrix side by side."""
    dm = make(storage, [[1., 2.], [3., 4.]])
    dm = make(storage, [[5.], [6.]], dm=dm, name='t')
    result = srs.concatenate(dm.s, dm.t, dm.s)
    check(result, dm.s, storage)
    assert_array_equal(values_of(result), [[1, 2, 5, 1, 2], [3, 4, 6, 3, 4]])


def test_concatenate_bad_input(storage):
    """No argument is a TypeError; columns of different DataMatrix objects a ValueError."""
    with pytest.raises(TypeError):
        srs.concatenate()
    a = make(storage, np.ones((2, 2)))
    b = make(storage, np.ones((2, 2)))
    with pytest.raises(ValueError):
        srs.concatenate(a.s, b.s)


# ----------------------------------------------------------------------------- trim

def test_trim_ends_and_starts(storage):
    """trim removes positions where every row equals value, at the end and/or start."""
    data = [[NAN, 1, NAN, NAN], [NAN, NAN, 2, NAN]]
    dm = make(storage, data)
    assert_array_equal(values_of(srs.trim(dm.s)), [[NAN, 1, NAN], [NAN, NAN, 2]])
    both = srs.trim(dm.s, start=True)
    check(both, dm.s, storage)
    assert_array_equal(values_of(both), [[1, NAN], [NAN, 2]])
    assert srs.trim(dm.s, start=False, end=False).depth == 4
    zeros = make(storage, [[0, 1, 0], [0, 0, 0]])
    assert_array_equal(values_of(srs.trim(zeros.s, value=0, start=True)), [[1], [0]])


def test_trim_all_matching_gives_depth_zero(storage):
    """If every sample equals value the result has depth 0 (no error)."""
    dm = make(storage, np.full((3, 4), NAN))
    assert srs.trim(dm.s, start=True).shape == (3, 0)


# ------------------------------------------------------------------- normalize_time

def test_normalize_time_places_values_at_ceil_positions(storage):
    """Values go to ceil(time); trailing NaN times are ignored; depth = ceil(max) + 1."""
    dm = make(storage, [[1., 2., 3.], [4., 5., 6.]])
    dm = make(storage, [[0., 1.5, 3.2], [0., 1., NAN]], dm=dm, name='t')
    result = srs.normalize_time(dm.s, dm.t)
    check(result, dm.s, storage)
    assert_array_equal(values_of(result), [[1, NAN, 2, NAN, 3], [4, 5, NAN, NAN, NAN]])


def test_normalize_time_bad_input(storage):
    """Negative, non-increasing or interior-NaN times, other depths or DataMatrix: ValueError."""
    dm = make(storage, [[1., 2., 3.]])
    for times in ([[-1., 1, 2]], [[0., 0, 1]], [[0., NAN, 1]]):
        dm = make(storage, times, dm=dm, name='t')
        with pytest.raises(ValueError):
            srs.normalize_time(dm.s, dm.t)
    dm = make(storage, [[0., 1.]], dm=dm, name='short')
    with pytest.raises(ValueError, match='depth'):
        srs.normalize_time(dm.s, dm.short)
    other = make(storage, [[0., 1, 2]])
    with pytest.raises(ValueError, match='DataMatrix'):
        srs.normalize_time(dm.s, other.s)


# --------------------------------------------------------------- mapping functions

@pytest.mark.parametrize('fnc, kernel', [
    (lambda x: srs.smooth(x, 5, 'blackman'), lambda x: K.smooth_block(x, 5, 'blackman')),
    (lambda x: srs.downsample(x, 3), lambda x: K.downsample_block(x, 3)),
    (srs.interpolate, K.interpolate_block),
    (srs.z, K.z_block),
    (lambda x: srs.filter_lowpass(x, 20, sampling_freq=100),
     lambda x: K.filter_block(x, 'lowpass', 20, sampling_freq=100)),
    (lambda x: srs.filter_highpass(x, .3, order=3),
     lambda x: K.filter_block(x, 'highpass', .3, order=3)),
    (lambda x: srs.filter_bandpass(x, (.1, .4)),
     lambda x: K.filter_block(x, 'bandpass', (.1, .4))),
    (lambda x: srs.blinkreconstruct(x, mode='advanced'),
     lambda x: K.blinkreconstruct_block(x, mode='advanced')),
])
@pytest.mark.parametrize('spec, shape', [(SeriesColumn, (4, 30)),
                                         (MultiDimensionalColumn, (4, 2, 30))])
def test_mapping_functions_work_per_trace(fnc, kernel, spec, shape, storage):
    """Mapping functions give the kernel's values along the last axis and keep the kind."""
    data = RNG.normal(size=shape).cumsum(axis=-1)
    data[1, ..., 5:8] = NAN
    dm = make(storage, data, spec)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = fnc(dm.s)
        expected = kernel(data)
    kind = _SeriesColumn if spec is SeriesColumn else _MultiDimensionalColumn
    check(result, dm.s, storage, kind=kind, before=data)
    assert result.shape == expected.shape
    assert_allclose(values_of(result), expected, equal_nan=True)


@pytest.mark.parametrize('value', [[1., 4., 2., 8., 5.], np.array([1., 4., 2., 8., 5.])])
def test_mapping_functions_accept_plain_traces(value):
    """A sequence, ndarray or 1-D column goes in, an ndarray comes out."""
    dm = DataMatrix(length=5)
    dm.f = value
    for trace in (value, dm.f):
        result = srs.smooth(trace, 3, 'flat')
        assert type(result) is np.ndarray
        assert_allclose(result, K.smooth_block(value, 3, 'flat'))
        assert_array_equal(srs.downsample(trace, 2), [2.5, 5.])
        assert_allclose(srs.z(trace), K.z_block(value))


def test_mapping_functions_keep_float32_and_names(storage):
    """float32 storage and index names survive smooth; downsample drops last-axis names."""
    dm = DataMatrix(length=2)
    dm.m = MultiDimensionalColumn(shape=(('x', 'y'), 6), dtype=np.float32)
    dm.m = RNG.normal(size=(2, 2, 6))
    storage.prepare(dm.m)
    smoothed = srs.smooth(dm.m, 3)
    assert smoothed._dtype == np.float32 and smoothed.index_names[0] == ['x', 'y']
    down = srs.downsample(dm.m, 2)
    assert down.shape == (2, 2, 3) and down._dtype == np.float32
    assert down.index_names == [['x', 'y'], [0, 1, 2]]


def test_smooth_bad_input(storage):
    """A trace shorter than winlen, an even winlen or an unknown window raise ValueError."""
    dm = make(storage, np.zeros((2, 5)))
    for kwargs in ({'winlen': 7}, {'winlen': 4}, {'winlen': 5, 'wintype': 'gauss'}):
        with pytest.raises(ValueError):
            srs.smooth(dm.s, **kwargs)


def test_smooth_small_window_and_nan_spread(storage):
    """winlen < 3 returns the traces unchanged; NaNs spread through the window."""
    data = np.array([[1., 2., 3., NAN, 5., 6., 7.]])
    dm = make(storage, data)
    assert_array_equal(values_of(srs.smooth(dm.s, 1)), data)
    result = values_of(srs.smooth(dm.s, 3, 'flat'))[0]
    assert np.isnan(result[2:5]).all() and not np.isnan(result[[0, 1, 5, 6]]).any()


def test_downsample_depth_and_fnc(storage):
    """downsample drops the trailing partial run and reduces runs with fnc(x, axis=1)."""
    dm = make(storage, np.arange(14.).reshape(2, 7))
    result = srs.downsample(dm.s, 3, fnc=np.nanmax)
    assert_array_equal(values_of(result), [[2, 5], [9, 12]])
    assert srs.downsample(dm.s, 8).shape == (2, 0)


def test_interpolate_warns_once_for_all_nan_traces(storage):
    """All-NaN traces stay unchanged with a single warning, also over several blocks."""
    data = np.full((6, 4), NAN)
    data[0] = [NAN, 1, NAN, 3]
    dm = make(storage, data)
    with pytest.warns(UserWarning, match='only NaN') as record:
        result = srs.interpolate(dm.s)
    assert_array_equal(values_of(result)[0], [1, 1, 2, 3])
    assert np.isnan(values_of(result)[1:]).all()
    assert len({str(w.message) for w in record}) == len(record)


def test_z_per_trace(storage):
    """z standardises each trace with its own NaN-ignoring mean and SD (ddof=0)."""
    dm = make(storage, [[1., NAN, 3.], [2., 4., 6.]])
    assert_allclose(values_of(srs.z(dm.s)), [[-1, NAN, 1], [-1.224745, 0, 1.224745]],
                    rtol=1e-6)


@pytest.mark.parametrize('call', [
    lambda s: srs.filter_lowpass(s, 1.2),
    lambda s: srs.filter_highpass(s, 60, sampling_freq=100),
    lambda s: srs.filter_bandpass(s, (.2, 1.5)),
    lambda s: srs.filter_bandpass(s, (10, 80), sampling_freq=100),
])
def test_filters_reject_frequencies_above_nyquist(call, storage):
    """Filter frequencies at or above the Nyquist frequency raise ValueError."""
    dm = make(storage, np.zeros((2, 20)))
    with pytest.raises(ValueError, match='Nyquist'):
        call(dm.s)


def test_lowpass_matches_scipy(storage):
    """filter_lowpass is a forward Butterworth SOS filter, as scipy computes it."""
    from scipy import signal
    data = RNG.normal(size=(3, 50))
    dm = make(storage, data)
    sos = signal.butter(2, 10, btype='lowpass', fs=100, output='sos')
    assert_allclose(values_of(srs.filter_lowpass(dm.s, 10, sampling_freq=100)),
                    signal.sosfilt(sos, data, axis=-1))


def test_blinkreconstruct_mode(storage):
    """'original' warns once that 'advanced' is recommended; unknown modes are ValueErrors."""
    dm = make(storage, RNG.normal(size=(6, 40)).cumsum(axis=1) + 100)
    with pytest.warns(UserWarning, match='advanced') as record:
        result = srs.blinkreconstruct(dm.s, smooth_winlen=5)
    assert sum('advanced' in str(w.message) for w in record) == 1
    assert result.shape == (6, 40)
    with pytest.raises(ValueError):
        srs.blinkreconstruct(dm.s, mode='clever')


def test_blinkreconstruct_on_a_plain_trace():
    """A plain trace with a blink gives the kernel's reconstruction as an ndarray."""
    trace = np.full(200, 1000.) + np.sin(np.arange(200) / 10)
    trace[80:100] = 0
    result = srs.blinkreconstruct(list(trace), mode='advanced', smooth_winlen=5)
    assert type(result) is np.ndarray
    assert_allclose(result, K.blinkreconstruct_trace(trace, mode='advanced',
                                                     smooth_winlen=5), equal_nan=True)
    assert not np.array_equal(result, trace, equal_nan=True)


# ------------------------------------------------------------------ fft, threshold

def test_fft_real_part_truncated(storage):
    """fft stores the real part of numpy's FFT, truncated to depth // 2 by default."""
    data = RNG.normal(size=(3, 8))
    dm = make(storage, data)
    result = srs.fft(dm.s)
    check(result, dm.s, storage)
    assert_allclose(values_of(result), np.fft.fft(data).real[:, :4])
    assert srs.fft(dm.s, truncate=False).depth == 8


def test_fft_of_plain_md_column_is_a_series(storage):
    """fft of a plain 2-D MD column returns a series column of the input's dtype."""
    dm = make(storage, np.ones((2, 4)), MultiDimensionalColumn, dtype=np.float32,
              name='m')
    result = srs.fft(dm.m)
    assert type(result) is _SeriesColumn and result._dtype == np.float32


def test_threshold_marks_long_runs(storage):
    """threshold gives 1.0 in runs of at least min_length samples for which fnc holds."""
    dm = make(storage, [[1., 5., 5., 1., 5.], [5., 5., 5., 1., 1.]])
    result = srs.threshold(dm.s, lambda x: x > 2, min_length=2)
    check(result, dm.s, storage)
    assert_array_equal(values_of(result), [[0, 1, 1, 0, 0], [1, 1, 1, 0, 0]])


# ------------------------------------------------------------- first/last occurrence

def test_first_and_last_occurrence(storage):
    """The first/last index equal (or not equal) to value, NaN if none; NaN matches NaN."""
    dm = make(storage, [[0., 1., 1., 0.], [NAN, 0., NAN, 0.], [0., 0., 0., 0.]])
    first = srs.first_occurrence(dm.s, 1)
    assert type(first) is FloatColumn and first.dm is dm
    assert_array_equal(first, [1, NAN, NAN])
    assert_array_equal(srs.last_occurrence(dm.s, 1), [2, NAN, NAN])
    assert_array_equal(srs.first_occurrence(dm.s, NAN), [NAN, 0, NAN])
    assert_array_equal(srs.last_occurrence(dm.s, 0, equal=False), [2, 2, NAN])
    assert_array_equal(srs.first_occurrence(dm.s, [0, 0, 1]), [0, 1, NAN])


def test_occurrence_wrong_length(storage):
    """A value sequence of the wrong length raises ValueError."""
    dm = make(storage, np.zeros((3, 2)))
    with pytest.raises(ValueError):
        srs.first_occurrence(dm.s, [0, 1])


# ------------------------------------------------------------------------ re-exports

def test_reexports_from_multidimensional():
    """reduce (alias reduce_), nancount, infcount and flatten are those of mdim."""
    assert srs.reduce is mdim.reduce and srs.reduce_ is mdim.reduce
    assert srs.nancount is mdim.nancount and srs.infcount is mdim.infcount
    assert srs.flatten is mdim.flatten


def test_empty_column(storage):
    """Functions work on columns without rows and still check their arguments."""
    dm = DataMatrix(length=0)
    dm.s = SeriesColumn(depth=10)
    assert srs.smooth(dm.s, 5).shape == (0, 10)
    assert srs.downsample(dm.s, 3).shape == (0, 3)
    assert srs.lock(dm.s, [])[0].shape == (0, 10)
    assert len(srs.first_occurrence(dm.s, 0)) == 0
    with pytest.raises(ValueError):
        srs.smooth(dm.s, 11)


# ------------------------------------------------------------------------ large data

@pytest.mark.filterwarnings('ignore::RuntimeWarning')
def test_pipeline_on_column_three_times_the_budget(tmp_path):
    """baseline + smooth + downsample on an offloaded column 3x the budget streams.

    The results equal those on the loaded column, the input stays offloaded, every
    result is created offloaded, and traced (non-mapped) memory stays far below
    the column size.
    """
    data = RNG.normal(size=(375, 100))  # 300 kB
    data[::7, 10:20] = NAN

    def pipeline(col):
        steps = [srs.baseline(col, col, bl_start=-20)]
        steps.append(srs.smooth(steps[-1], winlen=11))
        steps.append(srs.downsample(steps[-1], by=2))
        return steps

    dm = make(_loaded(), data)
    expected = [values_of(step) for step in pipeline(dm.s)]
    saved = {name: getattr(cfg, name) for name in
             ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir')}
    try:
        cfg.tmp_dir = str(tmp_path)
        cfg.always_load_max_size = 0
        cfg.memory_limit = 100_000
        cfg.save_chunk_size = 8_000
        big = DataMatrix(length=len(data))
        big.s = SeriesColumn(depth=100)
        big.s = data
        big.s.loaded = False
        pipeline(big.s)  # warm up lazy imports before measuring
        tracemalloc.start()
        try:
            steps = pipeline(big.s)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert not big.s.loaded
        assert [step.loaded for step in steps] == [False, False, False]
        assert peak < data.nbytes / 4
        for step, values in zip(steps, expected):
            assert_array_equal(values_of(step), values)
        del steps, big
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)
    assert os.listdir(tmp_path) == []


def test_row_functions_stream_offloaded_results(tmp_path):
    """Every row-wise function leaves the input offloaded and creates offloaded results."""
    saved = {name: getattr(cfg, name) for name in
             ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir')}
    try:
        cfg.tmp_dir = str(tmp_path)
        cfg.always_load_max_size = 0
        cfg.memory_limit = 2_000
        cfg.save_chunk_size = 400
        dm = DataMatrix(length=60)
        dm.s = SeriesColumn(depth=20)
        dm.s = RNG.uniform(.1, 1, size=(60, 20)).cumsum(axis=1)  # valid time stamps too
        dm.s.loaded = False
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            results = [fnc(dm.s) for fnc in ROW_FUNCTIONS[:-2] + MAPPING_FUNCTIONS]
        results[3] = results[3][0]  # lock returns (series, zero_point)
        assert not dm.s.loaded
        for result in results:
            if result._store.nbytes > cfg.memory_limit:
                assert not result.loaded
        del results, dm
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)
    assert os.listdir(tmp_path) == []
