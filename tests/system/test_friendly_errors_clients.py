"""The client-compatibility names merged from main name their extra too (issue 15)."""
import sys

import pytest

from datamatrix import DataMatrix, plot


def test_regplot_without_scipy_names_the_extra(monkeypatch):
    pytest.importorskip('matplotlib')
    dm = DataMatrix(length=3)
    dm.x = 1, 2, 3
    dm.y = 2, 4, 7
    monkeypatch.setitem(sys.modules, 'scipy', None)
    monkeypatch.setitem(sys.modules, 'scipy.stats', None)
    with pytest.raises(ImportError) as info:
        plot.regplot(dm, 'x', 'y')
    assert 'plot.regplot' in str(info.value)
    assert 'pip install "datamatrix[scipy]"' in str(info.value)
