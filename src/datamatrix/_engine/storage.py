"""Where the array of a multidimensional column lives: in RAM or in a spill file.

An :class:`ArrayStore` owns one array of shape ``(rows,) + cell_shape``. It is
either *loaded* (a plain ndarray in RAM) or *offloaded* (a ``numpy.memmap`` over a
hidden spill file in ``cfg.tmp_dir``, or over a saved file that was opened
lazily). The store knows how to move itself between the two states and how to
stream over its rows in blocks; it does not decide *when* to move: that is the
memory manager's job (:mod:`datamatrix._engine.memory`).

Spill files are created with ``mkstemp``, unlinked at once (POSIX), fully
allocated before any byte is written (so a full disk gives ``OSError`` rather
than a ``SIGBUS`` later), and mapped; the process then holds exactly one file
descriptor per offloaded column (the one inside the mapping). When the store is
freed, the mapping closes and the kernel frees the file.
"""
from __future__ import annotations

import errno
import mmap
import os
import sys
import tempfile
import threading
from typing import Iterator

import numpy as np

from datamatrix._engine.config import cfg
from datamatrix._engine.progress import tracked

_PAGE = mmap.PAGESIZE
_POSIX = os.name == 'posix'
SPILL_PREFIX = '.datamatrix-'
SPILL_SUFFIX = '.memmap'


def row_blocks(n_rows: int, row_nbytes: int,
               max_bytes: int | None = None) -> Iterator[tuple[int, int]]:
    """Split ``range(n_rows)`` into contiguous ``(start, stop)`` blocks.

    Each block holds at most ``max_bytes`` (default ``cfg.save_chunk_size``)
    bytes, but always at least one row.

    Examples
    --------
    >>> list(row_blocks(5, 10, max_bytes=20))
    [(0, 2), (2, 4), (4, 5)]
    """
    spans = block_spans(n_rows, row_nbytes, max_bytes)
    yield from tracked(spans, n_rows * row_nbytes)  # a bar if large


