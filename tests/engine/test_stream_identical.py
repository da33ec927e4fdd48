"""Streamed results are bit-for-bit the same wherever the data lives and however
many threads computed them (issue 13): loaded, offloaded and lazily read
(``readbin``) columns, ``cfg.stream_threads`` 1 and 2, tiny blocks."""
import gc
import os
import warnings

import numpy as np
import pytest

from datamatrix import DataMatrix, FloatColumn, MultiDimensionalColumn, cfg, io
from datamatrix import operations as ops
from datamatrix._engine import stream

_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir', 'stream_threads')
ROWS, CELL = 200, (3, 5)
BLOCK_ROWS = 16  # reductions use threads from 16 rows a block on


def make_data() -> np.ndarray:
    """Values with NaNs (also whole NaN cells and a NaN row), +inf and -inf."""
    rng = np.random.default_rng(13)
    data = rng.normal(size=(ROWS,) + CELL) * 1e3
    data[rng.random(data.shape) < 0.2] = np.nan
    data[:, 0, 0] = np.nan  # a cell position that is NaN in every row
    data[4] = np.nan  # a row that is NaN everywhere
    data[9, 1, 2] = np.inf
    data[11, 2, 3], data[12, 2, 3] = np.inf, -np.inf
    return data


@pytest.fixture
def settings(tmp_path):
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    try:
        yield tmp_path
    finally:
        gc.collect()
        for name, value in saved.items():
            setattr(cfg, name, value)
    leftovers = [name for name in os.listdir(tmp_path) if name != 'saved.dm']
    assert leftovers == [], 'temporary files were left behind'


def column_in(state: str, folder, data: np.ndarray):
    """A DataMatrix whose column ``x`` holds ``data`` and lives as ``state`` says.

    Blocks hold 16 rows (13 blocks); except for ``loaded`` the budget is a quarter of
    the column, so everything streams and results are offloaded.
    """
    cfg.always_load_max_size = 0
    cfg.never_load_min_size = 0
    cfg.memory_limit = 10 * data.nbytes
    dm = DataMatrix(length=len(data))
    dm.x = MultiDimensionalColumn(shape=CELL)
    dm.x = data
    dm.k = FloatColumn
    dm.k = np.random.default_rng(1).permutation(len(data)).astype(float)
    if state == 'readbin':
        path = os.path.join(folder, 'saved.dm')
        dm.x.loaded = False
        io.writebin(dm, path)
        dm = io.readbin(path)
    elif state == 'offloaded':
        dm.x.loaded = False
    else:
        dm.x.loaded = True
    if state != 'loaded':  # results are created in spill files too
        cfg.memory_limit = data.nbytes // 4
    cfg.save_chunk_size = BLOCK_ROWS * data[0].nbytes + 8
    assert dm.x.loaded == (state == 'loaded')
    return dm


def results(dm) -> dict:
    """Every streamed computation on ``dm.x`` as arrays."""
    col = dm.x
    positions = [5, 0, 199, 3, 3, -2, 120, 37]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        found = {
            'mean': col.mean, 'sum': col.sum, 'min': col.min, 'max': col.max,
            'std': col.std, 'median': col.median,
            'ellipsis rows': col[...], 'ellipsis rows and axis 1': col[..., ...],
            'ellipsis rows and axis 2': col[..., :, ...],
            'grand mean': col[..., ..., ...],
            'mean over axis 1': col[:, ..., :], 'mean over axis 2': col[:, :, ...],
            'mean over axis 2, some rows': col[positions, :, ...],
            'arithmetic': col * 2 + col, 'division': 1 / col, 'power': col ** 2,
            'take': col[positions], 'selection': (dm.k > 10).x,
            'sort': ops.sort(dm, by=dm.k).x, 'cell': col[7],
        }
    return {name: np.array(getattr(value, '_store', None).array if hasattr(value, '_store')
                           else value, dtype=float) for name, value in found.items()}


@pytest.fixture(scope='module')
def data():
    return make_data()


