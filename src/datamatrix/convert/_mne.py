"""MNE: ``from_mne_epochs`` and ``from_mne_tfr`` (``mne`` is never imported here)."""
from __future__ import annotations

from typing import Any

import numpy as np

from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.errors import InvalidValueError, LengthMismatchError
from datamatrix.convert._common import _require, _md_column


# -- MNE --------------------------------------------------------------------------------

def _mne_rows(obj: Any, n_epochs: int) -> np.ndarray:
    """The DataMatrix row of each epoch: its metadata index (positions if none)."""
    metadata = getattr(obj, 'metadata', None)
    if metadata is None:
        return np.arange(n_epochs, dtype=np.int64)
    rows = np.asarray(metadata.index, dtype=np.int64)
    if len(rows) != n_epochs:
        raise LengthMismatchError(f'the metadata has {len(rows)} rows for {n_epochs} '
                                  f'epochs')
    return rows


def _mne_column(dm: DataMatrix, data: np.ndarray, rows: np.ndarray, dims: list,
                metadata: Any) -> _MultiDimensionalColumn:
    """The column of a ``from_mne_*`` spec: epoch ``i`` in row ``rows[i]``, NaN elsewhere.

    Rows are filled block by block (``_stream.build``), so the column may be
    created offloaded when it does not fit the budget.
    """
    n = len(dm)
    if len(rows) and (rows.min() < 0 or rows.max() >= n):
        raise IndexError(f'epochs belong to rows up to {rows.max()}, but the '
                         f'DataMatrix has {n} rows')
    epoch_of_row = np.full(n, -1, dtype=np.int64)
    epoch_of_row[rows] = np.arange(len(rows))

    def fill(start: int, stop: int) -> np.ndarray:
        block = np.full((stop - start,) + data.shape[1:], np.nan)
        epochs = epoch_of_row[start:stop]
        block[epochs >= 0] = data[epochs[epochs >= 0]]
        return block

    return _md_column(dm, _MultiDimensionalColumn, dims, np.float64, fill,
                      metadata=metadata)


def from_mne_epochs(epochs: Any, ch_avg: bool = False) -> tuple:
    """A column spec with the data of ``mne.Epochs``: ``dm.erp = from_mne_epochs(e)``.

    Parameters
    ----------
    epochs : mne.Epochs
        Epochs whose metadata index gives each epoch's DataMatrix row (as
        with ``metadata=to_pandas(dm)``); without metadata, epoch ``i`` goes to
        row ``i``. Rows without an epoch (rejected epochs) hold NaN.
    ch_avg : bool
        Average over channels.

    Returns
    -------
    tuple
        A column spec for a plain MD column of cell shape ``(channels,
        times)`` (names: channel names, time stamps in seconds), or
        ``(times,)`` with ``ch_avg``; its metadata is ``epochs.info``.

    Examples
    --------
    >>> import mne
    >>> from datamatrix.convert import from_mne_epochs
    >>> info = mne.create_info(['Fz', 'Cz'], sfreq=100., ch_types='eeg')
    >>> data = np.arange(12.).reshape(2, 2, 3)
    >>> epochs = mne.EpochsArray(data, info, tmin=-0.01, verbose=False)
    >>> dm = DataMatrix(length=2)
    >>> dm.erp = from_mne_epochs(epochs)
    >>> dm.erp.shape
    (2, 2, 3)
    >>> dm.erp.index_names[0]
    ['Fz', 'Cz']
    >>> [round(t, 2) for t in dm.erp.index_names[1]]
    [-0.01, 0.0, 0.01]
    >>> print(dm.erp[:, 'Cz', ...])
    col[ 4. 10.]
    >>> dm.erp_avg = from_mne_epochs(epochs, ch_avg=True)
    >>> print(dm.erp_avg)
    col[[1.5 2.5 3.5]
     [7.5 8.5 9.5]]
    """
    _require('mne', 'from_mne_epochs')
    try:
        data = epochs.get_data(copy=False)  # mne >= 1.6 asks for copy explicitly
    except TypeError:
        data = epochs.get_data()
    data = np.asarray(data, dtype=np.float64)
    times = tuple(float(t) for t in epochs.times)
    if ch_avg:
        data, dims = np.nanmean(data, axis=1), [times]
    else:
        dims = [tuple(epochs.ch_names), times]
    return _mne_column, dict(data=data, rows=_mne_rows(epochs, len(data)), dims=dims,
                             metadata=epochs.info)


def from_mne_tfr(tfr: Any, ch_avg: bool = False, freq_avg: bool = False) -> tuple:
    """A column spec with the data of ``mne.time_frequency.EpochsTFR``.

    Parameters
    ----------
    tfr : mne.time_frequency.EpochsTFR
        Per-epoch time-frequency data; rows are assigned as in
        :func:`from_mne_epochs`.
    ch_avg, freq_avg : bool
        Average over channels and/or frequencies.

    Returns
    -------
    tuple
        A column spec for a plain MD column of cell shape ``(channels, freqs,
        times)``; ``(freqs, times)`` with ``ch_avg``; ``(channels, times)`` with
        ``freq_avg``; with both, ``len(times)`` samples without names
        (reference quirk). Its metadata is ``tfr.info``.

    Examples
    --------
    >>> import mne
    >>> from datamatrix.convert import from_mne_tfr
    >>> info = mne.create_info(['Fz', 'Cz'], sfreq=100., ch_types='eeg')
    >>> data = np.ones((2, 2, 3, 4))
    >>> times, freqs = np.arange(4) / 100., np.array([4., 8., 12.])
    >>> tfr = mne.time_frequency.EpochsTFRArray(info, data, times=times, freqs=freqs)
    >>> dm = DataMatrix(length=2)
    >>> dm.tfr = from_mne_tfr(tfr)
    >>> dm.tfr.shape
    (2, 2, 3, 4)
    >>> dm.tfr.index_names[1]
    [4.0, 8.0, 12.0]
    >>> dm.power = from_mne_tfr(tfr, ch_avg=True, freq_avg=True)
    >>> dm.power.shape
    (2, 4)
    """
    _require('mne', 'from_mne_tfr')
    data = np.asarray(tfr.data, dtype=np.float64)
    if data.ndim != 4:
        raise InvalidValueError(f'expected per-epoch TFR data (epochs, channels, freqs, '
                                f'times), not an array of shape {data.shape}')
    channels = tuple(tfr.ch_names)
    freqs = tuple(float(f) for f in tfr.freqs)
    times = tuple(float(t) for t in tfr.times)
    if ch_avg and freq_avg:
        data, dims = np.nanmean(data, axis=(1, 2)), [len(times)]
    elif ch_avg:
        data, dims = np.nanmean(data, axis=1), [freqs, times]
    elif freq_avg:
        data, dims = np.nanmean(data, axis=2), [channels, times]
    else:
        dims = [channels, freqs, times]
    return _mne_column, dict(data=data, rows=_mne_rows(tfr, len(data)), dims=dims,
                             metadata=tfr.info)
