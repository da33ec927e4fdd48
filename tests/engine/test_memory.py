"""The memory manager: budget, byte-weighted LRU, admission and system memory."""
import gc
import os

import numpy as np
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn, cfg
from datamatrix._engine.memory import manager
from datamatrix.errors import MemoryBudgetError

CELL = (10, 10)  # 800 bytes per row
ROWS = 5         # 4000 bytes per column

_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir', 'min_mem_free_abs', 'min_mem_free_rel')


@pytest.fixture
def budget(tmp_path, monkeypatch):
    """A budget of 10 000 bytes: two 4000-byte columns fit, three don't."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    cfg.always_load_max_size = 0
    cfg.memory_limit = 10_000
    cfg.save_chunk_size = 1600
    # ample free system memory, so only the budget decides
    monkeypatch.setattr(manager, '_system_memory', lambda: (2 ** 40, 2 ** 40))
    yield tmp_path
    gc.collect()
    for name, value in saved.items():
        setattr(cfg, name, value)
    assert os.listdir(tmp_path) == []


def new_column(dm, name):
    dm[name] = MultiDimensionalColumn(shape=CELL)
    dm[name] = np.arange(ROWS * 100, dtype=float).reshape((ROWS,) + CELL) + len(dm._cols)
    return dm[name]


def loaded(dm):
    return {name: col.loaded for name, col in dm.columns}


def test_least_recently_used_column_is_evicted(budget):
    """Creating a column that does not fit evicts the least recently used one."""
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    new_column(dm, 'b')
    new_column(dm, 'c')
    assert loaded(dm) == {'a': False, 'b': True, 'c': True}


def test_use_reorders_eviction(budget):
    """Reading a column makes it most recent, so another one is evicted next."""
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    new_column(dm, 'b')
    dm.a[0]
    new_column(dm, 'c')
    assert loaded(dm) == {'a': True, 'b': False, 'c': True}


def test_using_an_offloaded_column_loads_it(budget):
    """Using an offloaded column loads it, evicting the least recently used one."""
    dm = DataMatrix(length=ROWS)
    a, b, c = (new_column(dm, name) for name in 'abc')
    expected = a.array if a.loaded else None
    assert not a.loaded
    value = a[2, 3, 4]
    assert a.loaded and not b.loaded and c.loaded
    assert value == 2 * 100 + 34 + 1


def test_new_column_starts_loaded_when_it_fits_after_eviction(budget):
    """A new column is loaded at once when eviction makes room (the seed's step 2)."""
    cfg.memory_limit = 6000
    dm = DataMatrix(length=ROWS)
    dm.a = MultiDimensionalColumn(shape=CELL)
    dm.b = MultiDimensionalColumn(shape=CELL)
    assert loaded(dm) == {'a': False, 'b': True}


def test_column_larger_than_budget_is_created_offloaded_without_eviction(budget):
    """A column that cannot fit at all starts offloaded and evicts nothing."""
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    dm.big = MultiDimensionalColumn(shape=(30, 10))  # 12 000 bytes
    assert loaded(dm) == {'a': True, 'big': False}
    assert np.isnan(dm.big[4, 29, 9])


def test_manual_load_that_cannot_fit_raises_and_evicts_nothing(budget):
    """loaded = True for a column above the budget raises MemoryBudgetError."""
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    dm.big = MultiDimensionalColumn(shape=(30, 10))
    with pytest.raises(MemoryBudgetError, match='memory_limit'):
        dm.big.loaded = True
    assert loaded(dm) == {'a': True, 'big': False}


def test_manual_offload_and_load(budget):
    """Setting loaded moves the data and keeps every value."""
    dm = DataMatrix(length=ROWS)
    col = new_column(dm, 'a')
    before = col.array
    col.loaded = False
    assert not col.loaded
    assert np.array_equal(np.array(col._store.array), before)
    col.loaded = True
    assert col.loaded and np.array_equal(col.array, before)


def test_small_columns_are_pinned(budget):
    """Columns under always_load_max_size are never evicted and not counted."""
    cfg.always_load_max_size = 1000
    dm = DataMatrix(length=1)
    dm.small = MultiDimensionalColumn(shape=(10,))  # 80 bytes
    dm2 = DataMatrix(length=ROWS)
    for name in 'abc':
        new_column(dm2, name)
    assert dm.small.loaded


def test_resident_bytes_follow_loads_and_frees(budget):
    """The resident counter tracks loads, offloads and freed columns."""
    start = manager.resident
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    assert manager.resident == start + 4000
    dm.a.loaded = False
    assert manager.resident == start
    dm.a.loaded = True
    del dm
    gc.collect()
    assert manager.resident == start


def test_freed_columns_leave_the_recency_list(budget):
    """A garbage-collected column is dropped from the recency list at once."""
    before = len(manager.stores())
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    assert len(manager.stores()) == before + 1
    del dm
    gc.collect()
    assert len(manager.stores()) == before


def test_resident_never_exceeds_budget(budget):
    """Under random use, loaded columns never hold more than the budget."""
    rng = np.random.default_rng(0)
    dm = DataMatrix(length=ROWS)
    names = list('abcdef')
    for name in names:
        new_column(dm, name)
    for _ in range(100):
        name = names[rng.integers(len(names))]
        if rng.random() < 0.5:
            dm[name][int(rng.integers(ROWS))]
        else:
            dm[name][int(rng.integers(ROWS))] = rng.random()
        total = sum(col._store.nbytes for _, col in dm.columns if col.loaded)
        assert total <= cfg.memory_limit


def test_free_memory_rule_refuses_automatic_but_not_manual_loads(budget, monkeypatch):
    """With little free system memory new columns start offloaded; manual loads work."""
    monkeypatch.setattr(manager, '_system_memory', lambda: (5000, 10 ** 6))
    cfg.min_mem_free_abs = 4000
    cfg.min_mem_free_rel = 0.5
    dm = DataMatrix(length=ROWS)
    dm.a = MultiDimensionalColumn(shape=CELL)
    assert not dm.a.loaded
    dm.a.loaded = True
    assert dm.a.loaded


def test_no_system_call_on_the_hot_path(budget, monkeypatch):
    """Indexing loaded and offloaded columns never reads system memory."""
    calls = []
    import psutil
    monkeypatch.setattr(manager, '_system_memory', type(manager)._system_memory.__get__(
        manager))
    monkeypatch.setattr(psutil, 'virtual_memory',
                        lambda: calls.append(1) or _FakeMemory())
    manager._snapshot = None
    dm = DataMatrix(length=ROWS)
    new_column(dm, 'a')
    dm.big = MultiDimensionalColumn(shape=(30, 10))
    calls.clear()
    for index in range(1000):
        dm.a[index % ROWS]
        dm.big[index % ROWS]
    assert calls == []


def test_system_memory_is_polled_at_most_once_per_interval(budget, monkeypatch):
    """Many decisions within the poll interval read system memory once."""
    calls = []
    import psutil
    monkeypatch.setattr(manager, '_system_memory', type(manager)._system_memory.__get__(
        manager))
    monkeypatch.setattr(psutil, 'virtual_memory',
                        lambda: calls.append(1) or _FakeMemory())
    manager._snapshot = None
    cfg.memory_poll_interval, saved = 3600, cfg.memory_poll_interval
    try:
        dm = DataMatrix(length=ROWS)
        for name in 'abcdef':
            new_column(dm, name)
            dm.a[0]
    finally:
        cfg.memory_poll_interval = saved
    assert len(calls) == 1


class _FakeMemory:
    available = 2 ** 40
    total = 2 ** 40


def test_deleted_datamatrix_frees_room_before_eviction(budget, monkeypatch):
    """Bytes of a deleted DataMatrix (a reference cycle) are reclaimed, not written out."""
    from datamatrix._engine.storage import ArrayStore
    monkeypatch.setattr(manager, '_collected', float('-inf'))  # no collection just now
    offloads = []
    real = ArrayStore.offload
    monkeypatch.setattr(ArrayStore, 'offload',
                        lambda self: offloads.append(1) or real(self))
    gc.disable()
    try:
        old = DataMatrix(length=ROWS)
        new_column(old, 'a')
        new_column(old, 'b')
        del old
        dm = DataMatrix(length=ROWS)
        new_column(dm, 'c')
        new_column(dm, 'd')
        assert loaded(dm) == {'c': True, 'd': True}
        assert offloads == []
    finally:
        gc.enable()
