"""The reference's plotting helpers, re-exported by :mod:`datamatrix.plot` (SPEC 14.1).

``new`` opens a figure, ``save`` writes it to a folder, ``threshold`` shades the
samples where a threshold series (``series.threshold``) is set, and ``regplot``
draws a scatter plot with its least-squares line. matplotlib (and scipy for
``regplot``) are imported on first use.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from datamatrix._table.columns import BaseColumn
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.colors.tango import blue, gray
from datamatrix.errors import LengthMismatchError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from datamatrix._table.datamatrix import DataMatrix


def _pyplot():
    from datamatrix.plot._traces import _pyplot as pyplot
    return pyplot()


def new(size: tuple[float, float] = (8, 4)) -> Figure:
    """Open a new matplotlib figure of ``size`` inches (width, height) and return it.

    The figure becomes the current one, so ``plot.trace`` and ``plot.save`` use it.
    """
    width, height = size
    return _pyplot().figure(figsize=(width, height))


def save(name: str, folder: str | os.PathLike = 'plot', show: bool = False,
         dpi: int = 100) -> list[str]:
    """Save the current figure as ``<folder>/<name>.png`` and ``<folder>/<name>.svg``.

    ``folder`` is created if needed. Afterwards the figure is shown (``show=True``)
    or closed.

    Parameters
    ----------
    name : str
        The file name without extension.
    folder : str or os.PathLike, default 'plot'
    show : bool, default False
        Call ``plt.show()`` instead of closing the figure.
    dpi : int, default 100
        Resolution of the PNG file.

    Returns
    -------
    list of str
        The paths written (PNG first).
    """
    if not isinstance(name, str) or not name or os.sep in name:
        raise ValueError(f'name must be a file name without a folder, not {name!r}')
    plt = _pyplot()
    figure = plt.gcf()
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(os.fspath(folder), f'{name}.{ext}') for ext in ('png', 'svg')]
    figure.savefig(paths[0], dpi=dpi)
    figure.savefig(paths[1])
    if show:
        plt.show()
    else:
        plt.close(figure)
    return paths


def _threshold_mask(series: Any) -> np.ndarray:
    """Per sample, whether the threshold series is set (in any row of a column)."""
    if isinstance(series, _MultiDimensionalColumn):
        if len(series._dims) != 1:
            raise TypeError(f'series must be a series column (rows x samples), not of '
                            f'shape {series.shape}')
        if len(series) == 0:
            return np.zeros(series.depth, dtype=bool)
        return np.nan_to_num(np.asarray(series.max, dtype=float)) > 0
    if isinstance(series, BaseColumn) or isinstance(series, (str, bytes)):
        raise TypeError(f'series must be a series column or a 1-D array, not '
                        f'{type(series).__name__}')
    values = np.asarray(series, dtype=float)
    if values.ndim != 1:
        raise TypeError(f'series must be a series column or a 1-D array, not an array '
                        f'of shape {values.shape}')
    return np.nan_to_num(values) > 0


def threshold(series: Any, x: Sequence[float] | None = None, color: Any = blue[1],
              alpha: float = 0.2, y1: float = 0, y2: float = 1, ax: Axes | None = None,
              **kwargs: Any) -> list:
    """Shade the samples at which a threshold series is set.

    Every run of consecutive set samples becomes one vertical band
    (``ax.axvspan``) that reaches half a sample beyond its first and last sample.
    For a column, a sample is set if it is above 0 in any row (the output of
    ``series.threshold`` is 0/1 per row).

    Parameters
    ----------
    series : series column or 1-D array
        The threshold values; NaN counts as not set.
    x : sequence of float, optional
        The x coordinate of every sample; by default ``0 .. depth - 1``.
    color : matplotlib color, default ``tango.blue[1]``
    alpha : float, default 0.2
    y1, y2 : float, default 0 and 1
        The vertical extent as fractions of the Axes' height.
    ax : matplotlib.axes.Axes, optional
        By default the current Axes.
    **kwargs
        Passed on to ``ax.axvspan``.

    Returns
    -------
    list of matplotlib.patches.Patch
        One patch per run.
    """
    mask = _threshold_mask(series)
    xs = np.arange(len(mask), dtype=float) if x is None else np.asarray(x, dtype=float)
    if xs.shape != mask.shape:
        raise LengthMismatchError(f'x has {xs.size} values for {mask.size} samples')
    step = float(np.median(np.diff(xs))) if len(xs) > 1 else 1.0
    ax = _pyplot().gca() if ax is None else ax
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [ax.axvspan(xs[start] - step / 2, xs[end - 1] + step / 2, ymin=y1, ymax=y2,
                       color=color, alpha=alpha, **kwargs)
            for start, end in zip(starts, ends)]


def _numbers(dm: DataMatrix, col: Any, name: str) -> np.ndarray:
    from datamatrix.plot._traces import _column_of
    column = _column_of(dm, col, name)
    if isinstance(column, _MultiDimensionalColumn):
        raise TypeError(f'{name} must be a 1-D column, not a multidimensional one')
    values = []
    for value in column:
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            values.append(np.nan)  # text and None are left out, like NaN
    return np.array(values, dtype=float)


def regplot(dm: DataMatrix, x: Any, y: Any, annotate: Any = None, symbol: str = '.',
            linestyle: str = '--', color: Any = blue[1], label: str | None = None,
            ax: Axes | None = None) -> tuple[float, float, float, float, float]:
    """A scatter plot of ``y`` against ``x`` with the least-squares regression line.

    Rows in which ``x`` or ``y`` is not a number (NaN, text, ``None``) are left out.

    Parameters
    ----------
    dm : DataMatrix
    x, y : str or column
        Column names of ``dm``, or columns / sequences with one value per row.
    annotate : str or column, optional
        A column whose value is written beside each point.
    symbol : str, default '.'
        The matplotlib marker of the points.
    linestyle : str, default '--'
        The line style of the regression line.
    color : matplotlib color, default ``tango.blue[1]``
    label : str, optional
        The legend label of the points.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    tuple
        ``(slope, intercept, r, p, stderr)`` of ``scipy.stats.linregress``.

    Raises
    ------
    ValueError
        With fewer than two usable rows.
    """
    try:
        from scipy.stats import linregress
    except ImportError as exc:
        raise ImportError('plot.regplot needs scipy; install it with `pip install '
                          'scipy` (or datamatrix[scipy])') from exc
    xs, ys = _numbers(dm, x, 'x'), _numbers(dm, y, 'y')
    usable = np.isfinite(xs) & np.isfinite(ys)
    if usable.sum() < 2:
        raise ValueError(f'regplot needs at least two rows where x and y are numbers, '
                         f'not {int(usable.sum())}')
    ax = _pyplot().gca() if ax is None else ax
    ax.plot(xs[usable], ys[usable], symbol, color=color, label=label, linestyle='none')
    result = linregress(xs[usable], ys[usable])
    line_x = np.array([xs[usable].min(), xs[usable].max()])
    ax.plot(line_x, result.intercept + result.slope * line_x, linestyle=linestyle,
            color=color)
    if annotate is not None:
        from datamatrix.plot._traces import _column_of
        notes = list(_column_of(dm, annotate, 'annotate'))
        for index in np.flatnonzero(usable):
            ax.annotate(str(notes[index]), (xs[index], ys[index]), color=gray[5])
    return (float(result.slope), float(result.intercept), float(result.rvalue),
            float(result.pvalue), float(result.stderr))
