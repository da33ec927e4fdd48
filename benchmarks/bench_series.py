"""The row-wise series functions: loaded vs plain numpy/scipy, offloaded vs loaded.

Usage::

    python benchmarks/bench_series.py [SIZE] [--repeat N] [--depth D] [--chunk BYTES]
                                      [--blink-rows N]

``SIZE`` is the size of the series column (default ``512MB``; ``1GB``, ``256MiB``,
...): traces of ``--depth`` float64 samples around 1000 with noise, and NaN
"blinks" in every 50th trace. Each of ``baseline``, ``downsample``, ``smooth``,
``filter_lowpass``, ``filter_highpass``, ``filter_bandpass`` and
``blinkreconstruct`` runs

* on a plain in-RAM ndarray, written directly in numpy/scipy (the limit):
  ``a - nanmedian(a[:, -100:])``, a reshape + ``nanmean`` for downsampling,
  ``scipy.ndimage.convolve1d`` (mirror) with the normalised Hanning window,
  ``scipy.signal.sosfilt`` of ``butter(..., output='sos')``; for
  ``blinkreconstruct``, which has no numpy equivalent, the same
  ``datamatrix.series`` function called on the plain ndarray (so that row
  measures only the column machinery);
* on a loaded column;
* on an offloaded column, with ``cfg.memory_limit`` at a quarter of the column
  (so every result is created offloaded too).

* on the same offloaded column *cold*: before every run the page-cache pages of
  our spill files are dropped (``posix_fadvise(POSIX_FADV_DONTNEED)``, found
  through ``/proc/self/fd``), against the disk's limit: a sequential ``readinto``
  of a file of the same bytes after dropping its pages the same way.

Printed: GB/s of input (bytes of the column / median of ``--repeat`` runs, after
a warm-up run) for numpy, loaded, offloaded warm and offloaded cold; the
fractions loaded/numpy and offloaded/loaded (issue 13 targets >= 0.8 for both)
and cold/disk; the peak extra RSS of the offloaded run as a multiple of
``cfg.save_chunk_size``; and whether the values equal numpy's. A compute-bound
function cannot go faster cold than warm: its cold/disk fraction is at most
offloaded GB/s over disk GB/s. ``blinkreconstruct`` runs on the first
``--blink-rows`` traces only (it is slow per trace).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import warnings

import numpy as np

from datamatrix import DataMatrix, SeriesColumn, cfg, series as srs

from _bench import (drop_file_pages, drop_open_file_pages, gbps, measure, median_time,
                    parse_size, readinto_file, write_file)

BL_START, WINLEN, BY, FREQ, BAND = -100, 11, 10, 0.1, (0.05, 0.2)


def _sos(btype, freq):
    from scipy.signal import butter
    return butter(2, freq, btype=btype, output='sos')


def numpy_smooth(a):
    from scipy.ndimage import convolve1d
    window = np.hanning(WINLEN)
    return convolve1d(a, window / window.sum(), axis=1, mode='mirror')


def numpy_downsample(a):
    n, depth = a.shape
    return np.nanmean(a[:, :depth // BY * BY].reshape(n, depth // BY, BY), axis=2)


def numpy_filter(btype, freq):
    from scipy.signal import sosfilt
    sos = _sos(btype, freq)
    return lambda a: sosfilt(sos, a, axis=-1)


# name -> (datamatrix call on a column or array, plain numpy/scipy call)
FUNCTIONS = {
    'baseline': (lambda s: srs.baseline(s, s, bl_start=BL_START),
                 lambda a: a - np.nanmedian(a[:, BL_START:], axis=1)[:, None]),
    'downsample': (lambda s: srs.downsample(s, by=BY), numpy_downsample),
    'smooth': (lambda s: srs.smooth(s, winlen=WINLEN), numpy_smooth),
    'filter_lowpass': (lambda s: srs.filter_lowpass(s, FREQ),
                       numpy_filter('lowpass', FREQ)),
    'filter_highpass': (lambda s: srs.filter_highpass(s, FREQ),
                        numpy_filter('highpass', FREQ)),
    'filter_bandpass': (lambda s: srs.filter_bandpass(s, BAND),
                        numpy_filter('bandpass', BAND)),
    'blinkreconstruct': (lambda s: srs.blinkreconstruct(s, mode='advanced'),
                         lambda a: srs.blinkreconstruct(a, mode='advanced')),
}


def warm_measure(fnc, repeat):
    fnc()  # warm-up
    return measure(fnc, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('size', nargs='?', default='512MB')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--depth', type=int, default=1000)
    parser.add_argument('--blink-rows', type=int, default=5000)
    parser.add_argument('--chunk', default=None,
                        help='cfg.save_chunk_size (default: as configured)')
    args = parser.parse_args()
    size, depth = parse_size(args.size), args.depth
    if args.chunk:
        cfg.save_chunk_size = parse_size(args.chunk)
    chunk = cfg.save_chunk_size
    rows = max(1, size // (8 * depth))
    rng = np.random.default_rng(0)
    full = 1000 + rng.normal(0, 5, size=(rows, depth))
    full[::50, 200:260] = np.nan  # blinks, as in real pupil traces
    default_limit = cfg.memory_limit
    print(f'series column: {rows} rows x {depth} samples = {full.nbytes / 1e6:.0f} MB '
          f'(blinkreconstruct: {min(rows, args.blink_rows)} rows), save_chunk_size '
          f'{chunk / 2 ** 20:.0f} MiB, median of {args.repeat}')
    print(f'{"function":<18}{"numpy":>7}{"loaded":>7}{"offl.":>7}{"cold":>7}{"disk":>7}'
          f'{"ld/np":>7}{"off/ld":>7}{"cold/disk":>10}{"RSS x chunk":>12}  check   (GB/s)')
    with tempfile.TemporaryDirectory(dir=cfg.tmp_dir) as tmp_dir, \
            warnings.catch_warnings():
        warnings.simplefilter('ignore')  # NaN and mode warnings, the same for all
        cfg.tmp_dir = tmp_dir
        spill_dir = os.path.join(tmp_dir, 'spill')
        os.mkdir(spill_dir)
        for name, (ours, limit) in FUNCTIONS.items():
            array = full[:args.blink_rows] if name == 'blinkreconstruct' else full
            disk_file = os.path.join(tmp_dir, 'disk.bin')
            write_file(disk_file, array, chunk)
            t_disk = median_time(lambda: readinto_file(disk_file, chunk), args.repeat,
                                 setup=lambda: drop_file_pages(disk_file))
            os.unlink(disk_file)
            cfg.tmp_dir = spill_dir
            cfg.memory_limit = default_limit
            dm = DataMatrix(length=len(array))
            dm.s = SeriesColumn(depth=depth)
            dm.s = array
            dm.s.loaded = True
            expected = limit(array)
            check = 'ok' if np.allclose(np.asarray(ours(dm.s)), expected,
                                        equal_nan=True) else 'DIFF'
            t_np, _ = warm_measure(lambda: limit(array), args.repeat)
            t_loaded, _ = warm_measure(lambda: ours(dm.s), args.repeat)
            cfg.memory_limit = max(1, array.nbytes // 4)
            cfg.always_load_max_size = 0  # small columns too
            dm.s.loaded = False
            t_off, extra = warm_measure(lambda: ours(dm.s), args.repeat)
            t_cold = median_time(lambda: ours(dm.s), args.repeat,
                                 setup=lambda: drop_open_file_pages(spill_dir))
            assert not dm.s.loaded
            rates = [gbps(array.nbytes, t) for t in (t_np, t_loaded, t_off, t_cold, t_disk)]
            print(f'{name:<18}' + ''.join(f'{rate:7.2f}' for rate in rates) +
                  f'{t_np / t_loaded:7.2f}{t_loaded / t_off:7.2f}{t_disk / t_cold:10.2f}'
                  f'{extra / chunk:12.2f}  {check}', flush=True)
            del dm
            cfg.tmp_dir = tmp_dir
        cfg.memory_limit = default_limit


if __name__ == '__main__':
    main()
