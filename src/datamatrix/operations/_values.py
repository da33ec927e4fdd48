"""Transforming values: ``replace``, ``z``, ``shuffle_horiz``."""
from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from datamatrix._table import keys as _keys
from datamatrix._engine import stream as _stream
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.operations._common import _is_nan


# -- value transformations -----------------------------------------------------------------

def _numeric_value(value: Any, col: BaseColumn) -> float:
    """A replacement value for a numeric or MD column (non-numeric strings refused)."""
    if value is None:
        converted = math.nan
    else:
        if isinstance(value, bytes):
            value = value.decode('utf-8')
        converted = _keys.convert_mixed(value)
        if isinstance(converted, str) or converted is None:
            raise ValueError(f'cannot put {value!r} into a {type(col).__name__}')
    if isinstance(col, IntColumn):
        return _keys.convert_int(converted)
    return float(converted)


def _numeric_key(key: Any) -> float | None:
    """A key as a float, or None if it is not numeric (it then matches nothing)."""
    if isinstance(key, (bool, np.bool_)):
        return float(key)
    if isinstance(key, (int, float, np.integer, np.floating)):
        return float(key)
    if isinstance(key, (str, bytes)):
        converted = _keys.convert_mixed(key)
        if isinstance(converted, (int, float)):
            return float(converted)
    return None


def _replace_array(array: np.ndarray, pairs: list) -> np.ndarray:
    """``array`` with every ``(key, value)`` applied to the original values at once."""
    result = np.array(array)
    masks = [np.isnan(array) if math.isnan(key) else array == key for key, _ in pairs]
    for mask, (_, value) in zip(masks, pairs):
        result[mask] = value
    return result


def replace(col: BaseColumn, mappings: dict = {}) -> BaseColumn:
    """A copy of ``col`` with cells equal to a key replaced by its value.

    All pairs apply at once to the original values, so ``{1: 2, 2: 3}`` turns 1
    into 2 and 2 into 3. A NaN key matches NaN cells. New values follow the
    column's conversion rule, except that non-numeric strings raise
    ``ValueError`` in numeric and multidimensional columns (``None`` becomes
    NaN there). Non-numeric keys never match numeric or MD cells; for MD
    columns every element is compared. In a MixedColumn, keys are compared with
    cells as they are (no conversion, so ``'1'`` does not match ``1``).

    Raises
    ------
    ValueError
        For values that the column type cannot hold.

    Examples
    --------
    >>> from datamatrix.operations import replace
    >>> dm = DataMatrix(a=[1, 2, 3])
    >>> list(replace(dm.a, {1: 2, 2: 3}))
    [2, 3, 3]
    """
    if not isinstance(mappings, dict):
        raise TypeError(f'mappings must be a dict, not {type(mappings).__name__}')
    if isinstance(col, MixedColumn):
        plain = {}
        nan_value, has_nan = None, False
        for key, value in mappings.items():
            value = _keys.convert_mixed(value)
            if _is_nan(key):
                nan_value, has_nan = value, True
            else:
                plain[key] = value
        seq = []
        for cell in col._seq:
            if _is_nan(cell):
                seq.append(nan_value if has_nan else cell)
            else:
                seq.append(plain.get(cell, cell))
        new = MixedColumn._from_data(col._datamatrix, seq)
    else:
        pairs = [(k, _numeric_value(v, col)) for k, v in
                 ((_numeric_key(key), value) for key, value in mappings.items())
                 if k is not None]
        if isinstance(col, _MultiDimensionalColumn):
            store = _stream.map_blocks(col._use(), lambda b, s, e: _replace_array(b, pairs),
                                       col._cell_shape, col._dtype)
            new = col._with_store(store)
        else:
            if isinstance(col, IntColumn):
                pairs = [(k, v) for k, v in pairs if math.isfinite(k)]
            new = type(col)._from_data(col._datamatrix, _replace_array(col._seq, pairs))
    new.metadata = col.metadata
    return col._bind(new, col._rowid)


