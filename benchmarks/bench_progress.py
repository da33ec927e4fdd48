"""Cost of progress bars on streamed work (issue 15, part 4).

Three variants of the same operations, measured in one run, taking turns:

* ``no hook``: the block loop without any progress code (``storage.tracked``
  replaced by the identity), the baseline;
* ``bars off``: the shipped code with ``cfg.progress = False``;
* ``bars on``: ``cfg.progress = True`` and ``progress_min_bytes = 0``, tqdm writing
  to ``os.devnull``.

Operations: a streamed sum, arithmetic and a row selection over a 64 MiB
offloaded column in 1 MiB blocks (64 blocks), and the mean of a tiny column (the
per-call cost of the size check). Prints medians and ratios to the baseline.

Usage: ``python benchmarks/bench_progress.py [--repeat 7]``
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _bench import median_time  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeat', type=int, default=7)
    args = parser.parse_args()

    from datamatrix import DataMatrix, SeriesColumn, cfg
    from datamatrix._engine import storage

    tmp = tempfile.mkdtemp(prefix='bench-progress-')
    cfg.tmp_dir = tmp
    cfg.save_chunk_size = '1MiB'
    cfg.always_load_max_size = 0
    big = DataMatrix(length=8192)
    big.s = SeriesColumn(depth=1024)       # 64 MiB of float64
    big.s = 1.0
    big.s.loaded = False
    tiny = DataMatrix(length=10)
    tiny.s = SeriesColumn(depth=4)
    tiny.s = 1.0

    operations = {
        'sum (64 MiB, 64 blocks)': lambda: big.s.sum,
        'arithmetic s * 2': lambda: big.s * 2,
        'selection dm[::2]': lambda: big[::2],
        'tiny mean (10 x 4)': lambda: tiny.s.mean,
    }
    real_tracked = storage.tracked
    devnull = open(os.devnull, 'w')
    real_stderr = sys.stderr

    def variant(name: str) -> None:
        storage.tracked = (lambda steps, total: steps) if name == 'no hook' \
            else real_tracked
        cfg.progress = name == 'bars on'
        cfg.progress_min_bytes = 0 if name == 'bars on' else '256MiB'
        sys.stderr = devnull if name == 'bars on' else real_stderr

    names = ['no hook', 'bars off', 'bars on']
    print(f'{"operation":28s}' + ''.join(f'{n:>14s}' for n in names) +
          '   off/none   on/none')
    try:
        for label, fnc in operations.items():
            inner = 200 if label.startswith('tiny') else 1
            samples: dict[str, list[float]] = {name: [] for name in names}
            for round_ in range(args.repeat + 1):  # variants take turns; round 0 warms up
                for name in names:
                    variant(name)
                    elapsed = median_time(fnc, 1) if inner == 1 else \
                        median_time(fnc, inner)
                    if round_:
                        samples[name].append(elapsed)
            variant('no hook')
            times = {name: statistics.median(values) for name, values in samples.items()}
            base = times['no hook']
            print(f'{label:28s}' + ''.join(f'{times[n] * 1e3:12.3f}ms' for n in names)
                  + f'{times["bars off"] / base:11.3f}{times["bars on"] / base:10.3f}')
    finally:
        storage.tracked = real_tracked
        sys.stderr = real_stderr
        devnull.close()
        del big, tiny
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
