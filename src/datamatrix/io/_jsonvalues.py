"""Type-tagged JSON for metadata and cell values.

Plain JSON cannot tell a tuple from a list, has no NaN or infinity, and many
readers lose precision on integers beyond 2**53. :func:`encode` turns a value
into plain, standard JSON data (no ``NaN`` tokens) and :func:`decode` turns it
back into a value of the same Python type. Values that JSON represents
faithfully stay as they are (``None``, ``bool``, ``str``, finite ``float``,
``int`` within ±2**53, ``list``, ``dict`` with ``str`` keys); the others become
a *tag*, a JSON object with exactly one key that starts with ``$``:

============================================  ==========================================
Value                                         JSON
============================================  ==========================================
``float('nan')``, ``inf``, ``-inf``           ``{"$float": "nan"}``, ``"inf"``, ``"-inf"``
an ``int`` beyond ±2**53                      ``{"$int": "12345678901234567890"}``
``tuple``                                     ``{"$tuple": [...]}``
``dict`` with a key that starts with ``$``    ``{"$dict": {...}}``
``numpy.ndarray`` (bool, int, uint, float,    ``{"$ndarray": {"dtype": "<f8", "shape":
str dtypes)                                   [2, 3], "data": [...flat values...]}}``
numpy scalar (same dtypes)                    ``{"$scalar": {"dtype": "<i4", "value": 3}}``
============================================  ==========================================

Anything else (other objects, dicts with non-``str`` keys, object arrays) is
stored as ``None`` with a warning that names where it was found. Decoding never
runs code: it only builds the types above, and numpy dtypes are limited to
plain bool, number and str types.

Examples
--------
>>> value = {'ids': (1, 2), 'gain': float('inf')}
>>> encode(value, 'metadata')
{'ids': {'$tuple': [1, 2]}, 'gain': {'$float': 'inf'}}
>>> decode(encode(value, 'metadata')) == value
True
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

_SAFE_INT = 2 ** 53
_DTYPE_KINDS = 'biufU'
_FLOAT_NAMES = {'nan': math.nan, 'inf': math.inf, '-inf': -math.inf}


class TagError(ValueError):
    """Malformed tagged JSON (raised by :func:`decode`)."""


def _float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {'$float': 'nan' if math.isnan(value) else ('inf' if value > 0 else '-inf')}


def _int(value: int) -> Any:
    return value if -_SAFE_INT <= value <= _SAFE_INT else {'$int': str(value)}


def encode(value: Any, where: str) -> Any:
    """JSON data for ``value``; unsupported parts become ``None`` with a warning.

    Parameters
    ----------
    value : object
        The value to encode.
    where : str
        Where the value comes from (e.g. ``"column 'rt'"``), for the warning.

    Returns
    -------
    object
        Plain JSON data (``None``, ``bool``, ``int``, ``float``, ``str``,
        ``list``, ``dict``).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):  # before float: np.float64 is a float
        if value.dtype.kind not in _DTYPE_KINDS:
            return _unsupported(value, where)
        return {'$scalar': {'dtype': value.dtype.str,
                            'value': encode(value.item(), where)}}
    if isinstance(value, int):
        return _int(int(value))
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, list):
        return [encode(item, where) for item in value]
    if isinstance(value, tuple):
        return {'$tuple': [encode(item, where) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return _unsupported(value, where, 'a dict with keys that are not str')
        body = {key: encode(item, where) for key, item in value.items()}
        return {'$dict': body} if any(key.startswith('$') for key in body) else body
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _DTYPE_KINDS:
            return _unsupported(value, where, f'an array of dtype {value.dtype}')
        data = [encode(item, where) for item in value.ravel().tolist()]
        return {'$ndarray': {'dtype': value.dtype.str, 'shape': list(value.shape),
                             'data': data}}
    return _unsupported(value, where)


def _unsupported(value: Any, where: str, what: str | None = None) -> None:
    what = what or f'an object of type {type(value).__name__}'
    warnings.warn(f'{where}: the metadata contains {what}, which cannot be stored in '
                  f'JSON; it is saved as None', UserWarning, stacklevel=3)
    return None


def encode_cells(values: list) -> list:
    """Encode the values of a MixedColumn (``int``, ``float``, ``str``, ``None``)."""
    return [value if value is None or type(value) is str else encode(value, 'cells')
            for value in values]


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str):
        raise TagError(f'invalid dtype {text!r}')
    try:
        dtype = np.dtype(text)
    except TypeError as exc:
        raise TagError(f'invalid dtype {text!r}') from exc
    if dtype.kind not in _DTYPE_KINDS or dtype.fields is not None or dtype.subdtype:
        raise TagError(f'unsupported dtype {text!r}')
    return dtype


def decode(data: Any) -> Any:
    """The value that :func:`encode` turned into ``data``.

    Raises
    ------
    TagError
        If ``data`` contains a malformed tag.
    """
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    if len(data) != 1 or not next(iter(data)).startswith('$'):
        return {key: decode(item) for key, item in data.items()}
    ((tag, body),) = data.items()
    try:
        if tag == '$float':
            return _FLOAT_NAMES[body]
        if tag == '$int':
            if not isinstance(body, str):
                raise TagError(f'invalid $int {body!r}')
            return int(body)
        if tag == '$tuple':
            if not isinstance(body, list):
                raise TagError('$tuple needs a list')
            return tuple(decode(item) for item in body)
        if tag == '$dict':
            if not isinstance(body, dict):
                raise TagError('$dict needs an object')
            return {key: decode(item) for key, item in body.items()}
        if tag == '$scalar':
            return _dtype(body['dtype']).type(decode(body['value']))
        if tag == '$ndarray':
            dtype = _dtype(body['dtype'])
            shape = body['shape']
            if not isinstance(shape, list) or not all(
                    type(s) is int and s >= 0 for s in shape):
                raise TagError(f'invalid array shape {shape!r}')
            values = decode(body['data'])
            if not isinstance(values, list) or len(values) != math.prod(shape):
                raise TagError('array data does not match its shape')
            return np.array(values, dtype=dtype).reshape(shape)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, TagError):
            raise
        raise TagError(f'malformed {tag} value: {exc}') from exc
    raise TagError(f'unknown tag {tag!r}')


__all__ = ['encode', 'encode_cells', 'decode', 'TagError']
