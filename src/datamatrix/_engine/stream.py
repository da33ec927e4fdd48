"""The one streaming mechanism: row blocks in, row blocks or reductions out.

Every operation on multidimensional data that may be out of core goes through
these functions: they read the source in contiguous blocks of rows of at most
``cfg.save_chunk_size`` bytes (:meth:`ArrayStore.blocks`), release each block's
mapped pages when done, and write results into a store that the memory manager
placed in RAM if it fits the budget, or in a spill file otherwise. The same code
runs for loaded arrays, so a result never depends on where the data lives.
Blocks are computed in a small pool of worker threads (``cfg.stream_threads``);
reductions combine their per-block partials in block order, so results do not
depend on the number of threads either.
"""
from __future__ import annotations

import collections
import concurrent.futures
import contextvars
import functools
import os
import queue
import threading
import warnings
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from datamatrix._engine.memory import manager
from datamatrix._engine.progress import tracked
from datamatrix._engine.storage import (ArrayStore, block_spans, map_spill,
                                         open_mapping_file, prefault_pages, pread_rows,
                                         pwrite_all, release_pages, row_blocks, spill_file)


def new_store(shape: tuple, dtype, fill: float | None = None) -> ArrayStore:
    """A new store, in RAM if the memory manager admits it, else in a spill file."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    store = ArrayStore.allocate(shape, dtype, manager.reserve(nbytes), fill)
    manager.add(store)
    return store


def blocks_of(array: np.ndarray,
              max_bytes: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, rows)`` blocks of any array, releasing mapped pages."""
    row_nbytes = array.itemsize * int(np.prod(array.shape[1:]))
    for start, stop in row_blocks(len(array), row_nbytes, max_bytes):
        block = array[start:stop]
        yield start, stop, block
        release_pages(block)


_BUILD_BLOCK = 8 << 20
"""Bytes per block of :func:`build` at most: small enough that the temporaries of a
block are reused from the allocator (and caches) rather than faulted in anew."""


