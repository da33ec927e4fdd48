"""Plots of series columns: mean traces with an error band, and heatmaps.

matplotlib is an optional dependency, imported on first use. Every function
reads its column by streaming over row blocks (:func:`datamatrix._engine.stream.blocks_of`),
so an offloaded column larger than ``cfg.memory_limit`` is drawn without ever
being loaded as a whole: :func:`trace` and :func:`traces` make one pass that
accumulates, per sample, the count, mean and sum of squared deviations of the
non-NaN values; :func:`heatmap` reads only the rows it shows.

Examples
--------
>>> from datamatrix import plot
>>> ax = plot.traces(dm, 'pupil', by='condition')        # doctest: +SKIP
>>> ax.figure.savefig('traces.png')                      # doctest: +SKIP
"""
from datamatrix.plot._legacy import new, regplot, save, threshold
from datamatrix.plot._traces import heatmap, trace, traces

__all__ = ['trace', 'traces', 'heatmap', 'new', 'save', 'threshold', 'regplot']
