"""Plots: mean traces of series columns with an error band, heatmaps, and the 1.0 helpers.

:func:`trace`, :func:`traces` and :func:`heatmap` draw series columns by streaming
over row blocks, so an offloaded column is never loaded as a whole; :func:`new`,
:func:`save`, :func:`threshold` and :func:`regplot` are the helpers that scripts
written for datamatrix 1.0 use. matplotlib is imported on first use
(``pip install "datamatrix[plot]"``).

Examples
--------
>>> from datamatrix import SeriesColumn, plot
>>> dm = DataMatrix(condition=['a', 'b', 'a', 'b'])
>>> dm.pupil = SeriesColumn(depth=50)
>>> dm.pupil = np.random.default_rng(1).normal(size=(4, 50))
>>> ax = plot.traces(dm, 'pupil', by='condition')
>>> [line.get_label() for line in ax.get_lines()]
['a', 'b']
>>> ax.figure.savefig('traces.png')
"""
from datamatrix.plot._legacy import new, regplot, save, threshold
from datamatrix.plot._traces import heatmap, trace, traces

__all__ = ['trace', 'traces', 'heatmap', 'new', 'save', 'threshold', 'regplot']
