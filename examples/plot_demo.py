"""Mean pupil traces per condition, with standard-error bands: the README figure.

Usage::

    python examples/plot_demo.py [output.png]      # default: docs/img/traces.png

Builds a DataMatrix of synthetic pupil-size traces (3 s at 100 Hz, time stamps as
the index names of the series, a few blinks as NaN) in two conditions, and draws
one mean trace per condition with :func:`datamatrix.plot.traces`.
"""
import os
import sys

import numpy as np

from datamatrix import DataMatrix, SeriesColumn

N_TRIALS = 80
SAMPLE_RATE = 100
DURATION = 3.0


def make_data(n_trials: int = N_TRIALS, seed: int = 1) -> DataMatrix:
    """Trials in two conditions, a pupil trace each; bright stimuli constrict more."""
    rng = np.random.default_rng(seed)
    times = np.round(np.arange(0, DURATION, 1 / SAMPLE_RATE), 3)
    dm = DataMatrix(length=n_trials)
    dm.condition = ['bright', 'dark'] * (n_trials // 2)
    dm.pupil = SeriesColumn(shape=(list(times),))
    response = np.clip(times - 0.25, 0, None)
    response = response * np.exp(1 - response / 0.8) / 0.8  # peaks 1.05 s after onset
    amplitude = np.where(np.array(list(dm.condition)) == 'bright', 1.2, 0.5)
    baseline = rng.normal(5.0, 0.3, size=(n_trials, 1))
    traces = baseline - amplitude[:, None] * response
    traces += np.cumsum(rng.normal(0, 0.02, size=traces.shape), axis=1)  # slow drift
    for trial in rng.choice(n_trials, size=n_trials // 4, replace=False):
        start = rng.integers(0, len(times) - 20)
        traces[trial, start:start + rng.integers(8, 20)] = np.nan  # a blink
    dm.pupil = traces
    return dm


def main(path: str) -> None:
    """Draw the traces of :func:`make_data` and save them as ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from datamatrix import plot

    dm = make_data()
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    plot.traces(dm, 'pupil', by='condition', ax=ax)
    ax.axvline(0.25, color='gray', linestyle=':', linewidth=1)
    ax.set_xlabel('time since stimulus (s)')
    ax.set_ylabel('pupil size (mm)')
    ax.set_title('Pupil size by condition (mean ± SE)')
    fig.tight_layout()
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    print(f'wrote {path}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join('docs', 'img', 'traces.png'))
