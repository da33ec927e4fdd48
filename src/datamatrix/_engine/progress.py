"""Progress bars for long work (I/O, offloading, streaming, multiprocessing).

All long operations go through :func:`progress`, which decides once, from
``cfg.progress`` and ``cfg.progress_min_bytes``, whether a bar is shown. A bar is
written to ``sys.stderr`` only, with ``tqdm`` when it is installed and with a
minimal built-in text bar otherwise. Progress bars never change results.

Examples
--------
>>> with progress(total_bytes=1000, desc='writebin') as bar:
...     for block in range(10):
...         bar.update(100)
"""
from __future__ import annotations

import sys
import time
from typing import Any

from datamatrix._engine.config import cfg

_TRUE_STRINGS = {'true', 'yes', 'on', '1', 'always'}


def _enabled(total_bytes: int) -> bool:
    """Whether work of ``total_bytes`` bytes shows a bar under the current ``cfg``."""
    mode = cfg.progress
    if isinstance(mode, str):
        mode = mode.strip().lower()
        if mode == 'auto':
            try:
                show = bool(sys.stderr is not None and sys.stderr.isatty())
            except (AttributeError, ValueError):  # no isatty, or a closed stream
                show = False
        else:
            show = mode in _TRUE_STRINGS
    else:
        show = bool(mode)
    return show and total_bytes >= cfg.progress_min_bytes


class _NoBar:
    """A progress object that shows nothing."""

    def update(self, nbytes: int) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _TextBar(_NoBar):
    """A minimal text bar on ``sys.stderr``, used when ``tqdm`` is not installed.

    The line is redrawn (with ``\\r``) at most every ``interval`` seconds, and once
    more when the bar is closed.
    """

    width = 30

    def __init__(self, total: int, desc: str, interval: float = 0.1) -> None:
        self.total = max(int(total), 1)
        self.desc = desc
        self.done = 0
        self.interval = interval
        self._last_draw = -float('inf')
        self._closed = False
        self._draw()

    def _draw(self) -> None:
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * self.width)
        line = (f'\r{self.desc}: {fraction:4.0%} |{"#" * filled}'
                f'{" " * (self.width - filled)}| {_format_bytes(self.done)}'
                f'/{_format_bytes(self.total)}')
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (AttributeError, ValueError, OSError):  # stderr gone: stay silent
            pass
        self._last_draw = time.monotonic()

    def update(self, nbytes: int) -> None:
        """Advance the bar by ``nbytes`` bytes."""
        self.done += int(nbytes)
        if time.monotonic() - self._last_draw >= self.interval:
            self._draw()

    def close(self) -> None:
        """Draw the final state and end the line (only once)."""
        if self._closed:
            return
        self._closed = True
        self._draw()
        try:
            sys.stderr.write('\n')
            sys.stderr.flush()
        except (AttributeError, ValueError, OSError):
            pass


def _format_bytes(n: float) -> str:
    """Human-readable byte count with binary units, e.g. ``'1.5MiB'``."""
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if abs(n) < 1024 or unit == 'TiB':
            return f'{n:.0f}{unit}' if unit == 'B' else f'{n:.1f}{unit}'
        n /= 1024
    return f'{n:.1f}TiB'  # pragma: no cover - loop always returns


class _TqdmBar(_NoBar):
    """Adapter around a ``tqdm`` bar writing to ``sys.stderr``."""

    def __init__(self, tqdm_class: Any, total: int, desc: str) -> None:
        self._bar = tqdm_class(total=total, desc=desc, unit='B', unit_scale=True,
                               unit_divisor=1024, file=sys.stderr, leave=False)

    def update(self, nbytes: int) -> None:
        """Advance the bar by ``nbytes`` bytes."""
        self._bar.update(nbytes)

    def close(self) -> None:
        """Remove the bar from the terminal."""
        self._bar.close()


def progress(total_bytes: int, desc: str) -> _NoBar:
    """Return a progress object for work of ``total_bytes`` bytes.

    A bar is shown on ``sys.stderr`` if ``cfg.progress`` is ``True`` (or ``'auto'``
    and stderr is a terminal) and ``total_bytes >= cfg.progress_min_bytes``; never
    if ``cfg.progress`` is ``False``. ``tqdm`` is used when it can be imported,
    otherwise a minimal text bar.

    Parameters
    ----------
    total_bytes : int
        Total size of the work in bytes.
    desc : str
        Short description shown in front of the bar, e.g. ``'writebin'``.

    Returns
    -------
    object
        An object with ``update(nbytes)`` and ``close()`` that is also a context
        manager (closing on exit). When no bar is shown, both methods do nothing.
    """
    if not _enabled(total_bytes):
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _TextBar(total_bytes, desc)
    return _TqdmBar(tqdm, total_bytes, desc)
