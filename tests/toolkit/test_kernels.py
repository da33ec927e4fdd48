"""Tests of the pure array kernels in ``datamatrix._kernels`` (SPEC 8 and 9)."""
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from datamatrix import _kernels as K
from datamatrix._kernels import blinks as _blinks

NAN = np.nan
RNG = np.random.default_rng(1)


def reflect_convolve(trace, window):
    """Reference smoothing built independently with np.convolve."""
    half = (len(window) - 1) // 2
    padded = np.concatenate([trace[half:0:-1], trace, trace[-2:-half - 2:-1]])
    return np.convolve(padded, window / window.sum(), mode='valid')


# ---------------------------------------------------------------------------- smooth

def test_smooth_flat_is_moving_average_in_interior():
    """A flat window equals a plain moving average away from the edges."""
    trace = RNG.normal(size=50)
    result = K.smooth_block(trace, winlen=5, wintype='flat')
    moving = np.convolve(trace, np.ones(5) / 5, mode='valid')
    assert result.shape == trace.shape
    assert_allclose(result[2:-2], moving)


def test_smooth_edges_mirror_without_edge_sample():
    """The edges are padded by the mirror image that excludes the edge sample."""
    result = K.smooth_block([1., 2., 3., 4., 5.], winlen=3, wintype='flat')
    assert_allclose(result, [(2 + 1 + 2) / 3, 2, 3, 4, (4 + 5 + 4) / 3])


@pytest.mark.parametrize('wintype', ['hanning', 'hamming', 'bartlett', 'blackman'])
def test_smooth_windows_match_numpy_convolution(wintype):
    """Every window type equals reflect-padded convolution with the normalised numpy window."""
    block = RNG.normal(size=(3, 40))
    result = K.smooth_block(block, winlen=7, wintype=wintype)
    window = getattr(np, wintype)(7)
    for row, trace in zip(result, block):
        assert_allclose(row, reflect_convolve(trace, window))


def test_smooth_nd_block_acts_on_last_axis_and_keeps_input():
    """N-D cells are smoothed trace by trace along the last axis, without touching the input."""
    block = RNG.normal(size=(2, 3, 20))
    before = block.copy()
    result = K.smooth_block(block, winlen=5)
    assert_array_equal(block, before)
    assert_allclose(result[1, 2], K.smooth_block(block[1, 2], winlen=5))


def test_smooth_checks_in_spec_order():
    """Errors are checked in the order: not 1-D, too short, winlen < 3, wintype, parity."""
    trace = np.arange(5.)
    with pytest.raises(ValueError, match='one-dimensional'):
        K.smooth_block(3.0, winlen=3)
    with pytest.raises(ValueError, match='shorter'):
        K.smooth_block(trace, winlen=8, wintype='bogus')
    unchanged = K.smooth_block(trace, winlen=2, wintype='bogus')
    assert_array_equal(unchanged, trace)
    assert unchanged is not trace
    with pytest.raises(ValueError, match='wintype'):
        K.smooth_block(trace, winlen=4, wintype='bogus')
    with pytest.raises(ValueError, match='odd'):
        K.smooth_block(trace, winlen=4, wintype='flat')
    with pytest.raises(ValueError, match='odd'):
        K.smooth_block(trace, winlen=3.5, wintype='flat')
    with pytest.raises(TypeError, match='winlen'):
        K.smooth_block(trace, winlen='3')


def test_smooth_nan_spreads():
    """A NaN sample makes every output sample whose window covers it NaN."""
    trace = np.ones(15)
    trace[7] = NAN
    result = K.smooth_block(trace, winlen=5, wintype='flat')
    assert_array_equal(np.isnan(result), np.abs(np.arange(15) - 7) <= 2)


# ------------------------------------------------------------------------ downsample

def test_downsample_drops_trailing_samples_and_reduces_blocks():
    """Trailing samples are dropped and each block of `by` samples is reduced with fnc."""
    block = np.array([[1., 3., 5., NAN, 9.], [0., 2., 4., 6., 8.]])
    assert_allclose(K.downsample_block(block, 2), [[2., 5.], [1., 5.]])
    assert_allclose(K.downsample_block(block, 2, fnc=np.nanmax), [[3., 5.], [2., 6.]])
    assert K.downsample_block(block, 6).shape == (2, 0)