def z(col: BaseColumn) -> BaseColumn:
    """Standardised scores.

    A 1-D column gives a FloatColumn ``(x - mean) / std`` (ddof=1, as
    ``col.std``); non-numeric cells give NaN, and a std of 0 or NaN makes
    every score NaN. An MD column gives a copy standardised with the grand
    NaN-ignoring mean and standard deviation (ddof=0, reference quirk) of all
    its elements, computed block by block.

    Examples
    --------
    >>> from datamatrix.operations import z
    >>> dm = DataMatrix(x=[1, 2, 3, 'x'])
    >>> print(z(dm.x))
    col[-1.  0.  1. nan]
    """
    if isinstance(col, _MultiDimensionalColumn):
        array = col._use()
        total, count = 0.0, 0
        for _, _, block in _stream.blocks_of(array):
            valid = ~np.isnan(block)
            total += float(np.sum(block, where=valid, dtype=np.float64))
            count += int(valid.sum())
        mean = total / count if count else math.nan
        squares = 0.0
        for _, _, block in _stream.blocks_of(array):
            deviation = np.asarray(block, dtype=np.float64) - mean
            squares += float(np.sum(deviation ** 2, where=~np.isnan(deviation)))
        std = math.sqrt(squares / count) if count else math.nan

        def standardise(block: np.ndarray, start: int, stop: int) -> np.ndarray:
            with np.errstate(divide='ignore', invalid='ignore'):
                return (block - mean) / std

        new = col._with_store(_stream.map_blocks(array, standardise, col._cell_shape,
                                                 col._dtype))
    elif isinstance(col, BaseColumn):
        values = np.array([float(v) if isinstance(v, (int, float, np.number)) and
                           not isinstance(v, bool) else math.nan for v in col],
                          dtype=np.float64)
        mean, std = float(col.mean), float(col.std)
        if std == 0 or math.isnan(std):
            data = np.full(len(values), math.nan)
        else:
            data = (values - mean) / std
        new = FloatColumn._from_data(col._datamatrix, data)
    else:
        raise TypeError(f'z expects a column, not {type(col).__name__}')
    new.metadata = col.metadata
    return col._bind(new, col._rowid)


def shuffle_horiz(*obj: Any) -> DataMatrix:
    """Permute, independently per row, the values among some columns.

    Parameters
    ----------
    *obj : DataMatrix or columns
        One DataMatrix (all its columns) or columns of one DataMatrix.

    Returns
    -------
    DataMatrix
        A copy (same family); values moved into a column are converted by that
        column's type (conversion errors propagate).

    Raises
    ------
    ValueError
        For no arguments, several DataMatrix objects, or columns of different
        DataMatrix objects.

    Examples
    --------
    >>> import random
    >>> from datamatrix.operations import shuffle_horiz
    >>> random.seed(2)
    >>> dm = DataMatrix(a=[1, 2], b=[10, 20], c=[100, 200])
    >>> shuffled = shuffle_horiz(dm.a, dm.b)
    >>> [sorted([row.a, row.b]) for row in shuffled]
    [[1, 10], [2, 20]]
    >>> list(shuffled.c)
    [100, 200]
    """
    if len(obj) == 1 and isinstance(obj[0], DataMatrix):
        dm = obj[0]
        names = list(dm._cols)
    elif obj and all(isinstance(col, BaseColumn) for col in obj):
        dm = obj[0]._datamatrix
        if any(col._datamatrix is not dm for col in obj):
            raise ValueError('shuffle_horiz: all columns must belong to one DataMatrix')
        names = []
        for col in obj:
            name = col.name
            if name is None:
                raise ValueError('shuffle_horiz: a column is not held by its DataMatrix')
            names.append(name[0] if isinstance(name, list) else name)
    else:
        raise ValueError('shuffle_horiz expects one DataMatrix or columns of one '
                         'DataMatrix')
    result = dm._select_positions(slice(None))
    columns = [result._cols[name] for name in names]
    for row in range(len(result)):
        values = [np.array(col[row]) if isinstance(col, _MultiDimensionalColumn)
                  else col[row] for col in columns]
        random.shuffle(values)
        for col, value in zip(columns, values):
            col[row] = value
    return result
