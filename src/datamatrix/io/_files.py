"""Writing files safely: a temporary file in the target folder, put into place
only when it is complete.

Every writer of :mod:`datamatrix.io` goes through :func:`atomic_target`, so a
crash, a full disk or an exception half-way never leaves a truncated file
where the old one was, and never leaves the temporary file behind.

Even a hard kill (``kill -9``) leaves nothing: on Linux the file is written
*unnamed* (``O_TMPFILE``) and only linked into the folder, under a hidden name
that is at once renamed over the target, when it is complete. Where that is not
possible (other systems, file systems without ``O_TMPFILE``), the temporary file
has a hidden name ``.<name>.<random>.tmp-<pid>@<host>``; such leftovers of a
process that no longer runs (on this host) are removed before the next write to
the same folder (:func:`sweep_stale`), also the temporary folders of
:func:`~datamatrix.io.writezarr`.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from typing import BinaryIO, Iterator

_HOST = re.sub(r'[^A-Za-z0-9-]', '-', socket.gethostname())[:40] or 'host'
_STALE = re.compile(r'^\..+\.[A-Za-z0-9_]+\.(?:tmp|old)-(\d+)(?:@([A-Za-z0-9-]+))?$')
"""A temporary name of ours: ``.<name>.<random>.tmp-<pid>[@<host>]`` (or ``.old-``)."""
_SWEEP_INTERVAL = 60.0
"""Seconds after which a folder is listed again even if its mtime did not change."""
_swept: dict[str, tuple[int, float]] = {}
"""Per folder with nothing left to watch: its mtime after our last write there, and
when it was last swept. A folder holding temporaries of other running processes is
not in it, so it is listed at every write until those are finished or swept."""
_unnamed_files = sys.platform.startswith('linux') and hasattr(os, 'O_TMPFILE')
"""Whether to try unnamed temporary files (cleared when linking them fails)."""

_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOTSUP}
"""How ``open(O_TMPFILE)`` says that the file system does not support it."""


def temp_suffix(kind: str = 'tmp') -> str:
    """The suffix of our temporary names: ``'.tmp-<pid>@<host>'``."""
    return f'.{kind}-{os.getpid()}@{_HOST}'


def _default_mode(path: str) -> int:
    """Permission bits for the new file: the old file's, else 0o666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


def sweep_stale(folder: str) -> int:
    """Remove our temporary files and folders in ``folder`` whose process is gone.

    Only names of the form that :func:`atomic_target` and ``writezarr`` use are
    considered, and only those of processes of this host (a folder shared over the
    network may hold another machine's writes in progress). To keep repeated writes
    cheap, a folder is listed again only if its mtime changed since our last write
    there, a minute passed, or it held temporaries of processes that were running.

    Returns
    -------
    int
        How many leftovers were removed.
    """
    folder = os.path.abspath(folder)
    mtime, now = _mtime(folder), time.monotonic()
    last = _swept.get(folder)
    if last is not None and last[0] == mtime and now - last[1] < _SWEEP_INTERVAL:
        return 0
    _swept.pop(folder, None)
    try:
        entries = os.listdir(folder)
    except OSError:
        return 0
    removed = running = 0
    for entry in entries:
        match = _STALE.match(entry)
        if match is None or match.group(2) not in (None, _HOST):
            continue
        pid = int(match.group(1))
        if pid == os.getpid():
            continue
        if _alive(pid):
            running += 1  # may be killed later without touching the folder's mtime
            continue
        path = os.path.join(folder, entry)
        with contextlib.suppress(OSError):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            removed += 1
    if not running:
        _swept[folder] = (mtime, now)
    return removed


def _alive(pid: int) -> bool:
    import psutil
    try:
        return psutil.pid_exists(pid)
    except Exception:  # pragma: no cover - cannot tell: keep the file
        return True


def written(folder: str) -> None:
    """Note the folder's mtime after our own write, so the next one need not sweep."""
    folder = os.path.abspath(folder)
    if folder in _swept:
        _swept[folder] = (_mtime(folder), _swept[folder][1])


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

    Missing parent folders are created, and leftovers of killed writers in the
    folder are removed first (:func:`sweep_stale`). The temporary file lives in
    the target folder, so the final :func:`os.replace` is atomic: on Linux it is
    unnamed (``O_TMPFILE``) until it is complete, then linked under a hidden name
    and renamed at once; elsewhere it is named ``.<name>.<random>.tmp-<pid>@<host>``
    from the start. It is flushed and ``fsync``-ed before the rename. On any
    exception it is removed and ``path`` is left as it was.

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
    except OSError as exc:
        raise type(exc)(exc.errno, f'cannot write {target!r}: cannot create folder '
                                   f'{folder!r} ({exc.strerror})') from exc
    sweep_stale(folder)
    fd, tmp = _unnamed_file(folder, target)
    try:
        with os.fdopen(fd, 'wb') as fh:
            yield fh
            fh.flush()
            if hasattr(os, 'fchmod'):
                os.fchmod(fh.fileno(), _default_mode(target))
            os.fsync(fh.fileno())
            if tmp is None:  # unnamed: give it a hidden name for the atomic rename
                tmp = _link(fh.fileno(), folder, name)
        os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    _fsync_folder(folder)
    written(folder)


def _unnamed_file(folder: str, target: str) -> tuple[int, str | None]:
    """A new file in ``folder``: ``(fd, None)`` if unnamed, else ``(fd, its path)``."""
    try:
        if _unnamed_files:
            try:
                return os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o600), None
            except OSError as exc:  # a file system without O_TMPFILE: a named file
                if exc.errno not in _NO_TMPFILE:
                    raise
        return tempfile.mkstemp(prefix=f'.{os.path.basename(target)}.',
                                suffix=temp_suffix(), dir=folder)
    except OSError as exc:
        raise type(exc)(exc.errno, f'cannot write {target!r}: cannot create a file in '
                                   f'folder {folder!r} ({exc.strerror})') from exc


def _link(fd: int, folder: str, name: str) -> str:
    """Link the complete unnamed file ``fd`` into ``folder`` under a hidden name.

    ``linkat`` through ``/proc/self/fd`` first, then ``linkat(AT_EMPTY_PATH)``;
    if neither works the data is copied to a named temporary file (and later
    writes of this process use named files from the start).
    """
    global _unnamed_files
    tmp = os.path.join(folder, f'.{name}.{os.urandom(6).hex()[:8]}{temp_suffix()}')
    try:
        os.link(f'/proc/self/fd/{fd}', tmp, follow_symlinks=True)
        return tmp
    except OSError:
        pass
    if _linkat_empty_path(fd, tmp):
        return tmp
    _unnamed_files = False
    with open(tmp, 'xb') as copy:
        os.lseek(fd, 0, os.SEEK_SET)
        with open(os.dup(fd), 'rb') as source:  # opened O_RDWR: readable
            shutil.copyfileobj(source, copy)
        copy.flush()
        os.fsync(copy.fileno())
    return tmp


def _linkat_empty_path(fd: int, path: str) -> bool:
    """``linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH)`` (Linux, needs a capability)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, at_empty_path = -100, 0x1000
        return libc.linkat(fd, b'', at_fdcwd, os.fsencode(path), at_empty_path) == 0
    except (OSError, AttributeError):
        return False


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
