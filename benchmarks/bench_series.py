"""Benchmark: baseline + smooth + downsample on a series column vs plain numpy/scipy.

Usage::

    python benchmarks/bench_series.py [SIZE] [--repeat N] [--depth D] [--chunk BYTES]

``SIZE`` is the size of the series column (default ``1GB``; any form that
``cfg.memory_limit`` accepts, e.g. ``256MB``). The pipeline

    srs.downsample(srs.smooth(srs.baseline(s, s, bl_start=-100), winlen=11), by=10)

runs on a loaded column and on an offloaded one (with ``cfg.memory_limit`` at a
quarter of the column, so every intermediate result is created offloaded as
well), and the same three steps are written directly in numpy/scipy on an
in-memory array. Medians of ``N`` runs (after a warm-up run) and the throughput
ratios (numpy time / datamatrix time; issue 5 targets >= 0.8 loaded, >= 0.6
offloaded) are printed, for wall time and, as a check that is less sensitive to
other processes on a busy machine, for CPU time (user + system) of this process.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Callable

import numpy as np

from datamatrix import DataMatrix, SeriesColumn, cfg, series as srs
from datamatrix._engine.config import parse_size

BL_START, WINLEN, BY = -100, 11, 10


def pipeline_datamatrix(series):
    """The three steps with datamatrix.series."""
    corrected = srs.baseline(series, series, bl_start=BL_START)
    return srs.downsample(srs.smooth(corrected, winlen=WINLEN), by=BY)


def pipeline_numpy(array: np.ndarray) -> np.ndarray:
    """The same three steps written directly in numpy/scipy."""
    from scipy.ndimage import convolve1d
    corrected = array - np.nanmedian(array[:, BL_START:], axis=1)[:, None]
    window = np.hanning(WINLEN)
    smoothed = convolve1d(corrected, window / window.sum(), axis=1, mode='mirror')
    n, depth = smoothed.shape
    runs = smoothed[:, :depth // BY * BY].reshape(n, depth // BY, BY)
    return np.nanmean(runs, axis=2)


def median_time(fnc: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) time of ``repeat`` calls after a warm-up."""
    fnc()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fnc()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        del result  # freed outside the timing
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('size', nargs='?', default='1GB')
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--depth', type=int, default=1000)
    parser.add_argument('--chunk', default=None,
                        help='cfg.save_chunk_size (default: as configured)')
    args = parser.parse_args()
    size, depth = parse_size(args.size), args.depth
    if args.chunk:
        cfg.save_chunk_size = parse_size(args.chunk)
    rows = max(1, size // (8 * depth))
    rng = np.random.default_rng(0)
    array = rng.normal(size=(rows, depth))
    array[::50, 200:260] = np.nan  # some missing data, as in real pupil traces
    with tempfile.TemporaryDirectory(dir=cfg.tmp_dir) as tmp_dir:
        cfg.tmp_dir = tmp_dir
        dm = DataMatrix(length=rows)
        dm.s = SeriesColumn(depth=depth)
        dm.s = array
        expected = pipeline_numpy(array)
        assert np.allclose(np.asarray(pipeline_datamatrix(dm.s)), expected,
                           equal_nan=True)
        # One variant after the other: interleaving them lets the write-back of the
        # offloaded runs' spill files slow down the next numpy run.
        t_numpy = median_time(lambda: pipeline_numpy(array), args.repeat)
        t_loaded = median_time(lambda: pipeline_datamatrix(dm.s), args.repeat)
        cfg.memory_limit = max(1, array.nbytes // 4)
        cfg.always_load_max_size = 0  # small columns too
        dm.s.loaded = False
        t_offloaded = median_time(lambda: pipeline_datamatrix(dm.s), args.repeat)
        assert not dm.s.loaded
        dm = None  # free the spill files before the directory goes
    mb = array.nbytes / 1e6
    print(f'series column: {rows} rows x {depth} samples = {mb:.0f} MB, '
          f'save_chunk_size = {cfg.save_chunk_size / 1e6:.0f} MB, '
          f'median of {args.repeat}')
    print(f'{"":<24}{"wall":>8}{"MB/s":>7}{"ratio":>7}{"cpu":>9}{"ratio":>7}')
    for label, (wall, cpu) in (('numpy/scipy (in memory)', t_numpy),
                               ('datamatrix loaded', t_loaded),
                               ('datamatrix offloaded', t_offloaded)):
        print(f'{label:<24}{wall:7.3f}s{mb / wall:7.0f}{t_numpy[0] / wall:7.2f}'
              f'{cpu:8.3f}s{t_numpy[1] / cpu:7.2f}')


if __name__ == '__main__':
    main()
