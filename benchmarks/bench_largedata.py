"""Large multidimensional columns against the physical limit of the same work.

Usage::

    python benchmarks/bench_largedata.py [--size 1GB] [--repeat 3] [--only GROUP]
                                         [--dir DIR]

One float64 column of ``--size`` bytes with cells of shape (10, 100) (8 kB a row;
NaNs in every 50th row at 60 of the 1000 cell positions, as blinks in pupil
traces) is measured in three states:

* ``loaded``: in RAM;
* ``offloaded``: in its spill file, with ``cfg.memory_limit`` at half the column
  (so it streams and cannot be loaded);
* ``readbin``: read lazily by ``io.readbin`` from a file written by
  ``io.writebin`` (same budget); each run times ``readbin`` + the operation.

Every figure is compared with the physical limit of the same work, measured in the
same run (the limit used is printed in the last column of each row):

* warm (the data in RAM or the page cache): the fastest plain numpy for the same
  result on an in-RAM copy of the same bytes, block by block (blocks of
  ``cfg.save_chunk_size``):

  - NaN-ignoring mean / sum over rows: ``block.sum(axis=0)``, with a masked
    recount only at the cell positions where that sum came out NaN;
  - min / max: ``np.fmin.reduce`` / ``np.fmax.reduce`` per block;
  - std: two passes of the same (mean, then the summed squared deviations);
  - median: per group of cell positions (a transposed contiguous copy of at most
    ``cfg.save_chunk_size``, made in cache-sized tiles), per cell ``partition`` at the upper middle position
    (numpy's SIMD selection, five times faster than ``np.median``, which partitions
    at several) and the left part's maximum, over the valid values where there is
    NaN;
  - ellipsis means: the sum trick over the averaged axes;
  - arithmetic, selection, sort: the numpy expression on in-RAM arrays; for
    arithmetic whose result is offloaded also the same expression computed in
    blocks into one reused buffer and written with ``pwrite`` to a fresh
    unlinked file (row ``offl/file``): a result that must leave RAM goes into the
    page cache, whose fresh pages cost more than those of ``np.empty``;
* cold (pages dropped with ``posix_fadvise(POSIX_FADV_DONTNEED)``): a sequential
  ``readinto`` of a file holding the same bytes, in blocks of
  ``cfg.save_chunk_size``, i.e. the disk's read speed. Before our cold runs the
  pages of our own files (spill file, saved file) are dropped the same way; they
  are found through ``/proc/self/fd`` (see ``_bench.drop_open_file_pages``), so
  no datamatrix internals are used. The kernel keeps pages that are still mapped;
  a row marked ``cold*`` had more than 5% of its bytes still cached after the
  drop (checked with util-linux ``fincore``), so it was not really cold.
* offload / reload: ``write`` + ``fsync`` / ``readinto`` of the same bytes; a
  cold reload reads the spill file that the offload just wrote, so it is also
  compared with ``readinto`` of a file just written and fsynced (this virtual
  disk reads such a file several times more slowly than an old one);
* ``col[i]``: numpy ``a[i]`` on an in-RAM array (timeit, best of 5).

Columns: our GB/s (bytes of the column touched / median time), the limit's GB/s,
the fraction ours/limit, and the peak extra RSS of our runs in MiB and as a
multiple of ``cfg.save_chunk_size`` (target <= 3x); ``check`` says whether our
result equals the limit's (``np.allclose``). Groups for ``--only``: ``reduce``,
``ellipsis``, ``arith``, ``select``, ``move``, ``index``.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import timeit

import numpy as np

from datamatrix import DataMatrix, FloatColumn, MultiDimensionalColumn, cfg, io
from datamatrix import operations as ops

from _bench import (GB, MiB, drop_file_pages, drop_open_file_pages, gbps, measure,
                    median_time, parse_size, readinto_file, write_file)

CELL = (10, 100)
GROUPS = ('reduce', 'ellipsis', 'arith', 'select', 'move', 'index')


def make_data(rows: int) -> np.ndarray:
    """The benchmark's in-RAM array: random values, NaNs like blinks."""
    rng = np.random.default_rng(0)
    array = rng.random((rows,) + CELL)
    flat = array.reshape(rows, -1)
    flat[::50, 200:260] = np.nan
    return array


