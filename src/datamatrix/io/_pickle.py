"""Pickle files: :func:`writepickle` and :func:`readpickle`.

:func:`readpickle` is safe by default: it unpickles only DataMatrix objects
(ours and those of datamatrix 1.0), numpy arrays and plain data, and refuses
any other global before anything runs (:mod:`datamatrix.io._legacy`, see
``SECURITY.md``). ``trusted=True`` is a plain :func:`pickle.load`, for files
you wrote yourself that hold other objects.
"""
from __future__ import annotations

import os
import pickle
from typing import Any

import datamatrix.io._legacy as _legacy
from datamatrix.io._files import atomic_target


def writepickle(dm: Any, path: str | os.PathLike, protocol: int = -1) -> None:
    """Pickle ``dm`` to ``path`` (written to a temporary file, then renamed).

    Offloaded columns are stored with their data (a warning is logged).

    Parameters
    ----------
    dm : DataMatrix
        The object to pickle.
    path : str or os.PathLike
        The file to write; missing folders are created.
    protocol : int
        The pickle protocol; ``-1`` is the highest.

    Examples
    --------
    >>> from datamatrix import io
    >>> dm = DataMatrix(rt=[500, 600])
    >>> io.writepickle(dm, 'trials.pkl')
    >>> io.readpickle('trials.pkl').equals(dm)
    True
    """
    with atomic_target(path) as fh:
        pickle.dump(dm, fh, protocol=protocol)


def readpickle(path: str | os.PathLike, trusted: bool = False) -> Any:
    """Unpickle the object in ``path``, safely unless ``trusted``.

    By default only an allow-list is unpickled: DataMatrix objects written by
    this library or by datamatrix 1.0, their columns, numpy arrays, dtypes and
    scalars, and builtins that carry data (lists, dicts, tuples, sets, numbers,
    strings). A pickle that names anything else (``os.system``,
    ``builtins.eval``, ...) is refused before anything from it runs.

    Parameters
    ----------
    path : str or os.PathLike
    trusted : bool
        ``True`` unpickles with plain :func:`pickle.load`, which runs whatever
        code the file names: only for files that you (or someone you trust)
        wrote.

    Returns
    -------
    object
        Usually a DataMatrix, with a fresh family id.

    Raises
    ------
    pickle.UnpicklingError
        If the file names a global outside the allow-list (the message names
        it), or is not a valid pickle.

    Examples
    --------
    >>> from datamatrix import io
    >>> io.writepickle(DataMatrix(rt=[500, 600]), 'trials.pkl')
    >>> print(io.readpickle('trials.pkl'))
    +---+-----+
    | # |  rt |
    +---+-----+
    | 0 | 500 |
    | 1 | 600 |
    +---+-----+
    >>> from datamatrix.functional import memoize
    >>> io.writepickle({'settings': memoize}, 'mine.pkl')
    >>> import pickle
    >>> try:
    ...     io.readpickle('mine.pkl')
    ... except pickle.UnpicklingError:
    ...     print('refused: not a DataMatrix or plain data')
    refused: not a DataMatrix or plain data
    >>> io.readpickle('mine.pkl', trusted=True)['settings'] is memoize
    True
    """
    if trusted:
        with open(os.fspath(path), 'rb') as fh:
            return pickle.load(fh)
    return _legacy.read_pickle(path)
