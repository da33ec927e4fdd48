"""Tests of datamatrix.plot: mean traces with error bands, grouped traces, heatmaps."""
import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from scipy.stats import t as t_dist  # noqa: E402

from datamatrix import DataMatrix, FloatColumn, MultiDimensionalColumn, SeriesColumn, \
    plot  # noqa: E402
from datamatrix._engine.config import cfg  # noqa: E402
from datamatrix.errors import ColumnNotFoundError, LengthMismatchError  # noqa: E402

DEPTH = 7


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure after each test."""
    yield
    plt.close('all')


@pytest.fixture
def png_dir(tmp_path_factory):
    """A directory for PNG files, apart from cfg.tmp_dir (which must end up empty)."""
    return tmp_path_factory.mktemp('png')


@pytest.fixture
def tiny_budget(tmp_path):
    """A budget of 4 KiB, one-row blocks and no pinning; cfg restored afterwards."""
    names = ('memory_limit', 'always_load_max_size', 'save_chunk_size', 'tmp_dir')
    saved = {name: getattr(cfg, name) for name in names}
    cfg.memory_limit, cfg.always_load_max_size = 4096, 0
    cfg.save_chunk_size, cfg.tmp_dir = 8 * 100, str(tmp_path)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)
    assert os.listdir(tmp_path) == []


def make_dm(n=12, depth=DEPTH, seed=1):
    """A DataMatrix with a series ``s`` (a few NaNs) and a condition column ``c``."""
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(n, depth))
    data[0, 1] = np.nan
    data[3, 1] = np.nan
    data[5, 4] = np.nan
    dm = DataMatrix(length=n)
    dm.c = ['b', 'a', 'c'] * (n // 3)
    dm.s = SeriesColumn(depth=depth)
    dm.s = data
    return dm, data


def nan_stats(data):
    """Mean and standard error per sample, ignoring NaNs (the expected values)."""
    count = np.sum(~np.isnan(data), axis=0)
    return np.nanmean(data, axis=0), np.nanstd(data, axis=0, ddof=1) / np.sqrt(count)


def band_edges(collection, x):
    """Lower and upper y of a fill_between band at each x."""
    vertices = np.concatenate([p.vertices for p in collection.get_paths()])
    lower = [vertices[np.isclose(vertices[:, 0], xi), 1].min() for xi in x]
    upper = [vertices[np.isclose(vertices[:, 0], xi), 1].max() for xi in x]
    return np.array(lower), np.array(upper)


# -- trace ---------------------------------------------------------------------------

def test_trace_mean_and_standard_error(storage, png_dir):
    """trace draws the NaN-ignoring mean and a band of mean ± SE, and saves as PNG."""
    dm, data = make_dm()
    storage.prepare(dm.s)
    ax = plot.trace(dm.s, label='all', color='red')
    mean, se = nan_stats(data)
    line, = ax.lines
    np.testing.assert_allclose(line.get_xdata(), np.arange(DEPTH))
    np.testing.assert_allclose(line.get_ydata(), mean)
    np.testing.assert_allclose(line.get_ydata(), dm.s.mean)
    assert line.get_label() == 'all'
    band, = ax.collections
    lower, upper = band_edges(band, np.arange(DEPTH))
    np.testing.assert_allclose(lower, mean - se)
    np.testing.assert_allclose(upper, mean + se)
    assert dm.s.loaded != storage.offloaded
    ax.figure.savefig(png_dir / 'trace.png')
    assert (png_dir / 'trace.png').stat().st_size > 0


def test_trace_confidence_interval_and_no_band():
    """err='ci' widens the band to t(0.975, n-1) * SE; err=False draws no band."""
    dm, data = make_dm()
    mean, se = nan_stats(data)
    count = np.sum(~np.isnan(data), axis=0)
    ax = plot.trace(dm.s, err='ci')
    lower, upper = band_edges(ax.collections[0], np.arange(DEPTH))
    np.testing.assert_allclose(upper - mean, se * t_dist.ppf(0.975, count - 1))
    np.testing.assert_allclose(mean - lower, se * t_dist.ppf(0.975, count - 1))
    _, ax2 = plt.subplots()
    plot.trace(dm.s, err=False, ax=ax2)
    assert len(ax2.lines) == 1 and len(ax2.collections) == 0


def test_trace_float32_and_large_values_are_accurate():
    """A float32 column with a large offset gives the float64 mean and SE."""
    rng = np.random.default_rng(3)
    data = (1e4 + rng.normal(size=(50, 4))).astype(np.float32)
    dm = DataMatrix(length=50)
    dm.s = SeriesColumn(depth=4, dtype=np.float32)
    dm.s = data
    ax = plot.trace(dm.s)
    mean, se = nan_stats(data.astype(float))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), mean, rtol=1e-12)
    lower, upper = band_edges(ax.collections[0], np.arange(4))
    np.testing.assert_allclose(upper - lower, 2 * se, rtol=1e-6)


def test_trace_x_from_index_names_and_argument():
    """Numeric index names are the default x; an explicit x replaces them."""
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(shape=([0.0, 0.5, 1.0],))
    dm.s = [[1, 2, 3], [3, 4, 5], [5, 6, 7]]
    ax = plot.trace(dm.s)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [3, 4, 5])
    ax = plot.trace(dm.s, x=[10, 20, 30])
    np.testing.assert_allclose(ax.lines[-1].get_xdata(), [10, 20, 30])


def test_trace_single_row_and_all_nan_samples():
    """One row gives a line without a band; an all-NaN sample is a gap in the line."""
    dm = DataMatrix(length=1)
    dm.s = SeriesColumn(depth=3)
    dm.s[0] = [1, np.nan, 3]
    ax = plot.trace(dm.s)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1, np.nan, 3])
    assert len(ax.collections) == 0


def test_trace_offloaded_column_larger_than_budget(tiny_budget, png_dir):
    """trace on an offloaded column larger than cfg.memory_limit never loads it."""
    dm, data = make_dm(n=60, depth=100)
    col = dm.s
    assert col._store.nbytes > cfg.memory_limit
    assert not col.loaded
    ax = plot.trace(col)
    assert not col.loaded
    mean, se = nan_stats(data)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), mean)
    lower, upper = band_edges(ax.collections[0], np.arange(100))
    np.testing.assert_allclose(upper, mean + se)
    ax.figure.savefig(png_dir / 'large.png')
    assert not col.loaded


@pytest.mark.parametrize('make, error', [
    (lambda dm: dm.c, TypeError),
    (lambda dm: dm.f, TypeError),
    (lambda dm: dm.m, TypeError),
    (lambda dm: [[1, 2], [3, 4]], TypeError),
    (lambda dm: dm.s[:0], ValueError),
])
def test_trace_bad_input(make, error):
    """Non-series columns, arrays and empty series are refused with clear errors."""
    dm, _ = make_dm()
    dm.f = FloatColumn
    dm.m = MultiDimensionalColumn(shape=(2, 3))
    with pytest.raises(error, match='series|rows'):
        plot.trace(make(dm))


def test_trace_bad_arguments():
    """A bad err value or an x of the wrong length raise clear errors."""
    dm, _ = make_dm()
    with pytest.raises(ValueError, match='err'):
        plot.trace(dm.s, err='sd')
    with pytest.raises(LengthMismatchError, match='one value per sample'):
        plot.trace(dm.s, x=[1, 2])


def test_no_matplotlib_import_until_used():
    """Importing datamatrix and datamatrix.plot does not import matplotlib."""
    code = ('import sys, datamatrix; from datamatrix import plot; '
            'print("matplotlib" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == 'False'


def test_missing_matplotlib_names_the_package(monkeypatch):
    """Without matplotlib a plot function raises ImportError naming matplotlib."""
    dm, _ = make_dm()
    monkeypatch.setitem(sys.modules, 'matplotlib.pyplot', None)
    with pytest.raises(ImportError, match='matplotlib'):
        plot.trace(dm.s)


# -- traces ------------------------------------------------------------------------------

def test_traces_one_line_per_group(storage, png_dir):
    """traces draws one mean line and SE band per group, sorted, with a legend."""
    dm, data = make_dm()
    storage.prepare(dm.s)
    ax = plot.traces(dm, 's', by='c')
    labels = ['a', 'b', 'c']
    assert [line.get_label() for line in ax.lines] == labels
    assert [text.get_text() for text in ax.get_legend().get_texts()] == labels
    assert ax.get_legend().get_title().get_text() == 'c'
    assert len(ax.collections) == 3
    conditions = np.array(dm.c._seq)
    for line, band, label in zip(ax.lines, ax.collections, labels):
        mean, se = nan_stats(data[conditions == label])
        np.testing.assert_allclose(line.get_ydata(), mean)
        lower, upper = band_edges(band, np.arange(DEPTH))
        np.testing.assert_allclose(lower, mean - se)
        np.testing.assert_allclose(upper, mean + se)
    assert dm.s.loaded != storage.offloaded
    ax.figure.savefig(png_dir / 'traces.png')
    assert (png_dir / 'traces.png').stat().st_size > 0


def test_traces_columns_sequences_and_colors():
    """by may be a column or a sequence; numeric groups sort numerically; colors apply."""
    dm, data = make_dm()
    dm.n = [2, 10, 2, 10] * 3
    ax = plot.traces(dm, dm.s, dm.n, colors={2: 'red', 10: 'blue'}, err=False)
    assert [line.get_label() for line in ax.lines] == ['2', '10']
    assert [line.get_color() for line in ax.lines] == ['red', 'blue']
    np.testing.assert_allclose(ax.lines[1].get_ydata(),
                               np.nanmean(data[1::2], axis=0))
    _, ax2 = plt.subplots()
    plot.traces(dm, 's', [0] * 6 + [1] * 6, ax=ax2, legend=False)
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), np.nanmean(data[:6], axis=0))
    assert ax2.get_legend() is None


def test_traces_bad_input():
    """Wrong lengths, empty DataMatrix, unknown names and MD grouping raise clearly."""
    dm, _ = make_dm()
    other = DataMatrix(length=5)
    other.c = 1
    with pytest.raises(LengthMismatchError, match='by has 5 rows'):
        plot.traces(dm, 's', other.c)
    with pytest.raises(LengthMismatchError, match='by has 3 rows'):
        plot.traces(dm, 's', [1, 2, 3])
    with pytest.raises(ValueError, match='no rows'):
        plot.traces(dm[:0], 's', 'c')
    with pytest.raises(ColumnNotFoundError):
        plot.traces(dm, 's', 'nope')
    with pytest.raises(TypeError, match='series'):
        plot.traces(dm, 'c', 'c')
    with pytest.raises(TypeError, match='one-dimensional'):
        plot.traces(dm, 's', 's')


# -- heatmap ---------------------------------------------------------------------------

def test_heatmap_series_full_and_downsampled(storage, png_dir):
    """A small series is shown whole; with max_size, evenly spaced rows/samples."""
    data = np.arange(60.0).reshape(10, 6)
    dm = DataMatrix(length=10)
    dm.s = SeriesColumn(depth=6)
    dm.s = data
    storage.prepare(dm.s)
    ax = plot.heatmap(dm.s)
    np.testing.assert_array_equal(ax.images[0].get_array(), data)
    assert ax.images[0].get_extent() == [-0.5, 5.5, 9.5, -0.5]
    _, ax2 = plt.subplots()
    plot.heatmap(dm.s, max_size=(4, 3), ax=ax2, colorbar=False)
    rows, samples = [1, 3, 6, 8], [1, 3, 5]
    np.testing.assert_array_equal(ax2.images[0].get_array(), data[np.ix_(rows, samples)])
    assert ax2.images[0].get_extent() == [-0.5, 5.5, 9.5, -0.5]
    assert dm.s.loaded != storage.offloaded
    ax.figure.savefig(png_dir / 'heatmap.png')
    assert (png_dir / 'heatmap.png').stat().st_size > 0


def test_heatmap_limits_image_to_axes_pixels(tiny_budget):
    """Without max_size the image is no larger than the Axes in pixels; no load."""
    dm, data = make_dm(n=600, depth=700)
    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    plot.heatmap(dm.s, ax=ax, colorbar=False)
    box = ax.get_window_extent()
    image = ax.images[0].get_array()
    assert image.shape == (int(box.height), int(box.width))
    assert not dm.s.loaded


def test_heatmap_one_cell_of_a_3d_column(storage):
    """For a column with 2-D cells, heatmap shows the cell of the given row."""
    dm = DataMatrix(length=3)
    dm.m = MultiDimensionalColumn(shape=(('x', 'y'), 4))
    dm.m = np.arange(24.0).reshape(3, 2, 4)
    storage.prepare(dm.m)
    ax = plot.heatmap(dm.m, row=1, x=[0, 10, 20, 30])
    np.testing.assert_array_equal(ax.images[0].get_array(), np.arange(8.0, 16.0)
                                  .reshape(2, 4))
    assert ax.images[0].get_extent() == [-5.0, 35.0, 1.5, -0.5]


@pytest.mark.parametrize('make, kwargs, error', [
    (lambda dm: dm.c, {}, TypeError),
    (lambda dm: dm.s[:0], {}, ValueError),
    (lambda dm: dm.s, {'row': 0}, ValueError),
    (lambda dm: dm.m, {}, ValueError),
    (lambda dm: dm.m, {'row': 99}, IndexError),
    (lambda dm: dm.m, {'row': 'a'}, TypeError),
    (lambda dm: dm.m4, {'row': 0}, ValueError),
])
def test_heatmap_bad_input(make, kwargs, error):
    """1-D columns, empty columns, misplaced or bad rows and 3-D cells are refused."""
    dm, _ = make_dm()
    dm.m = MultiDimensionalColumn(shape=(2, 3))
    dm.m4 = MultiDimensionalColumn(shape=(2, 2, 2))
    with pytest.raises(error):
        plot.heatmap(make(dm), **kwargs)


def test_plot_demo_example_writes_the_readme_figure(png_dir):
    """examples/plot_demo.py builds two conditions of traces and saves a PNG of them."""
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'examples', 'plot_demo.py')
    spec = importlib.util.spec_from_file_location('plot_demo', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dm = module.make_data(n_trials=10)
    ax = plot.traces(dm, 'pupil', by='condition')
    assert [line.get_label() for line in ax.lines] == ['bright', 'dark']
    np.testing.assert_allclose(ax.lines[0].get_xdata()[:3], [0.0, 0.01, 0.02])
    module.main(str(png_dir / 'traces.png'))
    assert (png_dir / 'traces.png').stat().st_size > 10000
