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
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from datamatrix._engine import stream as _stream
from datamatrix._table.columns import BaseColumn
from datamatrix._table.keys import is_int
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.errors import LengthMismatchError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from datamatrix._table.datamatrix import DataMatrix

_BAND_ALPHA = 0.25


# -- helpers -------------------------------------------------------------------------

def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('datamatrix.plot needs matplotlib; install it with '
                          '`pip install matplotlib` (or datamatrix[plot])') from exc
    return plt


def _axes(ax: Axes | None) -> Axes:
    return _pyplot().gca() if ax is None else ax


def _check_series(series: Any, name: str = 'series') -> None:
    """TypeError unless ``series`` is a 2-D MD column; ValueError if it has no rows."""
    if not isinstance(series, _MultiDimensionalColumn):
        raise TypeError(f'{name} must be a series column (rows x samples), not '
                        f'{type(series).__name__}')
    if len(series._dims) != 1:
        raise TypeError(f'{name} must be a series column (rows x samples), not a '
                        f'multidimensional column of shape {series.shape}; select a '
                        f'2-D part first, e.g. col[:, 0]')
    if len(series) == 0:
        raise ValueError(f'{name} has no rows: there is nothing to plot')


def _err_mode(err: Any) -> str | None:
    if err is True or err == 'se':
        return 'se'
    if err == 'ci':
        return 'ci'
    if err is False or err is None:
        return None
    raise ValueError(f"err must be True or 'se' (standard error), 'ci' (95 % confidence "
                     f"interval) or False (no band), not {err!r}")


def _x_values(series: _MultiDimensionalColumn, x: Any, axis: int = 0) -> np.ndarray:
    """Coordinates of cell ``axis``: ``x``, else numeric index names, else positions."""
    size = series._cell_shape[axis]
    if x is None:
        names = series.index_names[axis]
        if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
               for v in names):
            return np.asarray(names, dtype=float)
        return np.arange(size, dtype=float)
    try:
        values = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f'x must be a sequence of numbers, not {x!r:.80}') from exc
    if values.shape != (size,):
        raise LengthMismatchError(f'x must have one value per sample ({size}), not '
                                  f'shape {values.shape}')
    return values


class _Moments:
    """Per-sample count, mean and sum of squared deviations of non-NaN values.

    Blocks are merged with the pairwise update of Chan, Golub & LeVeque, which
    is as accurate as two passes but reads the data once.
    """

    def __init__(self, depth: int) -> None:
        self.count = np.zeros(depth, dtype=np.int64)
        self.mean = np.zeros(depth)
        self.m2 = np.zeros(depth)

    def add(self, block: np.ndarray) -> None:
        """Merge the rows of ``block`` (a 2-D array, any float dtype)."""
        values = np.array(block, dtype=np.float64)  # the only block-sized copy
        invalid = np.isnan(values)
        values[invalid] = 0
        n = len(values) - invalid.sum(axis=0)
        has = n > 0
        with np.errstate(invalid='ignore', divide='ignore'):
            mean = values.sum(axis=0) / n
        values -= mean
        values[invalid] = 0
        np.square(values, out=values)
        m2 = values.sum(axis=0)
        total = self.count + n
        delta = mean[has] - self.mean[has]
        weight = n[has] / total[has]
        self.m2[has] += m2[has] + delta ** 2 * self.count[has] * weight
        self.mean[has] += delta * weight
        self.count = total

    def result(self, mode: str | None) -> tuple[np.ndarray, np.ndarray | None]:
        """The mean (NaN without values) and the half-width of the band, if any."""
        mean = np.where(self.count > 0, self.mean, np.nan)
        if mode is None:
            return mean, None
        dof = self.count - 1
        with np.errstate(invalid='ignore', divide='ignore'):
            se = np.where(dof > 0, np.sqrt(self.m2 / dof) / np.sqrt(self.count), np.nan)
        if mode == 'se':
            return mean, se
        try:
            from scipy.stats import t
        except ImportError as exc:
            raise ImportError("err='ci' needs scipy; install it with "
                              "`pip install scipy`") from exc
        return mean, se * t.ppf(0.975, np.maximum(dof, 1))


