"""Benchmark of io.writebin / io.readbin against plain numpy on the same arrays.

Usage::

    python benchmarks/bench_io.py [SIZE] [--quick] [--repeat N] [--dir DIR]

``SIZE`` is the size of the DataMatrix (default ``4GB``; any form that
``cfg.memory_limit`` accepts, e.g. ``1GB`` or ``512MiB``); ``--quick`` uses
256 MB. The DataMatrix holds one series column of 1000 float64 samples per row
(8 kB) plus an IntColumn and a FloatColumn. Prints medians over ``--repeat``
runs (default 3) of:

* ``writebin`` vs ``numpy.save`` of the same three arrays into one file in the
  same folder. ``writebin`` always flushes the file to disk (``fsync``) before
  renaming it into place, so the main baseline is ``numpy.save`` followed by
  ``fsync``; the ratio to ``numpy.save`` without ``fsync`` (which only fills the
  page cache) is printed too;
* ``readbin``: wall time and the extra resident memory (psutil RSS) it leaves;
* the first full reduction after ``readbin`` (``dm.s.mean``: the NaN-ignoring
  mean per sample, over all rows) vs the same reduction done by hand in chunks
  of ``cfg.save_chunk_size`` over ``numpy.load(..., mmap_mode='r')`` of the
  ``numpy.save`` file; once with the file in the page cache (warm) and, when
  the process may drop the page cache (root on Linux), once cold.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import time

import numpy as np
import psutil

from datamatrix import DataMatrix, FloatColumn, IntColumn, SeriesColumn, cfg, io
from datamatrix._engine.config import parse_size

GB = 1e9
DEPTH = 1000


def drop_caches() -> bool:
    """Write back and drop the page cache; False if the process may not."""
    os.sync()
    try:
        with open('/proc/sys/vm/drop_caches', 'w') as fh:
            fh.write('3\n')
        return True
    except OSError:
        return False


def interleaved(runs: dict, repeat: int, setup=None) -> dict:
    """Median wall time of each ``runs[label]``, run in turns ``repeat`` times.

    A run is a function, or a pair ``(prepare, function)`` whose ``prepare()``
    result is passed to ``function`` (``prepare`` is not timed). ``setup()``
    runs untimed before every timed call (after ``prepare``). Taking turns keeps
    slow drifts of the machine (page cache, other processes) out of the ratios.
    """
    times: dict = {label: [] for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            prepare, fnc = run if isinstance(run, tuple) else (lambda: None, run)
            argument = prepare()
            if setup is not None:
                setup()
            gc.collect()
            start = time.perf_counter()
            fnc(argument)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(values) for label, values in times.items()}


def make_datamatrix(nbytes: int) -> DataMatrix:
    rows = max(1, nbytes // (DEPTH * 8))
    dm = DataMatrix(length=rows)
    dm.trial = IntColumn
    dm.trial = np.arange(rows)
    dm.rt = FloatColumn
    dm.rt = np.random.default_rng(0).random(rows)
    dm.s = SeriesColumn(depth=DEPTH)
    rng = np.random.default_rng(1)
    step = max(1, cfg.save_chunk_size // (DEPTH * 8))
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        dm.s[start:stop] = rng.random((stop - start, DEPTH))
    return dm


def numpy_save(arrays: list[np.ndarray], path: str, sync: bool) -> None:
    with open(path, 'wb') as fh:
        for array in arrays:
            np.save(fh, array)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())


def chunked_nanmean(path: str) -> np.ndarray:
    """NaN-ignoring mean over rows of the series array (the first one in ``path``),
    in row chunks of ``numpy.load(path, mmap_mode='r')``."""
    series = np.load(path, mmap_mode='r')
    step = max(1, cfg.save_chunk_size // (series.shape[1] * series.itemsize))
    total = np.zeros(series.shape[1])
    count = np.zeros(series.shape[1], dtype=np.int64)
    for start in range(0, len(series), step):
        block = series[start:start + step]
        total += np.nansum(block, axis=0)
        count += np.count_nonzero(~np.isnan(block), axis=0)
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('size', nargs='?', default='4GB')
    parser.add_argument('--quick', action='store_true', help='use 256 MB')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--dir', default=None, help='folder for the files (default: cwd)')
    args = parser.parse_args()
    nbytes = parse_size('256MB' if args.quick else args.size)
    folder = tempfile.mkdtemp(prefix='bench_io-', dir=args.dir or os.getcwd())
    cfg.tmp_dir = folder
    process = psutil.Process()
    try:
        dm = make_datamatrix(nbytes)
        arrays = [dm.s._store.array, dm.trial._seq, dm.rt._seq]
        size = sum(a.nbytes for a in arrays)
        print(f'DataMatrix: {len(dm)} rows, series depth {DEPTH}, {size / GB:.2f} GB; '
              f'memory_limit {cfg.memory_limit / GB:.1f} GB, '
              f'save_chunk_size {cfg.save_chunk_size / 2 ** 20:.0f} MiB, '
              f'repeat {args.repeat}')
        dm_path = os.path.join(folder, 'data.dm')
        np_path = os.path.join(folder, 'data.npy')

        # os.sync() before each run: every run starts without dirty pages
        t = interleaved({
            'writebin': lambda _: io.writebin(dm, dm_path),
            'save_sync': lambda _: numpy_save(arrays, np_path, True),
            'save': lambda _: numpy_save(arrays, np_path, False),
        }, args.repeat, os.sync)
        print(f'writebin                  {t["writebin"]:8.3f} s  '
              f'{size / t["writebin"] / GB:6.2f} GB/s')
        print(f'numpy.save + fsync        {t["save_sync"]:8.3f} s  '
              f'{size / t["save_sync"] / GB:6.2f} GB/s   writebin ratio '
              f'{t["save_sync"] / t["writebin"]:.2f} x (target >= 0.7)')
        print(f'numpy.save (no fsync)     {t["save"]:8.3f} s  {size / t["save"] / GB:6.2f} GB/s'
              f'   writebin ratio {t["save"] / t["writebin"]:.2f} x')
        del dm, arrays
        gc.collect()

        times, extra = [], []
        for _ in range(args.repeat):
            gc.collect()
            before = process.memory_info().rss
            start = time.perf_counter()
            back = io.readbin(dm_path)
            times.append(time.perf_counter() - start)
            extra.append(process.memory_info().rss - before)
            del back
        print(f'readbin                   {statistics.median(times):8.3f} s  extra RSS '
              f'{statistics.median(extra) / 1e6:6.1f} MB (targets < 0.5 s, < 100 MB)')

        states = [('warm', None)]
        if drop_caches():
            states.append(('cold', drop_caches))
        loaded = []

        def mean_of(back):
            back.s.mean
            loaded.append(back.s.loaded)

        for state, setup in states:
            t = interleaved({'ours': (lambda: io.readbin(dm_path), mean_of),
                             'numpy': lambda _: chunked_nanmean(np_path)},
                            args.repeat, setup)
            print(f'first reduction ({state}) {t["ours"]:8.3f} s  '
                  f'{size / t["ours"] / GB:6.2f} GB/s  (column loaded by the memory '
                  f'manager: {all(loaded)})')
            print(f'chunked numpy ({state})   {t["numpy"]:8.3f} s  '
                  f'{size / t["numpy"] / GB:6.2f} GB/s   ratio {t["numpy"] / t["ours"]:.2f} x '
                  f'(target >= 0.8)')
        assert np.allclose(io.readbin(dm_path).s.mean, chunked_nanmean(np_path))
        if len(states) == 1:
            print('(cold runs skipped: the page cache cannot be dropped by this process)')
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
