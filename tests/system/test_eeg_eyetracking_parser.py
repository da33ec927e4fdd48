"""``eeg_eyetracking_parser`` (a real client package) imports and works with our columns.

It needs ``braindecode`` (and so torch) as a dependency, too heavy for CI, so
``.ci/run`` installs it with ``--no-deps``; its ``import`` only needs packages of
the test extra (``eyelinkparser``, ``mne``, ``autoreject``). Outside CI the test
is skipped when the package is not installed.
"""
import os
import warnings

import numpy as np
import pytest

from datamatrix import DataMatrix, FloatColumn, MultiDimensionalColumn, SeriesColumn

if os.environ.get('CI'):
    import eeg_eyetracking_parser as eep
else:
    eep = pytest.importorskip('eeg_eyetracking_parser',
                              reason='eeg_eyetracking_parser is installed by .ci/run')
mne = pytest.importorskip('mne')


def test_its_series_column_check_accepts_our_columns():
    """The ``_SeriesColumn`` it imports from the 1.0 path recognises our series columns."""
    from eeg_eyetracking_parser import _parsing
    dm = DataMatrix(length=2)
    dm.pupil = SeriesColumn(depth=3)
    dm.erp = MultiDimensionalColumn(shape=(2, 3))
    dm.rt = FloatColumn
    assert isinstance(dm.pupil, _parsing._SeriesColumn)
    assert not isinstance(dm.erp, _parsing._SeriesColumn)
    assert not isinstance(dm.rt, _parsing._SeriesColumn)


def _epochs(n_epochs=4, n_channels=3, n_times=5):
    rng = np.random.default_rng(0)
    info = mne.create_info([f'ch{i}' for i in range(n_channels)], sfreq=100.0,
                           ch_types='eeg')
    data = rng.normal(size=(n_epochs, n_channels, n_times))
    metadata = __import__('pandas').DataFrame({'trial': range(n_epochs)})
    return mne.EpochsArray(data, info, metadata=metadata, baseline=None,
                           verbose=False), data


def test_epochs_to_series_fills_our_series_column():
    """``epochs_to_series`` builds our column and writes it through ``_seq``."""
    epochs, data = _epochs()
    dm = DataMatrix(length=4)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        dm.erp = eep.epochs_to_series(dm, epochs)
    assert isinstance(dm.erp, SeriesColumn)
    np.testing.assert_allclose(np.asarray(dm.erp), data.mean(axis=1))


def test_tfr_to_surface_fills_our_multidimensional_column():
    """``tfr_to_surface`` builds a 2-D cell column (frequencies x times)."""
    epochs, _ = _epochs()
    rng = np.random.default_rng(1)
    tfr_data = rng.random(size=(4, 3, 2, 5))
    tfr = mne.time_frequency.EpochsTFRArray(epochs.info, tfr_data, epochs.times,
                                             freqs=np.array([4.0, 8.0]),
                                             metadata=epochs.metadata)
    dm = DataMatrix(length=4)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        dm.tfr = eep.tfr_to_surface(dm, tfr)
    assert dm.tfr.shape == (4, 2, 5)
    np.testing.assert_allclose(np.asarray(dm.tfr), tfr_data.mean(axis=1))