def test_results_match_numpy(settings, data):
    """The reference run (loaded, one thread) gives numpy's values."""
    cfg.stream_threads = 1
    found = results(column_in('loaded', settings, data))
    flat = data.reshape(ROWS, -1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        expected = {
            'mean': np.nanmean(data, axis=0), 'sum': np.nansum(data, axis=0),
            'min': np.nanmin(data, axis=0), 'max': np.nanmax(data, axis=0),
            'std': np.nanstd(data, axis=0, ddof=1),
            'mean over axis 1': np.nanmean(data, axis=1),
            'mean over axis 2': np.nanmean(data, axis=2),
            'grand mean': np.nanmean(flat[:, ~np.all(np.isnan(flat), axis=0)]),
            'arithmetic': data * 2 + data, 'take': data[[5, 0, 199, 3, 3, -2, 120, 37]],
        }
    for name, value in expected.items():
        np.testing.assert_allclose(found[name], value, rtol=1e-12, err_msg=name)
    # the median is exact: the middle values themselves (or their mean)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # the all-NaN cell position
        np.testing.assert_array_equal(found['median'], np.nanmedian(data, axis=0))
    np.testing.assert_array_equal(found['power'], data ** 2)


@pytest.mark.parametrize('state', ['loaded', 'offloaded', 'readbin'])
@pytest.mark.parametrize('threads', [1, 2])
def test_identical_wherever_and_however_computed(settings, data, state, threads):
    """Every result equals the loaded single-thread one bit for bit."""
    cfg.stream_threads = 1
    reference = results(column_in('loaded', settings, data))
    gc.collect()
    cfg.stream_threads = threads
    dm = column_in(state, settings, data)
    found = results(dm)
    assert dm.x.loaded == (state == 'loaded')  # reductions never load a column
    for name, value in reference.items():
        assert found[name].shape == value.shape, name
        assert np.array_equal(found[name], value, equal_nan=True), name
    del dm
    gc.collect()


@pytest.mark.filterwarnings('ignore:invalid value:RuntimeWarning')  # inf + -inf
@pytest.mark.parametrize('threads', [1, 2, 3])
def test_block_partials_combine_in_block_order(data, threads, settings):
    """The per-block sums of a reduction do not depend on the number of threads."""
    cfg.save_chunk_size = data[0].nbytes * BLOCK_ROWS
    cfg.stream_threads = 1
    expected = [stream._sum_count(block) for block in
                (data[start:start + BLOCK_ROWS] for start in range(0, ROWS, BLOCK_ROWS))]
    cfg.stream_threads = threads
    found = list(stream.reduce_blocks(data, stream._sum_count))
    assert len(found) == len(expected)
    for (total, count), (total_1, count_1) in zip(found, expected):
        assert np.array_equal(total, total_1, equal_nan=True)
        assert np.array_equal(count, count_1)


def test_many_nan_cells_recount_equals_few(settings):
    """The tiled NaN recount (many NaN sums) and the piecewise one agree with numpy."""
    rng = np.random.default_rng(2)
    block = rng.normal(size=(40, 64))
    block[rng.random(block.shape) < 0.5] = np.nan  # nearly every sum is NaN
    total, count = stream._sum_count(block)
    np.testing.assert_allclose(total, np.nansum(block, axis=0), rtol=1e-12)
    np.testing.assert_array_equal(count, (~np.isnan(block)).sum(axis=0))
    few = block.copy()
    few[:, 1:] = np.nan_to_num(few[:, 1:])  # a single NaN cell position
    total, count = stream._sum_count(few)
    np.testing.assert_allclose(total, np.nansum(few, axis=0), rtol=1e-12)
    np.testing.assert_array_equal(count, (~np.isnan(few)).sum(axis=0))


def test_worker_errors_reach_the_caller_and_leave_no_block(settings):
    """An error in a block computed by a worker thread is raised by the call."""
    cfg.stream_threads = 2
    cfg.save_chunk_size = 64

    def fail(block, start, stop):
        if start >= 16:
            raise ValueError('bad block')
        return block

    with pytest.raises(ValueError, match='bad block'):
        stream.map_blocks(np.zeros((40, 2)), fail, (2,), np.float64)


def test_errstate_of_the_caller_holds_in_worker_threads(settings):
    """numpy's error state of the caller applies to blocks computed in threads."""
    cfg.stream_threads = 2
    cfg.save_chunk_size = 64
    cfg.memory_limit = 10 ** 6
    dm = DataMatrix(length=40)
    dm.x = MultiDimensionalColumn(shape=(2,))
    dm.x = np.zeros((40, 2))
    with np.errstate(divide='raise', invalid='raise'):
        with pytest.raises(FloatingPointError):
            dm.x / 0
