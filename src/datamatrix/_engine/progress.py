"""Progress bars for long work (streaming, offloading, I/O, multiprocessing).

Two entry points decide, from ``cfg.progress`` and ``cfg.progress_min_bytes``,
whether a bar is shown:

* :func:`progress` gives a bar object for work that reports its own progress
  (the io functions, ``stack_multiprocess``);
* :func:`tracked` wraps the block loop of the streaming mechanism
  (:func:`datamatrix._engine.storage.row_blocks`), so every streamed operation
  (reductions, arithmetic, selection, series functions, offload and reload) shows
  a bar when its data is large enough, with one update per block and nothing per
  element. Its description names the public operation that started the stream
  (``'mean'``, ``'series.baseline'``, ``'selection: offload'``...).

One bar is shown at a time per thread: streams that run inside a bar (the blocks
that ``writebin`` reads, a column offloaded to make room) advance nothing of
their own. Bars use ``tqdm.auto`` (a widget in Jupyter, text in a terminal),
imported on first use, and a minimal built-in text bar on ``sys.stderr`` when
tqdm is not installed. Progress bars never change results.

Examples
--------
>>> with progress(total_bytes=1000, desc='writebin') as bar:
...     for block in range(10):
...         bar.update(100)
>>> [start for start in tracked(range(0, 10, 5), total_bytes=10)]
[0, 5]
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, Iterable, Iterator, TypeVar

from datamatrix._engine.config import cfg
from datamatrix._optional import optional_import

_TRUE_STRINGS = {'true', 'yes', 'on', '1', 'always'}
_T = TypeVar('_T')

_local = threading.local()
"""``_local.active``: whether this thread shows a bar now (nested work shows none)."""


def _in_jupyter() -> bool:
    """Whether this process is a Jupyter (ipykernel) kernel."""
    ipython = sys.modules.get('IPython')
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython must not break us
        return False
    return shell is not None and hasattr(shell, 'kernel')


def _enabled(total_bytes: int) -> bool:
    """Whether work of ``total_bytes`` bytes shows a bar under the current ``cfg``."""
    if total_bytes < cfg.progress_min_bytes or getattr(_local, 'active', False):
        return False
    mode = cfg.progress
    if isinstance(mode, str):
        mode = mode.strip().lower()
        if mode == 'auto':
            try:
                show = bool(sys.stderr is not None and sys.stderr.isatty())
            except (AttributeError, ValueError):  # no isatty, or a closed stream
                show = False
            show = show or _in_jupyter()
        else:
            show = mode in _TRUE_STRINGS
    else:
        show = bool(mode)
    return show


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
        _local.active = True
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
        _local.active = False
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
    """Adapter around a ``tqdm.auto`` bar (stderr in a terminal, a widget in Jupyter)."""

    def __init__(self, tqdm_class: Any, total: int, desc: str) -> None:
        self._bar = tqdm_class(total=total, desc=desc, unit='B', unit_scale=True,
                               unit_divisor=1024, file=sys.stderr, leave=False)
        self._closed = False
        _local.active = True

    def update(self, nbytes: int) -> None:
        """Advance the bar by ``nbytes`` bytes."""
        self._bar.update(nbytes)

    def close(self) -> None:
        """Remove the bar (only once)."""
        if not self._closed:
            self._closed = True
            _local.active = False
            self._bar.close()


def _bar(total_bytes: int, desc: str) -> _NoBar:
    """A visible bar: ``tqdm.auto`` if installed, else the built-in text bar.

    The text bar is also used when tqdm cannot make a bar, e.g. its notebook bar in
    a Jupyter without ipywidgets ("IProgress not found"): a bar never stops work.
    """
    try:
        tqdm = optional_import('tqdm.auto', 'progress bars').tqdm
        return _TqdmBar(tqdm, total_bytes, desc)
    except Exception:
        return _TextBar(total_bytes, desc)


def progress(total_bytes: int, desc: str) -> _NoBar:
    """Return a progress object for work of ``total_bytes`` bytes.

    A bar is shown if ``cfg.progress`` is ``True`` (or ``'auto'`` and stderr is a
    terminal or this is a Jupyter kernel), ``total_bytes >= cfg.progress_min_bytes``
    and no other bar of this thread is open; never if ``cfg.progress`` is
    ``False``. ``tqdm.auto`` is used when it can be imported, otherwise a minimal
    text bar on stderr.

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
        return _NO_BAR
    return _bar(total_bytes, desc)