def test_downsample_validates_by():
    """A non-integer `by` is a TypeError and `by < 1` a ValueError."""
    with pytest.raises(TypeError, match='by'):
        K.downsample_block(np.ones(4), 1.5)
    with pytest.raises(ValueError, match='by'):
        K.downsample_block(np.ones(4), 0)


# ----------------------------------------------------------------------- interpolate

def test_interpolate_linear_inside_nearest_at_edges():
    """Interior NaNs are interpolated linearly; leading/trailing NaNs copy the nearest value."""
    block = np.array([[NAN, 1., NAN, NAN, 4., NAN], [0., NAN, 2., 3., 4., 5.]])
    assert_allclose(K.interpolate_block(block),
                    [[1., 1., 2., 3., 4., 4.], [0., 1., 2., 3., 4., 5.]])
    assert np.isnan(block[0, 0])  # input untouched


def test_interpolate_all_nan_trace_warns_and_is_unchanged():
    """An all-NaN trace is returned unchanged with a UserWarning."""
    block = np.array([[NAN, NAN], [1., NAN]])
    with pytest.warns(UserWarning, match='only NaN'):
        result = K.interpolate_block(block)
    assert_array_equal(result, [[NAN, NAN], [1., 1.]])


# -------------------------------------------------------------------------------- z

def test_z_uses_population_sd_per_trace_and_keeps_nan():
    """Each trace is standardised with its own nanmean and ddof=0 nanstd; NaNs stay NaN."""
    block = np.array([[1., 2., 3., NAN], [10., 10., 20., 20.]])
    expected0 = (np.array([1., 2., 3.]) - 2) / np.std([1., 2., 3.])
    result = K.z_block(block)
    assert_allclose(result[0, :3], expected0)
    assert np.isnan(result[0, 3])
    assert_allclose(result[1], [-1, -1, 1, 1])


# --------------------------------------------------------------------------- filters

@pytest.mark.parametrize('btype, freq', [('lowpass', 10), ('highpass', 5),
                                         ('bandpass', (5, 20))])
def test_filter_matches_scipy_sosfilt(btype, freq):
    """Filtering equals scipy's Butterworth SOS design applied once, forward only."""
    from scipy import signal
    block = RNG.normal(size=(3, 200))
    result = K.filter_block(block, btype, freq, order=3, sampling_freq=100)
    sos = signal.butter(3, freq, btype=btype, fs=100, output='sos')
    assert_allclose(result, signal.sosfilt(sos, block, axis=-1))


def test_filter_without_sampling_freq_uses_nyquist_fractions():
    """Without sampling_freq the cut-off is a fraction of the Nyquist frequency."""
    from scipy import signal
    trace = RNG.normal(size=100)
    expected = signal.sosfilt(signal.butter(2, 0.2, btype='lowpass', output='sos'), trace)
    assert_allclose(K.filter_block(trace, 'lowpass', 0.2), expected)
    with pytest.raises(ValueError, match='1.5'):
        K.filter_block(trace, 'lowpass', 1.5)


def test_filter_above_nyquist_names_the_frequency():
    """A frequency at or above the Nyquist frequency is a ValueError naming it."""
    with pytest.raises(ValueError, match=r'60\.0 Hz.*Nyquist frequency 50'):
        K.filter_block(np.ones(50), 'bandpass', (10, 60), sampling_freq=100)
    with pytest.raises(ValueError, match='btype'):
        K.filter_block(np.ones(50), 'notch', 10, sampling_freq=100)
    with pytest.raises(ValueError, match='low < high'):
        K.filter_block(np.ones(50), 'bandpass', (20, 10), sampling_freq=100)


def test_filter_nan_propagates_forward():
    """A NaN sample makes the forward filter output NaN from that sample on."""
    trace = RNG.normal(size=40)
    trace[10] = NAN
    result = K.filter_block(trace, 'lowpass', 0.3)
    assert np.isfinite(result[:10]).all() and np.isnan(result[10:]).all()


# ------------------------------------------------------------------------ fft, threshold

def test_fft_real_part_and_truncation():
    """fft keeps the real part of numpy's FFT, truncated to depth // 2 by default."""
    block = RNG.normal(size=(2, 9))
    full = np.fft.fft(block, axis=-1).real
    assert_allclose(K.fft_block(block), full[:, :4])
    assert_allclose(K.fft_block(block, truncate=False), full)


