"""Benchmark of zarr storage and dask scale-out against plain dask, same run.

Usage::

    python benchmarks/bench_scaleout.py [SIZE] [--repeat N] [--dir FOLDER]

``SIZE`` is the size of the series column (default ``4GB``; any form
``cfg.memory_limit`` accepts): float64 traces of 2000 samples, four conditions.
Prints medians over ``--repeat`` runs (default 3) of:

* the per-condition average of the zarr-backed column on a 2-worker
  ``LocalCluster`` (one thread per worker), computed as in ``docs/scaleout.md``
  (``io.readzarr`` + ``convert.to_dask``), vs the same computation written directly
  with ``dask.array`` (``da.from_zarr`` and zarr's condition array); target >= 0.7;
* ``io.writezarr`` of the DataMatrix (loaded) vs ``dask.array.to_zarr`` of the same
  arrays (series and condition codes) with the same chunks and zarr's default codecs,
  on dask's threaded scheduler; target >= 0.8. ``writezarr`` of the column offloaded
  is printed for information.

Stores are written to a temporary folder in ``--dir`` (default: the working
directory), removed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

from datamatrix import DataMatrix, SeriesColumn, cfg, io
from datamatrix._engine.config import parse_size

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'examples'))
import scaleout  # noqa: E402  (the documented recipe)

GB = 1e9
DEPTH = 2000
CONDITIONS = ['a', 'b', 'c', 'd']


def timed(fnc, setup=None) -> float:
    if setup is not None:
        setup()
    start = time.perf_counter()
    fnc()
    return time.perf_counter() - start


def make_dm(nbytes: int) -> DataMatrix:
    """Four conditions and a float64 series column of ``nbytes`` bytes, in memory."""
    n = max(1, int(nbytes) // (DEPTH * 8))
    rng = np.random.default_rng(1)
    dm = DataMatrix(length=n)
    dm.condition = [CONDITIONS[i] for i in rng.integers(0, len(CONDITIONS), n)]
    dm.pupil = SeriesColumn(depth=DEPTH)
    array = dm.pupil._use_for_write(everything=True)
    for start in range(0, n, 4096):
        array[start:start + 4096] = rng.standard_normal((min(4096, n - start), DEPTH))
    return dm


def plain_dask_means(path: str) -> dict:
    """The per-condition averages written directly with dask.array and zarr."""
    import dask
    import dask.array as da
    import zarr
    pupil = da.from_zarr(path, component='pupil')
    condition = np.array([json.loads(t) for t in
                          zarr.open_array(f'{path}/condition', mode='r')[:].tolist()])
    means = {c: da.nanmean(pupil[np.flatnonzero(condition == c)], axis=0)
             for c in np.unique(condition)}
    (means,) = dask.compute(means)
    return means


def plain_dask_write(pupil: np.ndarray, codes: np.ndarray, rows: int, path: str) -> None:
    import dask.array as da
    da.from_array(pupil, chunks=(rows, DEPTH)).to_zarr(path, component='pupil')
    da.from_array(codes, chunks=(len(codes),)).to_zarr(path, component='condition')


def report(label: str, ours: list, theirs: list, nbytes: int, target: float) -> None:
    t_ours, t_theirs = statistics.median(ours), statistics.median(theirs)
    ratio = t_theirs / t_ours
    print(f'{label:<44}{nbytes / GB / t_ours:7.2f} GB/s  vs {nbytes / GB / t_theirs:7.2f} '
          f'GB/s   ratio {ratio:.2f} (target >= {target}) '
          f'{"OK" if ratio >= target else "BELOW"}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('size', nargs='?', default='4GB')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--dir', default=os.getcwd())
    args = parser.parse_args()
    nbytes = parse_size(args.size)
    cfg.progress = False
    from dask.distributed import Client, LocalCluster

    folder = tempfile.mkdtemp(prefix='.bench-scaleout-', dir=args.dir)
    ours_path, plain_path = f'{folder}/ours.zarr', f'{folder}/plain.zarr'
    try:
        t0 = time.perf_counter()
        dm = make_dm(nbytes)
        size = dm.pupil._store.nbytes
        rows = max(1, int(cfg.save_chunk_size) // (DEPTH * 8))
        print(f'series column {size / GB:.2f} GB ({len(dm)} x {DEPTH} float64), '
              f'chunks of {rows} rows ({rows * DEPTH * 8 / 2 ** 20:.0f} MiB), '
              f'median of {args.repeat}, {os.cpu_count()} CPUs '
              f'(data made in {time.perf_counter() - t0:.1f} s)')

        # -- writing ---------------------------------------------------------------------
        codes = np.array([CONDITIONS.index(c) for c in dm.condition], dtype=np.int64)

        def clear():
            shutil.rmtree(ours_path, ignore_errors=True)
            shutil.rmtree(plain_path, ignore_errors=True)

        pupil = dm.pupil._use()
        w_ours, w_plain = [], []
        for _ in range(args.repeat):
            w_plain.append(timed(lambda: plain_dask_write(pupil, codes, rows, plain_path),
                                 clear))
            w_ours.append(timed(lambda: io.writezarr(dm, ours_path), clear))
        report('writezarr vs da.to_zarr', w_ours, w_plain, size, 0.8)
        dm.pupil.loaded = False
        w_off = [timed(lambda: io.writezarr(dm, ours_path), clear)
                 for _ in range(args.repeat)]
        print(f'{"writezarr, column offloaded":<44}'
              f'{size / GB / statistics.median(w_off):7.2f} GB/s')
        del dm, pupil
        io.writezarr(make_dm(nbytes), ours_path, overwrite=True)  # the store to read

        # -- per-condition averages on a cluster ------------------------------------------
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                          dashboard_address=None) as cluster, Client(cluster):
            check_ours = scaleout.condition_means_dask(ours_path)   # warm-up + check
            check_plain = plain_dask_means(ours_path)
            assert all(np.allclose(check_ours[c], check_plain[c]) for c in check_plain)
            r_ours, r_plain = [], []
            for _ in range(args.repeat):
                r_plain.append(timed(lambda: plain_dask_means(ours_path)))
                r_ours.append(timed(lambda: scaleout.condition_means_dask(ours_path)))
        report('per-condition mean, 2-worker LocalCluster', r_ours, r_plain, size, 0.7)
        print(f'medians (s): writezarr {statistics.median(w_ours):.2f}, da.to_zarr '
              f'{statistics.median(w_plain):.2f}, writezarr offloaded '
              f'{statistics.median(w_off):.2f}; cluster mean ours '
              f'{statistics.median(r_ours):.2f}, plain dask {statistics.median(r_plain):.2f}')
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
