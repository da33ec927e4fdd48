"""The names old scripts and client packages import (SPEC 14.1, issue 12).

``datamatrix.py3compat``, ``datamatrix.colors.tango``, the per-trace functions of
``datamatrix.series``, the reference's plot helpers and ``NiftiColumn``.
"""
import importlib
import logging
import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from datamatrix import DataMatrix, NiftiColumn, SeriesColumn, plot  # noqa: E402
from datamatrix import series as srs  # noqa: E402
from datamatrix.errors import InvalidValueError, LengthMismatchError  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure after each test."""
    yield
    plt.close('all')


# ---------------------------------------------------------------------------
# py3compat
# ---------------------------------------------------------------------------

def test_py3compat_star_import():
    """``from datamatrix.py3compat import *`` gives exactly the names of SPEC 14.1."""
    namespace = {}
    exec('from datamatrix.py3compat import *', namespace)
    names = set(namespace) - {'__builtins__'}
    assert names == {'py3', 'basestring', 'long', 'safe_decode', 'safe_encode',
                     'safe_str', 'safe_sorted', 'universal_newline_mode', 'warn',
                     'safe_open', 'logger'}
    assert namespace['py3'] is True
    assert namespace['basestring'] is str and namespace['long'] is int
    assert namespace['logger'] is logging.getLogger('datamatrix')


def test_py3compat_functions(tmp_path):
    """The string helpers, sorting of mixed types, warn and safe_open."""
    from datamatrix.py3compat import (safe_decode, safe_encode, safe_open, safe_sorted,
                                      safe_str, warn)
    assert safe_decode(b'caf\xc3\xa9') == 'café'
    assert safe_decode('x') == 'x' and safe_decode(12) == '12'
    assert safe_decode(b'\xff', errors='replace') == '\ufffd'
    with pytest.raises(UnicodeDecodeError):
        safe_decode(b'\xff')
    assert safe_decode(b'\xe9', enc='latin-1') == 'é'
    assert safe_encode('café') == b'caf\xc3\xa9' and safe_encode(b'x') == b'x'
    assert safe_str(b'a') == 'a'
    assert safe_sorted([3, 1, 2]) == [1, 2, 3]
    assert safe_sorted([2, 'b', 1.5, 'a', None]) == [1.5, 2, None, 'a', 'b']
    assert safe_sorted(['b', 2, 'a'], reverse=True) == ['b', 'a', 2]
    with pytest.warns(UserWarning, match='careful'):
        warn('careful')
    path = tmp_path / 'text.txt'
    with safe_open(path, 'w') as f:
        f.write('é')
    assert path.read_bytes() == b'\xc3\xa9'
    with safe_open(path) as f:
        assert f.read() == 'é'


# ---------------------------------------------------------------------------
# colors
# ---------------------------------------------------------------------------

def test_tango_palette():
    """The Tango colours under the reference's names, shades indexed from 1."""
    from matplotlib.colors import to_rgb

    from datamatrix.colors import tango
    from datamatrix.colors.tango import blue, gray, green, orange, red
    assert (blue[1], blue[2], blue[3]) == ('#729fcf', '#3465a4', '#204a87')
    assert (orange[1], green[2], red[3]) == ('#fcaf3e', '#73d216', '#a40000')
    assert blue[0] == blue[1] and blue[-1] == blue[3]
    assert tango.skyblue is blue and tango.scarletred is red and tango.grey is gray
    assert len(gray) == 6 and gray[6] == '#2e3436' and tango.aluminium[1] == '#eeeeec'
    assert tango.butter[2] == tango.yellow2 == '#edd400'
    assert tango.chocolate[3] == tango.brown3 == '#8f5902'
    assert tango.plum[1] == tango.purple1 == '#ad7fa8'
    for name in ('butter', 'orange', 'chocolate', 'chameleon', 'skyblue', 'plum',
                 'scarletred', 'aluminium'):
        for shade in getattr(tango, name):
            assert len(to_rgb(shade)) == 3  # a colour matplotlib accepts
    with pytest.raises(IndexError):
        blue[4]


