"""Grouping and crossing: ``weight``, ``group``, ``fullfactorial``, ``pivot_table``."""
from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from datamatrix._optional import optional_import
from datamatrix._table import keys as _keys
from datamatrix._engine import stream as _stream
from datamatrix._table import bulk as _bulk
from datamatrix._table.columns import BaseColumn, FloatColumn, MixedColumn, NumericColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix._table.combine import _attach, _column_name
from datamatrix.operations._common import _fresh_rows, _is_nan, _values_in_dm_order
from datamatrix.operations._split import combined_codes, factorise


# -- weight, group, fullfactorial, auto_type ---------------------------------------------

def weight(col: BaseColumn) -> DataMatrix:
    """Repeat each row of ``col.dm`` ``col[i]`` times, in order.

    Returns
    -------
    DataMatrix
        A new DataMatrix (fresh family, ids ``0..N-1``) with all columns,
        multidimensional ones included (copied block by block).

    Raises
    ------
    TypeError
        If a weight is not a non-negative int (floats such as ``1.0`` included).

    Examples
    --------
    >>> from datamatrix.operations import weight
    >>> dm = DataMatrix(condition=['a', 'b', 'c'], n=[2, 0, 1])
    >>> print(weight(dm.n))
    +---+-----------+---+
    | # | condition | n |
    +---+-----------+---+
    | 0 |     a     | 2 |
    | 1 |     a     | 2 |
    | 2 |     c     | 1 |
    +---+-----------+---+
    """
    if isinstance(col, _MultiDimensionalColumn) or not isinstance(col, BaseColumn):
        raise TypeError('weight expects an IntColumn or a MixedColumn of ints')
    if isinstance(col, FloatColumn):
        raise TypeError('weights must be ints, not the floats of a FloatColumn')
    dm = col._datamatrix
    weights = _values_in_dm_order(col, dm)
    for value in weights:
        if not _keys.is_int(value) or value < 0:
            raise TypeError(f'weights must be non-negative ints, not {value!r}')
    positions = np.repeat(np.arange(len(dm), dtype=np.int64),
                          np.array(weights, dtype=np.int64))
    return _fresh_rows(dm._select_positions(positions))


def _group_series(values: list, groups: list, depth: int) -> tuple[np.ndarray, int]:
    """One row per group holding its values, NaN-padded; non-numeric groups stay NaN."""
    data = np.full((len(groups), depth), np.nan)
    failed = 0
    for row, positions in enumerate(groups):
        cells = [values[i] for i in positions]
        if any(isinstance(v, (str, bytes)) for v in cells):
            failed += 1
            continue
        data[row, :len(cells)] = [np.nan if v is None else float(v) for v in cells]
    return data, failed


