"""Random sequences of operations on MD columns under a tiny budget, against numpy.

A hypothesis state machine creates, writes, reads, reduces, selects, offloads,
loads, saves and re-opens multidimensional columns (float64 and float32) while
the memory budget holds only about two of them, so columns move between RAM and
spill files all the time. After every step the stored values must equal a plain
numpy model (nothing changes because a column moved) and the loaded bytes must
stay within the budget and match the memory manager's counter.
"""
import os
import shutil
import tempfile
import warnings

import numpy as np
from hypothesis import settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule)

from datamatrix import DataMatrix, IntColumn, MultiDimensionalColumn, cfg, io
from datamatrix._engine.memory import manager
from datamatrix.errors import MemoryBudgetError

N = 8
SPECS = {  # name: (cell shape, dtype); 256-384 bytes each
    'a': ((6,), np.float64),
    'b': ((2, 3), np.float64),
    'c': ((5,), np.float32),
    'd': ((4,), np.float64),
}
BUDGET = 700  # about two columns (never both 384-byte ones)
_FAST_DIR = '/dev/shm' if os.access('/dev/shm', os.W_OK) else None  # fast fsync
_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir')

names = st.sampled_from(sorted(SPECS))
values = st.one_of(st.floats(-1e6, 1e6, width=32), st.just(np.nan), st.integers(-5, 5))
rows = st.one_of(st.lists(st.integers(0, N - 1), unique=True, min_size=1, max_size=N),
                 st.slices(N))
REDUCTIONS = {'mean': np.nanmean, 'min': np.nanmin, 'max': np.nanmax, 'sum': np.nansum,
              'std': lambda a, axis: np.nanstd(a, axis=axis, ddof=1)}