def build(shape: tuple, dtype, fill_blocks: Callable[..., np.ndarray | float | None],
          max_bytes: int | None = None, parallel: bool = False,
          into: bool = False, sources: tuple[np.ndarray, ...] = ()) -> ArrayStore:
    """A new store of ``shape`` whose rows ``start:stop`` are ``fill_blocks(start, stop)``.

    ``into``: ``fill_blocks(start, stop, out)`` writes the rows into ``out`` itself,
    so no block-sized temporary is needed. ``parallel``: blocks are filled in up to
    ``cfg.stream_threads`` threads; ``fill_blocks`` must then be thread-safe.
    Either way the rows must depend on their input rows only, since blocks are cut
    at most ``_BUILD_BLOCK`` bytes (and ``max_bytes``) large.

    ``sources``: arrays of ``shape[0]`` rows whose rows ``start:stop`` the block
    ``start:stop`` reads. The pages of mapped ones are brought in by a
    :class:`_Reader` ahead of the workers (or by each worker, for few blocks) and
    released after the block, as in a reduction; the blocks are then cut smaller,
    so that those computed and those read ahead together stay within ``max_bytes``.

    A store that the memory manager places in RAM is filled in place. A spill file
    is written with ``pwrite`` from a reused buffer per thread (for ``into``) and
    mapped when complete, which spares the page faults and zeroing of writing
    through a fresh mapping.
    """
    from datamatrix._engine.config import cfg
    dtype = np.dtype(dtype)
    row_nbytes = dtype.itemsize * int(np.prod(shape[1:]))
    nbytes = row_nbytes * shape[0]
    threads = _threads() if parallel else 1
    if max_bytes is None:
        max_bytes = int(cfg.save_chunk_size)
    mapped = tuple(a for a in sources if getattr(a, '_mmap', None) is not None)
    # blocks whose pages are in at once: those computed and those read ahead
    in_flight = threads + (_READ_AHEAD if mapped else 0)
    block_bytes = max(1, min(int(max_bytes) // in_flight, _BUILD_BLOCK))
    spans = block_spans(shape[0], row_nbytes, block_bytes)
    reader = _Reader.ahead_of(mapped, spans)

    def reading(index: int, run: Callable[[], None]) -> Callable[[], None]:
        start, stop = spans[index]

        def read_and_run() -> None:
            if reader is not None:
                reader.wait(index)
            else:
                for source in mapped:
                    prefault_pages(source[start:stop])
            try:
                run()
            finally:
                for source in mapped:
                    release_pages(source[start:stop])
        return read_and_run if mapped else run

    def run_all(task: Callable[[int, int], Callable[[], None]]) -> None:
        results = _in_order((reading(i, task(*span)) for i, span in enumerate(spans)),
                            len(spans), threads, nbytes)
        for _ in (results if reader is None else reader.around(results)):
            pass

    in_memory = manager.reserve(nbytes) or nbytes == 0
    if in_memory:
        store = ArrayStore.allocate(shape, dtype, True)
        manager.add(store)
        array = store.array

        def task(start: int, stop: int) -> Callable[[], None]:
            def run() -> None:
                block = array[start:stop]
                if into:
                    fill_blocks(start, stop, block)
                else:
                    block[...] = fill_blocks(start, stop)
            return run

        run_all(task)
        return store
    fd = spill_file(nbytes)
    buffers: queue.SimpleQueue = queue.SimpleQueue()

    def write(start: int, stop: int) -> Callable[[], None]:
        def run() -> None:
            rows = (stop - start,) + tuple(shape[1:])
            if into:
                try:
                    buffer = buffers.get_nowait()
                except queue.Empty:
                    buffer = np.empty(max(b - a for a, b in spans) * row_nbytes, np.uint8)
                try:
                    out = buffer[:(stop - start) * row_nbytes].view(dtype).reshape(rows)
                    fill_blocks(start, stop, out)
                    pwrite_all(fd, out, start * row_nbytes)
                finally:
                    buffers.put(buffer)
            else:
                values = np.ascontiguousarray(
                    np.broadcast_to(fill_blocks(start, stop), rows), dtype=dtype)
                pwrite_all(fd, values, start * row_nbytes)
        return run

    try:
        run_all(write)
    except BaseException:
        os.close(fd)
        raise
    store = ArrayStore(map_spill(fd, tuple(shape), dtype))
    manager.add(store)
    return store


_FOLIO = 2 << 20
"""Bytes a page fault on a mapped file may map at most (large folios, read-around),
used to bound the memory of scattered reads from a mapping."""


def take_rows(array: np.ndarray, positions: np.ndarray | slice) -> ArrayStore:
    """A new store with the given rows of ``array`` (a copy), block by block.

    Rows in increasing order are read block by block and the pages of each
    block's span are released after it. Rows in any other order from a mapped
    file are read with ``pread``, one call per run of consecutive rows (a page
    fault would map a whole large folio, up to megabytes, around every scattered
    row); where the file cannot be opened so, they are read through the mapping
    in small blocks whose pages are released after each.
    """
    from datamatrix._engine.config import cfg
    if isinstance(positions, slice):
        positions = np.arange(len(array))[positions]
    shape = (len(positions),) + array.shape[1:]
    row_nbytes = array.itemsize * int(np.prod(array.shape[1:]))
    mapped = getattr(array, '_mmap', None) is not None
    increasing = len(positions) < 2 or bool(np.all(positions[1:] > positions[:-1]))
    max_bytes = None
    opened = open_mapping_file(array) if mapped and not increasing else None
    if opened is not None:
        positions = positions % max(1, len(array))  # as 'wrap' below
    elif mapped and not increasing:
        rows = max(1, 2 * int(cfg.save_chunk_size) // (_threads() * _FOLIO))
        max_bytes = _threads() * rows * max(1, row_nbytes)

    def fill(start: int, stop: int, out: np.ndarray) -> None:
        rows = positions[start:stop]
        if not len(rows):
            return
        if opened is not None:
            pread_rows(*opened, rows, out)
        elif rows[-1] - rows[0] == len(rows) - 1 and np.all(np.diff(rows) == 1):
            out[...] = array[rows[0]:rows[-1] + 1]
        else:  # 'wrap' as indexing does for -n..n-1 ('raise' would buffer)
            np.take(array, rows, axis=0, out=out, mode='wrap')
        if not mapped or opened is not None:
            return
        if increasing and rows[0] >= 0:
            release_pages(array[rows[0]:rows[-1] + 1])
        else:
            release_pages(array)

    try:
        return build(shape, array.dtype, fill, max_bytes, parallel=True, into=True)
    finally:
        if opened is not None:
            os.close(opened[0])


def _resident_bytes() -> int | None:
    """This process's resident memory (Linux ``/proc/self/statm``), else None."""
    try:
        with open('/proc/self/statm', 'rb') as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


_PAGE_SIZE = os.sysconf('SC_PAGE_SIZE') if hasattr(os, 'sysconf') else 4096


def output_block_bytes(array: np.ndarray, cell_shape: tuple, dtype) -> int:
    """Output bytes per block of :func:`build` for rows computed from ``array``'s.

    ``cfg.save_chunk_size``, scaled down where an input row is larger than an
    output row (averaging, downsampling), so that input blocks stay that small too.
    """
    from datamatrix._engine.config import cfg
    in_row = array.itemsize * int(np.prod(array.shape[1:]))
    out_row = np.dtype(dtype).itemsize * int(np.prod(cell_shape))
    max_bytes = int(cfg.save_chunk_size)
    if in_row > out_row:  # row_blocks counts output bytes
        max_bytes = max(1, max_bytes * max(out_row, 1) // in_row)
    return max_bytes


def map_blocks(array: np.ndarray, fnc: Callable[..., np.ndarray | None],
               cell_shape: tuple, dtype, into: bool = False,
               parallel: bool = True, also: Iterable[np.ndarray] = ()) -> ArrayStore:
    """A new store whose row blocks are ``fnc(block, start, stop)`` of ``array``'s.

    Blocks hold at most ``cfg.save_chunk_size`` bytes of input *and* of output,
    so a function that shrinks rows (e.g. downsampling) reads no larger blocks.
    ``into``: ``fnc(block, start, stop, out)`` writes its result into ``out``.
    Blocks are computed in up to ``cfg.stream_threads`` threads (see :func:`build`):
    ``fnc`` must be row-wise and thread-safe. ``parallel=False`` for a ``fnc`` that
    holds the GIL (a Python loop per trace): in two threads it would only run
    slower, the threads taking the GIL from each other. ``also``: other arrays of
    as many rows that ``fnc`` reads row for row (the other operand of arithmetic):
    their pages come in ahead with ``array``'s (see :func:`build`).
    """
    shape = (len(array),) + tuple(cell_shape)
    max_bytes = output_block_bytes(array, cell_shape, dtype)

    def fill(start: int, stop: int, out: np.ndarray) -> None:
        block = array[start:stop]
        if into:
            fnc(block, start, stop, out)
        else:
            out[...] = fnc(block, start, stop)

    return build(shape, dtype, fill, max_bytes, parallel=parallel, into=True,
                 sources=(array,) + tuple(also))


# -- reductions over rows ------------------------------------------------------------
#
# A reduction cuts the rows into the blocks of ``row_blocks`` (``cfg.save_chunk_size``
# bytes, and at most ``_REDUCE_BLOCK``), computes a partial result per block -- in up
# to ``cfg.stream_threads`` worker threads, while a reader thread brings the pages of
# the next blocks of a mapped array in (one call per block) -- and combines the
# partials in block order. The blocks and the order of every floating-point sum are
# therefore the same wherever the rows live and however many threads ran, so the
# results are bit-for-bit identical. At most ``cfg.stream_threads`` blocks are in
# flight; NaN handling works on pieces of a quarter block at most.

_TILE = 1 << 21
"""Bytes of the cache-sized tiles of a block (NaN recounts, ``nanstd``)."""
_worker = threading.local()
_pool_state: dict = {}


def _mark_worker() -> None:
    _worker.active = True


def _pool(threads: int) -> concurrent.futures.ThreadPoolExecutor:
    """The worker pool of this process (a forked child makes its own)."""
    key = (os.getpid(), threads)
    with _POOL_LOCK:
        if _pool_state.get('key') != key:
            old = _pool_state.get('pool')
            if old is not None and _pool_state['key'][0] == os.getpid():
                old.shutdown(wait=False)  # a parent's pool has no threads in a child
            _pool_state['pool'] = concurrent.futures.ThreadPoolExecutor(
                max_workers=threads, thread_name_prefix='datamatrix-stream',
                initializer=_mark_worker)
            _pool_state['key'] = key
        return _pool_state['pool']


_POOL_LOCK = threading.Lock()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_pool_state.clear)


def _threads() -> int:
    from datamatrix._engine.config import cfg
    try:
        return max(1, int(cfg.stream_threads))
    except (TypeError, ValueError):
        raise ValueError(f'cfg.stream_threads must be a positive integer, '
                         f'not {cfg.stream_threads!r}') from None


def _in_order(tasks: Iterator[Callable[[], Any]], n_tasks: int,
              threads: int | None = None, nbytes: int = 0) -> Iterator[Any]:
    """Run ``tasks`` (in worker threads where useful) and yield their results in order.

    Every task runs in a copy of the caller's context (numpy's ``errstate``).
    ``nbytes``: the bytes that all tasks together process; a stream this large
    shows a progress bar that advances as results come in.
    """
    results = _run_in_order(tasks, n_tasks, threads)
    if not nbytes:
        return results
    return (result for _, result in zip(tracked(range(n_tasks), nbytes), results))


def _run_in_order(tasks: Iterator[Callable[[], Any]], n_tasks: int,
                  threads: int | None) -> Iterator[Any]:
    threads = min(_threads() if threads is None else threads, n_tasks)
    if threads <= 1 or getattr(_worker, 'active', False):
        for task in tasks:
            yield task()
        return
    pool = _pool(threads)
    pending: collections.deque = collections.deque()
    try:
        for task in tasks:
            pending.append(pool.submit(contextvars.copy_context().run, task))
            if len(pending) >= threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # an error or an abandoned stream: let no block outlive the call
        for future in pending:
            future.cancel()
        concurrent.futures.wait(pending)


_REDUCE_BLOCK = 16 << 20
"""Bytes per block of a reduction at most (and ``cfg.save_chunk_size``): many blocks
keep both threads busy and overlap reading one block with computing another."""


_READ_AHEAD = 2
"""Blocks that a reduction's :class:`_Reader` brings in beyond those being computed
(0: no reader; each worker brings in its own block)."""


def _source(data: ArrayStore | np.ndarray
            ) -> tuple[int, int, Callable, np.ndarray | None]:
    """``(rows, row_nbytes, rows_of(start, stop), array)`` of a store or an array.

    A pending :class:`LazyStore` is read from its source (in the calling thread,
    not materialised) in blocks of ``cfg.save_chunk_size``, which ``rows_of``
    then serves in order; ``array`` is None for it. Everything else is sliced
    from its array.
    """
    if isinstance(data, ArrayStore):
        if getattr(data, 'pending', False):
            from datamatrix._engine.config import cfg
            big = max(1, int(cfg.save_chunk_size) // max(1, data.row_nbytes))
            cache: list = [0, 0, None]

            def rows_of(start: int, stop: int) -> np.ndarray:
                if not cache[0] <= start < stop <= cache[1]:
                    end = max(stop, min(data.shape[0], start + big))
                    cache[:] = [start, end, data._source_rows(start, end)]
                return cache[2][start - cache[0]:stop - cache[0]]
            return data.shape[0], data.row_nbytes, rows_of, None
        data = data.array
    row_nbytes = data.itemsize * int(np.prod(data.shape[1:]))
    return len(data), row_nbytes, lambda start, stop: data[start:stop], data


def reduce_blocks(data: ArrayStore | np.ndarray, partial: Callable[[np.ndarray], Any],
                  transform: Callable[[np.ndarray], np.ndarray] | None = None
                  ) -> Iterator[Any]:
    """Yield ``partial(transform(block))`` for the row blocks of ``data``, in order.

    The blocks (at most ``_REDUCE_BLOCK`` bytes) depend only on the shape and
    ``cfg.save_chunk_size``. They are computed in up to ``cfg.stream_threads``
    threads; the pages of a mapped block are brought in before (by a
    :class:`_Reader` that keeps the disk busy ahead of the computing threads) and
    released after.
    """
    from datamatrix._engine.config import cfg
    n_rows, row_nbytes, rows_of, array = _source(data)
    spans = block_spans(n_rows, row_nbytes, min(int(cfg.save_chunk_size), _REDUCE_BLOCK))
    mapped = array is not None and getattr(array, '_mmap', None) is not None
    reader = _Reader.ahead_of((array,) if mapped else (), spans)

    def task(index: int) -> Callable[[], Any]:
        start, stop = spans[index]
        block = rows_of(start, stop)

        def run() -> Any:
            if reader is not None:
                reader.wait(index)  # the reader brought the block's pages in
            else:
                prefault_pages(block)
            try:
                return partial(block if transform is None else transform(block))
            finally:
                release_pages(block)
        return run

    # per-cell partial results are about a row each: with few rows per block, more
    # threads would mostly multiply them (and the temporaries), so use one
    few_rows = bool(spans) and spans[0][1] - spans[0][0] < 16
    results = _in_order((task(index) for index in range(len(spans))), len(spans),
                        1 if few_rows else None, n_rows * row_nbytes)
    if reader is None:
        return results
    return reader.around(results)


class _Reader:
    """A thread that brings in the pages of mapped arrays' blocks (the same rows of
    each), in order, at most ``_READ_AHEAD`` blocks beyond those being computed.

    Reading and computing then overlap: while the worker threads compute blocks
    ``k`` and ``k + 1``, the disk reads the blocks after them (a worker that took
    a page fault or populated its own block would leave the disk idle while it
    computes, and both workers would wait for the disk at the same time). Warm
    blocks cost the thread almost nothing. It stops when the stream ends, also on
    an error or when the stream is abandoned.
    """

    @classmethod
    def ahead_of(cls, arrays: tuple[np.ndarray, ...],
                 spans: list[tuple[int, int]]) -> '_Reader | None':
        """A reader of the blocks of mapped ``arrays``, or None where one would not
        help (no mapped array, at most two blocks, ``_READ_AHEAD`` 0)."""
        return cls(arrays, spans) if arrays and len(spans) > 2 and _READ_AHEAD else None

    def __init__(self, arrays: tuple[np.ndarray, ...],
                 spans: list[tuple[int, int]]) -> None:
        self._arrays, self._spans = arrays, spans
        self._ready = 0       # blocks whose pages are in
        self._wanted = 0      # blocks that workers have started on
        self._stop = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name='datamatrix-reader',
                                        daemon=True)

    def _run(self) -> None:
        for index, (start, stop) in enumerate(self._spans):
            with self._cond:
                while not self._stop and index > self._wanted + _READ_AHEAD:
                    self._cond.wait()
                if self._stop:
                    return
            try:
                for array in self._arrays:
                    prefault_pages(array[start:stop])
            finally:
                with self._cond:
                    self._ready = index + 1
                    self._cond.notify_all()

    def wait(self, index: int) -> None:
        """Block until the pages of block ``index`` are in (or the reader stopped)."""
        with self._cond:
            if self._thread.ident is None:  # started by the first block's task
                self._thread.start()
            self._wanted = max(self._wanted, index + 1)
            self._cond.notify_all()
            while self._ready <= index and self._thread.is_alive() and not self._stop:
                self._cond.wait(0.1)

    def around(self, results: Iterator[Any]) -> Iterator[Any]:
        """``results``, stopping the reader when they end (and releasing the pages
        of blocks it brought in that no worker started on)."""
        try:
            yield from results
        finally:
            with self._cond:
                self._stop = True
                self._cond.notify_all()
                started = self._thread.ident is not None
            if started:
                self._thread.join()
            for start, stop in self._spans[self._wanted:self._ready]:
                for array in self._arrays:
                    release_pages(array[start:stop])


def _flat(block: np.ndarray) -> np.ndarray:
    """A block as ``(rows, cells)`` (a view whenever numpy can)."""
    return block.reshape(len(block), int(np.prod(block.shape[1:])))


def _pieces(cells: np.ndarray, n_rows: int, itemsize: int) -> Iterator[np.ndarray]:
    """Split cell indices so that ``n_rows`` rows of a piece hold <= a quarter block."""
    from datamatrix._engine.config import cfg
    step = max(1, int(cfg.save_chunk_size) // 4 // max(1, n_rows * itemsize))
    for first in range(0, len(cells), step):
        yield cells[first:first + step]


def _tiles(n_rows: int, n_cells: int) -> Iterator[tuple[slice, slice]]:
    """Cut ``(rows, cells)`` into tiles of at most ``_TILE`` bytes of float64.

    Tiles are whole rows where a row is small, else pieces of one row; the
    partition depends only on the shape, so tiled sums are reproducible.
    """
    step_rows = max(1, _TILE // max(1, n_cells * 8))
    step_cells = n_cells if step_rows > 1 else max(1, _TILE // 8)
    for first_row in range(0, n_rows, step_rows):
        for first in range(0, n_cells, step_cells):
            yield (slice(first_row, first_row + step_rows),
                   slice(first, first + step_cells))


def _scratch(n_rows: int, n_cells: int, dtype=np.float64) -> np.ndarray:
    step_rows = max(1, _TILE // max(1, n_cells * 8))
    size = min(n_rows, step_rows) * min(n_cells, _TILE // 8 if step_rows == 1 else n_cells)
    return np.empty(size, dtype)


def _sum_count(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell NaN-ignoring sum and count of one block (cell-shaped, float64/int64).

    A plain sum over rows; only cells whose sum came out NaN are summed again
    with their NaNs masked, and only they are counted: a few such cells are
    copied out in pieces, many are recounted in cache-sized tiles of the block.
    """
    flat = _flat(block)
    n_rows, n_cells = flat.shape
    total = flat.sum(axis=0, dtype=np.float64)
    count = np.full(total.shape, n_rows, dtype=np.int64)
    bad = np.flatnonzero(np.isnan(total))
    if len(bad) * 8 > n_cells:
        masked = np.zeros(n_cells)
        missing = np.zeros(n_cells, dtype=np.int64)
        scratch, flags = _scratch(n_rows, n_cells), _scratch(n_rows, n_cells, bool)
        for rows, cells in _tiles(n_rows, n_cells):
            tile = flat[rows, cells]
            values = scratch[:tile.size].reshape(tile.shape)
            nan = np.isnan(tile, out=flags[:tile.size].reshape(tile.shape))
            np.copyto(values, tile)
            np.copyto(values, 0, where=nan)
            masked[cells] += values.sum(axis=0)
            missing[cells] += np.add.reduce(nan.view(np.uint8), axis=0, dtype=np.int64)
        total[bad] = masked[bad]
        count[bad] -= missing[bad]
    else:
        for piece in _pieces(bad, n_rows, flat.itemsize):
            values = flat[:, piece]  # a copy of a quarter block at most
            nan = np.isnan(values)
            np.copyto(values, 0, where=nan)
            total[piece] = values.sum(axis=0, dtype=np.float64)
            count[piece] -= nan.sum(axis=0)
    shape = block.shape[1:]
    return total.reshape(shape), count.reshape(shape)


def _combine(partials: Iterable[tuple[np.ndarray, np.ndarray]], cell_shape: tuple,
             axes: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """Add per-block sums and counts in block order, then over the cell ``axes``.

    ``axes`` are 1-based (as in a row); ``cell_shape`` is the shape of the result.
    """
    total = count = None
    for block_total, block_count in partials:
        if total is None:
            total, count = block_total, block_count
        else:
            total += block_total
            count += block_count
    if total is None:  # no rows
        return np.zeros(cell_shape), np.zeros(cell_shape, dtype=np.int64)
    if axes:
        cell_axes = tuple(axis - 1 for axis in axes)
        total, count = total.sum(axis=cell_axes), count.sum(axis=cell_axes)
    return total, count


def _sum_count_rows(data: ArrayStore | np.ndarray, cell_shape: tuple, axes: tuple = (),
                    transform: Callable | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    return _combine(reduce_blocks(data, _sum_count, transform), cell_shape, axes)


def _warn_empty(count: np.ndarray, what: str) -> None:
    if np.any(count == 0):
        warnings.warn(what, RuntimeWarning, stacklevel=4)


def _mean_of(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    _warn_empty(count, 'Mean of empty slice')
    with np.errstate(invalid='ignore', divide='ignore'):
        return total / count


def nanmean(blocks: Iterable[np.ndarray], cell_shape: tuple,
            axes: tuple = ()) -> np.ndarray:
    """NaN-ignoring mean over rows (and the cell ``axes``) of a stream of blocks."""
    return _mean_of(*_combine(map(_sum_count, blocks), cell_shape, axes))


def nanmean_cells(block: np.ndarray, axes: tuple, out: np.ndarray | None = None
                  ) -> np.ndarray:
    """NaN-ignoring mean of every row of ``block`` over its cell ``axes`` (1-based).

    A plain sum over the axes; only rows where it came out NaN are summed again
    with their NaNs zeroed and counted. Every row's result depends on that row
    only. Warns (``Mean of empty slice``) where every value is NaN.
    """
    n = int(np.prod([block.shape[axis] for axis in axes]))
    total = block.sum(axis=axes, dtype=np.float64)
    flat = total.reshape(len(total), int(np.prod(total.shape[1:])))
    bad = np.flatnonzero(np.isnan(flat).any(axis=1))
    if len(bad) == 0:
        return np.divide(total, n, out=out)
    count = np.full(flat.shape, n, dtype=np.int64)
    for piece in _pieces(bad, 1, block[0].nbytes * 3):
        values = np.asarray(block[piece], dtype=np.float64)  # a copy (fancy index)
        nan = np.isnan(values)
        np.copyto(values, 0, where=nan)
        flat[piece] = values.sum(axis=axes).reshape(len(piece), flat.shape[1])
        count[piece] -= nan.sum(axis=axes).reshape(len(piece), flat.shape[1])
    _warn_empty(count, 'Mean of empty slice')
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.divide(total, count.reshape(total.shape), out=out)


# The reductions below take a store and read it through ``reduce_blocks``, so they
# work wherever the store keeps its rows (RAM, spill file, saved file, zarr).

def nanmean_rows(store: ArrayStore | np.ndarray, cell_shape: tuple, axes: tuple = (),
                 transform: Callable[[np.ndarray], np.ndarray] | None = None
                 ) -> np.ndarray:
    """NaN-ignoring mean over the rows (and the cell ``axes``) of a store, streamed.

    ``transform`` selects part of every block first (e.g. the cells of an
    ellipsis index); ``cell_shape`` is the shape of the result.
    """
    return _mean_of(*_sum_count_rows(store, cell_shape, axes, transform))


def _squares(block: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per-cell sum of squared deviations from ``mean`` of one block, NaNs ignored.

    Computed in cache-sized tiles; a tile whose sum came out NaN has its missing
    values zeroed and is summed again (inf - inf stays NaN, as numpy's).
    """
    flat = _flat(block)
    n_rows, n_cells = flat.shape
    result = np.zeros(n_cells)
    scratch = _scratch(n_rows, n_cells)
    for rows, cells in _tiles(n_rows, n_cells):
        part = flat[rows, cells]
        deviation = scratch[:part.size].reshape(part.shape)
        np.subtract(part, mean[cells], out=deviation)
        np.square(deviation, out=deviation)
        squares = deviation.sum(axis=0)
        if np.isnan(squares).any():
            np.copyto(deviation, 0, where=np.isnan(part))
            squares = deviation.sum(axis=0)
        result[cells] += squares
    return result.reshape(block.shape[1:])


def _merge(into: tuple, part: tuple) -> tuple:
    """Chan et al.'s merge of ``(count, mean, squares)`` per cell, in place in ``into``.

    A part with no values (count 0) has mean 0 and leaves the other unchanged.
    """
    count, mean, squares = into
    count_b, mean_b, squares_b = part
    total = count + count_b
    share = np.divide(count_b, total, out=np.zeros(total.shape), where=total > 0)
    delta = mean_b - mean
    with np.errstate(invalid='ignore'):
        squares += squares_b
        term = delta * delta
        term *= count
        term *= share
        squares += term
        delta *= share
        mean += delta
    count[...] = total
    return into


def _moments(block: np.ndarray) -> tuple:
    """``(count, mean, squared deviations)`` per cell of one block, NaNs ignored.

    Every cache-sized tile is summed, its mean taken and its squared deviations
    from that mean summed while it is in cache (NaNs zeroed only in tiles whose
    sum came out NaN); the tiles are merged in a fixed order, so the block is read
    from memory once.
    """
    flat = _flat(block)
    n_rows, n_cells = flat.shape
    result = (np.zeros(n_cells, dtype=np.int64), np.zeros(n_cells), np.zeros(n_cells))
    scratch = _scratch(n_rows, n_cells)
    for rows, cells in _tiles(n_rows, n_cells):
        part = flat[rows, cells]
        deviation = scratch[:part.size].reshape(part.shape)
        total = part.sum(axis=0, dtype=np.float64)
        count = np.full(total.shape, len(part), dtype=np.int64)
        nan = None
        if np.isnan(total).any():
            nan = np.isnan(part)
            np.copyto(deviation, part)
            np.copyto(deviation, 0, where=nan)
            total = deviation.sum(axis=0)
            count -= nan.sum(axis=0)
        # the mean, in place (a tile's cell without values has a sum of 0: mean 0)
        mean = np.divide(total, count, out=total, where=count > 0)
        np.subtract(part, mean, out=deviation)
        if nan is not None:
            np.copyto(deviation, 0, where=nan)
        np.square(deviation, out=deviation)
        tile = (count, mean, deviation.sum(axis=0))
        if rows.start == 0 and cells.start == 0 and cells.stop >= n_cells:
            result = tile  # the first tile of whole rows
        elif cells.start == 0 and cells.stop >= n_cells:
            _merge(result, tile)
        else:
            merged = _merge(tuple(r[cells].copy() for r in result), tile)
            for target, value in zip(result, merged):
                target[cells] = value
    shape = block.shape[1:]
    return tuple(r.reshape(shape) for r in result)


def nanstd(store: ArrayStore, cell_shape: tuple, ddof: int = 1) -> np.ndarray:
    """NaN-ignoring standard deviation over rows, in one streamed pass.

    Blocks give their count, mean and squared deviations per cell
    (:func:`_moments`), merged in block order; for cells too large for a tile
    of several rows, two passes (the mean, then the squared deviations) instead.
    """
    n_cells = int(np.prod(cell_shape))
    if _TILE // max(1, n_cells * 8) >= 8:
        count, _, squares = functools.reduce(
            _merge, reduce_blocks(store, _moments),
            (np.zeros(cell_shape, dtype=np.int64), np.zeros(cell_shape),
             np.zeros(cell_shape)))
    else:
        total, count = _sum_count_rows(store, cell_shape)
        with np.errstate(invalid='ignore', divide='ignore'):
            mean = total / count
        flat_mean = mean.reshape(-1)
        squares = np.zeros(cell_shape)
        for block_squares in reduce_blocks(store,
                                           lambda block: _squares(block, flat_mean)):
            squares += block_squares
    _warn_empty(np.maximum(count - ddof, 0), 'Degrees of freedom <= 0 for slice.')
    with np.errstate(invalid='ignore', divide='ignore'):
        result = squares / (count - ddof)
    result[count - ddof <= 0] = np.nan
    return np.sqrt(result)


def nansum(store: ArrayStore, cell_shape: tuple) -> np.ndarray:
    """NaN-ignoring sum over rows (0 where every value is NaN)."""
    return _sum_count_rows(store, cell_shape)[0]


def nanextreme(store: ArrayStore, cell_shape: tuple, fnc: Callable) -> np.ndarray:
    """NaN-ignoring min (``np.fmin``) or max (``np.fmax``) over rows."""
    result = np.full(cell_shape, np.nan)
    for extreme in reduce_blocks(store, lambda block: fnc.reduce(block, axis=0)):
        fnc(result, extreme, out=result)
    return result


def _median_rows(part: np.ndarray) -> np.ndarray:
    """NaN-ignoring median of every row of ``part`` (float64, C order; overwritten).

    One partition per row at the upper middle position (numpy partitions at a
    single position with SIMD code, several times faster than at several, which
    ``np.median`` does); the lower middle value is the maximum of the left part.
    NaNs sort last, so a row holds NaNs exactly when its right part's maximum is
    NaN; the valid values of those rows are taken out and partitioned the same
    way. Values equal ``np.nanmedian``'s.
    """
    n_cells, n = part.shape
    if n == 0:
        return np.full(n_cells, np.nan)
    result = _middle(part)
    for row in np.flatnonzero(np.isnan(part[:, n // 2:].max(axis=1))):
        valid = part[row][~np.isnan(part[row])]
        result[row] = _middle(valid[np.newaxis])[0] if len(valid) else np.nan
    return result


def _middle(part: np.ndarray) -> np.ndarray:
    """The median of every row of a 2-D array without NaNs (partitioned in place)."""
    half = part.shape[1] // 2
    part.partition(half, axis=1)
    result = part[:, half].copy()
    if part.shape[1] % 2 == 0:
        result += part[:, :half].max(axis=1)
        result /= 2
    return result


_TRANSPOSE_TILE = 1 << 18
"""Bytes of a tile of the median's transposed copy: both its rows and its columns
stay in the cache while numpy copies it."""


def nanmedian(store: ArrayStore, cell_shape: tuple) -> np.ndarray:
    """NaN-ignoring median over rows, computed for groups of cell positions.

    Each pass reads the rows in blocks (prefaulted and released like every
    stream) and copies a group of cell positions, transposed, into a buffer of at
    most ``cfg.save_chunk_size`` bytes; the medians of the group's cells are
    then computed in up to ``cfg.stream_threads`` threads. A cell's median
    depends only on its own values, so the result is the same for any grouping.
    """
    from datamatrix._engine.config import cfg
    n_rows, row_nbytes, rows_of, _ = _source(store)
    n_cells = int(np.prod(cell_shape))
    result = np.empty(n_cells)
    chunk = int(cfg.save_chunk_size)
    step = max(1, chunk // max(1, n_rows * 8))
    threads = _threads()
    spans = block_spans(n_rows, row_nbytes, max(1, chunk // 4))
    tile = max(8, _TRANSPOSE_TILE // (8 * step))  # rows: a plain transpose is 5x slower
    for first in tracked(range(0, n_cells, step), n_rows * row_nbytes):  # a bar if large
        stop = min(n_cells, first + step)
        part = np.empty((stop - first, n_rows))

        def gather(start: int, end: int) -> Callable[[], None]:
            block = rows_of(start, end)  # in this thread: a source is read in order

            def run() -> None:
                prefault_pages(block)
                cells = block.reshape(end - start, n_cells)[:, first:stop]
                for row in range(start, end, tile):  # a transpose in cache-sized tiles
                    stop_row = min(end, row + tile)
                    part[:, row:stop_row] = cells[row - start:stop_row - start].T
                release_pages(block)
            return run

        for _ in _in_order((gather(*span) for span in spans), len(spans)):
            pass
        size = max(1, -(-len(part) // threads))
        pieces = [part[i:i + size] for i in range(0, len(part), size)]
        for offset, medians in zip(range(first, stop, size),
                                   _in_order((lambda p=p: _median_rows(p)
                                              for p in pieces), len(pieces))):
            result[offset:offset + len(medians)] = medians
        del part, pieces  # free this group before the next is allocated
    if n_rows == 0 or np.isnan(result).any():
        warnings.warn('All-NaN slice encountered', RuntimeWarning, stacklevel=3)
    return result.reshape(cell_shape)
