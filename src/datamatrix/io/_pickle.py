"""Pickle files: :func:`writepickle` and :func:`readpickle` (SPEC 6.5).

.. warning::
   Loading a pickle can run arbitrary code. Only call :func:`readpickle` on
   files that you (or someone you trust) wrote. For files from elsewhere use
   :func:`~datamatrix.io.readbin`, :func:`~datamatrix.io.readtxt` or
   :func:`~datamatrix.io.readxlsx`, which never run code (see ``SECURITY.md``).
"""
from __future__ import annotations

import os
import pickle
from typing import Any

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
    """
    with atomic_target(path) as fh, \
            progress(_size_estimate(dm), f'writepickle {os.path.basename(path)}') as bar:
        pickle.dump(dm, _Counted(fh, bar), protocol=protocol)


def readpickle(path: str | os.PathLike) -> Any:
    """Unpickle the object in ``path``. **Only for trusted files.**

    Unpickling runs code named in the file, so a malicious file can do
    anything your account can. Use :func:`~datamatrix.io.readbin` for files of
    unknown origin.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    object
        Usually a DataMatrix, with a fresh family id.
    """
    with open(os.fspath(path), 'rb') as fh, \
            progress(os.fstat(fh.fileno()).st_size,
                     f'readpickle {os.path.basename(path)}') as bar:
        return pickle.load(_Counted(fh, bar))
