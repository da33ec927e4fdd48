"""Helpers shared by the operations."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from datamatrix._table import keys as _keys
from datamatrix._table.columns import BaseColumn
from datamatrix._table.datamatrix import DataMatrix


def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _fresh_rows(dm: DataMatrix) -> DataMatrix:
    """Give ``dm`` a new family and row ids ``0..n-1`` (in place) and return it."""
    from datamatrix._table.datamatrix import _families
    object.__setattr__(dm, '_family', next(_families))
    dm._set_rowid(np.arange(len(dm), dtype=np.int64))
    return dm


def _values_in_dm_order(col: BaseColumn, dm: DataMatrix) -> list:
    """The values of a 1-D column, one per row of ``dm`` in ``dm``'s order.

    A column of ``dm`` (or bound to it with the same rows) is read as is; a column
    bound to ``dm`` whose rows are in another order is aligned by row ids; any
    other column is used positionally and must have ``len(dm)`` rows.
    """
    if len(col) != len(dm):
        raise ValueError(f'the column has {len(col)} rows but the DataMatrix has '
                         f'{len(dm)}')
    values = list(col)
    if col._datamatrix is dm and col._rowid is not dm._rowid and \
            not np.array_equal(col._rowid, dm._rowid):
        order = _keys.positions_of(col._rowid, dm._rowid)
        values = [values[i] for i in order]
    return values