def blocks(array: np.ndarray, chunk: int):
    step = max(1, chunk // (array[0].nbytes if array.ndim > 1 else array.itemsize))
    for start in range(0, len(array), step):
        yield array[start:start + step]


# -- the warm limits: the fastest plain numpy for the same result ------------------------
def limit_sum_count(array: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """NaN-ignoring sum and count over rows: ``block.sum(axis=0)``, recount where NaN."""
    total = np.zeros(array.shape[1:])
    count = np.full(array.shape[1:], len(array), dtype=np.int64)
    for block in blocks(array, chunk):
        partial = block.sum(axis=0)
        bad = np.isnan(partial)
        if bad.any():
            sub = block[:, bad]
            nan = np.isnan(sub)
            partial[bad] = np.where(nan, 0, sub).sum(axis=0)
            count[bad] -= nan.sum(axis=0)
        total += partial
    return total, count


def limit_mean(array, chunk, axes=(0,)):
    """NaN-ignoring mean over ``axes`` (which include the row axis 0)."""
    total, count = limit_sum_count(array, chunk)
    other = tuple(a - 1 for a in axes if a != 0)
    if not other:
        return total / count
    return total.sum(axis=other) / count.sum(axis=other)


def limit_mean_cells(array, chunk, axes):
    """NaN-ignoring mean over cell ``axes`` only (rows kept): the sum, recount NaN rows."""
    kept = [n for a, n in enumerate(array.shape) if a not in axes]
    out = np.empty(kept)
    n = int(np.prod([array.shape[a] for a in axes]))
    start = 0
    for block in blocks(array, chunk):
        result = block.sum(axis=axes) / n
        bad = np.isnan(result).reshape(len(block), -1).any(axis=1)
        if bad.any():
            result[bad] = np.nanmean(block[bad], axis=axes)
        out[start:start + len(block)] = result
        start += len(block)
    return out


def limit_std(array, chunk):
    """Two passes: the mean, then the summed squared deviations (ddof=1)."""
    total, count = limit_sum_count(array, chunk)
    mean = total / count
    total = np.zeros(array.shape[1:])
    for block in blocks(array, chunk):
        squared = block - mean
        np.multiply(squared, squared, out=squared)  # one block-sized temporary
        partial = squared.sum(axis=0)
        bad = np.isnan(partial)
        if bad.any():
            sub = squared[:, bad]
            partial[bad] = np.where(np.isnan(sub), 0, sub).sum(axis=0)
        total += partial
    return np.sqrt(total / (count - 1))


def limit_minmax(array, chunk, fnc):
    result = np.full(array.shape[1:], np.nan)
    for block in blocks(array, chunk):
        fnc(result, fnc.reduce(block, axis=0), out=result)
    return result


def limit_median(array, chunk):
    """Per group of cell positions (a transposed, contiguous copy of at most ``chunk``
    bytes, made in cache-sized tiles, five times faster than in one): ``partition`` at the upper middle position (numpy's SIMD selection; at
    several positions, as ``np.median`` and ``np.nanmedian`` do, it is five times
    slower) plus the maximum of the left part for even counts; for a cell with NaNs
    the same over its valid values (taken out with a mask)."""
    flat = array.reshape(len(array), -1)
    out = np.empty(flat.shape[1])
    step = max(1, chunk // (max(1, len(flat)) * flat.itemsize))

    def middle(values):
        n = len(values)
        if not n:
            return np.nan
        values.partition(n // 2)
        if n % 2:
            return values[n // 2]
        return (values[n // 2] + values[:n // 2].max()) / 2

    for first in range(0, flat.shape[1], step):
        stop = min(flat.shape[1], first + step)
        group = np.empty((stop - first, len(flat)))
        tile = max(8, (1 << 18) // (8 * step))  # a transpose in cache-sized tiles
        for row in range(0, len(flat), tile):
            group[:, row:row + tile] = flat[row:row + tile, first:stop].T
        for i, values in enumerate(group):
            if np.isnan(values).any():
                values = values[~np.isnan(values)]
            out[first + i] = middle(values)
    return out.reshape(array.shape[1:])


# -- printing ---------------------------------------------------------------------------
HEADER = (f'{"operation":<30}{"case":<10}{"state":<6}{"ours GB/s":>10}{"limit":>8}'
          f'{"frac":>7}{"RSS MiB":>9}{"x chunk":>8}  {"check":<6}limit used')


def report(label, case, state, nbytes, t_ours, t_limit, extra, chunk, check, limit_name):
    ours, limit = gbps(nbytes, t_ours), gbps(nbytes, t_limit)
    rss = f'{extra / MiB:9.0f}{extra / chunk:8.2f}' if extra is not None else ' ' * 17
    print(f'{label:<30}{case:<10}{state:<6}{ours:10.2f}{limit:8.2f}{ours / limit:7.2f}'
          f'{rss}  {check:<6}{limit_name}', flush=True)


def same(ours, expected) -> str:
    try:
        ours = np.asarray(ours, dtype=float)
    except (TypeError, ValueError):
        return '?'
    if ours.shape != np.shape(expected):
        return 'SHAPE'
    return 'ok' if np.allclose(ours, expected, equal_nan=True) else 'DIFF'


def column_values(result):
    """A result as an ndarray (a column result is read out in full)."""
    if isinstance(result, (np.ndarray, float, np.floating)):
        return result
    return np.asarray(result)


class Bench:
    """The data, the files and the three column states."""

    def __init__(self, args):
        self.repeat = args.repeat
        self.folder = tempfile.mkdtemp(prefix='.bench-largedata-', dir=args.dir)
        cfg.tmp_dir = self.folder
        cfg.always_load_max_size = 0
        self.chunk = cfg.save_chunk_size
        self.rows = max(2, parse_size(args.size) // (8 * int(np.prod(CELL))))
        self.ref = make_data(self.rows)
        self.nbytes = self.ref.nbytes
        self.limit_path = os.path.join(self.folder, 'limit.bin')
        write_file(self.limit_path, self.ref, self.chunk)
        self.saved_path = os.path.join(self.folder, 'saved.dm')
        self.dm = None
        self.still_cached = 0

    # -- column states --------------------------------------------------------------
    def column(self, case: str):
        """The column in state ``case`` (``readbin`` returns a callable that reads)."""
        if self.dm is None:
            cfg.memory_limit = 3 * self.nbytes
            self.dm = DataMatrix(length=self.rows)
            self.dm.x = MultiDimensionalColumn(shape=CELL)
            step = max(1, self.chunk // self.ref[0].nbytes)
            for start in range(0, self.rows, step):
                self.dm.x[start:start + step] = self.ref[start:start + step]
            io.writebin(self.dm, self.saved_path)
        if case == 'loaded':
            cfg.memory_limit = 3 * self.nbytes
            self.dm.x.loaded = True
            return self.dm.x
        cfg.memory_limit = self.nbytes // 2
        if case == 'offloaded':
            self.dm.x.loaded = False
            return self.dm.x
        self.dm.x.loaded = False
        return lambda: io.readbin(self.saved_path).x

    def cold_limit(self) -> float:
        return median_time(lambda: readinto_file(self.limit_path, self.chunk), self.repeat,
                           setup=lambda: drop_file_pages(self.limit_path))

    def drop_ours(self, case: str = '') -> None:
        """Drop our files' pages; remember the most that stayed cached (mapped pages)."""
        if case == 'readbin':
            drop_file_pages(self.saved_path)
        self.still_cached = max(self.still_cached, drop_open_file_pages(self.folder))

    def cold_state(self) -> str:
        """'cold', or 'cold*' when over 5% of the bytes could not be dropped."""
        state = 'cold*' if self.still_cached > 0.05 * self.nbytes else 'cold'
        self.still_cached = 0
        return state

    # -- one operation in all states --------------------------------------------------
    def compare(self, label, ours, limit, limit_name, cases=('loaded', 'offloaded',
                                                             'readbin'), t_cold=None):
        """``ours(column)`` against ``limit(array)``, warm and (not loaded) cold."""
        ref, chunk = self.ref, self.chunk
        expected = limit(ref)
        t_limit = median_time(lambda: limit(ref), self.repeat)
        for case in cases:
            col = self.column(case)
            if case == 'readbin':
                run = (lambda: ours(col()))
            else:
                run = (lambda: ours(col))
            try:
                check = same(column_values(run()), expected)  # also warms the cache
                t, extra = measure(run, self.repeat)
                report(label, case, 'warm', self.nbytes, t, t_limit, extra, chunk,
                       check, limit_name)
                if case != 'loaded' and t_cold is not None:
                    t, extra = measure(run, self.repeat, setup=lambda: self.drop_ours(case))
                    report(label, case, self.cold_state(), self.nbytes, t, t_cold, extra, chunk,
                           check, 'readinto after FADV_DONTNEED')
            except Exception as exc:  # report and go on with the next row
                print(f'{label:<30}{case:<10}FAILED: {type(exc).__name__}: {exc}'[:160])
            del col
            gc.collect()

    def close_main(self):
        """Free the main column (its spill file goes with it)."""
        self.dm = None
        gc.collect()

    def close(self):
        self.dm = None
        gc.collect()
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the groups ---------------------------------------------------------------------------
def group_reduce(b: Bench, t_cold: float):
    chunk = b.chunk
    b.compare('mean (col.mean)', lambda c: c.mean, lambda a: limit_mean(a, chunk),
              'block.sum(0) + masked recount', t_cold=t_cold)
    b.compare('sum (col.sum)', lambda c: c.sum, lambda a: limit_sum_count(a, chunk)[0],
              'block.sum(0) + masked recount', t_cold=t_cold)
    b.compare('min (col.min)', lambda c: c.min,
              lambda a: limit_minmax(a, chunk, np.fmin), 'np.fmin.reduce per block',
              t_cold=t_cold)
    b.compare('max (col.max)', lambda c: c.max,
              lambda a: limit_minmax(a, chunk, np.fmax), 'np.fmax.reduce per block',
              t_cold=t_cold)
    b.compare('std (col.std)', lambda c: c.std, lambda a: limit_std(a, chunk),
              'two passes of block.sum(0)', t_cold=t_cold)
    b.compare('median (col.median)', lambda c: c.median,
              lambda a: limit_median(a, chunk), 'partition(n//2) + max per cell',
              t_cold=t_cold)


def group_ellipsis(b: Bench, t_cold: float):
    chunk = b.chunk
    all_ = slice(None)
    b.compare('col[...] (over rows)', lambda c: c[...], lambda a: limit_mean(a, chunk),
              'block.sum(0) + masked recount', t_cold=t_cold)
    b.compare('col[..., ..., ...] (grand)', lambda c: c[..., ..., ...],
              lambda a: limit_mean(a, chunk, (0, 1, 2)), 'sum trick, all axes',
              t_cold=t_cold)
    b.compare('col[..., ...] (rows, ax 1)', lambda c: c[..., ...],
              lambda a: limit_mean(a, chunk, (0, 1)), 'sum trick, axes 0, 1',
              t_cold=t_cold)
    b.compare('col[..., :, ...] (rows, ax 2)', lambda c: c[..., all_, ...],
              lambda a: limit_mean(a, chunk, (0, 2)), 'sum trick, axes 0, 2',
              t_cold=t_cold)
    b.compare('col[:, ..., :] (axis 1)', lambda c: c[:, ..., :],
              lambda a: limit_mean_cells(a, chunk, (1,)), 'block.sum(1) + NaN rows',
              t_cold=t_cold)
    b.compare('col[:, :, ...] (axis 2)', lambda c: c[:, :, ...],
              lambda a: limit_mean_cells(a, chunk, (2,)), 'block.sum(2) + NaN rows',
              t_cold=t_cold)


def group_arith(b: Bench):
    """``dm.a * 2 + dm.b`` on two columns of half the size each (a fresh DataMatrix)."""
    b.close_main()
    rows = b.rows // 2
    a, bb = b.ref[:rows], b.ref[rows:2 * rows]
    nbytes = a.nbytes + bb.nbytes

    def numpy_expr():
        result = a * 2
        result += bb
        return result

    def numpy_into_file():
        """The same in blocks of ``cfg.save_chunk_size`` into one reused buffer, each
        block written with ``pwrite`` to a fresh unlinked file: the speed at which
        any code can put a result that does not fit the budget into the page cache."""
        fd, path = tempfile.mkstemp(dir=b.folder)
        os.unlink(path)
        try:
            os.posix_fallocate(fd, 0, a.nbytes)
            step = max(1, b.chunk // (a.itemsize * int(np.prod(CELL))))
            buffer = np.empty((step,) + CELL)
            for start in range(0, rows, step):
                out = buffer[:min(step, rows - start)]
                np.multiply(a[start:start + step], 2, out=out)
                out += bb[start:start + step]
                view, offset = memoryview(out).cast('B'), start * out[0].nbytes
                while view:
                    written = os.pwrite(fd, view, offset)
                    view, offset = view[written:], offset + written
        finally:
            os.close(fd)

    expected = numpy_expr()
    t_np, _ = measure(numpy_expr, b.repeat)
    t_file = median_time(numpy_into_file, b.repeat)
    cfg.memory_limit = 4 * nbytes
    dm = DataMatrix(length=rows)
    dm.a = MultiDimensionalColumn(shape=CELL)
    dm.b = MultiDimensionalColumn(shape=CELL)
    dm.a, dm.b = a, bb
    run = lambda: dm.a * 2 + dm.b
    check = same(np.asarray(run()), expected)
    t_loaded, extra = measure(run, b.repeat)
    report('dm.a * 2 + dm.b', 'loaded', 'warm', nbytes, t_loaded, t_np, extra, b.chunk,
           check, 'r = a * 2; r += b (in RAM)')
    cfg.memory_limit = max(1, nbytes // 4)  # operands and result stay offloaded
    dm.a.loaded = dm.b.loaded = False
    result = run()
    offloaded = not dm.a.loaded and not result.loaded
    del result
    t_off, extra = measure(run, b.repeat)
    report('dm.a * 2 + dm.b', 'offloaded', 'warm', nbytes, t_off, t_np, extra, b.chunk,
           check, 'r = a * 2; r += b (in RAM)')
    report('dm.a * 2 + dm.b', 'offl/load', 'warm', nbytes, t_off, t_loaded, None, b.chunk,
           check, f'ours loaded (result offloaded: {offloaded})')
    report('dm.a * 2 + dm.b', 'offl/file', 'warm', nbytes, t_off, t_file, None, b.chunk,
           check, 'numpy in blocks + pwrite to a fresh file')
    t_off, extra = measure(run, b.repeat, setup=b.drop_ours)
    report('dm.a * 2 + dm.b', 'offloaded', b.cold_state(), nbytes, t_off, b.t_cold, extra,
           b.chunk, check, 'readinto after FADV_DONTNEED')
    del dm
    gc.collect()


def group_select(b: Bench):
    """Row selection by mask, by index array (take_rows) and sort, copying the column."""
    rng = np.random.default_rng(1)
    keys = rng.random(b.rows)
    mask = keys > 0.5
    positions = np.sort(rng.choice(b.rows, b.rows // 2, replace=False))
    order = np.argsort(keys, kind='stable')
    for label, ours, limit, name in [
            ('(dm.k > 0.5).x (half)', lambda dm: (dm.k > 0.5).x,
             lambda a: a[mask], 'a[mask]'),
            ('col[positions] (take half)', lambda dm: dm.x[positions],
             lambda a: a[positions], 'a[positions]'),
            ('ops.sort(dm, by=dm.k)', lambda dm: ops.sort(dm, by=dm.k).x,
             lambda a: a[order], 'a[np.argsort(k)]')]:
        expected = limit(b.ref)
        t_limit = median_time(lambda: limit(b.ref), b.repeat)
        nbytes = expected.nbytes
        del expected
        for case in ('loaded', 'offloaded'):
            col = b.column(case)
            dm = b.dm
            dm.k = FloatColumn
            dm.k = keys
            run = lambda: ours(dm)
            t, extra = measure(run, b.repeat)
            report(label, case, 'warm', nbytes, t, t_limit, extra, b.chunk, '-', name)
            if case == 'loaded':
                t_loaded = t
            else:
                report(label, 'offl/load', 'warm', nbytes, t, t_loaded, None, b.chunk,
                       '-', 'ours loaded')
            del col, dm
        gc.collect()


def group_move(b: Bench):
    """Offload and reload against write+fsync / readinto of the same bytes."""
    path = os.path.join(b.folder, 'move.bin')
    t_write = median_time(lambda: write_file(path, b.ref, b.chunk), b.repeat)
    os.unlink(path)
    buffer = lambda: readinto_file(b.limit_path, b.chunk,
                                   buffer=np.empty(b.nbytes, np.uint8))
    t_read_warm = median_time(buffer, b.repeat)
    t_read_cold = median_time(buffer, b.repeat,
                              setup=lambda: drop_file_pages(b.limit_path))
    # a cold reload reads a spill file written just before (by the offload); the
    # disk reads a file it has just written more slowly, so the limit is measured
    # the same way too: write + fsync a fresh copy, drop its pages, readinto
    fresh = lambda: readinto_file(path, b.chunk, buffer=np.empty(b.nbytes, np.uint8))
    t_read_fresh = median_time(fresh, b.repeat,
                               setup=lambda: (write_file(path, b.ref, b.chunk),
                                              drop_file_pages(path)))
    os.unlink(path)
    col = b.column('loaded')
    times = []
    for _ in range(b.repeat):
        cfg.memory_limit = 3 * b.nbytes
        col.loaded = True
        times.append(median_time(lambda: setattr(col, 'loaded', False), 1))
    report('offload (loaded = False)', 'loaded', 'warm', b.nbytes, sorted(times)[len(times) // 2],
           t_write, None, b.chunk, '-', 'write + fsync')
    col.loaded = False
    reload = lambda: setattr(col, 'loaded', True)
    offload = lambda: setattr(col, 'loaded', False)
    t_warm, extra = measure(reload, b.repeat, setup=offload)
    report('reload (loaded = True)', 'offloaded', 'warm', b.nbytes, t_warm, t_read_warm,
           None, b.chunk, '-', 'readinto into np.empty')
    t_cold = median_time(reload, b.repeat,
                         setup=lambda: (offload(), b.drop_ours()))
    report('reload (loaded = True)', 'offloaded', b.cold_state(), b.nbytes, t_cold, t_read_cold,
           None, b.chunk, '-', 'readinto after FADV_DONTNEED')
    report('reload (loaded = True)', 'offloaded', b.cold_state(), b.nbytes, t_cold, t_read_fresh,
           None, b.chunk, '-', 'the same of a file just written + fsynced')
    assert np.array_equal(col[5], b.ref[5], equal_nan=True)


def group_index(b: Bench):
    """``col[i]`` vs ``a[i]`` (best of 5 timeit runs)."""
    a = b.ref
    number = 100_000
    t_np = min(timeit.repeat(lambda: a[5], number=number, repeat=5)) / number
    for case in ('loaded', 'offloaded'):
        col = b.column(case)
        n = number if case == 'loaded' else number // 10
        t = min(timeit.repeat(lambda: col[5], number=n, repeat=5)) / n
        print(f'{"col[i]":<30}{case:<10}{"":<6}{t * 1e6:8.2f}us{t_np * 1e6:6.2f}us'
              f'{t / t_np:7.1f}x slower than numpy a[i] (targets: loaded <= 5x, '
              f'offloaded <= 20x)', flush=True)
        del col


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', default='1GB', help='column size (1GB, 4GB, ...)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--only', choices=GROUPS, action='append',
                        help='run only this group (may be given more than once)')
    parser.add_argument('--dir', default=os.getcwd(),
                        help='folder for the spill and limit files (default: cwd)')
    args = parser.parse_args()
    groups = args.only or GROUPS
    b = Bench(args)
    try:
        b.t_cold = b.cold_limit()
        print(f'column: {b.nbytes / GB:.2f} GB ({b.rows} rows x {CELL} float64), '
              f'save_chunk_size {b.chunk / MiB:.0f} MiB, median of {b.repeat}; '
              f'cold limit (disk) {gbps(b.nbytes, b.t_cold):.2f} GB/s')
        print(HEADER)
        if 'reduce' in groups:
            group_reduce(b, b.t_cold)
        if 'ellipsis' in groups:
            group_ellipsis(b, b.t_cold)
        if 'select' in groups:
            group_select(b)
        if 'move' in groups:
            group_move(b)
        if 'index' in groups:
            group_index(b)
        if 'arith' in groups:  # last: it replaces the main column by two halves
            group_arith(b)
    finally:
        b.close()


if __name__ == '__main__':
    main()
