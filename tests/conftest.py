"""Shared fixtures: run multidimensional tests for a loaded and an offloaded column."""
import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import configuration as _hypothesis_configuration

from datamatrix._engine.config import cfg

# hypothesis keeps its example database and caches in a folder of its own for this
# run, removed at exit, so that the tests leave nothing behind in the checkout
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix='datamatrix-hypothesis-')
_hypothesis_configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)

_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir')


class Storage:
    """Where MD columns of a test live: ``'loaded'`` (RAM) or ``'offloaded'`` (spill file).

    ``storage.prepare(col)`` puts a column in that state (and returns it), so one
    test body checks that storage never changes a result.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.offloaded = mode == 'offloaded'

    def prepare(self, col):
        """Offload ``col`` in the offloaded mode; return it."""
        if self.offloaded:
            col.loaded = False
            assert not col.loaded or col._store.nbytes == 0  # nothing to offload
        return col

    def __repr__(self) -> str:
        return self.mode


@pytest.fixture(params=['loaded', 'offloaded'])
def storage(request, tmp_path):
    """A :class:`Storage`; the offloaded mode uses a tiny budget and small blocks.

    With ``always_load_max_size = 0`` and ``never_load_min_size = 0`` nothing but
    empty arrays is loaded automatically, so offloaded columns stay offloaded and
    new results are created in spill files; the budget (``memory_limit``, 1 MiB)
    stays large enough for explicit copies such as ``col.array``, and
    ``save_chunk_size = 40`` makes streaming use blocks of a row or two. The configuration is restored afterwards and no
    file may be left in ``tmp_dir``.
    """
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path)
    if request.param == 'offloaded':
        cfg.always_load_max_size = 0
        cfg.never_load_min_size = 0
        cfg.memory_limit = 2 ** 20
        cfg.save_chunk_size = 40
    try:
        yield Storage(request.param)
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)
    assert os.listdir(tmp_path) == [], 'temporary files were left behind'
