"""Turning the many forms of a row key into positions, and value conversions.

Shared by the table and every column type so that all of them accept exactly
the same keys.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from datamatrix.errors import (InvalidKeyError, InvalidValueError, LengthMismatchError,
                     NotASubsetError)


def is_int(key: Any) -> bool:
    """Whether ``key`` is an integer scalar (Python or numpy, not bool)."""
    return isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_))


def is_scalar(value: Any) -> bool:
    """Whether ``value`` is assigned as one value rather than as a sequence."""
    return (value is None or isinstance(value, (str, bytes, numbers.Number, np.generic))
            or (isinstance(value, np.ndarray) and value.ndim == 0))


def check_position(key: Any, n: int) -> int:
    """A single row position, negative allowed; ``IndexError`` if out of range."""
    index = int(key)
    if not -n <= index < n:
        raise IndexError(f'row index {index} is out of range for {n} rows')
    return index % n if n else index


def positions_of(source_ids: np.ndarray, wanted_ids: np.ndarray) -> np.ndarray:
    """Positions in ``source_ids`` of each id in ``wanted_ids``.

    Works whatever the order of ``source_ids`` (sorted or shuffled).

    Raises
    ------
    NotASubsetError
        If some wanted id is not in ``source_ids``.
    """
    order = np.argsort(source_ids, kind='stable')
    ordered = source_ids[order]
    found = np.searchsorted(ordered, wanted_ids)
    found = np.clip(found, 0, max(len(ordered) - 1, 0))
    if len(wanted_ids) and (len(ordered) == 0 or
                            np.any(ordered[found] != wanted_ids)):
        raise NotASubsetError('the DataMatrix used as key holds rows that are not '
                              'in the indexed DataMatrix')
    return order[found]


class RowSet:
    """The base class of :class:`~datamatrix.DataMatrix`: rows of one family.

    It lives here, below the DataMatrix class, so that keys and whole-table
    helpers can recognise a DataMatrix without importing the module that
    defines it.
    """

    __slots__ = ()


def row_positions(key: Any, n: int, rowid: np.ndarray, family: Any) -> slice | np.ndarray:
    """Normalise a multi-row key to a slice or an int64 array of positions.

    Parameters
    ----------
    key : slice, sequence of int, bool mask, ndarray or DataMatrix
        The key.
    n : int
        Number of rows.
    rowid : ndarray
        Row ids of the indexed object (for DataMatrix keys).
    family : object
        Family id of the indexed object (for DataMatrix keys).
    """
    if isinstance(key, slice):
        return key
    if isinstance(key, RowSet):
        if key._family != family:
            raise NotASubsetError('the DataMatrix used as key is not a subset of the '
                                  'indexed DataMatrix (another family)')
        return positions_of(rowid, key._rowid)
    if isinstance(key, range):
        key = list(key)
    if isinstance(key, (list, tuple, np.ndarray)) or hasattr(key, '__array__'):
        if hasattr(key, '_datamatrix') and not isinstance(key, np.ndarray):
            key = list(key)  # a column as key: its values
        array = np.asarray(key)
        if array.dtype == bool and array.ndim == 1 and (len(array) or n == 0):
            if len(array) != n:
                raise LengthMismatchError(
                    f'a boolean mask must have one value per row ({n}), not {len(array)}')
            return np.flatnonzero(array)
        if array.size == 0:
            return np.zeros(0, dtype=np.int64)
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            if array.dtype == object and all(is_int(v) for v in array.ravel()):
                array = array.astype(np.int64)
            else:
                raise InvalidKeyError(f'invalid row key {key!r}: expected integers, a '
                                      f'slice, a boolean mask or a DataMatrix')
        array = array.astype(np.int64, copy=False)
        if array.size and (array.min() < -n or array.max() >= n):
            raise IndexError(f'row index out of range for {n} rows in {key!r}')
        return np.where(array < 0, array + n, array)
    raise InvalidKeyError(f'invalid key {key!r} of type {type(key).__name__}')


def as_positions(positions: slice | np.ndarray, n: int) -> np.ndarray:
    """An int64 array from the result of :func:`row_positions`."""
    if isinstance(positions, slice):
        return np.arange(n, dtype=np.int64)[positions]
    return positions


def count_positions(positions: slice | np.ndarray, n: int) -> int:
    if isinstance(positions, slice):
        return len(range(*positions.indices(n)))
    return len(positions)


def values_for(value: Any, count: int) -> list:
    """A list of ``count`` values: a broadcast scalar or a sequence of that length."""
    if isinstance(value, bytes):
        value = value.decode('utf-8')
    if is_scalar(value):
        return [value] * count
    if not hasattr(value, '__iter__'):
        raise InvalidValueError(f'cannot assign a value of type {type(value).__name__}')
    values = list(value)
    if len(values) != count:
        raise LengthMismatchError(f'cannot assign {len(values)} values to {count} rows')
    return values


# -- conversion rules of the 1-D column types ---------------------------------------

def to_number(value: Any) -> int | float:
    """A finite integral number becomes an ``int``, any other number a ``float``."""
    number = float(value)
    if math.isfinite(number) and number == int(number):
        if isinstance(value, (int, np.integer)):
            return int(value)
        return int(number)
    return number


def convert_mixed(value: Any) -> Any:
    """The MixedColumn conversion rule."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode('utf-8')
    if isinstance(value, str):
        try:
            return to_number(value)
        except (ValueError, OverflowError):
            return value
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        return to_number(value)
    raise InvalidValueError(
        f'a MixedColumn cannot hold a value of type {type(value).__name__}: {value!r}')


def convert_float(value: Any) -> float:
    """The FloatColumn conversion rule."""
    if isinstance(value, (numbers.Real, np.integer, np.floating, np.bool_)):
        return float(value)
    if value is None or isinstance(value, (str, bytes)):
        converted = convert_mixed(value)
        if isinstance(converted, (int, float)):
            return float(converted)
        warnings.warn(f'invalid type for a FloatColumn: {value!r} becomes NaN',
                      stacklevel=4)
        return math.nan
    raise InvalidValueError(
        f'a FloatColumn cannot hold a value of type {type(value).__name__}: {value!r}')


_INT64 = np.iinfo(np.int64)


def convert_int(value: Any) -> int:
    """The IntColumn conversion rule."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        result = int(value)
    elif isinstance(value, (numbers.Real, np.floating)):
        if not math.isfinite(value):
            raise InvalidValueError(f'an IntColumn cannot hold {value!r}')
        result = int(value)
    elif isinstance(value, (str, bytes)):
        converted = convert_mixed(value)
        if not isinstance(converted, (int, float)) or not math.isfinite(converted):
            raise InvalidValueError(f'an IntColumn cannot hold {value!r}')
        result = int(converted)
    else:
        raise InvalidValueError(
            f'an IntColumn cannot hold a value of type {type(value).__name__}: {value!r}')
    if not _INT64.min <= result <= _INT64.max:
        raise OverflowError(f'{value!r} is out of the range of an IntColumn (int64)')
    return result


def text_form(value: Any) -> str:
    """The text form of a value."""
    if isinstance(value, bytes):
        return value.decode('utf-8')
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        number = float(value)
        if math.isfinite(number) and number == int(number):
            return str(int(value) if isinstance(value, (int, np.integer)) else int(number))
        return str(number)
    return str(value)
