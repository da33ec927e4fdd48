"""Plots of series columns: mean traces with an error band, and heatmaps.

matplotlib is an optional dependency, imported on first use. Every function
reads its column by streaming over row blocks (:func:`datamatrix._engine.stream.blocks_of`),
so an offloaded column larger than ``cfg.memory_limit`` is drawn without ever
being loaded as a whole: :func:`trace` and :func:`traces` make one pass that
accumulates, per sample, the count, mean and sum of squared deviations of the
non-NaN values; :func:`heatmap` reads only the rows it shows.

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
