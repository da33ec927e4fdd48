"""Names of the reference's ``datamatrix.py3compat`` module (SPEC 14.1).

Client packages such as ``eyelinkparser`` start with
``from datamatrix.py3compat import *``; this module gives them exactly the names
they expect. New code does not need it: use ``str``, ``int`` and ``open`` directly.
"""
from __future__ import annotations

import logging
import warnings
from typing import Any, Iterable

__all__ = ['py3', 'basestring', 'long', 'safe_decode', 'safe_encode', 'safe_str',
           'safe_sorted', 'universal_newline_mode', 'warn', 'safe_open', 'logger']

py3 = True
basestring = str
long = int
universal_newline_mode = 'r'
logger = logging.getLogger('datamatrix')


def safe_decode(s: Any, enc: str = 'utf-8', errors: str = 'strict') -> str:
    """``bytes`` decoded with ``enc``; any other object as ``str(s)``."""
    if isinstance(s, (bytes, bytearray)):
        return bytes(s).decode(enc, errors)
    return s if isinstance(s, str) else str(s)


def safe_encode(s: Any, enc: str = 'utf-8', errors: str = 'strict') -> bytes:
    """``str`` (or any object, through ``str``) encoded with ``enc``; bytes as is."""
    if isinstance(s, (bytes, bytearray)):
        return bytes(s)
    return safe_decode(s).encode(enc, errors)


safe_str = safe_decode  # in Python 3 the native string type is str


def safe_sorted(iterable: Iterable, *args: Any, **kwargs: Any) -> list:
    """``sorted(iterable)``, falling back to sorting by text form for mixed types.

    ``safe_sorted([2, 'a', 1])`` -> ``[1, 2, 'a']``: values that cannot be compared
    with each other are ordered by type name first, then by value (numbers
    together, so ``True`` and ``1.5`` sort among the ints).
    """
    values = list(iterable)
    try:
        return sorted(values, *args, **kwargs)
    except TypeError:
        pass
    key = kwargs.pop('key', None)

    def mixed_key(value: Any) -> tuple:
        value = key(value) if key is not None else value
        if isinstance(value, (int, float)) and value == value:
            return (0, '', value, '')
        if isinstance(value, float):  # NaN: after the numbers
            return (1, '', 0, '')
        return (2, type(value).__name__, 0, safe_decode(value))
    return sorted(values, *args, key=mixed_key, **kwargs)


def warn(msg: Any, *args: Any, **kwargs: Any) -> None:
    """``warnings.warn`` (a ``UserWarning`` unless a category is given)."""
    kwargs.setdefault('stacklevel', 2)
    warnings.warn(msg, *args, **kwargs)


def safe_open(path: Any, mode: str = 'r', *args: Any, **kwargs: Any):
    """``open`` with UTF-8 as the encoding for text modes."""
    if 'b' not in mode:
        kwargs.setdefault('encoding', 'utf-8')
    return open(path, mode, *args, **kwargs)
