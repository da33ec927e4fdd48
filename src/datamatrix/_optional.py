"""The one way to import an optional package: :func:`optional_import`.

Heavy or optional libraries (scipy, pandas, openpyxl, xarray, Dask, zarr, tqdm,
matplotlib, MNE, nibabel) are imported inside the functions that need them, always through
this module, so a missing package is reported the same way everywhere: an
``ImportError`` that names the function that needs it and the ``pip`` extra of
datamatrix that installs it (``pip install "datamatrix[scipy]"``).

This is a foundation module, like :mod:`datamatrix.errors`: every layer may import
it, and it imports nothing from the package.
"""
from __future__ import annotations

import re
import sys
from types import ModuleType

EXTRAS: dict[str, tuple[str, str | None]] = {
    'scipy': ('scipy', 'scipy'),
    'pandas': ('pandas', 'pandas'),
    'openpyxl': ('openpyxl', 'excel'),
    'xarray': ('xarray', 'xarray'),
    'dask': ('dask[array]', 'dask'),
    'distributed': ('distributed', 'dask'),
    'zarr': ('zarr', 'dask'),
    'tqdm': ('tqdm', 'progress'),
    'matplotlib': ('matplotlib', 'plot'),
    'mne': ('mne', 'mne'),
    'nibabel': ('nibabel', 'nifti'),
}
"""Top-level module -> (its pip name, the datamatrix extra that installs it)."""


def install_hint(module: str) -> str:
    """How to install the package that provides ``module``.

    Examples
    --------
    >>> install_hint('scipy.signal')
    'pip install "datamatrix[scipy]" (or: pip install scipy)'
    >>> install_hint('dask.array')
    'pip install "datamatrix[dask]" (or: pip install "dask[array]")'
    """
    top = module.split('.')[0]
    pip_name, extra = EXTRAS.get(top, (top, None))
    quoted = f'"{pip_name}"' if '[' in pip_name else pip_name
    if extra is None:
        return f'pip install {quoted}'
    return f'pip install "datamatrix[{extra}]" (or: pip install {quoted})'


def _import(name: str) -> ModuleType:
    # ``__import__`` (not importlib) so that a patched ``builtins.__import__`` is honoured
    __import__(name)
    return sys.modules[name]


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r'\d+', text)[:3])


def optional_import(module: str, needed_for: str, min_version: str | None = None
                    ) -> ModuleType:
    """Import the optional ``module``, or raise an ``ImportError`` saying how to get it.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``'scipy.signal'`` or ``'dask.array'``.
    needed_for : str
        What needs it, for the message, e.g. ``'series.smooth'``.
    min_version : str, optional
        The oldest version of the top-level package that works, e.g. ``'3'``.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    ImportError
        If the package (or the module inside it) is missing or too old; the message
        names ``needed_for``, the package and the ``pip install`` command.

    Examples
    --------
    >>> optional_import('json', 'an example').dumps([1])
    '[1]'
    """
    top = module.split('.')[0]
    try:
        package = _import(top)
        loaded = _import(module) if module != top else package
    except ImportError as exc:
        error = ImportError(f'{needed_for} needs the optional package {top!r}, which is '
                            f'not installed ({exc}); install it with: '
                            f'{install_hint(module)}', name=top)
        raise error from exc
    if min_version is not None:
        version = getattr(package, '__version__', '0')
        if _version_tuple(version) < _version_tuple(min_version):
            raise ImportError(f'{needed_for} needs {top} {min_version} or newer; version '
                              f'{version} is installed; upgrade with: '
                              f'pip install -U {EXTRAS.get(top, (top,))[0]}', name=top)
    return loaded


def is_available(module: str) -> bool:
    """Whether the optional ``module`` can be imported (importing it if so)."""
    try:
        _import(module.split('.')[0])
        _import(module)
    except ImportError:
        return False
    return True
