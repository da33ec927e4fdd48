"""Whole-array versions of the conversion rules of the 1-D column types.

Each function here gives exactly what the per-value rule in
:mod:`datamatrix._table.keys` gives for every element, but
does the work with numpy on whole arrays: numbers that arrive as a numeric
ndarray need no per-item work, and strings are converted once per distinct
value. Strings are parsed by ``fastnumbers`` when it is installed (the
optional extra ``fast``); otherwise by Python's ``float``. Both paths give
identical results: ``fastnumbers`` is only trusted for ASCII strings whose
result is not NaN (it accepts ``'nan(1)'`` and numerals such as ``'½'``,
which ``float`` rejects); everything else is parsed by ``float``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from datamatrix._table.keys import convert_float, convert_int, convert_mixed, is_scalar

_INT64_MAX = float(2 ** 63)
_CHUNK = 100_000
"""Strings converted at a time from a string array (bounds their memory)."""
_NUMERIC_KINDS = 'biuf'
_PLAIN_TYPES = frozenset({int, type(None)})
_FAILED = None  # what fastnumbers returns for a string that is no number
_HASHABLE_SCALARS = (int, float, str, bytes, np.integer, np.floating, np.bool_,
                     type(None))
"""Types whose values convert by value alone, so equal dict keys convert alike."""
_STORED_TYPES = frozenset({int, float, str, type(None)})
STORED_TYPES = _STORED_TYPES
"""The types of the values that MixedColumn conversion stores."""


def _fastnumbers():
    """The ``fastnumbers`` module, or None (also when switched off by tests)."""
    if not USE_FASTNUMBERS:
        return None
    try:
        import fastnumbers
    except ImportError:
        return None
    return fastnumbers if hasattr(fastnumbers, 'try_array') else None  # 5.0 or later


USE_FASTNUMBERS = True
"""Set to False to force the pure-Python parsing path (used by tests)."""


# -- numbers --------------------------------------------------------------------------

def mixed_from_floats(array: np.ndarray) -> list:
    """MixedColumn values of a float array: integral finite values become ints."""
    array = np.asarray(array, dtype=np.float64)
    with np.errstate(invalid='ignore'):
        integral = np.isfinite(array) & (array == np.trunc(array))
    if not integral.any():
        return array.tolist()
    small = integral & (np.abs(array) < _INT64_MAX)
    if small.all():  # all ints, e.g. codes or counts
        return array.astype(np.int64).tolist()
    result = array.astype(object)
    if small.any():
        result[small] = array[small].astype(np.int64).astype(object)
    large = np.flatnonzero(integral & ~small)
    for position in large.tolist():
        result[position] = int(array[position])
    return result.tolist()


def mixed_from_array(array: np.ndarray) -> list | None:
    """MixedColumn values of a 1-D ndarray, or None if it needs per-item work."""
    kind = array.dtype.kind
    if kind in 'iu':
        return array.tolist()
    if kind == 'b':
        return array.astype(np.int64).tolist()
    if kind == 'f':
        return mixed_from_floats(array)
    if kind == 'U':  # in chunks: a chunk's Python strings are freed once converted
        result: list = []
        for start in range(0, len(array), _CHUNK):
            result.extend(mixed_from_strings(array[start:start + _CHUNK].tolist()))
        return result
    return None


# -- strings ----------------------------------------------------------------------------

def _parse_python(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Floats of the strings that ``float`` accepts, and a mask of those strings."""
    ok = np.zeros(len(strings), dtype=bool)
    values = np.zeros(len(strings), dtype=np.float64)
    for index, text in enumerate(strings):
        try:
            values[index] = float(text)
        except (ValueError, OverflowError):
            continue
        ok[index] = True
    return values, ok


