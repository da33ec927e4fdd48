"""io.writebin / io.readbin against the physical limit of the same work.

Usage::

    python benchmarks/bench_io.py [SIZE] [--quick] [--repeat N] [--dir DIR]

``SIZE`` is the size of the DataMatrix (default ``1GB``; ``1GB``, ``512MiB``, ...);
``--quick`` uses 256 MB. The DataMatrix holds one series column of 1000 float64
samples per row (8 kB; NaNs in every 50th row at 60 samples) plus an IntColumn
and a FloatColumn. Prints medians over ``--repeat`` runs (default 3) of:

* ``writebin`` vs ``numpy.save`` of the same three arrays into one file in the
  same folder followed by ``fsync`` (``writebin`` flushes its file to disk before
  renaming it into place); the ratio to ``numpy.save`` without ``fsync`` (which
  only fills the page cache) is printed too;
* ``readbin`` alone: wall time and the extra resident memory it leaves;
* ``readbin`` + the first full reduction (``dm.s.mean``, the NaN-ignoring mean
  over rows), with the budget as configured and with ``cfg.memory_limit`` below
  the column's size (the column stays a lazy view of the file), against

  - warm (file in the page cache): the fastest plain numpy for that mean on an
    in-RAM copy of the same bytes (``block.sum(axis=0)`` per block of
    ``cfg.save_chunk_size``, masked recount only where the sum is NaN);
  - cold (pages of the file dropped with ``posix_fadvise(POSIX_FADV_DONTNEED)``):
    a sequential ``readinto`` of the ``numpy.save`` file in blocks of
    ``cfg.save_chunk_size`` after dropping its pages the same way.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time

import numpy as np
import psutil

from datamatrix import DataMatrix, FloatColumn, IntColumn, SeriesColumn, cfg, io

from _bench import (GB, drop_file_pages, gbps, median_time, parse_size, readinto_file)
from bench_largedata import limit_mean

DEPTH = 1000


def make_arrays(nbytes: int) -> list[np.ndarray]:
    rows = max(1, nbytes // (DEPTH * 8))
    rng = np.random.default_rng(1)
    series = rng.random((rows, DEPTH))
    series[::50, 200:260] = np.nan
    return [series, np.arange(rows), rng.random(rows)]


def make_datamatrix(arrays: list[np.ndarray]) -> DataMatrix:
    series, trial, rt = arrays
    dm = DataMatrix(length=len(series))
    dm.trial = IntColumn
    dm.trial = trial
    dm.rt = FloatColumn
    dm.rt = rt
    dm.s = SeriesColumn(depth=DEPTH)
    step = max(1, cfg.save_chunk_size // (DEPTH * 8))
    for start in range(0, len(series), step):
        dm.s[start:start + step] = series[start:start + step]
    return dm


def numpy_save(arrays: list[np.ndarray], path: str, sync: bool) -> None:
    with open(path, 'wb') as fh:
        for array in arrays:
            np.save(fh, array)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())


def line(label: str, seconds: float, nbytes: int, limit: float | None = None,
         limit_label: str = '') -> None:
    text = f'{label:<44}{seconds:8.3f} s {gbps(nbytes, seconds):7.2f} GB/s'
    if limit is not None:
        text += (f'   limit {gbps(nbytes, limit):6.2f} GB/s, fraction '
                 f'{limit / seconds:5.2f} ({limit_label})')
    print(text, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('size', nargs='?', default='1GB')
    parser.add_argument('--quick', action='store_true', help='use 256 MB')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--dir', default=None, help='folder for the files (default: cwd)')
    args = parser.parse_args()
    nbytes = parse_size('256MB' if args.quick else args.size)
    folder = tempfile.mkdtemp(prefix='.bench_io-', dir=args.dir or os.getcwd())
    cfg.tmp_dir = folder
    chunk = cfg.save_chunk_size
    process = psutil.Process()
    try:
        arrays = make_arrays(nbytes)
        dm = make_datamatrix(arrays)
        size = sum(a.nbytes for a in arrays)
        print(f'DataMatrix: {len(dm)} rows, series depth {DEPTH}, {size / GB:.2f} GB; '
              f'memory_limit {cfg.memory_limit / GB:.1f} GB, save_chunk_size '
              f'{chunk / 2 ** 20:.0f} MiB, median of {args.repeat}')
        dm_path = os.path.join(folder, 'data.dm')
        np_path = os.path.join(folder, 'data.npy')

        # -- writing: os.sync() before each run, so every run starts without dirty pages
        t_ours = median_time(lambda: io.writebin(dm, dm_path), args.repeat, os.sync)
        t_sync = median_time(lambda: numpy_save(arrays, np_path, True), args.repeat, os.sync)
        t_save = median_time(lambda: numpy_save(arrays, np_path, False), args.repeat,
                             os.sync)
        line('writebin', t_ours, size, t_sync, 'numpy.save + fsync')
        line('writebin', t_ours, size, t_save, 'numpy.save, no fsync')
        del dm
        gc.collect()

        # -- readbin alone ------------------------------------------------------------------
        times, extra = [], []
        for _ in range(args.repeat):
            gc.collect()
            before = process.memory_info().rss
            start = time.perf_counter()
            back = io.readbin(dm_path)
            times.append(time.perf_counter() - start)
            extra.append(process.memory_info().rss - before)
            del back
        print(f'{"readbin alone":<44}{sorted(times)[len(times) // 2]:8.3f} s   extra RSS '
              f'{sorted(extra)[len(extra) // 2] / 1e6:.1f} MB', flush=True)

        # -- readbin + first reduction ------------------------------------------------------
        series = arrays[0]
        expected = limit_mean(series, chunk)
        t_warm = median_time(lambda: limit_mean(series, chunk), args.repeat)
        t_cold = median_time(lambda: readinto_file(np_path, chunk), args.repeat,
                             setup=lambda: drop_file_pages(np_path))
        t_cold *= series.nbytes / os.path.getsize(np_path)  # the file holds all 3 arrays
        default_limit, always_load = cfg.memory_limit, cfg.always_load_max_size
        for budget, label in ((default_limit, 'budget as configured'),
                              (series.nbytes // 2, 'budget < column')):
            cfg.memory_limit = budget
            cfg.always_load_max_size = 0 if label == 'budget < column' else always_load
            loaded = []

            def first_mean():
                back = io.readbin(dm_path)
                mean = back.s.mean
                loaded.append(back.s.loaded)
                return mean

            assert np.allclose(first_mean(), expected, equal_nan=True)
            t = median_time(first_mean, args.repeat)
            line(f'readbin + s.mean, warm, {label}', t, series.nbytes, t_warm,
                 'numpy block.sum(0) + masked recount, in RAM')
            t = median_time(first_mean, args.repeat, setup=lambda: drop_file_pages(dm_path))
            line(f'readbin + s.mean, cold, {label}', t, series.nbytes, t_cold,
                 'readinto after FADV_DONTNEED')
            print(f'    (column loaded into RAM by the memory manager: {any(loaded)})')
        cfg.memory_limit, cfg.always_load_max_size = default_limit, always_load
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
