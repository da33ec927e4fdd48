"""Per-condition averages of a series column stored in zarr, on a dask cluster.

This is the recipe of ``docs/scaleout.md`` (the page shows this file). It writes a
DataMatrix with a ``condition`` column and a ``pupil`` series column to a zarr store,
then averages ``pupil`` per condition twice: on a ``dask.distributed`` cluster, whose
worker processes read the zarr chunks themselves, and in-process with plain
DataMatrix code. Both give the same numbers.

Usage::

    python examples/scaleout.py [STORE]     # default: a temporary folder
"""
import sys
import tempfile

import dask
import dask.array as da
import numpy as np

from datamatrix import DataMatrix, SeriesColumn, io
from datamatrix import convert as cnv
from datamatrix import operations as ops


def make_store(path, n_trials=400, depth=500, chunk_rows=50, seed=0):
    """Write example data: a condition per trial and a noisy pupil trace per trial."""
    rng = np.random.default_rng(seed)
    dm = DataMatrix(length=n_trials)
    dm.condition = list(rng.choice(['blue', 'green', 'red'], size=n_trials))
    dm.pupil = SeriesColumn(depth=depth)
    dm.pupil = rng.normal(1000, 100, size=(n_trials, depth))
    dm.pupil[::7, :50] = np.nan                        # some missing samples
    io.writezarr(dm, path, chunk_rows=chunk_rows, overwrite=True)


def condition_means_dask(path):
    """Per-condition mean traces, computed by dask (on the active client, if any)."""
    dm = io.readzarr(path)                             # lazy: nothing of pupil is read
    pupil = cnv.to_dask(dm.pupil)                      # dask.array.from_zarr, by chunks
    condition = list(dm.condition)                     # a small 1-D column, in memory
    means = {}
    for value in dm.condition.unique:
        rows = [i for i, c in enumerate(condition) if c == value]
        means[value] = da.nanmean(pupil[rows], axis=0)  # a lazy dask expression
    (means,) = dask.compute(means)                     # one pass over the chunks
    return means


def condition_means_in_process(path):
    """The same averages with plain DataMatrix code, in this process."""
    dm = io.readzarr(path)
    return {value: sub_dm.pupil.mean for value, sub_dm in ops.split(dm.condition)}


def main(path):
    from dask.distributed import Client, LocalCluster

    make_store(path)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster):
        on_cluster = condition_means_dask(path)       # dask uses the client
    in_process = condition_means_in_process(path)
    for value, mean in on_cluster.items():
        assert np.allclose(mean, in_process[value], rtol=1e-12, atol=0)
        print(f'{value:>5}: mean pupil size {np.mean(mean):.3f} '
              f'(first samples {np.round(mean[:3], 2)})')


if __name__ == '__main__':
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(f'{folder}/trials.zarr')