def _group_moments(array: np.ndarray, masks: Sequence[np.ndarray] | None) -> list:
    """One streamed pass over the rows of ``array``: moments of each row mask.

    ``masks=None`` means a single group of all rows.
    """
    depth = array.shape[1]
    moments = [_Moments(depth) for _ in (masks if masks is not None else [None])]
    for start, stop, block in _stream.blocks_of(array):
        if masks is None:
            moments[0].add(block)
            continue
        for accumulator, mask in zip(moments, masks):
            rows = mask[start:stop]
            if rows.all():
                accumulator.add(block)
            elif rows.any():
                accumulator.add(block[rows])
    return moments


def _draw(ax: Axes, x: np.ndarray, moments: _Moments, mode: str | None,
          color: Any, label: Any, kwargs: dict) -> None:
    mean, half = moments.result(mode)
    line, = ax.plot(x, mean, color=color, label=label, **kwargs)
    if half is not None and not np.isnan(half).all():
        ax.fill_between(x, mean - half, mean + half, color=line.get_color(),
                        alpha=_BAND_ALPHA, linewidth=0)


# -- public functions ---------------------------------------------------------------

def trace(series: BaseColumn, x: Sequence[float] | None = None, color: Any = None,
          err: bool | str = True, label: str | None = None, ax: Axes | None = None,
          **kwargs: Any) -> Axes:
    """Plot the mean over rows of a series column with a shaded error band.

    The mean and the band ignore NaN values, sample by sample. The column is
    read in one streamed pass over row blocks, so an offloaded column is never
    loaded as a whole.

    Parameters
    ----------
    series : series column
        Any two-dimensional (rows x samples) multidimensional column.
    x : sequence of float, optional
        The x coordinate of every sample. By default the index names of the
        samples if they are numbers (e.g. time stamps given as the shape),
        else ``0 .. depth - 1``.
    color : matplotlib color, optional
        The color of the line and the band; by default the next color of the
        Axes' cycle.
    err : bool or {'se', 'ci'}
        ``True`` or ``'se'``: a band of ± one standard error of the mean
        (``std(ddof=1) / sqrt(n)``); ``'ci'``: a 95 % confidence interval
        (``t(0.975, n - 1) * se``); ``False``: no band. Samples with fewer
        than two values have no band.
    label : str, optional
        The legend label of the line.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default the current Axes (``plt.gca()``).
    **kwargs
        Passed on to ``ax.plot`` (e.g. ``linestyle``, ``linewidth``).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one ``Line2D`` for the mean and, with a band, one
        ``PolyCollection`` from ``fill_between``.

    Raises
    ------
    TypeError
        If ``series`` is not a two-dimensional column.
    ValueError
        If ``series`` has no rows or ``err`` is not one of the options.
    LengthMismatchError
        If ``x`` does not have one value per sample.
    ImportError
        If matplotlib is not installed.
    """
    _check_series(series)
    mode = _err_mode(err)
    xs = _x_values(series, x)
    ax = _axes(ax)
    moments, = _group_moments(series._use(), None)
    _draw(ax, xs, moments, mode, color, label, kwargs)
    return ax


def _column_of(dm: DataMatrix, col: Any, name: str) -> BaseColumn:
    """``dm[col]`` for a name; a column or sequence checked to have ``len(dm)`` rows."""
    if isinstance(col, str):
        return dm[col]
    if not isinstance(col, BaseColumn):
        if isinstance(col, (bytes, dict, set)) or not hasattr(col, '__len__'):
            raise TypeError(f'{name} must be a column name, a column or a sequence, '
                            f'not {type(col).__name__}')
        from datamatrix._table.datamatrix import DataMatrix
        holder = DataMatrix(length=len(col))
        holder.values = list(col)
        col = holder.values
    if len(col) != len(dm):
        raise LengthMismatchError(f'{name} has {len(col)} rows, the DataMatrix has '
                                  f'{len(dm)}')
    return col


