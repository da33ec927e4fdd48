"""The global configuration object ``cfg`` and the parsing of byte sizes.

Initial values come from, in increasing precedence: the defaults below,
``[tool.datamatrix]`` in ``pyproject.toml`` of the working directory at import
time, and the environment variables ``DATAMATRIX_<NAME>`` (e.g.
``DATAMATRIX_MEMORY_LIMIT``). Assigning an attribute at run time overrides all.
Each setting is declared once, in :data:`SETTINGS` (name, default, parser, doc);
attribute access, the environment and ``pyproject.toml`` are derived from it.
"""
from __future__ import annotations

import difflib
import logging
import math
import os
import re
import warnings
from typing import Any, Callable, NamedTuple

from datamatrix import errors as _errors

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


class Setting(NamedTuple):
    """One setting of :data:`cfg`: its name, default, parser and meaning.

    ``parse(value)`` returns the value to store, or raises ``ValueError`` or
    ``TypeError``. ``default`` is the initial value, or a callable computing it at
    first use (``memory_limit``). Every setting can be given in ``[tool.datamatrix]``
    of ``pyproject.toml`` and as the environment variable ``DATAMATRIX_<NAME>``.
    """

    name: str
    default: Any
    parse: Callable[[Any], Any]
    doc: str


def _size_setting(minimum: int = 1, allow_inf: bool = False) -> Callable[[Any], Any]:
    """A parser of byte sizes as :func:`parse_size`, also allowing 0 or infinity."""
    def parse(value: Any) -> Any:
        if allow_inf and not isinstance(value, bool):
            if isinstance(value, float) and value == math.inf:
                return math.inf
            if isinstance(value, str) and value.strip().lower() in ('inf', 'infinity'):
                return math.inf
        if minimum == 0 and not isinstance(value, bool):
            if isinstance(value, (int, float)) and value == 0:
                return 0
            if isinstance(value, str) and _SIZE_RE.match(value) and \
                    float(_SIZE_RE.match(value).group(1)) == 0:
                return 0
        return parse_size(value)
    return parse


def _number_setting(low: float = 0.0, high: float = math.inf) -> Callable[[Any], float]:
    """A parser of real numbers in ``[low, high]`` (strings such as ``'0.5'`` too)."""
    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(f'expected a number, not {type(value).__name__}')
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f'expected a number, not {value!r}') from None
        if not low <= number <= high:
            raise ValueError(f'expected a number from {low} to {high}, not {value!r}')
        return number
    return parse


def _count_setting(low: int = 1, high: int = 1024) -> Callable[[Any], int]:
    """A parser of whole numbers in ``[low, high]`` (strings such as ``'2'`` too)."""
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(f'expected a whole number, not {type(value).__name__}')
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f'expected a whole number, not {value!r}') from None
        if number != int(number) or not low <= number <= high:
            raise ValueError(f'expected a whole number from {low} to {high}, not {value!r}')
        return int(number)
    return parse


_TRUE = {'true', 'yes', 'on', '1', 'always'}
_FALSE = {'false', 'no', 'off', '0', 'never'}