def block_spans(n_rows: int, row_nbytes: int,
                max_bytes: int | None = None) -> list[tuple[int, int]]:
    """The blocks of :func:`row_blocks` as a list, without a progress bar.

    For streams that run their blocks out of order (in threads) and report
    progress as results come in.

    Examples
    --------
    >>> block_spans(5, 10, max_bytes=20)
    [(0, 2), (2, 4), (4, 5)]
    """
    if max_bytes is None:
        max_bytes = cfg.save_chunk_size
    step = max(1, int(max_bytes) // max(1, row_nbytes))
    return [(start, min(n_rows, start + step)) for start in range(0, n_rows, step)]


def release_pages(array: np.ndarray) -> None:
    """Drop the resident pages of a memory-mapped array (or a slice of one).

    The data stays in the file (and the page cache); only this process's
    mapping forgets the pages, so streaming over a mapped column does not pile
    up resident memory. Arrays that are not file mappings are ignored, and so
    are copy-on-write mappings, whose private pages would be lost.
    """
    _advise(array, getattr(mmap, 'MADV_DONTNEED', None))


_MADV_POPULATE_WRITE = getattr(mmap, 'MADV_POPULATE_WRITE',
                               23 if sys.platform == 'linux' else None)


def populate_pages(array: np.ndarray) -> None:
    """Prepare the pages of a mapped block that is about to be written in full.

    On Linux 5.14+ one ``MADV_POPULATE_WRITE`` call maps them all, which is
    several times faster than taking a page fault per page on a fresh spill
    file. Elsewhere, and for arrays that are not shared file mappings, nothing
    happens.
    """
    if getattr(array, 'mode', 'r+') != 'r':
        _advise(array, _MADV_POPULATE_WRITE)


_MADV_POPULATE_READ = getattr(mmap, 'MADV_POPULATE_READ',
                              22 if sys.platform == 'linux' else None)
_MADV_WILLNEED = getattr(mmap, 'MADV_WILLNEED', None)
_populate_read_works = [True]
"""False once the kernel refused ``MADV_POPULATE_READ`` (Linux < 5.14)."""


def prefault_pages(array: np.ndarray) -> None:
    """Bring the pages of a mapped block into the mapping in one call.

    One ``MADV_POPULATE_READ`` (Linux 5.14+) reads and maps every page of the
    block, instead of one page fault per 4 KiB while numpy reads it; where the
    kernel refuses it, ``MADV_WILLNEED`` starts the read-ahead instead. The call
    does not hold the GIL, so another thread computes meanwhile. Arrays that are
    not file mappings are ignored.
    """
    if _populate_read_works[0] and _MADV_POPULATE_READ is not None:
        # read-ahead of the whole block first: large reads instead of one per fault
        _advise(array, _MADV_WILLNEED, private_ok=True)
        if _advise(array, _MADV_POPULATE_READ, private_ok=True) != errno.EINVAL:
            return
        _populate_read_works[0] = False
    _advise(array, _MADV_WILLNEED, private_ok=True)


def hint_pages(array: np.ndarray) -> None:
    """Ask the kernel to start reading a mapped block that is needed soon."""
    _advise(array, _MADV_WILLNEED, private_ok=True)


def open_mapping_file(array: np.ndarray) -> tuple[int, int] | None:
    """A new read-only descriptor of the file that ``array`` maps, and its offset there.

    For a C-contiguous view of a shared file mapping (a spill file or a lazily
    read file), on Linux: the file is found through ``/proc/self/maps`` and the
    descriptor that the mapping holds, and opened anew, so that rows can be read
    with ``pread`` instead of page faults (which map a whole large folio around
    every scattered row). Returns ``(fd, offset)`` (the caller closes ``fd``),
    or None where that is not possible: the caller then reads through the mapping.
    A shared mapping and the file's page cache are one, so both read the same bytes.
    """
    mapping = getattr(array, '_mmap', None)
    if (mapping is None or not sys.platform.startswith('linux') or array.size == 0
            or getattr(array, 'mode', 'c') not in ('r', 'r+', 'w+')
            or not array.flags.c_contiguous):
        return None
    try:
        map_start = np.frombuffer(mapping, np.uint8, count=1).ctypes.data
        with open('/proc/self/maps', 'rb') as fh:
            line = next((line for line in fh
                         if int(line.split(b'-', 1)[0], 16) == map_start), None)
        if line is None:
            return None
        fields = line.split()
        major, minor = (int(part, 16) for part in fields[3].split(b':'))
        file_offset, inode = int(fields[2], 16), int(fields[4])
        for name in os.listdir('/proc/self/fd'):
            path = f'/proc/self/fd/{name}'
            try:
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_ino, os.major(info.st_dev), os.minor(info.st_dev)) != (
                    inode, major, minor):
                continue
            fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
            if os.fstat(fd).st_ino == inode:  # not a descriptor reused meanwhile
                return fd, file_offset + array.ctypes.data - map_start
            os.close(fd)
    except (OSError, ValueError, IndexError):
        return None
    return None


def pread_rows(fd: int, offset: int, positions: np.ndarray, out: np.ndarray) -> None:
    """Read rows ``positions`` of a C-contiguous array at ``offset`` in ``fd`` into ``out``.

    Runs of consecutive positions are read in one call each. ``out`` is a
    C-contiguous array of ``len(positions)`` rows of the file's row size.
    """
    if not len(positions):
        return
    row_nbytes = out[0].nbytes
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = np.concatenate(([0], breaks))
    stops = np.concatenate((breaks, [len(positions)]))
    view = memoryview(out.reshape(-1).view(np.uint8))
    file_at = (offset + positions[starts].astype(np.int64) * row_nbytes).tolist()
    preadv = os.preadv
    for first, last, at in zip((starts * row_nbytes).tolist(),
                               (stops * row_nbytes).tolist(), file_at):
        while first < last:
            count = preadv(fd, [view[first:last]], at)
            if count <= 0:
                raise OSError(errno.EIO, 'a mapped file ended before its last row')
            first += count
            at += count


def _libc_madvise():
    """libc's ``madvise`` through ctypes, which releases the GIL (None if unavailable)."""
    if not _POSIX:  # pragma: no cover
        return None
    try:
        import ctypes
        function = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError, ImportError):  # pragma: no cover
        return None
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_madvise = _libc_madvise()


