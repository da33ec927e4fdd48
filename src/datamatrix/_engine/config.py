"""The global configuration object ``cfg`` and the parsing of byte sizes.

Initial values come from, in increasing precedence: the defaults below,
``[tool.datamatrix]`` in ``pyproject.toml`` of the working directory at import
time, and (for ``memory_limit``) the environment variable
``DATAMATRIX_MEMORY_LIMIT``. Assigning an attribute at run time overrides all.
"""
from __future__ import annotations

import logging
import math
import os
import re
from typing import Any

logger = logging.getLogger('datamatrix')

_UNITS = {
    '': 1, 'b': 1,
    'kb': 1000, 'mb': 1000 ** 2, 'gb': 1000 ** 3, 'tb': 1000 ** 4,
    'kib': 1024, 'mib': 1024 ** 2, 'gib': 1024 ** 3, 'tib': 1024 ** 4,
    'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3, 't': 1024 ** 4,
}
_SIZE_RE = re.compile(r'^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$')


def parse_size(value: Any) -> int:
    """Convert a byte size given as a number or a string into a positive int.

    Parameters
    ----------
    value : int, float or str
        A number of bytes, or a string such as ``'6GB'`` (powers of 1000),
        ``'512MiB'`` or ``'1.5G'`` (powers of 1024).

    Returns
    -------
    int
        The number of bytes, rounded down.

    Raises
    ------
    ValueError
        For strings that don't parse and for sizes that are not positive.
    TypeError
        For values of other types, ``bool`` included.

    Examples
    --------
    >>> parse_size('6GB'), parse_size('512MiB'), parse_size('0.5KB')
    (6000000000, 536870912, 500)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(
            f'a memory size must be an int, float or str, not {type(value).__name__}')
    if isinstance(value, str):
        match = _SIZE_RE.match(value)
        if match is None or match.group(2).lower() not in _UNITS:
            raise ValueError(
                f'cannot parse memory size {value!r}: expected a number with an '
                f'optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, K, M, G, T)')
        number = float(match.group(1)) * _UNITS[match.group(2).lower()]
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ValueError(f'memory size must be finite, not {value!r}')
    size = int(number)
    if size <= 0:
        raise ValueError(f'memory size must be positive, not {value!r}')
    return size


def _cgroup_limit() -> int | None:
    """The memory limit of this process's cgroup (v2 or v1), if one is set."""
    candidates = ['/sys/fs/cgroup/memory.max',
                  '/sys/fs/cgroup/memory/memory.limit_in_bytes']
    try:
        with open('/proc/self/cgroup') as fh:
            for line in fh:
                parts = line.strip().split(':', 2)
                if len(parts) == 3 and parts[2] not in ('', '/'):
                    if parts[1] == '':
                        candidates.insert(0, f'/sys/fs/cgroup{parts[2]}/memory.max')
                    elif 'memory' in parts[1].split(','):
                        candidates.insert(
                            0, f'/sys/fs/cgroup/memory{parts[2]}/memory.limit_in_bytes')
    except OSError:
        pass
    for path in candidates:
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2 ** 60:
            return int(text)
    return None


def total_memory() -> int:
    """Physical memory available to this process: RAM or the cgroup limit if smaller."""
    import psutil
    total = psutil.virtual_memory().total
    limit = _cgroup_limit()
    return min(total, limit) if limit else total


class Config:
    """Settings of datamatrix; see the table in ``docs/largedata.md``.

    Attributes can be changed at any time and take effect at the next decision.
    ``memory_limit`` accepts sizes as :func:`parse_size` does and always reads
    back as an int.
    """

    min_mem_free_rel: float = 0.5
    """Fraction of total memory that must stay available after an automatic load."""
    min_mem_free_abs: int = 4294967296
    """Bytes that must stay available after an automatic load."""
    always_load_max_size: float = 134217728
    """Columns smaller than this are always loaded and never evicted."""
    never_load_min_size: float = math.inf
    """Columns larger than this are never loaded automatically."""
    save_chunk_size: int = 134217728
    """Bytes per block when streaming over rows or copying to and from files."""
    memory_poll_interval: float = 0.5
    """Minimum number of seconds between two reads of system memory statistics."""
    progress: Any = 'auto'
    """Progress bars: True, False or 'auto' (only when stderr is a terminal)."""
    progress_min_bytes: int = 268435456
    """Work below this size never shows a progress bar."""
    stream_threads: int = min(8, os.cpu_count() or 1)
    """Threads that compute blocks of a streamed operation at once (1: no threads)."""

    def __init__(self) -> None:
        self.tmp_dir = os.getcwd()
        self._memory_limit: int | None = None

    @property
    def memory_limit(self) -> int:
        """Byte budget for the resident data of multidimensional columns."""
        if self._memory_limit is None:
            self._memory_limit = total_memory() // 2
        return self._memory_limit

    @memory_limit.setter
    def memory_limit(self, value: Any) -> None:
        self._memory_limit = parse_size(value)

    # ``cfg.memory_report`` (the same as :func:`datamatrix.memory_report`) is bound by
    # :mod:`datamatrix._report`, which knows the columns; the engine does not.

    def _load_pyproject(self, path: str) -> None:
        try:
            with open(path, 'rb') as fh:
                data = fh.read()
        except OSError:
            return
        try:
            import tomllib
            settings = tomllib.loads(data.decode('utf-8'))
        except ImportError:  # Python 3.10
            try:
                import tomlkit
            except ImportError:
                logger.warning('cannot read %s: install tomlkit on Python 3.10', path)
                return
            settings = tomlkit.parse(data.decode('utf-8')).unwrap()
        except Exception as exc:  # a broken pyproject.toml must not break import
            logger.warning('cannot read [tool.datamatrix] from %s: %s', path, exc)
            return
        for key, value in settings.get('tool', {}).get('datamatrix', {}).items():
            setattr(self, key, value)

    def __repr__(self) -> str:
        names = ['memory_limit', 'min_mem_free_rel', 'min_mem_free_abs',
                 'always_load_max_size', 'never_load_min_size', 'save_chunk_size',
                 'memory_poll_interval', 'tmp_dir', 'progress', 'progress_min_bytes',
                 'stream_threads']
        body = ', '.join(f'{name}={getattr(self, name)!r}' for name in names)
        return f'Config({body})'


def _make_config() -> Config:
    config = Config()
    config._load_pyproject(os.path.join(os.getcwd(), 'pyproject.toml'))
    env = os.environ.get('DATAMATRIX_MEMORY_LIMIT')
    if env:
        config.memory_limit = env
    return config


cfg = _make_config()