def traces(dm: DataMatrix, series: str | BaseColumn, by: str | BaseColumn | Sequence,
           x: Sequence[float] | None = None, colors: Any = None, err: bool | str = True,
           legend: bool = True, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Plot one mean trace (with an error band) per value of a grouping column.

    All groups are computed in a single streamed pass over the rows of
    ``series``: no subset of the DataMatrix is copied and an offloaded column is
    never loaded as a whole.

    Parameters
    ----------
    dm : DataMatrix
        The data; it must have rows.
    series : str or series column
        The series to average, by name or as a column with ``len(dm)`` rows.
    by : str, column or sequence
        The grouping column, by name, as a 1-D column or as a sequence of
        ``len(dm)`` values (matched to the rows of ``dm`` by position).
        Groups are its distinct values in the order of ``col.unique`` (sorted)
        and rows belong to a group as ``by == value`` selects them.
    x : sequence of float, optional
        Sample coordinates, as for :func:`trace`.
    colors : sequence or dict, optional
        A color per group (in group order, or a dict keyed by value); by default
        the Axes' color cycle.
    err : bool or {'se', 'ci'}
        The band, as for :func:`trace`.
    legend : bool
        Whether to add a legend (titled with the name of ``by``) with one entry
        per group.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default the current Axes.
    **kwargs
        Passed on to ``ax.plot`` for every line.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with one line (labelled ``str(value)``) and band per group.

    Raises
    ------
    ValueError
        If ``dm`` has no rows, or for a bad ``err``.
    TypeError
        If ``series`` is not a two-dimensional column or ``by`` is a
        multidimensional column.
    LengthMismatchError
        If ``series`` or ``by`` do not have one value per row of ``dm``.
    ColumnNotFoundError
        For an unknown column name.
    """
    if len(dm) == 0:
        raise ValueError('the DataMatrix has no rows: there is nothing to plot')
    series = _column_of(dm, series, 'series')
    _check_series(series)
    by_name = by if isinstance(by, str) else getattr(by, 'name', None)
    by = _column_of(dm, by, 'by')
    if isinstance(by, _MultiDimensionalColumn):
        raise TypeError('by must be a one-dimensional column, not a multidimensional one')
    mode = _err_mode(err)
    xs = _x_values(series, x)
    values = list(by.unique)
    masks = [np.asarray(by._compare_mask('==', value), dtype=bool) for value in values]
    if isinstance(colors, dict):
        colors = [colors.get(value) for value in values]
    elif colors is not None and len(colors) < len(values):
        raise LengthMismatchError(f'colors has {len(colors)} entries for '
                                  f'{len(values)} groups')
    ax = _axes(ax)
    for index, (value, moments) in enumerate(zip(values, _group_moments(series._use(),
                                                                        masks))):
        color = None if colors is None else colors[index]
        _draw(ax, xs, moments, mode, color, str(value), kwargs)
    if legend:
        ax.legend(title=by_name if isinstance(by_name, str) else None)
    return ax


def _decimate(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` evenly spaced positions of ``range(n)`` (bin centres)."""
    if n <= limit:
        return np.arange(n)
    return ((np.arange(limit) + 0.5) * n / limit).astype(np.int64)


def _edges(values: np.ndarray) -> tuple[float, float]:
    """The outer edges of evenly spaced pixel centres ``values``."""
    step = (values[-1] - values[0]) / (len(values) - 1) if len(values) > 1 else 1.0
    return values[0] - step / 2, values[-1] + step / 2


def heatmap(col: BaseColumn, row: int | None = None, x: Sequence[float] | None = None,
            max_size: tuple[int, int] | None = None, colorbar: bool = True,
            ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Show a series column as an image of rows x samples, or one 2-D cell.

    When the data has more rows or samples than the Axes has pixels, evenly
    spaced rows and samples are shown (nearest-neighbour decimation), and only
    those rows are read, block by block: an offloaded column is never loaded
    as a whole. The axes keep the coordinates of the full data (row positions
    on y, sample positions or ``x`` on x).

    Parameters
    ----------
    col : multidimensional column
        A two-dimensional (series) column, shown as rows x samples; or a column
        with two-dimensional cells, of which the cell ``row`` is shown.
    row : int, optional
        The row whose cell is shown (only for columns with 2-D cells).
    x : sequence of float, optional
        For a series: the sample coordinates, as for :func:`trace`. For a
        cell: the coordinates of its second axis.
    max_size : (int, int), optional
        The largest image (rows, columns) to draw; by default the size of the
        Axes in pixels.
    colorbar : bool
        Whether to add a colorbar.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default the current Axes.
    **kwargs
        Passed on to ``ax.imshow`` (e.g. ``cmap``, ``vmin``, ``vmax``).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes; the image is ``ax.images[-1]``.

    Raises
    ------
    TypeError
        If ``col`` is not a multidimensional column.
    ValueError
        If it has no rows, or its cells are neither 1-D (series) nor 2-D (with
        ``row``), or ``row`` is given for a series.
    IndexError
        If ``row`` is out of range.
    """
    if not isinstance(col, _MultiDimensionalColumn):
        raise TypeError(f'heatmap needs a multidimensional column, not '
                        f'{type(col).__name__}')
    if len(col) == 0:
        raise ValueError('the column has no rows: there is nothing to plot')
    ax = _axes(ax)
    if max_size is None:
        box = ax.get_window_extent()
        max_size = (max(1, int(box.height)), max(1, int(box.width)))
    n_cell_dims = len(col._dims)
    if n_cell_dims == 1:
        if row is not None:
            raise ValueError('row selects one cell of a column with 2-D cells; a series '
                             'column is shown whole (select rows first, e.g. col[10:20])')
        xs = _x_values(col, x)
        image = _series_image(col, max_size)
        ylabel, xlabel = 'row', 'sample'
    elif n_cell_dims == 2:
        if row is None:
            raise ValueError(f'the column has cells of shape {col._cell_shape}: pass '
                             f'row= to show one cell')
        if not is_int(row):
            raise TypeError(f'row must be an integer, not {row!r}')
        xs = _x_values(col, x, axis=1)
        image = _cell_image(col, int(row), max_size)
        ylabel, xlabel = 'axis 1', 'axis 2'
    else:
        raise ValueError(f'heatmap shows 2-D data: select a 2-D part of this column of '
                         f'shape {col.shape} first (e.g. col[:, 0])')
    n_rows = len(col) if n_cell_dims == 1 else col._cell_shape[0]
    left, right = _edges(xs)
    kwargs.setdefault('aspect', 'auto')
    kwargs.setdefault('interpolation', 'nearest')
    kwargs.setdefault('origin', 'upper')
    image_artist = ax.imshow(image, extent=(left, right, n_rows - 0.5, -0.5), **kwargs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(image_artist, ax=ax)
    return ax


def _series_image(col: _MultiDimensionalColumn, max_size: tuple[int, int]):
    """The decimated rows x samples of a series, reading only the rows shown."""
    array = col._use()
    rows = _decimate(len(array), max_size[0])
    samples = _decimate(array.shape[1], max_size[1])
    image = np.empty((len(rows), len(samples)))
    for start, stop, block in _stream.blocks_of(array):
        first, last = np.searchsorted(rows, [start, stop])
        if last > first:
            image[first:last] = block[rows[first:last] - start][:, samples]
    return image


def _cell_image(col: _MultiDimensionalColumn, row: int, max_size: tuple[int, int]):
    """The decimated 2-D cell of ``row``."""
    array = col._use()
    if not -len(array) <= row < len(array):
        raise IndexError(f'row {row} is out of range for a column of {len(array)} rows')
    cell = array[row]
    rows = _decimate(cell.shape[0], max_size[0])
    samples = _decimate(cell.shape[1], max_size[1])
    return np.array(cell[np.ix_(rows, samples)], dtype=float)


__all__ = ['trace', 'traces', 'heatmap']
