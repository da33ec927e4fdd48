"""The reader thread of mapped reductions: blocks brought in ahead and in order, the
same results without it, and no thread left behind (also on errors)."""
import gc
import threading

import numpy as np
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn, cfg
from datamatrix._engine import stream

_SETTINGS = ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir',
             'stream_threads')
CELL = (4, 6)


@pytest.fixture
def offloaded(tmp_path):
    """An offloaded column of 120 rows streamed in blocks of 8 rows (15 blocks)."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    cfg.always_load_max_size = 0
    data = np.random.default_rng(5).normal(size=(120,) + CELL)
    data[data > 1.5] = np.nan
    dm = DataMatrix(length=len(data))
    dm.x = MultiDimensionalColumn(shape=CELL)
    dm.x = data
    cfg.memory_limit = data.nbytes // 4
    dm.x.loaded = False
    cfg.save_chunk_size = 8 * data[0].nbytes
    yield dm, data
    del dm
    gc.collect()
    for name, value in saved.items():
        setattr(cfg, name, value)


def readers() -> list:
    return [t for t in threading.enumerate() if t.name == 'datamatrix-reader']


@pytest.mark.parametrize('threads', [1, 2])
def test_results_are_the_same_with_and_without_the_reader(offloaded, monkeypatch, threads):
    dm, data = offloaded
    cfg.stream_threads = threads
    with np.errstate(all='ignore'):
        found = [dm.x.mean, dm.x.std, dm.x.max, dm.x[..., ...], dm.x.median]
        monkeypatch.setattr(stream, '_READ_AHEAD', 0)
        without = [dm.x.mean, dm.x.std, dm.x.max, dm.x[..., ...], dm.x.median]
    for a, b in zip(found, without):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(found[0], np.nanmean(data, axis=0))
    assert not dm.x.loaded and readers() == []


def test_the_reader_brings_in_every_block_in_order(offloaded, monkeypatch):
    """The reader thread prefaults the blocks one after the other, before the workers."""
    dm, data = offloaded
    calls = []
    original = stream.prefault_pages

    def recording(block):
        calls.append((threading.current_thread().name, len(block)))
        original(block)

    monkeypatch.setattr(stream, 'prefault_pages', recording)
    np.testing.assert_allclose(dm.x.sum, np.nansum(data, axis=0))
    by_reader = [rows for name, rows in calls if name == 'datamatrix-reader']
    assert by_reader == [8] * 15
    assert readers() == []


def test_no_reader_is_left_after_an_error_or_an_abandoned_stream(offloaded):
    dm, data = offloaded
    store = dm.x._store

    def failing(block):
        raise ValueError('a failing block')

    with pytest.raises(ValueError, match='a failing block'):
        list(stream.reduce_blocks(store, failing))
    assert readers() == []
    blocks = stream.reduce_blocks(store, lambda block: block.sum())
    first = next(blocks)
    np.testing.assert_equal(first, data[:8].sum())
    blocks.close()
    assert readers() == []
    never_started = stream.reduce_blocks(store, lambda block: block.sum())
    del never_started
    assert readers() == []