_NO_BAR = _NoBar()


def tracked(steps: Iterable[_T], total_bytes: int) -> Iterable[_T]:
    """``steps`` (the blocks of one stream), with a bar if the stream is large.

    The bar appears once the first step is done (so a stream that is only
    started, or has one block, shows none) and advances by an equal share of
    ``total_bytes`` per step. Below ``cfg.progress_min_bytes``, with bars off or
    inside another bar, ``steps`` itself is returned: nothing is added per step.

    Parameters
    ----------
    steps : sized iterable
        The steps, e.g. ``range(0, n_rows, rows_per_block)``.
    total_bytes : int
        The bytes that all steps together process.

    Returns
    -------
    iterable
        The same items as ``steps``.
    """
    if not _enabled(total_bytes):
        return steps
    return _tracked(steps, total_bytes)


def _tracked(steps: Iterable[_T], total_bytes: int) -> Iterator[_T]:
    n_steps = max(len(steps), 1)  # type: ignore[arg-type]
    bar = None
    try:
        for index, step in enumerate(steps):
            if index == 1 and _enabled(total_bytes):
                bar = _bar(total_bytes, _describe())
            if bar is not None:
                bar.update(total_bytes * index // n_steps -
                           total_bytes * (index - 1) // n_steps if index > 1
                           else total_bytes // n_steps)
            yield step
        if bar is not None:
            bar.update(total_bytes - total_bytes * (n_steps - 1) // n_steps)
    finally:
        if bar is not None:
            bar.close()


# -- what a stream is for ------------------------------------------------------------

_OPERATORS = {f'__{name}__' for name in (
    'add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow '
    'neg pos abs and or xor invert iadd isub imul itruediv array_ufunc').split()}
_WORDS = {'__getitem__': 'selection', '__setitem__': 'assignment',
          '__setattr__': 'assignment', '__init__': 'creation',
          # ``dm.col > 3`` selects rows: comparisons of a column return a DataMatrix
          '__lt__': 'selection', '__le__': 'selection', '__gt__': 'selection',
          '__ge__': 'selection', '__eq__': 'selection', '__ne__': 'selection'}
_USE_STEP = {'loaded'}
"""Public names whose work is better named by the engine step (``col.loaded = False``)."""
_STEPS = {'offload': 'offload', 'load': 'load', 'make_writable': 'copy to a spill file'}
"""Engine functions worth naming after the operation that called them."""


def _public_name(frame: Any) -> str:
    """``'mean'``, ``'series.baseline'`` or ``'arithmetic'`` for a frame of ours."""
    code = frame.f_code
    name = code.co_name
    if name in _WORDS:
        return _WORDS[name]
    if name in _OPERATORS:
        return 'arithmetic'
    if '.' in getattr(code, 'co_qualname', name):  # a method or property
        return name.lstrip('_') or name
    module = [part for part in frame.f_globals.get('__name__', '').split('.')[1:]
              if not part.startswith('_')]
    return '.'.join(module + [name])


def _describe() -> str:
    """Name the public operation that runs the current stream (for its bar)."""
    try:
        frame = sys._getframe(2)
    except (AttributeError, ValueError):  # pragma: no cover - not CPython
        return 'datamatrix'
    outer = step = None
    while frame is not None:
        module = frame.f_globals.get('__name__', '')
        if module != 'datamatrix' and not module.startswith('datamatrix.'):
            if outer is not None:
                break
        else:
            if step is None and module.startswith('datamatrix._engine.'):
                step = _STEPS.get(frame.f_code.co_name)
            outer = frame
        frame = frame.f_back
    if outer is None:
        return step or 'datamatrix'
    name = _public_name(outer)
    if step is None:
        return name
    return step if step == name or name in _USE_STEP else f'{name}: {step}'