def test_threshold_min_length_and_runs_do_not_cross_rows():
    """Only runs of at least min_length true samples are marked, and runs stop at row ends."""
    block = np.array([[0., 5., 5., 0., 5., 5., 5.], [5., 5., 0., 5., 0., 0., 0.]])
    result = K.threshold_block(block, lambda x: x > 1, min_length=3)
    assert_array_equal(result, [[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0]])
    assert_array_equal(K.threshold_block(block, lambda x: x > 1), block > 1)


# ------------------------------------------------------------------ first/last occurrence

def test_first_and_last_occurrence_scalar_per_row_and_nan():
    """Occurrence indices are found per row, NaN matches NaN, and missing ones give NaN."""
    block = np.array([[0., 1., NAN, 1.], [2., 2., 2., 2.]])
    assert_array_equal(K.first_occurrence_block(block, 1), [1, NAN])
    assert_array_equal(K.last_occurrence_block(block, 1), [3, NAN])
    assert_array_equal(K.first_occurrence_block(block, NAN), [2, NAN])
    assert_array_equal(K.first_occurrence_block(block, [0, 2]), [0, 0])
    assert_array_equal(K.last_occurrence_block(block, 2, equal=False), [3, NAN])
    with pytest.raises(ValueError, match='one value per row'):
        K.first_occurrence_block(block, [1, 2, 3])


# ------------------------------------------------------------------------ roll, endlock

def test_roll_scalar_numpy_int_and_per_row_shifts():
    """roll accepts Python/numpy integers and per-row numeric shifts truncated to int."""
    block = np.array([[1., 2., 3.], [4., 5., 6.]])
    assert_array_equal(K.roll_block(block, np.int64(1)), [[3, 1, 2], [6, 4, 5]])
    assert_array_equal(K.roll_block(block, [1.9, -1.2]), [[3, 1, 2], [5, 6, 4]])


def test_roll_rejects_bad_shifts():
    """Non-integer scalars and non-numeric shifts are TypeErrors; wrong lengths ValueErrors."""
    block = np.zeros((2, 3))
    with pytest.raises(TypeError):
        K.roll_block(block, 1.5)
    with pytest.raises(TypeError):
        K.roll_block(block, ['a', 'b'])
    with pytest.raises(ValueError):
        K.roll_block(block, [1, 2, 3])


def test_endlock_spec_examples():
    """Trailing NaNs move to the front; interior NaNs move along; all-NaN rows stay."""
    block = np.array([[1., 2., NAN], [NAN, 2., NAN], [1., NAN, 3.], [NAN, NAN, NAN],
                      [1., NAN, NAN]])
    assert_array_equal(K.endlock_block(block),
                       [[NAN, 1, 2], [NAN, NAN, 2], [1, NAN, 3], [NAN, NAN, NAN],
                        [NAN, NAN, 1]])


# ---------------------------------------------------------------------------- lock

def test_lock_aligns_rows_and_returns_zero_point():
    """Rows are shifted right by int(zero_point - lock) into a wider NaN-padded block."""
    block = np.array([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])
    new, zero_point = K.lock_block(block, [2, 0, 1.5])
    assert zero_point == 2
    assert_array_equal(new, [[1, 2, 3, NAN, NAN], [NAN, NAN, 4, 5, 6],
                             [7, 8, 9, NAN, NAN]])  # int(2 - 1.5) == 0


def test_lock_validates_lock_values():
    """A wrong number of lock values is a ValueError and non-numeric ones a TypeError."""
    with pytest.raises(ValueError):
        K.lock_block(np.zeros((2, 3)), [1])
    with pytest.raises(TypeError):
        K.lock_block(np.zeros((2, 3)), ['a', 'b'])


# ---------------------------------------------------------------------------- trim

def test_trim_bounds_start_end_and_value():
    """Only positions where every row equals the value are trimmed, at the chosen ends."""
    block = np.array([[NAN, 1., NAN, NAN], [NAN, NAN, 2., NAN]])
    assert K.trim_bounds(block) == (0, 3)
    assert K.trim_bounds(block, start=True, end=False) == (1, 4)
    assert K.trim_bounds(block, start=True) == (1, 3)
    zeros = np.array([[0., 0., 1., 0.]])
    assert K.trim_bounds(zeros, value=0, start=True) == (2, 3)


def test_trim_all_nan_gives_empty_bounds():
    """A block that equals the value everywhere trims to an empty slice."""
    first, last = K.trim_bounds(np.full((2, 4), NAN))
    assert last - first == 0


# ------------------------------------------------------------------------ normalize_time

