"""Benchmark of dynamic loading against plain numpy on the same data, same run.

Usage::

    python benchmarks/bench_largedata.py [SIZE] [--repeat N] [--beyond-ram]

``SIZE`` is the column size (default ``4GB``; any form ``cfg.memory_limit``
accepts). Prints medians over ``--repeat`` runs (default 3) of:

* offload and reload throughput vs ``ndarray.tofile`` / ``numpy.fromfile`` of the
  same bytes in the same folder (reads cold: the page cache is dropped first when
  the process may, i.e. as root; the output says whether it could);
* streamed mean, std, sum, min, max and ellipsis averaging over an offloaded column
  vs a hand-written chunked numpy reduction over a ``numpy.memmap`` of the same
  bytes, with the peak extra resident memory of each;
* ``dm.col[i]`` vs ``array[i]`` for a loaded column of SIZE and of 4 MB, and for an
  offloaded one;
* the wall time of the seed walkthrough (two columns of SIZE under a budget that
  holds one).

``--beyond-ram`` also creates, fills and reduces a column of 1.5 x physical memory
(needs that much free disk in the working directory).
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit

import numpy as np
import psutil

from datamatrix import DataMatrix, MultiDimensionalColumn, cfg
from datamatrix._engine.config import parse_size

GB = 1e9
CELL = (1000,)  # 8 kB per row


class PeakRSS:
    """Context manager: peak resident memory above the starting level, sampled."""

    def __enter__(self):
        self.process = psutil.Process()
        self.start = self.process.memory_info().rss
        self.peak = self.start
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        self.extra = self.peak - self.start


def drop_caches() -> bool:
    """Drop the page cache (root only); whether it worked."""
    try:
        os.sync()
        with open('/proc/sys/vm/drop_caches', 'w') as fh:
            fh.write('1\n')
        return True
    except OSError:
        return False


def median_time(fnc, repeat, setup=None) -> float:
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        fnc()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fill(array: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    step = max(1, (64 << 20) // (array.itemsize * int(np.prod(array.shape[1:]))))
    for start in range(0, len(array), step):
        block = array[start:start + step]
        block[...] = rng.random(block.shape)
        block[:, ::97] = np.nan


def chunked_numpy(path: str, shape: tuple, rows: int, op: str):
    """The baseline: a hand-written chunked reduction over a fresh ``numpy.memmap``.

    NaN-ignoring like ours (mean, two-pass std, sum, min, max, grand mean); the
    file is mapped anew each run, so a dropped page cache really makes it cold.
    """
    mm = np.memmap(path, dtype=np.float64, mode='r', shape=shape)

    def blocks():
        for start in range(0, len(mm), rows):
            yield mm[start:start + rows]

    def mean(axis=0):
        total, count = 0, 0
        for block in blocks():
            valid = ~np.isnan(block)
            total = total + np.where(valid, block, 0).sum(axis=axis)
            count = count + valid.sum(axis=axis)
        return total / count

    if op in ('mean', 'grand'):
        return mean(axis=0 if op == 'mean' else None)
    if op == 'std':
        average = mean()
        total, count = 0, 0
        for block in blocks():
            squared = np.square(block - average)
            valid = ~np.isnan(squared)
            total = total + np.where(valid, squared, 0).sum(axis=0)
            count = count + valid.sum(axis=0)
        return np.sqrt(total / (count - 1))
    if op == 'sum':
        return sum(np.nansum(block, axis=0) for block in blocks())
    fnc = np.fmin if op == 'min' else np.fmax
    result = np.full(shape[1:], np.nan)
    for block in blocks():
        result = fnc(result, fnc.reduce(block, axis=0))
    return result


def row(label, ours, baseline, unit='GB/s', extra=''):
    ratio = ours / baseline if baseline else float('nan')
    print(f'{label:<34}{ours:>9.2f} {unit:<6}{baseline:>9.2f} {unit:<6}'
          f'{ratio:>7.2f} x  {extra}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('size', nargs='?', default='4GB')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--beyond-ram', action='store_true')
    args = parser.parse_args()
    size = parse_size(args.size)
    rows = max(1, size // (8 * CELL[0]))
    nbytes = rows * CELL[0] * 8
    folder = tempfile.mkdtemp(prefix='.bench-', dir=os.getcwd())
    cfg.tmp_dir = folder
    cfg.always_load_max_size = 0
    cfg.memory_limit = 2 * nbytes + (64 << 20)
    chunk = cfg.save_chunk_size
    chunk_rows = max(1, chunk // (8 * CELL[0]))
    cold = drop_caches()
    print(f'column: {nbytes / GB:.2f} GB ({rows} rows x {CELL[0]} float64), '
          f'save_chunk_size {chunk / 2 ** 20:.0f} MiB, median of {args.repeat}, '
          f'page cache dropped before cold reads: {"yes" if cold else "no (not root)"}')
    print(f'{"":<34}{"datamatrix":>16}{"numpy":>16}{"ratio":>9}')

    dm = DataMatrix(length=rows)
    dm.x = MultiDimensionalColumn(shape=CELL)
    fill(dm.x._store.array)
    col = dm.x
    path = os.path.join(folder, 'baseline.bin')
    try:
        # -- offload / reload vs tofile / fromfile ---------------------------------------
        array = col._store.array
        t_np_write = median_time(lambda: array.tofile(path), args.repeat)
        t_np_read = median_time(lambda: np.fromfile(path), args.repeat, setup=drop_caches)
        del array
        t_off, t_load = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            col.loaded = False
            t_off.append(time.perf_counter() - start)
            drop_caches()
            start = time.perf_counter()
            col.loaded = True
            t_load.append(time.perf_counter() - start)
        row('offload (write)', nbytes / GB / statistics.median(t_off),
            nbytes / GB / t_np_write)
        row('reload (read, cold)', nbytes / GB / statistics.median(t_load),
            nbytes / GB / t_np_read)

        # -- per-access time ------------------------------------------------------------
        reference = np.array(col._store.array[:1000])
        number = 200_000
        t_np_i = min(timeit.repeat('reference[5]', globals=locals(), number=number,
                                   repeat=5)) / number
        t_dm_i = min(timeit.repeat('dm.x[5]', globals=locals(), number=number,
                                   repeat=5)) / number
        small = DataMatrix(length=500)
        small.x = MultiDimensionalColumn(shape=CELL)  # 4 MB
        t_small_i = min(timeit.repeat('small.x[5]', globals=locals(), number=number,
                                      repeat=5)) / number

        # -- streamed reductions over the offloaded column ------------------------------
        col.loaded = False
        cfg.memory_limit = nbytes // 2  # the column cannot be loaded: it streams
        t_off_i = min(timeit.repeat('dm.x[5]', globals=locals(), number=number // 10,
                                    repeat=5)) / (number // 10)
        for label, op, ours in [
                ('mean over rows (col.mean)', 'mean', lambda: col.mean),
                ('std over rows (two passes)', 'std', lambda: col.std),
                ('sum over rows', 'sum', lambda: col.sum),
                ('min over rows', 'min', lambda: col.min),
                ('max over rows', 'max', lambda: col.max),
                ('ellipsis grand mean col[..., ...]', 'grand', lambda: col[..., ...])]:
            baseline = lambda: chunked_numpy(path, (rows,) + CELL, chunk_rows, op)
            for state, setup in (('cold', drop_caches), ('warm', None)):
                if state == 'cold' and not cold:
                    continue
                if state == 'warm':  # one untimed pass each fills the page cache
                    ours()
                    baseline()
                with PeakRSS() as ours_mem:
                    t_ours = median_time(ours, args.repeat, setup=setup)
                if state == 'warm':
                    baseline()
                with PeakRSS() as np_mem:
                    t_np = median_time(baseline, args.repeat, setup=setup)
                row(f'{label} {state}', nbytes / GB / t_ours, nbytes / GB / t_np,
                    extra=f'peak extra RSS {ours_mem.extra / 2 ** 20:.0f} MiB vs '
                          f'{np_mem.extra / 2 ** 20:.0f} MiB '
                          f'({ours_mem.extra / chunk:.1f} x chunk)')
            assert not col.loaded

        print(f'{"dm.x[i], loaded, column of SIZE":<34}{t_dm_i * 1e6:>9.3f} us    '
              f'{t_np_i * 1e6:>9.3f} us    {t_dm_i / t_np_i:>7.2f} x')
        print(f'{"dm.x[i], loaded, 4 MB column":<34}{t_small_i * 1e6:>9.3f} us    '
              f'{t_np_i * 1e6:>9.3f} us    {t_small_i / t_np_i:>7.2f} x')
        print(f'{"dm.x[i], offloaded":<34}{t_off_i * 1e6:>9.3f} us    '
              f'{t_np_i * 1e6:>9.3f} us    {t_off_i / t_np_i:>7.2f} x')
    finally:
        del dm, col
        gc.collect()
        if os.path.exists(path):
            os.unlink(path)

    # -- the seed walkthrough ---------------------------------------------------------------
    code = f'''
import time
start = time.perf_counter()
from datamatrix import DataMatrix, MultiDimensionalColumn, cfg
cfg.tmp_dir = {folder!r}
cfg.always_load_max_size = 0
cfg.memory_limit = {int(1.5 * nbytes)}
dm = DataMatrix(length={rows})
dm.large_data1 = MultiDimensionalColumn(shape={CELL!r})
dm.large_data2 = MultiDimensionalColumn(shape={CELL!r})
dm.large_data1 = 0
dm.large_data1.loaded = False
assert [dm.large_data1.loaded, dm.large_data2.loaded] == [False, False]
print(time.perf_counter() - start)
'''
    walls = [float(subprocess.run([sys.executable, '-c', code], capture_output=True,
                                  text=True, check=True).stdout)
             for _ in range(args.repeat)]
    print(f'{"seed walkthrough wall time":<34}{statistics.median(walls):>9.2f} s')

    if args.beyond_ram:
        beyond_ram(folder)
    os.rmdir(folder)


def beyond_ram(folder: str) -> None:
    """Create, fill and reduce a column of 1.5 x physical memory."""
    total = psutil.virtual_memory().total
    rows = int(1.5 * total) // (8 * CELL[0])
    cfg.memory_limit = total // 4
    with PeakRSS() as mem:
        start = time.perf_counter()
        dm = DataMatrix(length=rows)
        dm.x = MultiDimensionalColumn(shape=CELL)
        dm.x[::97] = 1  # every 97th row: the grand mean of what is not NaN is 1
        made = time.perf_counter() - start
        start = time.perf_counter()
        mean = dm.x[..., ...]
        reduced = time.perf_counter() - start
    print(f'beyond RAM: {rows * CELL[0] * 8 / GB:.1f} GB column on a '
          f'{total / GB:.1f} GB machine: created+filled in {made:.1f} s, grand mean '
          f'({mean:.3f}) in {reduced:.1f} s, peak extra RSS {mem.extra / 2 ** 20:.0f} MiB')
    del dm
    gc.collect()


if __name__ == '__main__':
    main()
