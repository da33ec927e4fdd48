"""Operations on whole DataMatrix objects and columns.

Row selections (``sort``, ``shuffle``, ``random_sample``, ``split``,
``weight``) compute positions and let :meth:`DataMatrix._select_positions`
copy the columns, which streams multidimensional columns block by block
(:func:`datamatrix._engine.stream.take_rows`); ``stack`` builds its multidimensional
columns with :func:`datamatrix._engine.stream.build`. So all of them work, in bounded
memory, on offloaded columns larger than the memory budget.

Examples
--------
>>> from datamatrix import operations as ops
>>> dm = DataMatrix(condition=['b', 'a', 'b'], rt=[600, 500, 700])
>>> print(ops.sort(dm, by=dm.rt))
+---+-----------+-----+
| # | condition |  rt |
+---+-----------+-----+
| 1 |     a     | 500 |
| 0 |     b     | 600 |
| 2 |     b     | 700 |
+---+-----------+-----+
>>> print(ops.group(dm, by=dm.condition))
+---+-----------+-------------+
| # | condition |      rt     |
+---+-----------+-------------+
| 0 |     b     | [600. 700.] |
| 1 |     a     | [500.  nan] |
+---+-----------+-------------+
"""
from __future__ import annotations

from typing import Any

from datamatrix._table.combine import auto_type, keep_only, stack_tables
from datamatrix._table.datamatrix import DataMatrix, as_datamatrix
from datamatrix.functional import filter_, map_, setcol
from datamatrix.operations._group import fullfactorial, group, pivot_table, weight
from datamatrix.operations._order import random_sample, shuffle, sort
from datamatrix.operations._split import bin_split, split, tuple_split
from datamatrix.operations._values import replace, shuffle_horiz, z

__all__ = ['auto_type', 'bin_split', 'fullfactorial', 'group', 'keep_only',
           'pivot_table', 'random_sample', 'replace', 'shuffle', 'shuffle_horiz',
           'sort', 'split', 'stack', 'weight', 'z', 'tuple_split', 'map_', 'filter_',
           'setcol']


def stack(*dms: Any) -> DataMatrix:
    """Vertical concatenation of DataMatrix objects.

    Parameters
    ----------
    *dms : DataMatrix, Row or dict, or a single list of them
        Rows are 1-row DataMatrix objects; dicts are ``DataMatrix(dict)``.

    Returns
    -------
    DataMatrix
        A new DataMatrix (fresh family, ids ``0..N-1``) with the union of the
        column names in order of first appearance. Each column takes type,
        shape spec, ``defaultnan`` and metadata from the first input that has
        it; rows of inputs without the column hold the default value. 2-D
        columns of different depths get the largest depth (its index names
        come from the first input of that depth); a float32 column stays
        float32 unless another input holds float64 values.
        ``sorted`` is taken from the first input, ``metadata`` is None.

    Raises
    ------
    TypeError
        For arguments of other types, and for columns whose types, kinds or
        (non 2-D) cell shapes differ between inputs.

    Notes
    -----
    Linear in the total size; inputs are never modified. Multidimensional
    columns are built block by block, so offloaded columns are stacked in
    bounded memory.

    Examples
    --------
    >>> from datamatrix.operations import stack
    >>> dm = stack(DataMatrix(a=[1, 2]), {'b': ['x']})
    >>> list(dm.a), list(dm.b)
    ([1, 2, ''], ['', '', 'x'])
    """
    if len(dms) == 1 and isinstance(dms[0], list):
        dms = tuple(dms[0])
    if not dms:
        return DataMatrix(length=0)
    return stack_tables([as_datamatrix(obj) for obj in dms])