def _group_rows(dm: DataMatrix, by_columns: list) -> tuple[np.ndarray, np.ndarray]:
    """The group of every row and the first row of every group (first appearance).

    The keys are factorised once (per column, then combined), not compared per row.
    """
    n = len(dm)
    if not by_columns:
        return np.zeros(n, dtype=np.int64), np.zeros(min(n, 1), dtype=np.int64)
    factorised = [factorise(col, dm) for col in by_columns]
    combined = combined_codes([codes for _, codes in factorised],
                              [len(unique) for unique, _ in factorised])
    order = _bulk.stable_order(combined, math.prod(len(unique) for unique, _ in factorised))
    ordered = combined[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = ordered[1:] != ordered[:-1]
    first = order[new_group]  # the first row of each combination (combinations sorted)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new_group) - 1
    appearance = np.argsort(first, kind='stable')
    rank = np.empty(len(first), dtype=np.int64)
    rank[appearance] = np.arange(len(first), dtype=np.int64)
    return rank[inverse], first[appearance].astype(np.int64)


def _group_series_fast(col: BaseColumn, layout: tuple) -> tuple[np.ndarray, int] | None:
    """Like :func:`_group_series` with whole-array work; None for unusual values."""
    row_group, order, within, count, depth = layout
    if isinstance(col, NumericColumn):
        values = col._seq.astype(np.float64)
        text = None
    else:
        factorised = _bulk.mixed_factorise(col._seq)
        if factorised is None:
            return None
        unique, codes = factorised
        is_text = np.array([isinstance(v, str) for v in unique], dtype=bool)
        floats = np.array([np.nan if v is None or isinstance(v, str) else float(v)
                           for v in unique], dtype=np.float64)
        values = floats[codes]
        text = is_text[codes]
    data = np.full((count, depth), np.nan)
    data[row_group[order], within] = values[order]
    failed = 0
    if text is not None and text.any():
        bad = np.bincount(row_group[text], minlength=count) > 0
        data[bad] = np.nan
        failed = int(bad.sum())
    return data, failed


def group(dm: DataMatrix, by: Any) -> DataMatrix:
    """One row per combination of the values of ``by``.

    Parameters
    ----------
    dm : DataMatrix
    by : column, name, list of columns/names, or None
        Columns of ``dm`` (names are accepted too); ``None`` puts all rows in
        one group.

    Returns
    -------
    DataMatrix
        A new DataMatrix with one row per group, in order of first
        appearance. ``by`` columns keep their type and hold the group's value;
        every other 1-D column becomes a series column (depth = largest group)
        holding the group's values, NaN-padded. A group whose values include
        strings stays all NaN (with a warning). Multidimensional columns are
        skipped with a warning.

    Raises
    ------
    ValueError
        For a column that does not belong to ``dm``.

    Examples
    --------
    >>> from datamatrix.operations import group
    >>> dm = DataMatrix(c=['a', 'b', 'a'], x=[1, 2, 3])
    >>> g = group(dm, by=dm.c)
    >>> list(g.c), g.x.shape
    (['a', 'b'], (2, 2))
    """
    if by is None:
        by = []
    elif not isinstance(by, (list, tuple)):
        by = [by]
    by_columns = []
    for item in by:
        if isinstance(item, (str, bytes)):
            item = dm[item]
        if not isinstance(item, BaseColumn) or item not in dm:
            raise ValueError(f'group: {item!r} is not a column of the DataMatrix')
        if isinstance(item, _MultiDimensionalColumn):
            raise TypeError('group: cannot group by a multidimensional column')
        by_columns.append(item)
    n = len(dm)
    row_group, first = _group_rows(dm, by_columns)
    counts = np.bincount(row_group, minlength=len(first))
    depth = int(counts.max()) if len(counts) else 0
    order = _bulk.stable_order(row_group, len(first))  # each group's rows, in order
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    within = np.arange(n, dtype=np.int64) - starts[row_group[order]]
    layout = (row_group, order, within, len(first), depth)
    members = None
    result = DataMatrix(length=len(first), default_col_type=dm._default_col_type)
    result.sorted = dm.sorted
    for name, col in dm._cols.items():
        if any(col is b for b in by_columns):
            _attach(result, name, col._take(first), col.metadata)
        elif isinstance(col, _MultiDimensionalColumn):
            warnings.warn(f'group: multidimensional column {name!r} is skipped')
        else:
            series = _group_series_fast(col, layout)
            if series is None:
                if members is None:
                    members = np.split(order, np.cumsum(counts)[:-1])
                series = _group_series(list(col), members, depth)
            data, failed = series
            if failed:
                warnings.warn(f'group: {failed} group(s) of column {name!r} hold '
                              f'non-numeric values and are left NaN')
            store = _stream.new_store(data.shape, np.float64)
            store.array[...] = data
            result._cols[name] = _SeriesColumn._from_store(result, store, [depth],
                                                           True, col.metadata)
    return result


def fullfactorial(dm: DataMatrix, ignore: Any = '') -> DataMatrix:
    """All combinations of the levels of every column.

    Each column is a factor whose levels are its cells that differ from
    ``ignore`` (converted like a MixedColumn value, so ``1.0`` ignores ``1``;
    NaN ignores NaN), in order of appearance (repeats are separate levels). The first
    column (in ``dm.columns`` order) varies fastest.

    Raises
    ------
    TypeError
        If a column is not a MixedColumn.

    Examples
    --------
    >>> from datamatrix.operations import fullfactorial
    >>> dm = DataMatrix(a=['x', 'y', ''], b=[1, 2, 3])
    >>> ff = fullfactorial(dm)
    >>> list(ff.a), list(ff.b)
    (['x', 'y', 'x', 'y', 'x', 'y'], [1, 1, 2, 2, 3, 3])
    """
    columns = dm.columns
    for name, col in columns:
        if type(col) is not MixedColumn:
            raise TypeError(f'fullfactorial requires MixedColumns; {name!r} is a '
                            f'{type(col).__name__}')
    if not columns:
        return DataMatrix()
    try:  # cells are stored converted, so compare with the converted value
        ignore = _keys.convert_mixed(ignore)
    except (TypeError, ValueError):
        pass
    levels = [[v for v in col._seq if not (v == ignore or _is_nan(v) and _is_nan(ignore))]
              for _, col in columns]
    combinations = list(itertools.product(*levels[::-1]))
    result = DataMatrix(length=len(combinations))
    result.sorted = dm.sorted
    for index, (name, _) in enumerate(columns):
        values = [combination[len(columns) - 1 - index] for combination in combinations]
        result._cols[name] = MixedColumn._from_data(result, values)
    return result


def pivot_table(dm: DataMatrix, values: Any, index: Any, columns: Any, *args: Any,
                **kwargs: Any) -> DataMatrix:
    """A pivot table computed by ``pandas.pivot_table`` (needs pandas).

    Parameters
    ----------
    values, index, columns : str, column, or list of them
        Column names or columns of ``dm``.
    *args, **kwargs
        Passed to pandas, e.g. ``aggfunc='sum'``.

    Returns
    -------
    DataMatrix
        One column per level of ``columns``, named by the level values
        (converted by ``convert.from_pandas``); the pivot's row index is not
        kept.

    Raises
    ------
    TypeError
        For ``values``/``index``/``columns`` of other types.
    ImportError
        If pandas is not installed.

    Examples
    --------
    >>> from datamatrix.operations import pivot_table
    >>> dm = DataMatrix(subject=[1, 1, 2, 2], condition=['a', 'b', 'a', 'b'], rt=[500, 600, 520, 640])
    >>> print(pivot_table(dm, values='rt', index='subject', columns='condition'))
    +---+-------+-------+
    | # |   a   |   b   |
    +---+-------+-------+
    | 0 | 500.0 | 600.0 |
    | 1 | 520.0 | 640.0 |
    +---+-------+-------+
    """
    pandas = optional_import('pandas', 'pivot_table')
    from datamatrix.convert import from_pandas, to_pandas

    def names(arg: Any, what: str) -> str | list:
        if isinstance(arg, (str, BaseColumn)):
            return _column_name(arg) if isinstance(arg, BaseColumn) else arg
        if isinstance(arg, (list, tuple)) and all(isinstance(a, (str, BaseColumn))
                                                  for a in arg):
            return [_column_name(a) if isinstance(a, BaseColumn) else a for a in arg]
        raise TypeError(f'pivot_table: {what} must be a name, a column or a list of '
                        f'them, not {arg!r}')

    table = pandas.pivot_table(to_pandas(dm), names(values, 'values'),
                               names(index, 'index'), names(columns, 'columns'), *args,
                               **kwargs)
    return from_pandas(table.reset_index(drop=True))
