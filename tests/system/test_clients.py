"""Client packages, installed as their users install them, run on our package (issue 12).

* ``eyelinkparser`` (PyPI) parses a synthetic EyeLink ASCII recording written by the
  test: trials with ``var`` messages, two phases, samples, a blink and fixations,
  with blink reconstruction and downsampling (``datamatrix.series._blinkreconstruct``
  and ``_downsample``), once with the default budget and once with a tiny one (every
  series column offloaded), with identical results;
* the MNE conversions of ``datamatrix.convert`` (SPEC 10.3) on real ``mne.EpochsArray``
  and ``mne.time_frequency.EpochsTFRArray`` objects.
"""
import gc
import os
import warnings

import numpy as np
import pytest

from datamatrix import DataMatrix, FloatColumn, IntColumn, MixedColumn, SeriesColumn
from datamatrix import convert as cnv
from datamatrix import series as srs
from datamatrix._engine.config import cfg

# ---------------------------------------------------------------------------
# eyelinkparser
# ---------------------------------------------------------------------------

BASELINE, TARGET = 100, 300   # samples per phase (1000 Hz)
BLINK = (120, 180)            # the blink of trial 2: target samples 120..179 missing
FIXATIONS = [(10, 90, 500.0, 400.0), (150, 290, 620.5, 350.0)]  # target-relative
TRIALS = [  # file, trial id, condition, rt, comment
    ('a.asc', 1, 'blue', 501, 'fast one'),
    ('a.asc', 2, 'red', 502, 'with blink'),
    ('a.asc', 3, 'blue', 503, 'slow'),
    ('b.asc', 4, 'red', 504, 'second file'),
]


def _pupil(trial_id):
    return 4000.0 + 100 * trial_id


def _target_pupil(trial_id):
    """The raw target-phase pupil trace (NaN where the tracker lost the pupil)."""
    trace = np.full(TARGET, _pupil(trial_id))
    if trial_id == 2:
        start, end = BLINK
        # the lid closes and opens fast: pupil size drops/rises over 8 samples
        trace[start - 8:start] = np.linspace(_pupil(2), 800, 8)
        trace[start:end] = np.nan
        trace[end:end + 8] = np.linspace(800, _pupil(2), 8)
    return trace


def _sample(t, x, y, pupil):
    if np.isnan(pupil):
        return f'{t}\t   .\t   .\t    0.0\t...'
    return f'{t}\t  {x:.1f}\t  {y:.1f}\t {pupil:.1f}\t...'