# ---------------------------------------------------------------------------
# per-trace series functions
# ---------------------------------------------------------------------------

@pytest.mark.filterwarnings('ignore:Mean of empty slice:RuntimeWarning')
@pytest.mark.filterwarnings('ignore:All-NaN slice:RuntimeWarning')
def test_per_trace_functions_match_the_column_functions():
    """Each ``_name(trace)`` equals row 0 of ``name(column)`` on the same trace."""
    rng = np.random.default_rng(1)
    trace = 5000 + rng.normal(0, 20, 300).cumsum()
    trace[100:120] = np.nan  # a blink
    trace[250] = np.nan
    dm = DataMatrix(length=1)
    dm.s = SeriesColumn(depth=300)
    dm.s[0] = trace
    for private, public, kwargs in [
            (srs._smooth, srs.smooth, dict(winlen=5)),
            (srs._smooth, srs.smooth, dict(winlen=11, wintype='flat')),
            (srs._downsample, srs.downsample, dict(by=10)),
            (srs._downsample, srs.downsample, dict(by=7, fnc=np.nanmax)),
            (srs._interpolate, srs.interpolate, {}),
            (srs._blinkreconstruct, srs.blinkreconstruct, dict(mode='advanced'))]:
        result = private(trace.copy(), **kwargs)
        assert isinstance(result, np.ndarray) and result.ndim == 1
        np.testing.assert_array_equal(result, public(dm.s, **kwargs)[0])
    assert srs._downsample(trace, 10).shape == (30,)
    assert not np.isnan(srs._interpolate(trace)).any()
    assert srs._smooth([1., 2, 3, 4, 5], 3, 'flat')[0] == pytest.approx(5 / 3)


def test_per_trace_positional_arguments_and_input():
    """Positional ``by``/``winlen``; the input is not modified; lists work."""
    trace = np.arange(20.)
    np.testing.assert_array_equal(srs._downsample(trace, 5), [2, 7, 12, 17])
    np.testing.assert_array_equal(srs._downsample(trace, 5, np.nanmin), [0, 5, 10, 15])
    np.testing.assert_array_equal(srs._interpolate([np.nan, 1., np.nan, 3.]),
                                  [1, 1, 2, 3])
    assert srs._smooth(trace, 1) is not trace
    np.testing.assert_array_equal(trace, np.arange(20.))


def test_per_trace_blinkreconstruct_modes():
    """The advanced mode fills a blink; the original mode warns; bad modes raise."""
    trace = np.full(400, 4000.)
    trace[150:180] = np.nan
    result = srs._blinkreconstruct(trace, mode='advanced')
    assert result.shape == (400,)
    assert np.nanmax(np.abs(result - 4000)) < 1e-6
    with pytest.warns(UserWarning, match='advanced'):
        srs._blinkreconstruct(trace)
    with pytest.raises(ValueError):
        srs._blinkreconstruct(trace, mode='magic')


def test_per_trace_functions_need_one_trace():
    """A 2-D array is not one trace: ValueError naming the column function."""
    for fnc, args in [(srs._smooth, ()), (srs._downsample, (2,)),
                      (srs._interpolate, ()), (srs._blinkreconstruct, ())]:
        with pytest.raises(ValueError, match='one trace'):
            fnc(np.zeros((2, 30)), *args)
    with pytest.raises(TypeError):
        srs._smooth('abc')


# ---------------------------------------------------------------------------
# plot helpers of the reference
# ---------------------------------------------------------------------------

def test_plot_new_and_save(tmp_path):
    """``new`` opens a figure of the given size; ``save`` writes PNG and SVG, closes."""
    assert tuple(plot.new().get_size_inches()) == (8, 4)
    figure = plot.new(size=(6, 3))
    assert plt.gcf() is figure
    assert tuple(figure.get_size_inches()) == (6, 3)
    plt.plot([0, 1], [1, 0])
    folder = tmp_path / 'figures'
    paths = plot.save('lines', folder=folder)
    assert paths == [str(folder / 'lines.png'), str(folder / 'lines.svg')]
    assert (folder / 'lines.png').read_bytes()[:4] == b'\x89PNG'
    assert b'<svg' in (folder / 'lines.svg').read_bytes()[:500]
    assert not plt.fignum_exists(figure.number)  # closed after saving
    with pytest.raises(ValueError):
        plot.save('', folder=folder)


