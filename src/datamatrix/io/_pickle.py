"""Pickle files: :func:`writepickle` and :func:`readpickle`.

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
    """
    with open(os.fspath(path), 'rb') as fh:
        return pickle.load(fh)