def _write_recordings(folder):
    """Write the EyeLink ASCII files of TRIALS; return the phase onsets per trial."""
    onsets = {}
    files = {}
    t = 2_000_000
    for name, trial_id, condition, rt, comment in TRIALS:
        lines = files.setdefault(name, [
            '** CONVERTED FROM D:\\data\\sub.edf using edfapi 4.2.1 Win32',
            '** DATE: Fri Dec  4 10:00:00 2026', '**',
            'MSG\t%d DISPLAY_COORDS 0 0 1279 1023' % (t - 50),
            'START\t%d \tRIGHT\tSAMPLES\tEVENTS' % (t - 10),
            'SAMPLES\tGAZE\tRIGHT\tRATE\t1000.00\tTRACKING\tCR\tFILTER\t2'])
        lines.append(f'MSG\t{t} start_trial {trial_id}')
        lines.append(f'{t}\t  1.0\t  1.0\t 1.0\t...')  # outside any phase: ignored
        lines.append(f'MSG\t{t + 1} var condition {condition}')
        lines.append(f'MSG\t{t + 2} var rt {rt}')
        lines.append(f'MSG\t{t + 3} var comment {comment}')
        t += 10
        # phase 1: baseline, gaze and pupil constant
        onsets[trial_id, 'baseline'] = t
        lines.append(f'MSG\t{t} start_phase baseline')
        for i in range(BASELINE):
            lines.append(_sample(t + i, 512.0 + trial_id, 384.0, _pupil(trial_id)))
        t += BASELINE
        lines.append(f'MSG\t{t} end_phase baseline')
        t += 20
        # phase 2: target, horizontal gaze moves one pixel per sample
        onsets[trial_id, 'target'] = t
        lines.append(f'MSG\t{t} start_phase target')
        pupil = _target_pupil(trial_id)
        events = {}
        for st, et, x, y in FIXATIONS:
            events.setdefault(st, []).append(f'SFIX R   {t + st}')
            events.setdefault(et, []).append(
                f'EFIX R   {t + st}\t{t + et}\t{et - st + 1}\t  {x:.1f}\t  {y:.1f}\t'
                f'   {int(_pupil(trial_id))}')
        if trial_id == 2:
            start, end = BLINK
            events.setdefault(start, []).append(f'SBLINK R {t + start}')
            events.setdefault(end, []).append(
                f'EBLINK R {t + start}\t{t + end - 1}\t{end - start}')
        for i in range(TARGET):
            lines.extend(events.get(i, []))
            lines.append(_sample(t + i, float(i), 300.0, pupil[i]))
        t += TARGET
        lines.append(f'MSG\t{t} end_phase target')
        lines.append(f'MSG\t{t + 1} end_trial')
        t += 1000
    for name, lines in files.items():
        with open(os.path.join(folder, name), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return onsets


def _parse(folder):
    import eyelinkparser
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # e.g. eyelinkparser's own deprecation notes
        return eyelinkparser.parse(
            folder=str(folder),
            traceprocessor=eyelinkparser.defaulttraceprocessor(
                blinkreconstruct=True, downsample=10, mode='advanced'))


def _check_parsed(dm, onsets):
    """The parsed DataMatrix holds what the recordings say."""
    assert len(dm) == len(TRIALS)
    assert list(dm.trialid) == [trial[1] for trial in TRIALS]
    assert list(dm.condition) == [trial[2] for trial in TRIALS]
    assert list(dm.rt) == [trial[3] for trial in TRIALS]
    # eyelinkparser calls auto_type(dm) but drops its result (a new DataMatrix, SPEC
    # 7.1, as in the reference), so the values keep their MixedColumn
    assert list(dm.comment) == [trial[4] for trial in TRIALS]
    assert type(dm.comment) is MixedColumn
    assert [os.path.basename(p) for p in dm.path] == [trial[0] for trial in TRIALS]
    assert list(dm.data_error) == [0] * len(TRIALS)
    for row, (_, trial_id, *_rest) in enumerate(TRIALS):
        for phase, length in (('baseline', BASELINE), ('target', TARGET)):
            onset = onsets[trial_id, phase]
            assert dm[f't_onset_{phase}'][row] == onset
            assert dm[f't_offset_{phase}'][row] == onset + length
            assert dm[f'trace_length_{phase}'][row] == length
    # traces are downsampled by 10
    for prefix in 'ptrace_', 'xtrace_', 'ytrace_', 'ttrace_':
        assert isinstance(dm[prefix + 'baseline'], SeriesColumn)
        assert dm[prefix + 'baseline'].depth == BASELINE // 10
        assert dm[prefix + 'target'].depth == TARGET // 10
    bins = np.arange(TARGET // 10)
    for row, (_, trial_id, *_rest) in enumerate(TRIALS):
        np.testing.assert_array_equal(dm.ptrace_baseline[row], _pupil(trial_id))
        np.testing.assert_array_equal(dm.xtrace_baseline[row], 512.0 + trial_id)
        # x moves one pixel per sample: the mean of a bin of 10 is 10 * bin + 4.5;
        # gaze is missing ('.') during the blink: NaN in the bins 12-17 of trial 2
        expected_x, expected_y = 10 * bins + 4.5, np.full(len(bins), 300.0)
        if trial_id == 2:
            expected_x[12:18] = expected_y[12:18] = np.nan
        np.testing.assert_allclose(dm.xtrace_target[row], expected_x)
        np.testing.assert_array_equal(dm.ytrace_target[row], expected_y)
        # time stamps start at 0 at the phase onset
        np.testing.assert_allclose(dm.ttrace_target[row], 10 * bins + 4.5)
        np.testing.assert_allclose(dm.ttrace_baseline[row],
                                   10 * np.arange(BASELINE // 10) + 4.5)
        # two fixations per target phase; start/end times relative to the onset
        np.testing.assert_array_equal(dm.fixxlist_target[row], [500.0, 620.5])
        np.testing.assert_array_equal(dm.fixylist_target[row], [400.0, 350.0])
        np.testing.assert_array_equal(dm.fixstlist_target[row], [10, 150])
        np.testing.assert_array_equal(dm.fixetlist_target[row], [90, 290])
    # the pupil traces without a blink are untouched by the reconstruction
    for row in (0, 2, 3):
        np.testing.assert_allclose(dm.ptrace_target[row], _pupil(TRIALS[row][1]))
    # the blink (trial 2): reconstructed by our series._blinkreconstruct, then
    # downsampled by our series._downsample, exactly as eyelinkparser asks
    raw = _target_pupil(2)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        expected = srs._downsample(srs._blinkreconstruct(raw, mode='advanced'), 10)
    np.testing.assert_array_equal(dm.ptrace_target[1], expected)
    blink_bins = slice((BLINK[0] - 8) // 10, (BLINK[1] + 8) // 10 + 1)
    reconstructed = dm.ptrace_target[1][blink_bins]
    # no bin of the blink keeps the lid's dip to 800: filled in, or NaN at most
    assert np.all(np.isnan(reconstructed) | (reconstructed > 0.95 * _pupil(2)))
    assert np.isfinite(reconstructed).any()
    np.testing.assert_allclose(dm.ptrace_target[1][:8], _pupil(2))
    np.testing.assert_allclose(dm.ptrace_target[1][-8:], _pupil(2))
    # the blink's start and end times (eyelinkparser leaves them absolute)
    assert dm.blinkstlist_target[1][0] == onsets[2, 'target'] + BLINK[0]
    assert dm.blinketlist_target[1][0] == onsets[2, 'target'] + BLINK[1] - 1
    assert dm.blinkstlist_target.depth == 1
    assert np.isnan(dm.blinkstlist_target[0][0])


def _columns(dm):
    """Every column as a comparable value: lists for 1-D, arrays for series."""
    result = {}
    for name, col in dm.columns:
        if isinstance(col, SeriesColumn):
            result[name] = ('series', col.shape, np.array(col.array))
        else:
            result[name] = (type(col).__name__, list(col))
    return result


@pytest.fixture
def tiny_budget(tmp_path):
    """Everything but empty arrays offloaded to spill files; cfg restored after."""
    names = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir')
    saved = {name: getattr(cfg, name) for name in names}
    spill = tmp_path / 'spill'
    spill.mkdir()
    try:
        yield spill
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)
        gc.collect()
        assert os.listdir(spill) == [], 'spill files were left behind'


def test_eyelinkparser_imports_our_package():
    """eyelinkparser imports unchanged and uses our modules."""
    import eyelinkparser
    import eyelinkparser._eyelinkparser as parser_module
    import datamatrix
    assert parser_module.DataMatrix is datamatrix.DataMatrix
    assert parser_module.SeriesColumn is datamatrix.SeriesColumn
    assert callable(eyelinkparser.defaulttraceprocessor(blinkreconstruct=True))


def test_eyelinkparser_parse_and_tiny_budget(tmp_path, tiny_budget, capsys):
    """A parse gives the recorded values; under a tiny budget exactly the same."""
    folder = tmp_path / 'data'
    folder.mkdir()
    onsets = _write_recordings(folder)
    dm = _parse(folder)
    _check_parsed(dm, onsets)
    reference = _columns(dm)
    assert all(dm[name].loaded for name in dm.column_names
               if isinstance(dm[name], SeriesColumn))
    del dm
    # again, with every series column spilled to disk
    cfg.tmp_dir = str(tiny_budget)
    cfg.always_load_max_size = 0
    cfg.never_load_min_size = 0
    cfg.memory_limit = 2 ** 16
    cfg.save_chunk_size = 256
    dm = _parse(folder)
    offloaded = [name for name in dm.column_names
                 if isinstance(dm[name], SeriesColumn) and not dm[name].loaded]
    assert 'ptrace_target' in offloaded and 'xtrace_baseline' in offloaded
    _check_parsed(dm, onsets)
    again = _columns(dm)
    assert list(again) == list(reference)
    for name, value in reference.items():
        assert again[name][:-1] == value[:-1], name
        if value[0] == 'series':
            np.testing.assert_array_equal(again[name][2], value[2], err_msg=name)
        else:
            assert again[name][1] == value[1], name
    del dm
    capsys.readouterr()  # eyelinkparser prints a dot per trial


# ---------------------------------------------------------------------------
# MNE (SPEC 10.3)
# ---------------------------------------------------------------------------

def _epochs_dm(mne, n=5, drop=(1,)):
    """A DataMatrix of n rows and EpochsArray made from it, with ``drop`` rejected."""
    dm = DataMatrix(length=n)
    dm.trial = range(n)
    dm.condition = ['a', 'b'] * (n // 2) + ['a'] * (n % 2)
    info = mne.create_info(['Fz', 'Cz', 'Pz'], sfreq=100.0, ch_types='eeg')
    data = np.arange(n * 3 * 4, dtype=float).reshape(n, 3, 4) * 1e-6
    epochs = mne.EpochsArray(data, info, tmin=-0.01, metadata=cnv.to_pandas(dm),
                             verbose=False)
    if drop:
        epochs.drop(list(drop), verbose=False)
    return dm, epochs, data


def test_from_mne_epochs_rows_names_and_rejected_epochs(storage):
    """Epoch data go to their metadata rows; rejected epochs leave NaN rows."""
    mne = pytest.importorskip('mne')
    dm, epochs, data = _epochs_dm(mne)
    dm.erp = cnv.from_mne_epochs(epochs)
    storage.prepare(dm.erp)
    assert type(dm.erp).__name__ == '_MultiDimensionalColumn'
    assert dm.erp.shape == (5, 3, 4)
    assert dm.erp.index_names[0] == ['Fz', 'Cz', 'Pz']
    np.testing.assert_allclose(dm.erp.index_names[1], [-0.01, 0, 0.01, 0.02])
    assert dm.erp.metadata is epochs.info
    for row in (0, 2, 3, 4):
        np.testing.assert_array_equal(dm.erp[row], data[row])
    assert np.isnan(dm.erp[1]).all()
    # names index the channel axis; ellipsis averaging skips the rejected row
    assert type(dm.erp[:, 'Cz', 0]) is FloatColumn
    np.testing.assert_array_equal(dm.erp[:, 'Cz', 0].array, [
        data[0, 1, 0], np.nan, data[2, 1, 0], data[3, 1, 0], data[4, 1, 0]])
    np.testing.assert_allclose(dm.erp[..., 'Pz'], data[[0, 2, 3, 4], 2].mean(axis=0))
    # selecting rows by metadata works on the MNE side too
    condition_a = epochs['condition == "a"']
    dm.erp_a = cnv.from_mne_epochs(condition_a)
    assert np.isnan(dm.erp_a[1]).all() and np.isnan(dm.erp_a[3]).all()
    np.testing.assert_array_equal(dm.erp_a[4], data[4])


def test_from_mne_epochs_channel_average(storage):
    """``ch_avg`` gives one trace per epoch (the channel mean), named by time."""
    mne = pytest.importorskip('mne')
    dm, epochs, data = _epochs_dm(mne, drop=())
    dm.erp = cnv.from_mne_epochs(epochs, ch_avg=True)
    storage.prepare(dm.erp)
    assert dm.erp.shape == (5, 4)
    np.testing.assert_allclose(dm.erp.array, data.mean(axis=1))
    np.testing.assert_allclose(dm.erp.index_names[0], epochs.times)


def test_from_mne_epochs_without_metadata():
    """Without metadata epoch i goes to row i; too many epochs -> IndexError."""
    mne = pytest.importorskip('mne')
    info = mne.create_info(['Oz'], sfreq=10.0, ch_types='eeg')
    data = np.ones((3, 1, 2))
    epochs = mne.EpochsArray(data, info, verbose=False)
    dm = DataMatrix(length=3)
    dm.erp = cnv.from_mne_epochs(epochs)
    np.testing.assert_array_equal(dm.erp.array, data)
    small = DataMatrix(length=2)
    with pytest.raises(IndexError):
        small.erp = cnv.from_mne_epochs(epochs)
    assert small.column_names == []


def _tfr(mne, n=4):
    dm = DataMatrix(length=n)
    dm.trial = range(n)
    info = mne.create_info(['C3', 'C4'], sfreq=50.0, ch_types='eeg')
    freqs = np.array([4.0, 8.0, 12.0])
    times = np.arange(5) / 50.0
    data = np.arange(n * 2 * 3 * 5, dtype=float).reshape(n, 2, 3, 5)
    tfr = mne.time_frequency.EpochsTFRArray(info, data, times, freqs,
                                            metadata=cnv.to_pandas(dm))
    return dm, tfr, data, freqs, times


def test_from_mne_tfr_shapes_and_averages(storage):
    """TFR data: (channels, freqs, times), and the three averaged forms."""
    mne = pytest.importorskip('mne')
    dm, tfr, data, freqs, times = _tfr(mne)
    dm.tfr = cnv.from_mne_tfr(tfr)
    dm.tfr_ch = cnv.from_mne_tfr(tfr, ch_avg=True)
    dm.tfr_freq = cnv.from_mne_tfr(tfr, freq_avg=True)
    dm.tfr_both = cnv.from_mne_tfr(tfr, ch_avg=True, freq_avg=True)
    for name in ('tfr', 'tfr_ch', 'tfr_freq', 'tfr_both'):
        storage.prepare(dm[name])
        assert type(dm[name]).__name__ == '_MultiDimensionalColumn'
        assert dm[name].metadata is tfr.info
    assert dm.tfr.shape == (4, 2, 3, 5)
    assert dm.tfr.index_names[:2] == [['C3', 'C4'], [4.0, 8.0, 12.0]]
    np.testing.assert_allclose(dm.tfr.index_names[2], times)
    np.testing.assert_array_equal(dm.tfr.array, data)
    np.testing.assert_allclose(dm.tfr_ch.array, data.mean(axis=1))
    assert dm.tfr_ch.index_names[0] == [4.0, 8.0, 12.0]
    np.testing.assert_allclose(dm.tfr_freq.array, data.mean(axis=2))
    assert dm.tfr_freq.index_names[0] == ['C3', 'C4']
    np.testing.assert_allclose(dm.tfr_both.array, data.mean(axis=(1, 2)))
    assert dm.tfr_both.index_names == [list(range(5))]  # no names (reference quirk)
    # names and ellipses together, as an analysis would use them
    assert type(dm.tfr[:, 'C4', 8.0, ...]) is FloatColumn
    np.testing.assert_allclose(dm.tfr[:, 'C4', 8.0, ...].array,
                               data[:, 1, 1].mean(axis=-1))
    np.testing.assert_allclose(dm.tfr[..., ..., 12.0], data[:, :, 2].mean(axis=(0, 1)))


def test_from_mne_tfr_computed_from_epochs():
    """An EpochsTFR computed by mne from epochs with rejected epochs."""
    mne = pytest.importorskip('mne')
    n = 4
    dm = DataMatrix(length=n)
    dm.trial = range(n)
    info = mne.create_info(['Cz'], sfreq=100.0, ch_types='eeg')
    rng = np.random.default_rng(0)
    epochs = mne.EpochsArray(rng.normal(size=(n, 1, 100)) * 1e-6, info,
                             metadata=cnv.to_pandas(dm), verbose=False)
    epochs.drop([2], verbose=False)
    tfr = epochs.compute_tfr('morlet', freqs=np.array([10.0, 20.0]), n_cycles=2,
                             return_itc=False, average=False, verbose=False)
    dm.power = cnv.from_mne_tfr(tfr)
    assert dm.power.shape == (n, 1, 2, 100)
    assert np.isnan(dm.power[2]).all()
    for position, row in enumerate((0, 1, 3)):
        np.testing.assert_allclose(dm.power[row], tfr.data[position])


def test_from_mne_tfr_needs_epochs_data():
    """Averaged TFR data (no epoch axis) -> a clear error, the DataMatrix unchanged."""
    mne = pytest.importorskip('mne')
    dm, tfr, data, freqs, times = _tfr(mne)
    average = tfr.average()
    with pytest.raises(ValueError, match='epochs'):
        dm.x = cnv.from_mne_tfr(average)
    assert 'x' not in dm.column_names
    assert isinstance(dm.trial, (IntColumn, FloatColumn, MixedColumn))