def test_plot_save_default_folder(tmp_path, monkeypatch):
    """The default folder is ``plot`` in the working directory."""
    monkeypatch.chdir(tmp_path)
    plot.new()
    plot.save('x')
    assert sorted(os.listdir(tmp_path / 'plot')) == ['x.png', 'x.svg']


def _spans(patches):
    """(x0, x1) of each axvspan patch."""
    spans = []
    for patch in patches:
        xs = patch.get_xy()[:, 0] if hasattr(patch, 'get_xy') and \
            np.ndim(patch.get_xy()) == 2 else [patch.get_x(), patch.get_x() +
                                               patch.get_width()]
        spans.append((min(xs), max(xs)))
    return spans


def test_plot_threshold_column(storage):
    """One band per run of set samples (set in any row), half a sample wider."""
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=10)
    dm.s = [[0, 1, 1, 0, 0, 0, 0, 0, 1, 1],
            [0, 0, 1, 1, 0, 0, 0, 0, 0, 0]]
    storage.prepare(dm.s)
    from datamatrix.colors.tango import red
    patches = plot.threshold(dm.s, color=red[2], alpha=.5)
    ax = plt.gca()
    assert len(patches) == 2 and all(p in ax.patches for p in patches)
    assert _spans(patches) == [(0.5, 3.5), (7.5, 9.5)]
    assert patches[0].get_alpha() == .5
    assert matplotlib.colors.to_hex(patches[0].get_facecolor()) == red[2]


def test_plot_threshold_array_and_x():
    """A 1-D array with x coordinates; y1/y2 as fractions of the Axes."""
    figure, ax = plt.subplots()
    patches = plot.threshold(np.array([1, 0, np.nan, 1]), x=[0, 10, 20, 30], y1=.2,
                             y2=.4, ax=ax)
    assert _spans(patches) == [(-5, 5), (25, 35)]
    assert len(ax.patches) == 2 and plt.gca() is ax
    ys = patches[0].get_xy()[:, 1] if np.ndim(patches[0].get_xy()) == 2 else \
        [patches[0].get_y(), patches[0].get_y() + patches[0].get_height()]
    assert (min(ys), max(ys)) == pytest.approx((.2, .4))
    assert plot.threshold(np.zeros(5)) == []
    with pytest.raises(LengthMismatchError):
        plot.threshold(np.ones(3), x=[1, 2])
    with pytest.raises(TypeError):
        plot.threshold(np.ones((2, 2)))


def test_plot_regplot():
    """Scatter points and the least-squares line; linregress's numbers returned."""
    dm = DataMatrix(length=6)
    dm.x = 1, 2, 3, 4, 5, 'skip'
    dm.y = 3, 5, 7.5, 9, 11, 0
    dm.label = 'a', 'b', 'c', 'd', 'e', 'f'
    slope, intercept, r, p, se = plot.regplot(dm, 'x', 'y', annotate='label')
    xs, ys = np.array([1, 2, 3, 4, 5.]), np.array([3, 5, 7.5, 9, 11])
    expected_slope, expected_intercept = np.polyfit(xs, ys, 1)
    assert slope == pytest.approx(expected_slope)
    assert intercept == pytest.approx(expected_intercept)
    assert r == pytest.approx(np.corrcoef(xs, ys)[0, 1])
    assert 0 <= p < .001 and se > 0
    ax = plt.gca()
    points, line = ax.lines
    np.testing.assert_array_equal(points.get_xdata(), xs)
    np.testing.assert_array_equal(points.get_ydata(), ys)
    assert line.get_linestyle() == '--'
    np.testing.assert_allclose(line.get_ydata(), intercept + slope * np.array([1, 5]))
    assert [t.get_text() for t in ax.texts] == ['a', 'b', 'c', 'd', 'e']
    with pytest.raises(ValueError, match='two rows'):
        plot.regplot(dm[:1], 'x', 'y')


