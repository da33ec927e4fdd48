"""Columns and the memory manager used from several threads at once."""
import gc
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn, cfg
from datamatrix._engine.memory import manager

_SETTINGS = ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir')


@pytest.fixture
def tight(tmp_path, monkeypatch):
    """Six 8 kB columns under a 20 kB budget: columns move all the time."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    cfg.always_load_max_size = 0
    cfg.memory_limit = 20_000
    cfg.save_chunk_size = 1024
    monkeypatch.setattr(manager, '_system_memory', lambda: (2 ** 40, 2 ** 40))
    yield
    gc.collect()
    for name, value in saved.items():
        setattr(cfg, name, value)
    assert os.listdir(tmp_path) == []


def test_concurrent_reads_writes_and_moves_lose_nothing(tight):
    """Threads writing, reducing and offloading columns keep data and accounting right."""
    n, cell = 10, (100,)
    dm = DataMatrix(length=n)
    names = [f'c{i}' for i in range(6)]
    model = {}
    for name in names:
        dm[name] = MultiDimensionalColumn(shape=cell)
        dm[name] = 0
        model[name] = np.zeros((n,) + cell)

    def work(worker):
        rng = np.random.default_rng(worker)
        for step in range(150):
            name = names[rng.integers(len(names))]
            col = dm[name]
            action = rng.integers(4)
            if action == 0:  # each worker owns rows worker and worker + 5
                row = worker + 5 * int(rng.integers(2))
                value = float(worker * 1000 + step)
                col[row] = value
                model[name][row] = value
            elif action == 1:
                col.mean
            elif action == 2:
                col[..., ...]
            else:
                col.loaded = bool(rng.integers(2))

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(work, range(5)))
    for name in names:
        np.testing.assert_array_equal(np.array(dm[name]._store.array), model[name])
    loaded = sum(dm[name]._store.nbytes for name in names if dm[name].loaded)
    assert loaded <= cfg.memory_limit
    assert manager.resident == sum(s.nbytes for s in manager.stores() if s.loaded)


def test_freeing_a_column_never_waits_for_the_manager(tight):
    """A column freed in one thread while another holds the manager (e.g. loading
    from zarr, whose I/O thread frees objects) does not deadlock."""
    import threading
    holder = {'dm': DataMatrix(length=2)}
    holder['dm'].x = MultiDimensionalColumn(shape=(3,))
    freed = threading.Event()

    def free():
        holder.clear()   # the DataMatrix is a reference cycle: collect it here
        gc.collect()
        freed.set()

    with manager.lock:  # as during a long load
        thread = threading.Thread(target=free)
        thread.start()
        assert freed.wait(10), 'the finalizer blocked on the manager lock'
    thread.join()
    assert all(store.key != 0 for store in manager.stores())
