"""Out-of-core work: columns larger than the budget stream in bounded memory."""
import gc
import os
import sys
import tracemalloc
import warnings

import numpy as np
import numpy.ma  # noqa: F401  (imported by nanmedian; not data memory)
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn, SeriesColumn, cfg

CHUNK = 16 * 1024
OVERHEAD = 64 * 1024  # fixed costs (numpy internals), independent of the column size
_SETTINGS = ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir')


@pytest.fixture
def big(tmp_path):
    """A 1.6 MB series column (with NaNs) under a 100 kB budget and 16 kB chunks."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    cfg.always_load_max_size = 0
    cfg.memory_limit = 100_000
    cfg.save_chunk_size = CHUNK
    rng = np.random.default_rng(3)
    data = rng.normal(size=(200, 1000))
    data[rng.random(data.shape) < 0.05] = np.nan
    dm = DataMatrix(length=200)
    dm.s = SeriesColumn(depth=1000)
    dm.s = data
    dm.group = [i % 3 for i in range(200)]
    assert not dm.s.loaded
    yield dm, data
    del dm
    gc.collect()
    for name, value in saved.items():
        setattr(cfg, name, value)
    assert os.listdir(tmp_path) == []


def peak_extra(fnc):
    """Peak bytes allocated (numpy included) while ``fnc`` runs, and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fnc()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


@pytest.mark.parametrize('name, reference', [
    ('mean', np.nanmean), ('sum', np.nansum), ('min', np.nanmin), ('max', np.nanmax),
    ('median', np.nanmedian), ('std', lambda a, axis: np.nanstd(a, axis=axis, ddof=1)),
])
def test_descriptives_stream_and_match_numpy(big, name, reference):
    """Descriptives of a column above the budget equal numpy's, in bounded memory."""
    dm, data = big
    peak, result = peak_extra(lambda: getattr(dm.s, name))
    np.testing.assert_allclose(result, reference(data, axis=0), rtol=1e-12)
    assert not dm.s.loaded
    assert peak < 4 * CHUNK + OVERHEAD + 4 * data.shape[1] * 8


def test_ellipsis_averaging_streams(big):
    """Averaging over rows and over samples of an offloaded column matches numpy."""
    dm, data = big
    peak, grand = peak_extra(lambda: dm.s[..., ...])
    assert grand == pytest.approx(np.nanmean(data))
    assert peak < 4 * CHUNK + OVERHEAD
    per_row = dm.s[:, ...]
    np.testing.assert_allclose(np.array(per_row), np.nanmean(data, axis=1))
    np.testing.assert_allclose(dm.s[...], np.nanmean(data, axis=0))
    assert not dm.s.loaded


def test_arithmetic_result_above_budget_is_offloaded(big):
    """Arithmetic on a big column gives an offloaded result with numpy's values."""
    dm, data = big
    peak, result = peak_extra(lambda: dm.s * 2 + 1)
    assert not result.loaded
    np.testing.assert_array_equal(result._store.array, data * 2 + 1)
    assert peak < 4 * CHUNK + OVERHEAD


def test_selection_of_rows_streams(big):
    """Selecting rows by another column copies the big column block by block."""
    dm, data = big
    peak, subset = peak_extra(lambda: dm.group == 1)
    np.testing.assert_array_equal(np.asarray(subset.s._store.array), data[1::3])
    assert peak < 4 * CHUNK + OVERHEAD
    reversed_ = dm.s[::-1]
    np.testing.assert_array_equal(np.asarray(reversed_._store.array), data[::-1])


def test_whole_column_and_subset_assignment_stream(big):
    """Assigning to all rows or a subset of an offloaded column stays in bounds."""
    dm, data = big
    peak, _ = peak_extra(lambda: dm.s.__setitem__(slice(None), 7))
    assert peak < 4 * CHUNK + OVERHEAD
    assert not dm.s.loaded
    dm.s[dm.group == 2] = 1
    expected = np.full(data.shape, 7.0)
    expected[2::3] = 1
    np.testing.assert_array_equal(np.asarray(dm.s._store.array), expected)


def test_row_selection_on_offloaded_column_keeps_values(big):
    """Slicing, fancy indexing and cell access read the right values from disk."""
    dm, data = big
    np.testing.assert_array_equal(dm.s[5], data[5])
    np.testing.assert_array_equal(np.asarray(dm.s[[3, 1, 4]]._store.array), data[[3, 1, 4]])
    assert dm.s[7, 9] == data[7, 9] or (np.isnan(dm.s[7, 9]) and np.isnan(data[7, 9]))


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc/self/maps')
def test_scattered_rows_of_a_mapped_column_are_read_with_pread(big, monkeypatch):
    """Rows in any order from a spill file come with pread, runs in one call each,
    in bounded memory, and the descriptor opened for it is closed again."""
    from datamatrix._engine import stream
    dm, data = big
    calls = []
    read = stream.pread_rows
    monkeypatch.setattr(stream, 'pread_rows',
                        lambda *args: calls.append(len(args[2])) or read(*args))
    gc.collect()
    fds = len(os.listdir('/proc/self/fd'))
    order = np.r_[np.arange(150, 200), np.arange(150)[::-1]]
    peak, result = peak_extra(lambda: dm.s[order])
    np.testing.assert_array_equal(np.asarray(result._store.array), data[order])
    assert sum(calls) == 200
    assert peak < 4 * CHUNK + OVERHEAD
    assert len(os.listdir('/proc/self/fd')) == fds + (not result.loaded)


@pytest.mark.parametrize('n', [1, 2, 3, 4, 7, 64, 257])
def test_median_rows_equal_nanmedian(n):
    """The one-partition median equals numpy's for odd and even counts, ties, infinities,
    rows with some, most and only NaNs."""
    from datamatrix._engine.stream import _median_rows
    rng = np.random.default_rng(n)
    data = np.round(rng.standard_normal((40, n)), 1)  # ties
    data[rng.random(data.shape) < .05] = np.inf
    data[rng.random(data.shape) < .05] = -np.inf
    for row, fraction in zip(data[10:], np.linspace(.05, 1, 30)):
        row[rng.random(n) < fraction] = np.nan
    data[-1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        expected = np.nanmedian(data, axis=1)
    np.testing.assert_array_equal(_median_rows(data.copy()), expected)
