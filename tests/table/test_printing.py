"""Printing a DataMatrix reads only the shown cells and never loads a column."""
import numpy as np
import pytest

from datamatrix import DataMatrix, IntColumn, SeriesColumn
from datamatrix._engine.config import cfg


@pytest.fixture
def small_budget(tmp_path):
    """No pinning and a 1 MiB budget: a use of a small offloaded column loads it."""
    names = ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir')
    saved = {name: getattr(cfg, name) for name in names}
    cfg.memory_limit, cfg.always_load_max_size = 2 ** 20, 0
    cfg.save_chunk_size, cfg.tmp_dir = 80, str(tmp_path)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)


def make_dm(n):
    """A DataMatrix of ``n`` rows with 1-D columns and an offloaded series ``s``."""
    dm = DataMatrix(length=n)
    dm.i = IntColumn
    dm.i = range(n)
    dm.s = SeriesColumn(depth=10)
    dm.s = np.arange(n * 10.0).reshape(n, 10)
    return dm


@pytest.mark.parametrize('n', [3, 150])
def test_printing_keeps_offloaded_columns_offloaded(small_budget, n):
    """str(dm), repr(dm) and _repr_html_ leave an offloaded column offloaded."""
    dm = make_dm(n)
    dm.s.loaded = False
    text, html = str(dm), dm._repr_html_()
    repr(dm)
    assert not dm.s.loaded
    dm.s[0]  # a use does load it under this budget: printing is what is different
    assert dm.s.loaded
    # the same cells; only the header's 'offloaded' mark (issue 15) is gone
    assert str(dm) == text and dm._repr_html_() == html.replace(' · offloaded', '')
    assert ' · offloaded' in html


def test_printing_truncation_notes_and_cells(small_budget):
    """Long and wide tables keep the SPEC 2.12 notes, in order, and the cell forms."""
    dm = make_dm(25)
    for name in 'tuvwx':  # columns print in name order: i, s, t, ...
        dm[name] = 1
    dm.s.loaded = False
    lines = str(dm).splitlines()
    assert lines[-2:] == ['(+ 1 columns not shown)', '(+ 5 rows not shown)']
    assert sum(line.startswith('|') for line in lines) == 21
    assert '[190. 191. ... 198. 199.]' in str(dm)
    html = dm._repr_html_()
    assert html.count('<tr>') == 26 and '<td>240 241 … 248 249</td>' in html
    assert not dm.s.loaded