# ---------------------------------------------------------------------------
# NiftiColumn
# ---------------------------------------------------------------------------

def test_nifti_column_images_and_mean():
    """Cells hold images; the ellipsis mean is a voxel-wise NaN-ignoring mean image."""
    nibabel = pytest.importorskip('nibabel')
    affine = np.diag([2., 2., 2., 1.])
    a = np.arange(8.).reshape(2, 2, 2)
    b = np.full((2, 2, 2), 3.)
    b[0, 0, 0] = np.nan
    dm = DataMatrix(length=3)
    dm.img = NiftiColumn
    assert type(dm.img) is NiftiColumn and list(dm.img) == [None] * 3
    dm.img[0] = nibabel.Nifti1Image(a, affine)
    dm.img[1] = nibabel.Nifti1Image(b, affine)
    mean = dm.img[...]
    assert isinstance(mean, nibabel.Nifti1Image)
    expected = np.nanmean(np.stack([a, b]), axis=0)
    np.testing.assert_allclose(mean.get_fdata(), expected)
    np.testing.assert_array_equal(mean.affine, affine)
    assert dm.img.mean.shape == (2, 2, 2)
    # selections keep the type and cells
    subset = dm.img[1:]
    assert type(subset) is NiftiColumn and len(subset) == 2 and subset[1] is None
    assert 'Nifti1Image (2, 2, 2)' in str(dm)
    assert len(dm.img == type(None)) == 1


def test_nifti_column_paths_load_lazily(tmp_path):
    """Paths are stored as given and loaded on reading; nibabel's test images work."""
    nibabel = pytest.importorskip('nibabel')
    from nibabel.testing import data_path
    anatomical = os.path.join(data_path, 'anatomical.nii')
    dm = DataMatrix(length=2)
    dm.img = NiftiColumn
    dm.img = anatomical, None
    assert dm.img._seq[0] == anatomical  # not loaded by assigning
    image = dm.img[0]
    reference = nibabel.load(anatomical)
    assert image.shape == reference.shape == (33, 41, 25)
    np.testing.assert_array_equal(image.get_fdata(), reference.get_fdata())
    np.testing.assert_allclose(dm.img[...].get_fdata(), reference.get_fdata())
    # a pathlib path and a file written in the test
    path = tmp_path / 'small.nii.gz'
    nibabel.save(nibabel.Nifti1Image(np.ones((2, 3, 4), np.float32), np.eye(4)), path)
    dm.img[1] = path
    assert dm.img[1].shape == (2, 3, 4)
    with pytest.raises(InvalidValueError, match='shapes'):
        dm.img.mean


def test_nifti_column_bad_values_and_operations():
    """Other values -> TypeError; arithmetic and other statistics are not supported."""
    pytest.importorskip('nibabel')
    dm = DataMatrix(length=2)
    dm.img = NiftiColumn
    with pytest.raises(TypeError, match='NiftiColumn'):
        dm.img[0] = 3
    with pytest.raises(TypeError):
        dm.img + 1
    with pytest.raises(NotImplementedError):
        dm.img.std
    assert dm.img.mean is None  # no images
    assert list(dm.img) == [None, None]


def test_nifti_without_nibabel_names_the_extra():
    """Without nibabel: importing datamatrix works; creating a column names the extra."""
    code = ('import sys; sys.modules["nibabel"] = None\n'
            'from datamatrix import DataMatrix, NiftiColumn\n'
            'dm = DataMatrix(length=1)\n'
            'try:\n'
            '    dm.img = NiftiColumn\n'
            'except ImportError as exc:\n'
            '    print(exc)\n'
            'print(dm.column_names)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert 'pip install "datamatrix[nifti]"' in out and '[]' in out


def test_import_datamatrix_stays_light():
    """The new modules import nothing heavy at ``import datamatrix``."""
    code = ('import sys, datamatrix, datamatrix.plot, datamatrix.colors, '
            'datamatrix.py3compat\n'
            'print(sorted(m for m in ("nibabel", "matplotlib", "mne", "scipy") '
            'if m in sys.modules))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'
    assert importlib.import_module('datamatrix').NiftiColumn is NiftiColumn
