"""Writing files safely: a hidden temporary file in the target folder, renamed
into place only when it is complete.

Every writer of :mod:`datamatrix.io` goes through :func:`atomic_target`, so a
crash, a full disk or an exception half-way never leaves a truncated file
where the old one was, and never leaves the temporary file behind (except
after a hard kill; such leftovers are removed by the next write to the same
path, once their process is gone).
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from typing import BinaryIO, Iterator

_TMP_SUFFIX = re.compile(r'\.tmp-(\d+)$')


def _default_mode(path: str) -> int:
    """Permission bits for the new file: the old file's, else 0o666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sweep(folder: str, name: str) -> None:
    """Remove temporary files for ``name`` left by processes that no longer run."""
    prefix = f'.{name}.'
    try:
        candidates = [entry for entry in os.listdir(folder) if entry.startswith(prefix)]
    except OSError:
        return
    for entry in candidates:
        match = _TMP_SUFFIX.search(entry)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        import psutil
        if not psutil.pid_exists(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def _release_cache(path: str) -> None:
    """Drop the page cache of the file that is about to be replaced.

    Its data is on disk and will be discarded by the rename anyway; releasing
    its cached pages first lets the new file reuse them instead of pushing
    other data out of the page cache (for a file of gigabytes this also makes
    writing it about as fast as overwriting it in place). Mapped pages, e.g. of
    a DataMatrix that :func:`~datamatrix.io.readbin` opened from this file,
    are left alone by the kernel.
    """
    if not hasattr(os, 'posix_fadvise'):
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _fsync_folder(folder: str) -> None:
    """Make the rename durable (POSIX); ignored where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file that replaces ``path`` when the block succeeds.

    Missing parent folders are created. The temporary file is named
    ``.<name>.<random>.tmp-<pid>`` and lives in the target folder, so the final
    :func:`os.replace` is atomic. It is flushed and ``fsync``-ed before the
    rename. On any exception it is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The file to (over)write.

    Yields
    ------
    file
        A binary file object opened for writing.

    Raises
    ------
    OSError
        (e.g. ``PermissionError``) if the folder cannot be created or written;
        the message names the folder.
    """
    target = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(target)
    _release_cache(target)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f'.{name}.', suffix=f'.tmp-{os.getpid()}',
                                   dir=folder)
    except OSError as exc:
        raise type(exc)(exc.errno, f'cannot write {target!r}: cannot create a file in '
                                   f'folder {folder!r} ({exc.strerror})') from exc
    try:
        with os.fdopen(fd, 'wb') as fh:
            yield fh
            fh.flush()
            if hasattr(os, 'fchmod'):
                os.fchmod(fh.fileno(), _default_mode(target))
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    _sweep(folder, name)


def column_class(default_col_type):
    """The column class that ``default_col_type`` names (``float``/``int`` allowed)."""
    from datamatrix._table.datamatrix import _column_type
    from datamatrix.errors import InvalidValueError
    col_type = _column_type(default_col_type)
    if col_type is None:
        raise InvalidValueError(f'invalid default_col_type {default_col_type!r}: use '
                                f'MixedColumn, FloatColumn, IntColumn, float or int')
    return col_type


def unique_names(names: list[str]) -> list[str]:
    """Rename later duplicates ``x`` to ``x_2``, ``x_3``, … (with a warning).

    A generated name never collides with another name in the list.

    Examples
    --------
    >>> import warnings; warnings.simplefilter('ignore')
    >>> unique_names(['a', 'b', 'a', 'a'])
    ['a', 'b', 'a_2', 'a_3']
    """
    taken = set(names)
    seen: set[str] = set()
    result = []
    renamed = []
    for name in names:
        if name in seen:
            number = 2
            while f'{name}_{number}' in taken:
                number += 1
            new = f'{name}_{number}'
            taken.add(new)
            renamed.append(f'{name!r} -> {new!r}')
            name = new
        seen.add(name)
        result.append(name)
    if renamed:
        import warnings
        warnings.warn(f'duplicate column names were renamed: {", ".join(renamed)}',
                      UserWarning, stacklevel=3)
    return result
