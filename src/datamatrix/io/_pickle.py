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
from datamatrix._engine.progress import progress
from datamatrix.io._files import atomic_target


class _Counted:
    """A file whose reads and writes advance a progress bar (one update per call)."""

    def __init__(self, fh: Any, bar: Any) -> None:
        self._fh, self._bar = fh, bar

    def write(self, data: Any) -> int:
        written = self._fh.write(data)
        self._bar.update(memoryview(data).nbytes)
        return written

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self._bar.update(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        count = self._fh.readinto(buffer)
        self._bar.update(count or 0)
        return count

    def readline(self, size: int = -1) -> bytes:
        data = self._fh.readline(size)
        self._bar.update(len(data))
        return data


def _size_estimate(dm: Any) -> int:
    """About the bytes that pickling ``dm`` writes (its columns' data)."""
    try:
        return sum(column._store.nbytes if hasattr(column, '_store')
                   else 8 * len(column) for _, column in dm.columns)
    except Exception:  # not a DataMatrix: no bar
        return 0


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
    with atomic_target(path) as fh, \
            progress(_size_estimate(dm), f'writepickle {os.path.basename(path)}') as bar:
        pickle.dump(dm, _Counted(fh, bar), protocol=protocol)


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
        with open(os.fspath(path), 'rb') as fh, \
                progress(os.fstat(fh.fileno()).st_size,
                         f'readpickle {os.path.basename(path)}') as bar:
            return pickle.load(_Counted(fh, bar))
    return _legacy.read_pickle(path)
