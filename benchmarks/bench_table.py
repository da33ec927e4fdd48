"""1-D tables of a million rows: datamatrix against pandas (and the reference).

Usage::

    python benchmarks/bench_table.py [--rows 1000000] [--repeat 3]
                                     [--reference-python PATH] [--only TEXT]

The table has three columns, as long-format eye-tracking data: ``subject`` (an
IntColumn, 50 subjects), ``cond`` (a MixedColumn of three strings) and ``rt`` (a
FloatColumn). Each operation of issue 14 is timed (median of ``--repeat`` runs)
for datamatrix and for the same work in pandas in the same process (after one
untimed warm-up call):

* build the three columns from numpy arrays (``pd.DataFrame`` of the arrays);
* ``dm.rt * 2 + 1``; ``dm.rt > 700`` and ``dm.cond == 'neutral'`` (selections:
  ``df[df.rt > 700]``); ``dm.rt.mean``;
* ``ops.sort(dm, by=dm.rt)`` (``df.sort_values('rt', kind='stable')``);
* ``ops.split(dm.cond)`` (the groups of ``df.groupby('cond')``);
* the mean rt per subject x condition, 150 groups (``ops.split`` on two columns;
  ``df.groupby(['subject', 'cond']).rt.mean()``);
* ``io.writetxt`` / ``io.readtxt`` (``to_csv`` / ``read_csv``), and ``io.readtxt``
  on the csv module's path, as without pyarrow (``read_csv(engine='python')``);
* iterating over 100,000 rows reading ``row.rt`` (``itertuples``);
* ``dm.rt[i]`` (timeit, best of 5; vs ``df.rt.iat[i]``), in microseconds.

With ``--reference-python PATH`` the datamatrix operations are also run by that
Python (which should have the original datamatrix 1.0.20 installed), in a
subprocess of this script (``--worker``); its times appear in a third column.
Ratios are ours/pandas and ours/reference (below 1: we are faster). The last
columns give our peak extra RSS per operation and its multiple of the bytes of
the columns the operation touches, counted as 8 bytes per value and column
(target <= 3x). The load average of the machine is printed, since the other
processes on a shared machine make every figure noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import timeit

import numpy as np

from _bench import MiB, median_time

ITERATED = 100_000
CSV_MODULE = 'io.readtxt, csv module path'
"""readtxt without pyarrow (pandas: its Python engine); not run by the reference."""
CONDITIONS = np.array(['neutral', 'happy', 'sad'])


def make_arrays(rows: int) -> dict:
    rng = np.random.default_rng(0)
    return {'subject': rng.integers(0, 50, rows),
            'cond': CONDITIONS[rng.integers(0, 3, rows)],
            'rt': rng.normal(700, 100, rows)}


def datamatrix_operations(arrays: dict, folder: str) -> dict:
    """The operations on a DataMatrix: name -> (function, columns touched)."""
    from datamatrix import DataMatrix, FloatColumn, IntColumn, MixedColumn, io
    from datamatrix import operations as ops

    def build():
        dm = DataMatrix(length=len(arrays['rt']))
        dm.subject = IntColumn
        dm.subject = arrays['subject']
        dm.cond = MixedColumn
        dm.cond = arrays['cond']
        dm.rt = FloatColumn
        dm.rt = arrays['rt']
        return dm

    dm = build()
    middle = len(dm) // 2
    path = os.path.join(folder, 'dm.csv')
    io.writetxt(dm, path)

    def group_means():
        return [(subject, cond, sub.rt.mean)
                for subject, cond, sub in ops.split(dm.subject, dm.cond)]

    def iterate():
        for _, row in zip(range(ITERATED), dm):
            row.rt

    def readtxt_csv_module():
        from datamatrix.io import _txt_fast  # ours only: the reference has no fast path
        saved = _txt_fast.USE_FAST_CSV
        _txt_fast.USE_FAST_CSV = False
        try:
            return io.readtxt(path)
        finally:
            _txt_fast.USE_FAST_CSV = saved

    return {
        'build from arrays': (build, 3),
        'dm.rt * 2 + 1': (lambda: dm.rt * 2 + 1, 1),
        'dm.rt > 700': (lambda: dm.rt > 700, 3),
        "dm.cond == 'neutral'": (lambda: dm.cond == 'neutral', 3),
        'dm.rt.mean': (lambda: dm.rt.mean, 1),
        'ops.sort(dm, by=dm.rt)': (lambda: ops.sort(dm, by=dm.rt), 3),
        'ops.split(dm.cond)': (lambda: list(ops.split(dm.cond)), 3),
        'mean rt per subject x cond': (group_means, 3),
        'io.writetxt': (lambda: io.writetxt(dm, path), 3),
        'io.readtxt': (lambda: io.readtxt(path), 3),
        CSV_MODULE: (readtxt_csv_module, 3),
        f'iterate {ITERATED} rows, row.rt': (iterate, 1),
        'dm.rt[i] (us)': (lambda: dm.rt[middle], 0),
    }


def pandas_operations(arrays: dict, folder: str) -> dict:
    """The same work in pandas: name -> function."""
    import pandas as pd
    build = lambda: pd.DataFrame(dict(arrays))
    df = build()
    middle = len(df) // 2
    path = os.path.join(folder, 'df.csv')
    df.to_csv(path, index=False)

    def iterate():
        for row in df.iloc[:ITERATED].itertuples():
            row.rt

    return {
        'build from arrays': build,
        'dm.rt * 2 + 1': lambda: df.rt * 2 + 1,
        'dm.rt > 700': lambda: df[df.rt > 700],
        "dm.cond == 'neutral'": lambda: df[df.cond == 'neutral'],
        'dm.rt.mean': lambda: df.rt.mean(),
        'ops.sort(dm, by=dm.rt)': lambda: df.sort_values('rt', kind='stable'),
        'ops.split(dm.cond)': lambda: [group for _, group in df.groupby('cond')],
        'mean rt per subject x cond': lambda: df.groupby(['subject', 'cond']).rt.mean(),
        'io.writetxt': lambda: df.to_csv(path, index=False),
        'io.readtxt': lambda: pd.read_csv(path),
        CSV_MODULE: lambda: pd.read_csv(path, engine='python'),
        f'iterate {ITERATED} rows, row.rt': iterate,
        'dm.rt[i] (us)': lambda: df.rt.iat[middle],
    }


def time_one(fnc, repeat: int, single: bool) -> float:
    """Seconds (median of ``repeat`` after a warm-up call), or microseconds per call
    for single accesses."""
    fnc()  # warm-up (imports, caches), untimed
    if single:
        return min(timeit.repeat(fnc, number=100_000, repeat=5)) / 100_000 * 1e6
    return median_time(fnc, repeat)


def time_all(rows: int, repeat: int, with_pandas: bool,
             only: str | None = None) -> tuple[dict, dict, dict]:
    """Our (or, in a worker, the reference's) times, and with ``with_pandas`` our peak
    extra RSS and pandas' times; ours and pandas take turns operation by operation,
    so that a change in the machine's load affects both alike."""
    arrays = make_arrays(rows)
    times, peaks, theirs = {}, {}, {}
    with tempfile.TemporaryDirectory() as folder:
        others = pandas_operations(arrays, folder) if with_pandas else {}
        for name, (fnc, _) in datamatrix_operations(arrays, folder).items():
            if only is not None and only not in name or \
                    name == CSV_MODULE and not with_pandas:
                continue
            single = name.endswith('(us)')
            try:
                if with_pandas and not single:
                    from _bench import PeakRSS
                    with PeakRSS() as mem:
                        times[name] = time_one(fnc, repeat, single)
                    peaks[name] = mem.extra
                else:
                    times[name] = time_one(fnc, repeat, single)
            except Exception as exc:  # an operation the reference lacks, say
                times[name] = f'{type(exc).__name__}: {exc}'[:60]
            if name in others:
                theirs[name] = time_one(others[name], repeat, single)
    return times, peaks, theirs


def run_reference(python: str, rows: int, repeat: int, only: str | None = None) -> dict:
    """The reference's times, from ``python this-script --worker``."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
    command = [python, os.path.abspath(__file__), '--worker', '--rows', str(rows),
               '--repeat', str(repeat)] + (['--only', only] if only is not None else [])
    out = subprocess.run(command, capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir())
    if out.returncode:
        print(f'reference run failed:\n{out.stderr[-2000:]}', file=sys.stderr)
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt(value) -> str:
    return f'{value:10.4f}' if isinstance(value, float) else f'{"n/a":>10}'


def ratio(a, b) -> str:
    if isinstance(a, float) and isinstance(b, float) and b > 0:
        return f'{a / b:9.2f}'
    return f'{"":>9}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--reference-python', default=None, metavar='PATH')
    parser.add_argument('--only', default=None, metavar='TEXT',
                        help='run only the operations whose name contains TEXT')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # run by another Python: only its datamatrix, times as JSON
        print(json.dumps(time_all(args.rows, args.repeat, with_pandas=False,
                                  only=args.only)[0]))
        return
    import datamatrix
    ours, peaks, theirs = time_all(args.rows, args.repeat, with_pandas=True,
                                   only=args.only)
    with tempfile.TemporaryDirectory() as folder:  # columns each operation touches
        touched = {name: n for name, (_, n) in
                   datamatrix_operations(make_arrays(10), folder).items()}
    reference = run_reference(args.reference_python, args.rows, args.repeat, args.only) \
        if args.reference_python else {}
    import pandas
    print(f'{args.rows} rows; datamatrix {datamatrix.__version__}, pandas '
          f'{pandas.__version__}; median of {args.repeat} (s; single access: us, best '
          f'of 5 x 100,000); reference: {args.reference_python or "not run"}; load '
          f'average at the end {os.getloadavg()[0]:.1f}')
    print(f'{"operation":<34}{"ours":>10}{"pandas":>10}{"reference":>10}'
          f'{"/pandas":>9}{"/ref":>9}{"peak MiB":>9}{"x bytes":>8}')
    column_bytes = args.rows * 8
    for name, t in ours.items():
        peak = peaks.get(name)
        memory = ''
        if peak is not None and touched[name]:
            memory = f'{peak / MiB:9.1f}{peak / (touched[name] * column_bytes):8.2f}'
        print(f'{name:<34}{fmt(t)}{fmt(theirs.get(name))}{fmt(reference.get(name))}'
              f'{ratio(t, theirs.get(name))}{ratio(t, reference.get(name))}{memory}')
        if not isinstance(t, float):
            print(f'    ours failed: {t}')
        if name in reference and not isinstance(reference[name], float):
            print(f'    reference failed: {reference[name]}')


if __name__ == '__main__':
    main()