class ColumnsUnderPressure(RuleBasedStateMachine):
    """A DataMatrix with up to four MD columns and a numpy model of their values."""

    def __init__(self):
        super().__init__()
        self.saved = {name: getattr(cfg, name) for name in _SETTINGS}
        self.folder = tempfile.mkdtemp(prefix='dm-statemachine-', dir=_FAST_DIR)
        spill = os.path.join(self.folder, 'spill')
        os.mkdir(spill)
        cfg.tmp_dir = spill
        cfg.always_load_max_size = 0
        cfg.never_load_min_size = float('inf')
        cfg.memory_limit = BUDGET
        cfg.save_chunk_size = 64  # one or two rows per block
        manager._system_memory = lambda: (2 ** 40, 2 ** 40)  # ample free memory
        for store in manager.stores():  # start within the budget
            if store.loaded and store.nbytes:
                manager.offload(store)
        self.dm = DataMatrix(length=N)
        self.dm.k = IntColumn
        self.dm.k = range(N)
        self.k = np.arange(N)
        self.model = {}
        self.file = os.path.join(self.folder, 'files', 'x.dm')

    def teardown(self):
        del self.dm
        for name, value in self.saved.items():
            setattr(cfg, name, value)
        del manager._system_memory
        assert os.listdir(os.path.join(self.folder, 'spill')) == []
        shutil.rmtree(self.folder)

    # -- helpers ---------------------------------------------------------------------------
    def col(self, name):
        return self.dm[name]

    def existing(self, name):
        return name in self.model

    def expected(self, name):
        return self.model[name]

    # -- rules ---------------------------------------------------------------------------------
    @rule(name=names)
    def create(self, name):
        cell, dtype = SPECS[name]
        self.dm[name] = MultiDimensionalColumn(shape=cell, dtype=dtype)
        self.model[name] = np.full((N,) + cell, np.nan, dtype)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), value=values)
    def assign_whole_column(self, data, value):
        name = data.draw(st.sampled_from(sorted(self.model)))
        self.dm[name] = value
        self.model[name][...] = value

    @precondition(lambda self: self.model)
    @rule(data=st.data(), key=rows, per_cell=st.booleans())
    def assign_rows(self, data, key, per_cell):
        name = data.draw(st.sampled_from(sorted(self.model)))
        model = self.model[name]
        cell = model.shape[1:]
        addressed = np.arange(N)[key]
        per_cell = per_cell or len(cell) > 1  # the per-row rule is for 2-D columns
        if per_cell:  # one cell-shaped array, broadcast to every addressed row
            value = data.draw(st.lists(values, min_size=int(np.prod(cell)),
                                       max_size=int(np.prod(cell))))
            value = np.array(value, dtype=float).reshape(cell)
        else:  # one value per row (the legacy per-row rule of SPEC 4.5)
            value = np.array(data.draw(st.lists(values, min_size=len(addressed),
                                                max_size=len(addressed))), dtype=float)
        self.col(name)[key] = value
        if len(addressed) == 0:
            return
        if per_cell and not (len(cell) == 1 and value.ndim == 1
                             and len(value) == len(addressed)):
            model[addressed] = value
        else:
            model[addressed] = value.reshape((-1,) + (1,) * len(cell))

    @precondition(lambda self: self.model)
    @rule(data=st.data(), row=st.integers(-N, N - 1), value=values)
    def assign_cell(self, data, row, value):
        name = data.draw(st.sampled_from(sorted(self.model)))
        model = self.model[name]
        index = tuple(data.draw(st.integers(0, size - 1)) for size in model.shape[1:])
        self.col(name)[(row,) + index] = value
        model[(row,) + index] = value

    @precondition(lambda self: self.model)
    @rule(data=st.data(), row=st.integers(-N, N - 1))
    def read_row(self, data, row):
        name = data.draw(st.sampled_from(sorted(self.model)))
        cell = self.col(name)[row]
        assert np.array_equal(cell, self.model[name][row], equal_nan=True)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), reduction=st.sampled_from(sorted(REDUCTIONS)))
    def reduce(self, data, reduction):
        name = data.draw(st.sampled_from(sorted(self.model)))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            result = getattr(self.col(name), reduction)
            expected = REDUCTIONS[reduction](self.model[name].astype(float), axis=0)
        np.testing.assert_allclose(result, expected, rtol=1e-6, equal_nan=True)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def ellipsis_means(self, data):
        name = data.draw(st.sampled_from(sorted(self.model)))
        col, model = self.col(name), self.model[name].astype(float)
        axes = (Ellipsis,) * model.ndim
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            over_rows, grand = col[...], col[axes]
            per_row = col[(slice(None),) + axes[1:]]
            np.testing.assert_allclose(over_rows, np.nanmean(model, axis=0), rtol=1e-6,
                                       equal_nan=True)
            np.testing.assert_allclose(grand, np.nanmean(model), rtol=1e-6, equal_nan=True)
            np.testing.assert_allclose(np.array(per_row), np.nanmean(
                model.reshape(N, -1), axis=1), rtol=1e-6, equal_nan=True)

    @rule(permutation=st.permutations(list(range(N))))
    def shuffle_keys(self, permutation):
        self.dm.k = permutation
        self.k = np.array(permutation)

    @rule(threshold=st.integers(-1, N))
    def select_by_comparison(self, threshold):
        subset = self.dm.k > threshold  # a DataMatrix of the matching rows
        self.check_subset(subset, self.k > threshold)

    @rule(key=st.slices(N))
    def select_by_slice(self, key):
        self.check_subset(self.dm[key], np.arange(N)[key])

    def check_subset(self, subset, selection):
        assert len(subset) == len(np.arange(N)[selection])
        for name, model in self.model.items():
            col = subset[name]
            assert col._dtype == model.dtype
            assert np.array_equal(np.array(col._store.array), model[selection],
                                  equal_nan=True)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def offload(self, data):
        name = data.draw(st.sampled_from(sorted(self.model)))
        self.col(name).loaded = False
        assert not self.col(name).loaded

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def load(self, data):
        name = data.draw(st.sampled_from(sorted(self.model)))
        try:
            self.col(name).loaded = True
        except MemoryBudgetError:  # allowed: the column cannot fit
            return
        assert self.col(name).loaded

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def delete(self, data):
        name = data.draw(st.sampled_from(sorted(self.model)))
        del self.dm[name]
        del self.model[name]

    @rule()
    def save_and_reopen(self):
        offloaded = {name: not self.dm[name].loaded for name in self.model}
        io.writebin(self.dm, self.file)
        self.dm = io.readbin(self.file)  # lazily mapped from now on
        assert self.dm.k.array.tolist() == self.k.tolist()
        for name in self.model:  # offloaded columns come back offloaded
            assert not offloaded[name] or not self.dm[name].loaded

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def values_never_change_because_a_column_moved(self):
        assert sorted(name for name in self.dm.column_names if name != 'k') == \
            sorted(self.model)
        for name, model in self.model.items():
            store = self.dm._cols[name]._store
            assert store.dtype == model.dtype
            assert np.array_equal(np.array(store.array), model, equal_nan=True), name

    @invariant()
    def resident_bytes_stay_within_the_budget(self):
        loaded = sum(store.nbytes for store in manager.stores() if store.loaded)
        assert loaded == manager.resident
        assert loaded <= cfg.memory_limit


ColumnsUnderPressure.TestCase.settings = settings(
    max_examples=30, stateful_step_count=30, deadline=None, database=None)
TestColumnsUnderPressure = ColumnsUnderPressure.TestCase
TestColumnsUnderPressure.__doc__ = ('Random operations under a two-column budget keep '
                                    'values and memory accounting right.')
