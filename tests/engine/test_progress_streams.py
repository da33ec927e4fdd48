"""Progress bars of streamed operations (issue 15, part 4).

Every stream goes through one block loop (``storage.row_blocks``, or the threaded
``stream._in_order``, which reports blocks as their results come in); these tests
record the bars it opens (description, total, updates) by replacing the function
that makes a visible bar, and check that tqdm is reached through ``tqdm.auto``.
"""
import os
import subprocess
import sys
import types

import numpy as np
import pytest

from datamatrix import DataMatrix, SeriesColumn, cfg, io
from datamatrix import series as srs
from datamatrix._engine import progress as prog
from datamatrix._engine.storage import row_blocks

ROWS, DEPTH = 64, 32            # 16 KiB of float64
CHUNK = 2048                     # 8 rows per block: 8 blocks


class RecordingBar(prog._NoBar):
    def __init__(self, total, desc):
        self.total, self.desc, self.updates, self.closed = total, desc, [], False
        prog._local.active = True

    def update(self, nbytes):
        self.updates.append(nbytes)

    def close(self):
        if not self.closed:
            self.closed = True
            prog._local.active = False


@pytest.fixture
def bars(monkeypatch):
    """Bars on for anything of 4 KiB or more; the list of bars opened."""
    opened = []

    def make(total, desc):
        opened.append(RecordingBar(total, desc))
        return opened[-1]

    monkeypatch.setattr(prog, '_bar', make)
    saved = cfg.progress, cfg.progress_min_bytes, cfg.save_chunk_size
    cfg.progress, cfg.progress_min_bytes, cfg.save_chunk_size = True, 4096, CHUNK
    yield opened
    cfg.progress, cfg.progress_min_bytes, cfg.save_chunk_size = saved


def series_dm():
    dm = DataMatrix(length=ROWS)
    dm.s = SeriesColumn(depth=DEPTH)
    dm.s = np.arange(ROWS * DEPTH, dtype=float).reshape(ROWS, DEPTH)
    return dm


def descs(bars):
    return [bar.desc for bar in bars]


@pytest.mark.parametrize('operation, desc', [
    (lambda dm: dm.s.mean, 'mean'),
    (lambda dm: dm.s.std, 'std'),
    (lambda dm: dm.s.sum, 'sum'),
    (lambda dm: dm.s.max, 'max'),
    (lambda dm: dm.s.median, 'median'),
    (lambda dm: dm.s * 2, 'arithmetic'),
    (lambda dm: dm.s + dm.s, 'arithmetic'),
    (lambda dm: dm[1:], 'selection'),
    (lambda dm: dm[dm.s[:, 0] >= 0], 'selection'),
    (lambda dm: srs.smooth(dm.s, winlen=3), 'series.smooth'),
    (lambda dm: srs.downsample(dm.s, 2), 'series.downsample'),
])
def test_every_streamed_operation_shows_a_bar(bars, operation, desc):
    dm = series_dm()
    bars.clear()
    operation(dm)
    assert desc in descs(bars)
    for bar in bars:
        assert bar.closed
        assert sum(bar.updates) == bar.total  # reaches 100 %


def test_one_update_per_block_and_the_whole_total(bars):
    dm = series_dm()
    bars.clear()
    dm.s.sum
    (bar,) = bars
    assert bar.total == ROWS * DEPTH * 8
    assert len(bar.updates) == ROWS * DEPTH * 8 // CHUNK  # one per block, not per row


def test_offload_and_reload_show_bars(bars):
    dm = series_dm()
    bars.clear()
    dm.s.loaded = False
    dm.s.loaded = True
    assert descs(bars) == ['offload', 'load']


def test_eviction_is_named_after_the_operation_that_needed_room(bars):
    dm = series_dm()
    saved = cfg.memory_limit, cfg.always_load_max_size
    cfg.memory_limit, cfg.always_load_max_size = ROWS * DEPTH * 8 * 3 // 2, 0
    try:
        dm.s.loaded = True
        bars.clear()
        dm.t = SeriesColumn(depth=DEPTH)  # no room for both: dm.s is offloaded
        assert 'assignment: offload' in descs(bars)
        assert not dm.s.loaded
    finally:
        cfg.memory_limit, cfg.always_load_max_size = saved


def test_io_shows_one_bar_not_one_per_inner_stream(bars, tmp_path):
    dm = series_dm()
    bars.clear()
    io.writebin(dm, tmp_path / 'x.dm')
    assert descs(bars) == ['writebin x.dm']
    bars.clear()
    table = DataMatrix(length=2000)
    table.x = range(2000)
    io.writetxt(table, tmp_path / 'x.csv')
    io.readtxt(tmp_path / 'x.csv')
    assert descs(bars) == ['writetxt x.csv', 'readtxt x.csv']


def test_results_do_not_depend_on_bars(bars):
    dm = series_dm()
    with_bars = dm.s.std, (dm.s * 3).mean, srs.smooth(dm.s, winlen=5).median
    assert bars
    cfg.progress = False
    without = dm.s.std, (dm.s * 3).mean, srs.smooth(dm.s, winlen=5).median
    for a, b in zip(with_bars, without):
        np.testing.assert_array_equal(a, b)