def _parse_fast(fastnumbers, strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_parse_python`, with ``fastnumbers`` doing the ASCII strings.

    ``try_array`` parses everything in C, NaN marking both failures and NaN
    strings; only those, and strings that are not ASCII, are looked at again.
    """
    values = fastnumbers.try_array(strings, dtype=np.float64, on_fail=math.nan,
                                   on_overflow=math.nan, on_type_error=math.nan,
                                   allow_underscores=True)
    ok = np.ones(len(strings), dtype=bool)
    maybe = np.flatnonzero(np.isnan(values))
    if len(maybe):  # failed, or a NaN string ('nan', but also 'nan(1)')
        parsed = fastnumbers.try_float([strings[i] for i in maybe.tolist()],
                                       on_fail=_FAILED, allow_underscores=True, map=list)
        failed = np.fromiter((value is _FAILED for value in parsed), dtype=bool,
                             count=len(parsed))
        ok[maybe[failed]] = False
        doubtful = maybe[~failed]
    else:
        doubtful = maybe
    if not ''.join(strings).isascii():
        ascii_ = np.fromiter(map(str.isascii, strings), dtype=bool, count=len(strings))
        doubtful = np.union1d(doubtful, np.flatnonzero(~ascii_))
    if len(doubtful):
        again, again_ok = _parse_python([strings[i] for i in doubtful.tolist()])
        values[doubtful] = again
        ok[doubtful] = again_ok
    return values, ok


def parse_strings(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The floats that Python's ``float`` makes of ``strings``, and where it succeeds."""
    fastnumbers = _fastnumbers()
    if fastnumbers is None or not strings:
        return _parse_python(strings)
    return _parse_fast(fastnumbers, strings)


def _distinct_strings(strings: list[str]) -> list:
    """MixedColumn values of distinct strings: numbers where ``float`` accepts them."""
    values, ok = parse_strings(strings)
    result = list(strings)
    positions = np.flatnonzero(ok)
    if len(positions):
        for position, number in zip(positions.tolist(), mixed_from_floats(values[ok])):
            result[position] = number
    return result


def mixed_from_codes(distinct: list[str], codes: np.ndarray) -> list:
    """MixedColumn values of ``distinct[codes[i]]`` for every i (distinct strings)."""
    values, ok = parse_strings(distinct)
    if ok.all():  # a numeric column: no per-row Python work
        return mixed_from_floats(values[codes])
    converted = np.empty(len(distinct), dtype=object)
    converted[:] = _distinct_strings(distinct)
    return converted[codes].tolist()


def mixed_from_strings(strings: list[str]) -> list:
    """MixedColumn values of a list of ``str``, one parse per distinct string."""
    lookup = dict.fromkeys(strings)
    distinct = list(lookup)
    lookup = dict(zip(distinct, _distinct_strings(distinct)))
    return list(map(lookup.__getitem__, strings))


# -- lists of any values ------------------------------------------------------------------

def _floatable_ints(values: list, kinds: set) -> bool:
    """Whether every int among ``values`` (ints and None) converts to a float.

    The per-value rule passes each number through ``float``, which raises
    ``OverflowError`` for ints beyond the float range; such lists take that path.
    """
    if int not in kinds:
        return True
    ints = values if type(None) not in kinds else [v for v in values if v is not None]
    return not ints or max(max(ints), -min(ints)) < 2 ** 1023


def mixed_values(values: Any, count: int) -> list:
    """MixedColumn values for ``count`` rows from a scalar or a sequence."""
    from datamatrix._table.keys import values_for
    if isinstance(values, bytes):
        values = values.decode('utf-8')
    if is_scalar(values):
        return [convert_mixed(values)] * count
    if isinstance(values, np.ndarray) and values.ndim == 1 and len(values) == count:
        converted = mixed_from_array(values)
        if converted is not None:
            return converted
    values = values_for(values, count)
    kinds = set(map(type, values))
    if kinds <= _PLAIN_TYPES and _floatable_ints(values, kinds):
        return values
    if kinds == {str}:
        return mixed_from_strings(values)
    if kinds == {float}:
        return mixed_from_floats(np.array(values, dtype=np.float64))
    if not all(issubclass(kind, _HASHABLE_SCALARS) for kind in kinds):
        # e.g. complex numbers equal ints as dict keys: the per-value rule decides
        return [convert_mixed(value) for value in values]
    try:
        lookup = dict.fromkeys(values)
    except TypeError:  # e.g. Decimal('sNaN'): the per-value rule raises the right error
        return [convert_mixed(value) for value in values]
    strings = [value for value in lookup if type(value) is str]
    converted = dict(zip(strings, _distinct_strings(strings)))
    for value in lookup:
        if type(value) is not str:
            converted[value] = convert_mixed(value)
    return list(map(converted.__getitem__, values))


def float_values(values: Any, count: int) -> np.ndarray:
    """FloatColumn values (float64) for ``count`` rows."""
    from datamatrix._table.keys import values_for
    if isinstance(values, bytes):
        values = values.decode('utf-8')
    if is_scalar(values):
        return np.full(count, convert_float(values), dtype=np.float64)
    if isinstance(values, np.ndarray) and values.ndim == 1 and len(values) == count \
            and values.dtype.kind in _NUMERIC_KINDS:
        return values.astype(np.float64)
    values = values_for(values, count)
    kinds = set(map(type, values))
    if all(kind in (int, float, bool) or issubclass(kind, (np.floating, np.integer,
                                                            np.bool_)) for kind in kinds):
        try:  # numbers: float() of each, which numpy's cast gives too
            return np.array(values, dtype=np.float64)
        except OverflowError:
            pass
    if kinds == {str}:
        parsed, ok = parse_strings(list(dict.fromkeys(values)))
        if ok.all():  # invalid strings warn one by one, as the per-value rule does
            parsed = parsed + 0.0  # '-0' is the int 0 first, so 0.0, not -0.0
            lookup = dict(zip(dict.fromkeys(values), parsed.tolist()))
            return np.array(list(map(lookup.__getitem__, values)), dtype=np.float64)
    return np.array([convert_float(value) for value in values], dtype=np.float64)


def int_values(values: Any, count: int) -> np.ndarray:
    """IntColumn values (int64) for ``count`` rows."""
    from datamatrix._table.keys import values_for
    if isinstance(values, bytes):
        values = values.decode('utf-8')
    if is_scalar(values):
        return np.full(count, convert_int(values), dtype=np.int64)
    if isinstance(values, np.ndarray) and values.ndim == 1 and len(values) == count:
        converted = _int_array(values)
        if converted is not None:
            return converted
    values = values_for(values, count)
    if set(map(type, values)) <= {int, bool}:
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            pass
    return np.array([convert_int(value) for value in values], dtype=np.int64)


def _int_array(array: np.ndarray) -> np.ndarray | None:
    """int64 values of a numeric array that converts without errors, else None."""
    kind = array.dtype.kind
    if kind in 'bi':
        return array.astype(np.int64)
    if kind == 'u':
        if array.size and array.max() > np.iinfo(np.int64).max:
            return None
        return array.astype(np.int64)
    if kind == 'f':
        with np.errstate(invalid='ignore'):
            if not np.all(np.isfinite(array)) or (
                    array.size and np.abs(array).max() >= _INT64_MAX):
                return None  # the per-value rule raises the right error
        return array.astype(np.int64)
    return None


# -- factorising stored MixedColumn values ------------------------------------------------

def _text_form(value: Any) -> str:
    from datamatrix._table.keys import text_form
    return text_form(value)


def mixed_unique(seq: list) -> list | None:
    """``MixedColumn.unique`` of stored values (see :func:`mixed_factorise`), or None."""
    if not set(map(type, seq)) <= _STORED_TYPES:
        return None
    return _sorted_unique(list(dict.fromkeys(seq)))[0]


def _sorted_unique(distinct: list) -> tuple[list, list, list]:
    """``(unique, sorted non-NaN values, NaN objects)`` of distinct stored values."""
    nans = [value for value in distinct if type(value) is float and value != value]
    values = [value for value in distinct if not (type(value) is float and value != value)]
    try:
        values.sort()
    except TypeError:
        values.sort(key=_text_form)
    return values + ([math.nan] if nans else []), values, nans


def mixed_factorise(seq: list) -> tuple[list, np.ndarray] | None:
    """``(unique, codes)`` of stored MixedColumn values, or None for unusual objects.

    ``unique`` is exactly ``MixedColumn.unique`` (distinct values sorted
    naturally, or by text form if they cannot be ordered together; NaN once, last)
    and ``codes[i]`` is the position of ``seq[i]`` in it.
    """
    if not set(map(type, seq)) <= _STORED_TYPES:  # e.g. objects stored by ``col @ f``
        return None
    distinct = list(dict.fromkeys(seq))  # 1 and 1.0 meet, as in MixedColumn.unique
    unique, values, nans = _sorted_unique(distinct)
    rank = {value: index for index, value in enumerate(values)}
    for value in nans:
        rank[value] = len(values)
    codes = np.fromiter(map(rank.__getitem__, seq), dtype=np.int64, count=len(seq))
    return unique, codes


def stable_order(codes: np.ndarray, size: int) -> np.ndarray:
    """``np.argsort(codes, kind='stable')`` for codes in ``range(size)``.

    numpy sorts small unsigned integers stably by radix sort, in linear time, so
    the codes are narrowed to the smallest such type that holds them.
    """
    for dtype in (np.uint8, np.uint16):
        if size <= np.iinfo(dtype).max + 1:
            return np.argsort(codes.astype(dtype), kind='stable').astype(np.int64,
                                                                          copy=False)
    return np.argsort(codes, kind='stable')


def int_factorise(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(array, return_inverse=True)`` of an integer array, by counting
    when the values span a range not much larger than the array."""
    if array.dtype.kind not in 'iu' or not len(array):
        unique, codes = np.unique(array, return_inverse=True)
        return unique, codes.reshape(-1).astype(np.int64, copy=False)
    low, high = int(array.min()), int(array.max())
    if high - low > 2 * len(array) + 1024:
        unique, codes = np.unique(array, return_inverse=True)
        return unique, codes.reshape(-1).astype(np.int64, copy=False)
    offsets = (array - low).astype(np.int64) if low else array.astype(np.int64, copy=False)
    present = np.bincount(offsets, minlength=high - low + 1) > 0
    rank = np.cumsum(present) - 1
    unique = (np.flatnonzero(present) + low).astype(array.dtype)
    return unique, rank[offsets]


__all__ = ['mixed_values', 'mixed_from_codes', 'float_values', 'int_values',
           'mixed_from_strings', 'mixed_from_floats', 'parse_strings', 'mixed_factorise',
           'mixed_unique', 'stable_order', 'int_factorise']