def test_normalize_time_non_integer_max_time():
    """Values land at ceil(time) and depth is ceil(max time) + 1, even for fractional times."""
    data = np.array([[1., 2., 3.], [4., 5., NAN]])
    times = np.array([[0., 1.5, 3.2], [0.5, 2., NAN]])
    result = K.normalize_time_block(data, times)
    assert_array_equal(result, [[1, NAN, 2, NAN, 3], [NAN, 4, 5, NAN, NAN]])


def test_normalize_time_later_value_wins_on_collision():
    """Two time stamps with the same ceiling keep the later value."""
    result = K.normalize_time_block([[1., 2., 3.]], [[0.2, 0.7, 2.]])
    assert_array_equal(result, [[NAN, 2, 3]])


@pytest.mark.parametrize('times, message', [
    ([[0., NAN, 2.]], 'NaN'),
    ([[-1., 0., 1.]], 'negative'),
    ([[0., 2., 2.]], 'increase'),
    ([[0., 1., np.inf]], 'infinite'),
])
def test_normalize_time_rejects_bad_time_stamps(times, message):
    """Interior NaN, negative, infinite and non-increasing time stamps are ValueErrors."""
    with pytest.raises(ValueError, match=message):
        K.normalize_time_block([[1., 2., 3.]], times)


def test_normalize_time_rejects_shape_mismatch():
    """Data and time blocks of different depth are a ValueError."""
    with pytest.raises(ValueError, match='same shape'):
        K.normalize_time_block(np.zeros((1, 3)), np.zeros((1, 4)))


# ------------------------------------------------------------------- blinkreconstruct

def pupil_with_blink(length=1500, onset=600, closed=80):
    """A slowly shrinking pupil trace with one blink: fast drop, zeros, fast rise."""
    trace = 1000 - 0.05 * np.arange(length)
    ramp = np.linspace(1, 0, 11)[1:]
    trace[onset:onset + 10] *= ramp
    trace[onset + 10:onset + 10 + closed] = 0
    trace[onset + 10 + closed:onset + 20 + closed] *= ramp[::-1]
    return trace


@pytest.mark.parametrize('mode', ['original', 'advanced'])
def test_blinkreconstruct_fills_blink_within_trace_range(mode):
    """The blink dip is reconstructed with values inside the range of the blink-free trace."""
    trace = pupil_with_blink()
    clean = 1000 - 0.05 * np.arange(len(trace))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = K.blinkreconstruct_trace(trace, mode=mode)
    assert result.shape == trace.shape
    blink = slice(590, 720)
    assert np.isfinite(result[blink]).all()
    assert result[blink].min() >= clean.min() - 1
    assert result[blink].max() <= clean.max() + 1
    assert_allclose(result[:550], trace[:550])  # far from the blink: unchanged
    assert trace[650] == 0  # input untouched


def test_blinkreconstruct_original_warns_and_bad_mode_raises():
    """Mode 'original' recommends 'advanced' with a UserWarning; unknown modes are ValueErrors."""
    with pytest.warns(UserWarning, match='advanced'):
        K.blinkreconstruct_trace(pupil_with_blink())
    with pytest.raises(ValueError, match='mode'):
        K.blinkreconstruct_trace(pupil_with_blink(), mode='fancy')


def test_blinkreconstruct_original_stops_at_onset_on_scan_position():
    """In 'original' mode an onset found exactly at the scan position stops the scan."""
    trace = pupil_with_blink()
    steep = trace.copy()
    steep[:5] = 2000 - 200 * np.arange(5)
    steep[5:] = trace[5:]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        normal = K.blinkreconstruct_trace(trace)
        stopped = K.blinkreconstruct_trace(steep)
    assert normal[605] > 900           # the ramp is refilled ...
    assert stopped[605] == trace[605]  # ... but not after the early stop


def test_blinkreconstruct_advanced_gap_margin_clipped_at_start():
    """A gap within gap_margin of the start is blanked from sample 0, not skipped."""
    trace = 1000 - 0.05 * np.arange(300)
    trace[5:10] = NAN
    result = K.blinkreconstruct_trace(trace, mode='advanced', gap_margin=20)
    assert np.isnan(result[:30]).all()
    assert np.isfinite(result[30:]).all()


def test_blinkreconstruct_advanced_leaves_gaps_at_the_end_alone():
    """A NaN run that reaches the end of the trace is not widened by gap_margin."""
    trace = 1000 - 0.05 * np.arange(300)
    trace[-5:] = NAN
    result = K.blinkreconstruct_trace(trace, mode='advanced')
    assert np.isfinite(result[:-5]).all() and np.isnan(result[-5:]).all()