def test_small_work_or_bars_off_adds_nothing(bars):
    dm = series_dm()
    bars.clear()
    cfg.progress_min_bytes = ROWS * DEPTH * 8 + 1
    dm.s.mean
    cfg.progress_min_bytes = 1
    cfg.progress = False
    dm.s.mean
    assert bars == []
    steps = range(0, 10, 2)
    assert prog.tracked(steps, 10 ** 12) is steps  # the same object: no per-step cost


def test_a_stream_only_started_shows_no_bar(bars):
    """``next(row_blocks(...))`` (how Dask chunks are sized) opens no bar."""
    assert next(row_blocks(1000, 1000, max_bytes=10_000)) == (0, 10)
    assert bars == []
    assert list(row_blocks(1000, 1000, max_bytes=10 ** 7)) == [(0, 1000)]  # one block
    assert bars == []


def test_a_stream_left_early_closes_its_bar(bars):
    blocks = row_blocks(100, 1000, max_bytes=10_000)
    for start, stop in blocks:
        if start >= 20:
            break
    blocks.close()
    (bar,) = bars
    assert bar.closed and not prog._local.active


def test_auto_shows_bars_in_a_jupyter_kernel(monkeypatch):
    fake = types.ModuleType('IPython')
    fake.get_ipython = lambda: types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, 'IPython', fake)
    monkeypatch.setattr(sys, 'stderr', open(__file__))  # not a terminal
    saved = cfg.progress, cfg.progress_min_bytes
    cfg.progress, cfg.progress_min_bytes = 'auto', 1
    try:
        assert prog._enabled(10)
        fake.get_ipython = lambda: None  # IPython imported, but no kernel
        assert not prog._enabled(10)
    finally:
        sys.stderr.close()
        cfg.progress, cfg.progress_min_bytes = saved


def test_bars_come_from_tqdm_auto(monkeypatch):
    made = []

    class FakeTqdm:
        def __init__(self, **kwargs):
            made.append(kwargs)
            self.n = 0

        def update(self, n):
            self.n += n

        def close(self):
            made.append(('closed', self.n))

    auto = types.ModuleType('tqdm.auto')
    auto.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, 'tqdm.auto', auto)
    saved = cfg.progress, cfg.progress_min_bytes
    cfg.progress, cfg.progress_min_bytes = True, 1
    try:
        with prog.progress(300, 'job') as bar:
            bar.update(300)
    finally:
        cfg.progress, cfg.progress_min_bytes = saved
    assert made[0]['desc'] == 'job' and made[0]['total'] == 300
    assert made[1] == ('closed', 300)


def test_tqdm_is_not_imported_with_datamatrix():
    code = 'import sys, datamatrix; print("tqdm" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == 'False'


def test_a_tqdm_that_cannot_make_a_bar_falls_back_to_text(monkeypatch, capsys):
    """tqdm's notebook bar without ipywidgets raises at creation: work goes on."""
    class NoWidgets:
        def __init__(self, **kwargs):
            raise ImportError('IProgress not found. Please update jupyter and ipywidgets.')

    auto = types.ModuleType('tqdm.auto')
    auto.tqdm = NoWidgets
    monkeypatch.setitem(sys.modules, 'tqdm.auto', auto)
    saved = cfg.progress, cfg.progress_min_bytes, cfg.save_chunk_size
    cfg.progress, cfg.progress_min_bytes, cfg.save_chunk_size = True, 4096, CHUNK
    try:
        dm = series_dm()
        capsys.readouterr()
        total = dm.s.sum
    finally:
        cfg.progress, cfg.progress_min_bytes, cfg.save_chunk_size = saved
    np.testing.assert_array_equal(total, np.arange(ROWS * DEPTH, dtype=float)
                                  .reshape(ROWS, DEPTH).sum(axis=0))
    err = capsys.readouterr().err
    assert err.startswith('\rsum:') and '100%' in err and not prog._local.active


def test_pickle_files_show_bars(bars, tmp_path):
    dm = series_dm()
    bars.clear()
    io.writepickle(dm, tmp_path / 'x.pkl')
    back = io.readpickle(tmp_path / 'x.pkl', trusted=True)
    assert descs(bars)[0] == 'writepickle x.pkl' and descs(bars)[-1] == 'readpickle x.pkl'
    read = bars[-1]
    assert sum(read.updates) == read.total == os.path.getsize(tmp_path / 'x.pkl')
    np.testing.assert_array_equal(back.s, dm.s)


@pytest.mark.parametrize('threads', [1, 2])
@pytest.mark.parametrize('kind', ['reduce', 'map'])
def test_a_bar_advances_as_blocks_are_done(bars, monkeypatch, threads, kind):
    """Threaded streams report a block when its work is done, never ahead of it."""
    from datamatrix._engine import stream
    done = []

    def work(block, *args):
        result = block * 2
        done.append(1)
        return result

    monkeypatch.setattr(cfg, 'stream_threads', threads)
    dm = series_dm()
    bars.clear()
    seen = []
    monkeypatch.setattr(RecordingBar, 'update', lambda self, nbytes: (
        self.updates.append(nbytes), seen.append(len(done))))
    if kind == 'reduce':
        list(stream.reduce_blocks(dm.s._use(), work))
    else:
        stream.map_blocks(dm.s._use(), work, (DEPTH,), np.float64)
    assert len(seen) > 2
    assert all(count >= index + 1 for index, count in enumerate(seen))