def _progress_setting(value: Any) -> Any:
    """``True``, ``False`` or ``'auto'`` (also from strings such as ``'yes'``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == 'auto':
            return 'auto'
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"expected True, False or 'auto', not {value!r}")


def _directory_setting(value: Any) -> str:
    """A directory path (str or path-like), stored as a str."""
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f'expected a directory path, not {type(value).__name__}')
    path = os.fspath(value)
    if not path:
        raise ValueError('expected a directory path, not an empty string')
    return path


SETTINGS: dict[str, Setting] = {}
"""Every setting of :data:`cfg` by name, in the order they are shown."""


def add_setting(setting: Setting) -> None:
    """Declare a setting; attribute access, environment and pyproject follow."""
    SETTINGS[setting.name] = setting


for _setting in [
    Setting('memory_limit', lambda: total_memory() // 2, _size_setting(),
            'Byte budget for the resident data of multidimensional columns '
            '(default: half of the memory available to the process).'),
    Setting('min_mem_free_rel', 0.5, _number_setting(0.0, 1.0),
            'Fraction of total memory that must stay available after an automatic load.'),
    Setting('min_mem_free_abs', 4294967296, _size_setting(0),
            'Bytes that must stay available after an automatic load.'),
    Setting('always_load_max_size', 134217728, _size_setting(0),
            'Columns smaller than this are always loaded and never evicted.'),
    Setting('never_load_min_size', math.inf, _size_setting(0, allow_inf=True),
            'Columns larger than this are never loaded automatically.'),
    Setting('save_chunk_size', 134217728, _size_setting(),
            'Bytes per block when streaming over rows or copying to and from files.'),
    Setting('memory_poll_interval', 0.5, _number_setting(0.0),
            'Minimum number of seconds between two reads of system memory statistics.'),
    Setting('tmp_dir', os.getcwd, _directory_setting,
            'Directory for spill files and temporary files (default: the working '
            'directory at import).'),
    Setting('progress', 'auto', _progress_setting,
            "Progress bars: True, False or 'auto' (a terminal or a Jupyter kernel)."),
    Setting('progress_min_bytes', 268435456, _size_setting(0),
            'Work below this size never shows a progress bar.'),
    Setting('stream_threads', min(8, os.cpu_count() or 1), _count_setting(1),
            'Threads that compute blocks of a streamed operation at once (1: no threads). '
            'Results are identical for any number.'),
]:
    add_setting(_setting)
del _setting


SettingWarning = _errors.SettingWarning
"""A value in the environment or ``pyproject.toml`` that was ignored."""


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, list(SETTINGS), n=1)
    return f"; did you mean {close[0]!r}?" if close else \
        f"; known settings: {', '.join(SETTINGS)}"


class Config:
    """Settings of datamatrix (``datamatrix.cfg``); see :data:`SETTINGS`.

    Attributes can be changed at any time and take effect at the next decision.
    Every value is checked when it is set: size settings accept what
    :func:`parse_size` accepts (``'1MB'``, ``'2 GiB'``, numbers) and read back as
    an int; a bad value raises ``ValueError`` (or ``TypeError``) naming the setting
    and keeps the old value; an unknown name raises ``AttributeError`` suggesting
    the nearest known one.
    """

    def __init__(self) -> None:
        for setting in SETTINGS.values():
            if not callable(setting.default) or setting.name == 'tmp_dir':
                value = setting.default() if callable(setting.default) else setting.default
                object.__setattr__(self, setting.name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal look-up fails: lazy defaults and unknown names.
        setting = SETTINGS.get(name)
        if setting is not None:
            value = setting.default() if callable(setting.default) else setting.default
            object.__setattr__(self, name, value)
            return value
        if name.startswith('_'):
            raise AttributeError(name)
        raise AttributeError(f'cfg has no setting {name!r}{_suggest(name)}')

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith('_') or name not in SETTINGS and hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        setting = SETTINGS.get(name)
        if setting is None:
            raise AttributeError(f'cfg has no setting {name!r}{_suggest(name)}')
        try:
            parsed = setting.parse(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f'invalid value for cfg.{name}: {exc}') from None
        object.__setattr__(self, name, parsed)

    def __delattr__(self, name: str) -> None:
        if name in SETTINGS:
            raise AttributeError(f'cfg.{name} cannot be deleted; assign a new value')
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(SETTINGS))

    # ``cfg.memory_report`` (the same as :func:`datamatrix.memory_report`) is bound by
    # :mod:`datamatrix._report`, which knows the columns; the engine does not.

    def _set_from(self, name: str, value: Any, source: str) -> None:
        """Set ``name`` from ``source``; a bad value or name is a warning, not fatal."""
        try:
            setattr(self, name, value)
        except (AttributeError, TypeError, ValueError) as exc:
            warnings.warn(f'{source}: ignored {name} = {value!r}: {exc}', SettingWarning,
                          stacklevel=2)

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
        table = settings.get('tool', {}).get('datamatrix', {})
        if not isinstance(table, dict):
            warnings.warn(f'{path}: [tool.datamatrix] is not a table; ignored',
                          SettingWarning, stacklevel=2)
            return
        for key, value in table.items():
            self._set_from(key, value, f'[tool.datamatrix] in {path}')

    def _load_environment(self, environ: Any = os.environ) -> None:
        for name in SETTINGS:
            variable = f'DATAMATRIX_{name.upper()}'
            value = environ.get(variable)
            if value:
                self._set_from(name, value, f'environment variable {variable}')

    def __repr__(self) -> str:
        body = ', '.join(f'{name}={getattr(self, name)!r}' for name in SETTINGS)
        return f'Config({body})'


def _make_config() -> Config:
    config = Config()
    config._load_pyproject(os.path.join(os.getcwd(), 'pyproject.toml'))
    config._load_environment()
    return config


cfg = _make_config()
