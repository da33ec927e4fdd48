"""The scale-out recipe (docs/scaleout.md, examples/scaleout.py) on a 2-process dask cluster."""
import importlib.util
import os
import re

import numpy as np
import pytest

pytest.importorskip('zarr')
pytest.importorskip('dask.array')
distributed = pytest.importorskip('dask.distributed')

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
EXAMPLE = os.path.join(ROOT, 'examples', 'scaleout.py')
DOC = os.path.join(ROOT, 'docs', 'scaleout.md')


def _recipe():
    spec = importlib.util.spec_from_file_location('scaleout_recipe', EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cluster():
    return distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                    dashboard_address=None)


@pytest.fixture
def store(tmp_path):
    """A small zarr store of the recipe's data: 60 trials of 20 samples, 8 rows per chunk."""
    path = str(tmp_path / 'trials.zarr')
    _recipe().make_store(path, n_trials=60, depth=20, chunk_rows=8)
    return path


def _assert_same_means(on_cluster: dict, in_process: dict) -> None:
    assert sorted(on_cluster) == sorted(in_process) == ['blue', 'green', 'red']
    for value, mean in on_cluster.items():
        assert mean.shape == (20,)
        assert np.allclose(mean, in_process[value], rtol=1e-12, atol=0)


def test_doc_shows_the_example_verbatim():
    """docs/scaleout.md contains examples/scaleout.py unchanged, so the tested code is the documented code."""
    with open(DOC, encoding='utf-8') as fh:
        blocks = re.findall(r'```python\n(.*?)```', fh.read(), flags=re.S)
    with open(EXAMPLE, encoding='utf-8') as fh:
        assert fh.read() in blocks


def test_recipe_on_a_cluster_matches_in_process(store):
    """Per-condition averages computed by two worker processes equal the DataMatrix results."""
    recipe = _recipe()
    with _cluster() as cluster, distributed.Client(cluster) as client:
        on_cluster = recipe.condition_means_dask(store)
        assert len(client.scheduler_info()['workers']) == 2
    _assert_same_means(on_cluster, recipe.condition_means_in_process(store))


def test_worker_death_is_retried(store, tmp_path):
    """A worker process that dies mid-computation is replaced, its task retried, the result right."""
    import dask
    import dask.array as da

    from datamatrix import convert as cnv
    from datamatrix import io

    marker = str(tmp_path / 'killed')
    client_pid = os.getpid()

    def die_once(block):
        """Kill this worker process the first time any task gets here."""
        if os.getpid() == client_pid or not block.size:
            return block  # never kill the test process itself
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return block
        os.close(fd)
        os._exit(1)

    dm = io.readzarr(store)
    pupil = cnv.to_dask(dm.pupil).map_blocks(die_once, meta=np.empty((0, 0)))
    condition = list(dm.condition)
    means = {value: da.nanmean(pupil[[i for i, c in enumerate(condition) if c == value]],
                               axis=0)
             for value in dm.condition.unique}
    with _cluster() as cluster, distributed.Client(cluster) as client:
        on_cluster = client.compute(means).result(timeout=120)
    assert os.path.exists(marker)  # a worker really died
    _assert_same_means(on_cluster, _recipe().condition_means_in_process(store))
