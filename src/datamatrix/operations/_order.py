"""Row order: ``sort``, ``shuffle``, ``random_sample``."""
from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from datamatrix._table import bulk as _bulk
from datamatrix._table import keys as _keys
from datamatrix._table.columns import BaseColumn, NumericColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.operations._common import _is_nan


# -- sorting ----------------------------------------------------------------------------

def _mixed_sort_key(value: Any) -> tuple:
    """-INF, numbers, INF, strings (code points), None, NaN."""
    if value is None:
        return (4, 0)
    if isinstance(value, str):
        return (3, value)
    if _is_nan(value):
        return (5, 0)
    if value == -math.inf:
        return (0, 0)
    if value == math.inf:
        return (2, 0)
    return (1, value)


def _sort_order(by: BaseColumn) -> np.ndarray:
    """Positions that sort ``by`` stably."""
    if isinstance(by, _MultiDimensionalColumn):
        raise TypeError('cannot sort by a multidimensional column')
    if isinstance(by, NumericColumn):
        return np.argsort(by._seq, kind='stable')
    ranks = _mixed_sort_ranks(by._seq)
    if ranks is not None:
        return _bulk.stable_order(ranks, int(ranks.max()) + 1 if len(ranks) else 0)
    keys = [_mixed_sort_key(value) for value in by._seq]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


_STORED_TYPES = frozenset({int, float, str, type(None)})


def _mixed_sort_ranks(seq: list) -> np.ndarray | None:
    """For each value the rank of its sort key among the distinct keys, or None.

    The keys are computed once per distinct value; a stable argsort of the ranks
    is the stable sort by :func:`_mixed_sort_key`. None for values of other types
    (e.g. objects stored by ``col @ f``), which take the per-value path.
    """
    if not set(map(type, seq)) <= _STORED_TYPES:
        return None
    distinct = sorted(dict.fromkeys(seq), key=_mixed_sort_key)
    ranks = {}
    previous: Any = None
    rank = -1
    for value in distinct:
        key = _mixed_sort_key(value)
        if rank < 0 or key != previous:
            rank += 1
            previous = key
        ranks[value] = rank
    return np.fromiter(map(ranks.__getitem__, seq), dtype=np.int64, count=len(seq))


def _by_column(obj: Any, by: Any) -> BaseColumn:
    """The sort key column: a column, or a name in ``obj``'s DataMatrix."""
    if isinstance(by, (str, bytes)):
        dm = obj if isinstance(obj, DataMatrix) else obj._datamatrix
        return dm[by]
    if not isinstance(by, BaseColumn):
        raise TypeError(f'by must be a column or a column name, not {by!r}')
    if len(by) != len(obj):
        raise ValueError(f'cannot sort {len(obj)} rows by a column of {len(by)} rows')
    return by


def sort(obj: DataMatrix | BaseColumn, by: Any = None) -> DataMatrix | BaseColumn:
    """Sort the rows of a DataMatrix, or the values of a column.

    Parameters
    ----------
    obj : DataMatrix or column
    by : column or str, optional
        Required for a DataMatrix: a column (used positionally, so a column of
        another DataMatrix must have ``len(obj)`` rows) or a column name.
        For a column it defaults to the column itself.

    Returns
    -------
    DataMatrix or column
        A DataMatrix of the same family with the rows reordered, or a column
        with the values reordered and aligned to the original row ids (so
        ``dm.a = sort(dm.a)`` sorts only that column).

    Notes
    -----
    Stable. MixedColumn order: -INF, numbers, INF, strings (code points),
    None, NaN; numeric columns ascending with NaN last. Multidimensional
    columns are copied block by block.

    Examples
    --------
    >>> from datamatrix.operations import sort
    >>> dm = DataMatrix(a=[2, 'x', None, 1])
    >>> list(sort(dm, by='a').a)
    [1, 2, 'x', None]
    """
    if isinstance(obj, DataMatrix):
        if by is None:
            raise ValueError('sorting a DataMatrix requires a by column')
        return obj._select_positions(_sort_order(_by_column(obj, by)))
    if not isinstance(obj, BaseColumn):
        raise TypeError(f'cannot sort a {type(obj).__name__}')
    order = _sort_order(obj if by is None else _by_column(obj, by))
    return _reordered(obj, order)


def _reordered(col: BaseColumn, positions: np.ndarray) -> BaseColumn:
    """A copy of ``col`` with values at ``positions`` but the original row ids."""
    new = col._take(positions)
    new.metadata = col.metadata
    return col._bind(new, col._rowid)


def shuffle(obj: DataMatrix | BaseColumn) -> DataMatrix | BaseColumn:
    """Random order of rows (DataMatrix, same family) or values (column).

    A shuffled column keeps the original row ids, so ``dm.a = shuffle(dm.a)``
    shuffles only that column. The permutation is drawn by numpy from a seed
    taken from :mod:`random`, so ``random.seed`` applies.

    Examples
    --------
    >>> import random
    >>> from datamatrix.operations import shuffle
    >>> dm = DataMatrix(x=[1, 2, 3, 4])
    >>> random.seed(1)
    >>> shuffled = shuffle(dm)
    >>> sorted(shuffled.x)
    [1, 2, 3, 4]
    >>> random.seed(1)
    >>> list(shuffle(dm).x) == list(shuffled.x)
    True
    >>> dm.x = shuffle(dm.x)
    >>> sorted(dm.x)
    [1, 2, 3, 4]
    """
    generator = np.random.default_rng(random.getrandbits(64))
    positions = generator.permutation(len(obj)).astype(np.int64)
    if isinstance(obj, DataMatrix):
        return obj._select_positions(positions)
    if not isinstance(obj, BaseColumn):
        raise TypeError(f'cannot shuffle a {type(obj).__name__}')
    return _reordered(obj, positions)


def random_sample(obj: DataMatrix | BaseColumn, k: int) -> DataMatrix | BaseColumn:
    """``k`` distinct random rows (DataMatrix) or cells (column).

    Returns
    -------
    DataMatrix or column
        A DataMatrix of the same family, or a column of ``k`` cells bound to a
        fresh DataMatrix of length ``k``.

    Raises
    ------
    ValueError
        If ``k`` is negative or larger than ``len(obj)``.

    Examples
    --------
    >>> import random
    >>> from datamatrix.operations import random_sample
    >>> dm = DataMatrix(x=[1, 2, 3, 4])
    >>> random.seed(1)
    >>> sample = random_sample(dm, k=2)
    >>> len(sample), set(sample.x) <= {1, 2, 3, 4}, len(set(sample.x))
    (2, True, 2)
    >>> len(random_sample(dm.x, k=3))
    3
    """
    if not isinstance(obj, (DataMatrix, BaseColumn)):
        raise TypeError(f'cannot sample from a {type(obj).__name__}')
    if not _keys.is_int(k):
        raise TypeError(f'k must be an int, not {k!r}')
    if not 0 <= k <= len(obj):
        raise ValueError(f'cannot sample {k} rows from {len(obj)}')
    positions = np.array(random.sample(range(len(obj)), int(k)), dtype=np.int64)
    if isinstance(obj, DataMatrix):
        return obj._select_positions(positions)
    new = obj._take(positions)
    holder = DataMatrix(length=int(k))
    new._datamatrix, new._rowid, new.metadata = holder, holder._rowid, obj.metadata
    return new