def test_blinkreconstruct_original_margin_not_widened_before_start():
    """A blink whose margin would leave the trace is not widened there and still refilled."""
    trace = pupil_with_blink(length=800, onset=30)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = K.blinkreconstruct_trace(trace, margin=50)
    assert np.isfinite(result).all()
    assert result[30:140].min() > 900


def test_blinkreconstruct_short_trace_falls_back_to_raw_with_warning():
    """A trace shorter than the smoothing window is processed unsmoothed, with a warning."""
    with pytest.warns(UserWarning, match='smooth'):
        result = K.blinkreconstruct_trace(np.ones(10), mode='advanced')
    assert_array_equal(result, np.ones(10))


def test_blinkreconstruct_original_skips_blinks_longer_than_maxdur():
    """In 'original' mode an interval longer than maxdur is not interpolated."""
    trace = pupil_with_blink()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = K.blinkreconstruct_trace(trace, maxdur=50)
    assert result[605] == trace[605]


def test_blinkreconstruct_advanced_stops_when_same_blink_found_twice(monkeypatch, caplog):
    """If the same blink is found again the repetition stops with a logged warning."""
    monkeypatch.setattr(_blinks, '_first_blink_advanced', lambda *args: (50, 60))
    trace = 1000 - 0.05 * np.arange(300)
    trace[52:58] = 0
    with caplog.at_level('WARNING', logger='datamatrix'):
        result = K.blinkreconstruct_trace(trace, mode='advanced')
    assert 'found twice' in caplog.text
    assert_allclose(result[50:60], 1000 - 0.05 * np.arange(50, 60))


def test_blinkreconstruct_even_smooth_winlen_falls_back_with_warning():
    """An invalid smoothing window makes smoothing fail, so the raw trace is used with a warning."""
    with pytest.warns(UserWarning, match='smooth'):
        result = K.blinkreconstruct_trace(pupil_with_blink(), mode='advanced',
                                          smooth_winlen=20)
    assert np.nanmin(result[590:720]) > 900


def test_blinkreconstruct_block_warns_once_for_original_mode():
    """The block version gives the 'original' mode warning once, not once per trace."""
    block = np.stack([pupil_with_blink()] * 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        K.blinkreconstruct_block(block)
    assert sum('advanced' in str(w.message) for w in caught) == 1


def test_blinkreconstruct_block_equals_per_trace():
    """The block version applies the trace algorithm along the last axis of every cell."""
    block = np.stack([pupil_with_blink(), pupil_with_blink(onset=900)])[None]
    result = K.blinkreconstruct_block(block, mode='advanced')
    assert result.shape == block.shape
    assert_allclose(result[0, 1], K.blinkreconstruct_trace(block[0, 1], mode='advanced'))


# ---------------------------------------------------------------------- reduce, counts

def test_reduce_uses_axis_then_falls_back_per_row():
    """reduce calls operation over all cell axes, or per row when it takes no axis."""
    block = np.arange(12.).reshape(2, 2, 3)
    block[0, 0, 0] = NAN
    assert_allclose(K.reduce_block(block), [np.nanmean(block[0]), np.mean(block[1])])
    calls = []

    def no_axis(cell):
        calls.append(cell.shape)
        return float(np.nanmax(cell))
    assert_allclose(K.reduce_block(block, no_axis), [5, 11])
    assert calls == [(2, 3), (2, 3)]


def test_nancount_and_infcount_per_row_int64():
    """NaN and ±INF elements are counted per row as int64."""
    block = np.array([[[NAN, np.inf], [-np.inf, 1.]], [[0., 0.], [NAN, NAN]]])
    nan_count, inf_count = K.nancount_block(block), K.infcount_block(block)
    assert nan_count.dtype == np.int64 and inf_count.dtype == np.int64
    assert_array_equal(nan_count, [1, 2])
    assert_array_equal(inf_count, [2, 0])
    assert K.nancount_block(np.empty((0, 2, 2))).shape == (0,)


def test_along_last_axis_handles_empty_blocks():
    """along_last_axis keeps the shape for blocks with no traces or no samples."""
    assert K.along_last_axis(np.cumsum, np.empty((0, 5))).shape == (0, 5)
    assert K.interpolate_block(np.empty((3, 0))).shape == (3, 0)
    assert K.smooth_block(np.empty((0, 11))).shape == (0, 11)
