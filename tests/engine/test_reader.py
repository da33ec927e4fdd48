"""The threads of streams: the reader of mapped reductions (blocks brought in ahead
and in order, the same results without it, no thread left behind, also on errors),
and GIL-bound kernels kept in one thread."""
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


def record_prefaults(monkeypatch) -> list:
    """``(thread name, rows)`` of every block that the stream prefaults from now on."""
    calls = []
    original = stream.prefault_pages

    def recording(block):
        calls.append((threading.current_thread().name, len(block)))
        original(block)

    monkeypatch.setattr(stream, 'prefault_pages', recording)
    return calls


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
    calls = record_prefaults(monkeypatch)
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


@pytest.mark.parametrize('parallel', [True, False])
def test_map_blocks_keeps_gil_bound_functions_in_one_thread(offloaded, parallel):
    """``parallel=False`` (kernels marked ``gil_bound``, such as blinkreconstruct's):
    every block is computed in the calling thread; otherwise in the pool."""
    from datamatrix import _kernels
    dm, data = offloaded
    cfg.stream_threads = 2
    names = set()

    def double(block, start, stop):
        names.add(threading.current_thread().name)
        return block * 2

    store = stream.map_blocks(dm.x._store.array, double, CELL, np.float64,
                              parallel=parallel)
    np.testing.assert_array_equal(store.array, data * 2)
    if parallel:
        assert all(name.startswith('datamatrix-stream') for name in names)
    else:
        assert names == {threading.current_thread().name}
    assert _kernels.blinkreconstruct_block.gil_bound
    assert not getattr(_kernels.smooth_block, 'gil_bound', False)


@pytest.fixture
def two_offloaded(offloaded):
    """The offloaded column ``x`` and a second offloaded column ``y`` of its shape."""
    dm, data = offloaded
    other = data[::-1] * 3
    dm.y = MultiDimensionalColumn(shape=CELL)
    dm.y = other
    dm.y.loaded = False
    dm.x.loaded = False
    return dm, data, other


def test_maps_bring_in_the_blocks_of_every_operand_ahead(two_offloaded, monkeypatch):
    """Arithmetic of two offloaded columns: the reader thread brings in the rows of
    both operands, in order and once each, and the workers fault none themselves."""
    dm, data, other = two_offloaded
    cfg.memory_limit = 1
    calls = record_prefaults(monkeypatch)
    with np.errstate(all='ignore'):
        result = dm.x * 2 + dm.y
    assert not result.loaded
    cfg.memory_limit = 10 * data.nbytes
    np.testing.assert_array_equal(result, data * 2 + other)
    assert {name for name, _ in calls} == {'datamatrix-reader'}
    assert sum(rows for _, rows in calls) == 3 * len(data)  # x, then x * 2 and y
    assert readers() == []


@pytest.mark.parametrize('threads', [1, 2])
def test_maps_are_the_same_with_and_without_the_reader(two_offloaded, monkeypatch, threads):
    dm, data, other = two_offloaded
    cfg.stream_threads = threads
    cfg.memory_limit = 1
    with np.errstate(all='ignore'):
        found = [dm.x * dm.y, dm.x - 1, dm.y / dm.x]
        monkeypatch.setattr(stream, '_READ_AHEAD', 0)
        without = [dm.x * dm.y, dm.x - 1, dm.y / dm.x]
    assert not any(col.loaded for col in found + without)
    cfg.memory_limit = 10 * data.nbytes
    for a, b in zip(found, without):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(found[0], data * other)
    assert readers() == []


def test_no_reader_is_left_after_a_failing_map(two_offloaded):
    dm, data, other = two_offloaded
    arrays = dm.x._store.array, dm.y._store.array

    def failing(block, start, stop):
        if start > 40:
            raise ValueError('a failing block')
        return block

    with pytest.raises(ValueError, match='a failing block'):
        stream.map_blocks(arrays[0], failing, CELL, np.float64, also=arrays[1:])
    assert readers() == []
    cfg.memory_limit = 10 * data.nbytes
    np.testing.assert_array_equal(dm.x, data)


def test_averaging_cells_of_every_row_brings_the_rows_in_ahead(offloaded, monkeypatch):
    """``col[:, ..., :]`` streams all rows in order: the reader brings them in."""
    dm, data = offloaded
    calls = record_prefaults(monkeypatch)
    found = dm.x[:, ..., :]
    cfg.memory_limit = 10 * data.nbytes
    np.testing.assert_allclose(found, np.nanmean(data, axis=1))
    assert {name for name, _ in calls} == {'datamatrix-reader'}
    assert sum(rows for _, rows in calls) == len(data)
    assert readers() == []
