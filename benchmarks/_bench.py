"""Shared helpers of the benchmark scripts: timing, peak memory, page-cache control.

Only the standard library, numpy and psutil; nothing from datamatrix, so that the
scripts keep working whatever the package's internal layout.
"""
from __future__ import annotations

import gc
import os
import shutil
import statistics
import subprocess
import threading
import time
from typing import Callable

import numpy as np
import psutil

GB = 1e9
MiB = 2 ** 20


def median_time(fnc: Callable[[], object], repeat: int,
                setup: Callable[[], object] | None = None) -> float:
    """Median wall time (s) of ``repeat`` calls of ``fnc``.

    ``setup()`` runs untimed before every call; the result of ``fnc`` is dropped
    (and garbage collected) outside the timing.
    """
    times = []
    for _ in range(max(1, repeat)):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        result = fnc()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


class PeakRSS:
    """Context manager: peak resident memory above the level at entry (``.extra``).

    RSS is sampled every 2 ms by a thread, so very short peaks can be missed.
    """

    def __enter__(self) -> 'PeakRSS':
        gc.collect()
        self._process = psutil.Process()
        self.start = self._process.memory_info().rss
        self.peak = self.start
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)
        self.extra = max(0, self.peak - self.start)


def measure(fnc: Callable[[], object], repeat: int,
            setup: Callable[[], object] | None = None) -> tuple[float, int]:
    """``(median time, peak extra RSS over all runs)`` of ``fnc``."""
    with PeakRSS() as mem:
        seconds = median_time(fnc, repeat, setup)
    return seconds, mem.extra


# -- the page cache ---------------------------------------------------------------------
def drop_fd_pages(fd: int) -> None:
    """Write back and drop the page-cache pages of an open file."""
    try:
        os.fsync(fd)
    except OSError:  # e.g. a descriptor opened read-only on some systems
        pass
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def drop_file_pages(path: str) -> None:
    """Write back and drop the page-cache pages of the file at ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        drop_fd_pages(fd)
    finally:
        os.close(fd)


def drop_open_file_pages(folder: str) -> int:
    """Drop the cached pages of every file under ``folder`` this process holds open.

    This is how the benchmarks make datamatrix's own files cold without reaching
    into its internals: spill files are unlinked right after creation, but the
    memory map of an offloaded column keeps a descriptor on them, and so does the
    map of a file opened lazily by ``io.readbin``. On Linux ``/proc/self/fd``
    lists those descriptors with their (possibly deleted) paths.

    The kernel does not drop pages that are still mapped by a process, so the
    function returns the bytes of those files that are still in the page cache
    afterwards (measured with util-linux ``fincore``; 0 when it is missing).
    """
    folder = os.path.realpath(folder)
    still_cached = 0
    try:
        names = os.listdir('/proc/self/fd')
    except OSError:
        return 0
    for name in names:
        try:
            target = os.readlink(f'/proc/self/fd/{name}')
        except OSError:
            continue
        if target.startswith(folder + os.sep):
            try:
                drop_fd_pages(int(name))
                still_cached += cached_bytes(f'/proc/{os.getpid()}/fd/{name}')
            except OSError:
                pass
    return still_cached


def cached_bytes(path: str) -> int:
    """Bytes of the file at ``path`` in the page cache (``fincore``; 0 without it)."""
    if shutil.which('fincore') is None:
        return 0
    out = subprocess.run(['fincore', '--bytes', '--noheadings', '--output', 'RES', path],
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else 0


def write_file(path: str, array: np.ndarray, block: int) -> None:
    """Write the bytes of ``array`` to ``path`` in blocks of ``block`` bytes, then fsync."""
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    with open(path, 'wb', buffering=0) as fh:
        for start in range(0, len(flat), block):
            fh.write(flat[start:start + block])
        os.fsync(fh.fileno())


def readinto_file(path: str, block: int, buffer: np.ndarray | None = None) -> int:
    """Read the whole file sequentially with ``readinto`` in blocks of ``block`` bytes.

    Reads into one reusable buffer unless ``buffer`` (a uint8 array at least the
    file's size) is given, into which the file is then read in full. Returns the
    number of bytes read.
    """
    total = 0
    with open(path, 'rb', buffering=0) as fh:
        if buffer is None:
            scratch = memoryview(np.empty(block, np.uint8))
            while True:
                n = fh.readinto(scratch)
                if not n:
                    break
                total += n
        else:
            view = memoryview(buffer.reshape(-1).view(np.uint8))
            while total < len(view):
                n = fh.readinto(view[total:total + block])
                if not n:
                    break
                total += n
    return total


def parse_size(text: str) -> int:
    """'1GB', '512MiB', '4e9' -> bytes (the forms cfg.memory_limit accepts)."""
    units = {'KB': 1e3, 'MB': 1e6, 'GB': 1e9, 'TB': 1e12, 'KIB': 2 ** 10,
             'MIB': 2 ** 20, 'GIB': 2 ** 30, 'TIB': 2 ** 40, 'K': 2 ** 10,
             'M': 2 ** 20, 'G': 2 ** 30, 'T': 2 ** 40, 'B': 1}
    text = text.strip().upper().replace(' ', '')
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[:-len(unit)]) * units[unit])
    return int(float(text))


def gbps(nbytes: int, seconds: float) -> float:
    return nbytes / GB / seconds if seconds > 0 else float('inf')