def _advise(array: np.ndarray, advice: int | None, private_ok: bool = False) -> int:
    """``madvise`` the pages of a shared mapping that hold ``array`` (a view).

    Returns 0, or the ``errno`` of a refused advice (advice is never an error).
    """
    mapping = getattr(array, '_mmap', None)
    if mapping is None or array.size == 0 or advice is None:
        return 0
    if getattr(array, 'mode', 'r+') == 'c' and not private_ok:
        return 0  # private pages would be lost
    try:
        # (``.ctypes.data``: many ``__array_interface__`` reads make numpy allocate)
        map_start = np.frombuffer(mapping, np.uint8, count=1).ctypes.data
    except ValueError:  # pragma: no cover - a closed mapping
        return 0
    offset = array.ctypes.data - map_start
    stop = offset + array.nbytes if array.flags.contiguous else len(mapping)
    first = max(0, (offset // _PAGE) * _PAGE)
    stop = min(len(mapping), stop)
    if stop <= first:
        return 0
    if _madvise is not None:
        if _madvise(map_start + first, stop - first, advice) == 0:
            return 0
        import ctypes
        return ctypes.get_errno()
    try:  # pragma: no cover - without ctypes
        mapping.madvise(advice, first, stop - first)
    except OSError as exc:  # pragma: no cover - advice only
        return exc.errno or 0
    except ValueError:  # pragma: no cover
        pass
    return 0


def _spill_file(nbytes: int) -> int:
    """Create, hide and fully allocate a spill file; return its descriptor."""
    directory = cfg.tmp_dir
    try:
        fd, path = tempfile.mkstemp(prefix=f'{SPILL_PREFIX}{os.getpid()}-',
                                    suffix=SPILL_SUFFIX, dir=directory)
    except OSError as exc:
        raise OSError(exc.errno, f'cannot create a spill file in cfg.tmp_dir '
                                 f'{directory!r}: {exc.strerror}{_hint(exc)}') from exc
    try:
        if _POSIX:
            os.unlink(path)
        if nbytes:
            if hasattr(os, 'posix_fallocate'):
                os.posix_fallocate(fd, 0, nbytes)
            else:  # pragma: no cover - non-Linux
                os.ftruncate(fd, nbytes)
    except OSError as exc:
        os.close(fd)
        if not _POSIX:  # pragma: no cover
            os.unlink(path)
        raise OSError(exc.errno, f'cannot allocate {nbytes} bytes for a spill file '
                                 f'in cfg.tmp_dir {directory!r}: {exc.strerror}') from exc
    return fd


def _hint(exc: OSError) -> str:
    if exc.errno == errno.EMFILE:
        return (' (every offloaded column holds one file descriptor; raise the limit '
                'with `ulimit -n` or keep fewer columns offloaded)')
    return ''


def _map(fd: int, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Map a spill file read-write; the descriptor is closed (the map keeps a dup)."""
    with os.fdopen(fd, 'r+b', closefd=True) as fh:
        if int(np.prod(shape)) == 0:
            return np.empty(shape, dtype)
        try:
            return np.memmap(fh, dtype=dtype, mode='r+', shape=shape)
        except OSError as exc:
            raise OSError(exc.errno, f'cannot map a spill file: {exc.strerror}'
                                     f'{_hint(exc)}') from exc


def _write_all(fd: int, array: np.ndarray) -> None:
    """Write the bytes of ``array`` to ``fd`` from offset 0, block by block."""
    if array.nbytes == 0:  # e.g. cells of shape (0,): nothing to write
        return
    row_nbytes = array[0].nbytes if len(array) and array.ndim > 1 else array.itemsize
    for start, stop in row_blocks(len(array), row_nbytes):
        pwrite_all(fd, np.ascontiguousarray(array[start:stop]), start * row_nbytes)
        release_pages(array[start:stop])


def pwrite_all(fd: int, array: np.ndarray, offset: int) -> None:
    """Write the bytes of a contiguous array to ``fd`` at ``offset``."""
    view = memoryview(array).cast('B') if array.nbytes else b''
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def spill_file(nbytes: int) -> int:
    """A new, hidden, fully allocated spill file of ``nbytes``: its descriptor."""
    return _spill_file(nbytes)


def map_spill(fd: int, shape: tuple, dtype) -> np.ndarray:
    """Map a spill file written through ``fd`` (the descriptor is taken over)."""
    return _map(fd, shape, np.dtype(dtype))


class ArrayStore:
    """The array of one multidimensional column, in RAM or mapped from disk.

    Parameters
    ----------
    array : numpy.ndarray
        The initial data (taken over, not copied). A ``numpy.memmap`` counts as
        offloaded.

    Attributes
    ----------
    array : numpy.ndarray
        The live array: an ndarray when loaded, a ``numpy.memmap`` otherwise.
    """

    __slots__ = ('array', 'readonly_source', 'lock', 'key', '__weakref__')

    def __init__(self, array: np.ndarray, readonly_source: bool = False) -> None:
        self.array = array
        self.readonly_source = readonly_source
        """True while the array maps a saved file that must never be written."""
        self.lock = threading.RLock()
        """Held while the array moves and while a column writes into it."""
        self.key = 0
        """The memory manager's key for this store (0 until it is added)."""

    # -- description ---------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def nbytes(self) -> int:
        return self.array.nbytes

    @property
    def loaded(self) -> bool:
        return not isinstance(self.array, np.memmap)

    @property
    def row_nbytes(self) -> int:
        return self.array.itemsize * int(np.prod(self.array.shape[1:]))

    # -- moving between RAM and disk -----------------------------------------
    def offload(self) -> None:
        """Move the data to a spill file. On error the data stays loaded."""
        if not self.loaded:
            return
        fd = _spill_file(self.nbytes)
        try:
            _write_all(fd, self.array)
        except OSError as exc:
            os.close(fd)
            raise OSError(exc.errno, f'cannot write a spill file in cfg.tmp_dir '
                                     f'{cfg.tmp_dir!r}: {exc.strerror}') from exc
        self.array = _map(fd, self.array.shape, self.array.dtype)
        self.readonly_source = False

    def load(self, copy: bool = True) -> None:
        """Read the data into RAM (``copy=False``: allocate only, contents undefined)."""
        if self.loaded:
            return
        source = self.array
        target = np.empty(source.shape, source.dtype)
        if copy:
            spans = block_spans(len(source), self.row_nbytes)
            for index, (start, stop) in enumerate(tracked(spans, source.nbytes)):
                prefault_pages(source[start:stop])  # one call, not a fault per page
                if index + 1 < len(spans):
                    hint_pages(source[spans[index + 1][0]:spans[index + 1][1]])
                target[start:stop] = source[start:stop]
                release_pages(source[start:stop])
        self.array = target
        self.readonly_source = False

    def make_writable(self) -> None:
        """Copy a lazily opened saved file to a spill file before the first write."""
        if self.readonly_source:
            source = self.array
            fd = _spill_file(source.nbytes)
            try:
                _write_all(fd, source)
            except OSError:
                os.close(fd)
                raise
            self.array = _map(fd, source.shape, source.dtype)
            self.readonly_source = False

    # -- streaming -----------------------------------------------------------
    def blocks(self, max_bytes: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, rows)`` for contiguous row blocks of the array.

        For an offloaded array the pages of a block are released once the
        consumer asks for the next block, so resident memory stays near one
        block whatever the size of the column.
        """
        array = self.array
        for start, stop in row_blocks(len(array), self.row_nbytes, max_bytes):
            block = array[start:stop]
            yield start, stop, block
            release_pages(block)

    @classmethod
    def allocate(cls, shape: tuple, dtype, in_memory: bool,
                 fill: float | None = None) -> 'ArrayStore':
        """A new store of ``shape``, in RAM or directly in a spill file.

        Parameters
        ----------
        fill : float, optional
            Initial value of every element; ``None`` leaves them undefined
            (zeros for a spill file).
        """
        dtype = np.dtype(dtype)
        if in_memory:
            array = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
            return cls(array)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        fd = _spill_file(nbytes)
        try:
            array = _map(fd, shape, dtype)
        except OSError:
            raise
        store = cls(array)
        if fill is not None and fill != 0:
            for _, _, block in store.blocks():
                block[...] = fill
        return store


def is_spill_file(name: str) -> bool:
    """Whether a file name is one of our spill files."""
    return name.startswith(SPILL_PREFIX) and name.endswith(SPILL_SUFFIX)


def sweep_stale_spill_files(directory: str) -> int:
    """Delete spill files left by dead processes (only where unlinking is impossible)."""
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        if not is_spill_file(name):
            continue
        try:
            pid = int(name[len(SPILL_PREFIX):].split('-', 1)[0])
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            import psutil
            alive = psutil.pid_exists(pid)
        except Exception:  # pragma: no cover
            alive = True
        if not alive:
            try:
                os.unlink(os.path.join(directory, name))
                removed += 1
            except OSError:
                pass
    return removed


if not _POSIX:  # pragma: no cover - Windows keeps visible spill files
    sweep_stale_spill_files(cfg.tmp_dir)

__all__ = ['ArrayStore', 'row_blocks', 'block_spans', 'release_pages', 'prefault_pages']
