"""Collection and setup of the doctests in ``src/datamatrix``.

This file lives in ``src/``, next to the package rather than inside it, for two
reasons: it is not installed with datamatrix (setuptools packages only
``src/datamatrix``), and pytest applies it only to what is collected below
``src/``, that is the doctests; the unit tests under ``tests/`` keep their own
``tests/conftest.py`` and see nothing of this one. ``pytest`` (``testpaths`` in
``pyproject.toml``) collects the examples of every module below ``src/`` through
:func:`pytest_collect_file` here, which does what ``--doctest-modules`` does but
for this folder only (that option would also import ``tests/conftest.py`` as a
module named ``conftest``, clashing with this file).

Every example runs with:

* ``np`` (numpy) and ``DataMatrix`` in its namespace; the examples of the public
  API (what the public modules export, listed in ``_PUBLIC_MODULES``) see nothing
  else, not even the globals of the module that defines them, so they import
  everything they use from a public module, as a user would (examples of private
  helpers keep their module's globals);
* a fresh, empty working directory, so examples that write files
  (``io.writetxt(dm, 'trials.csv')``) leave nothing behind;
* a small memory budget (``cfg.memory_limit = '64MB'``) with spill files in a
  temporary folder, no progress bars, and every setting of ``cfg`` restored
  afterwards (also those the example changes itself);
* matplotlib's non-interactive ``Agg`` backend, and every figure closed after
  the example;
* a skip, not a failure, when an optional package the example needs is not
  installed (the ``test`` extra installs them all, so in CI they all run).
"""
import copy
import os
import re
import sys

import numpy as np
import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')  # before any example imports matplotlib

# Optional packages by the (dotted) name of the documented object: the examples of
# these objects need the package even when they do not import it themselves.
_NEEDS = {
    'datamatrix.convert._pandas': 'pandas',
    'datamatrix.convert._get': 'pandas',
    'datamatrix.convert._drop_duplicates': 'pandas',
    'datamatrix.convert._groupby': 'pandas',
    'datamatrix.convert._xarray': 'xarray',
    'datamatrix.convert._dask': 'dask',
    'datamatrix.convert._mne': 'mne',
    'datamatrix.io._excel': 'openpyxl',
    'datamatrix.io._zarr': 'zarr',
    'datamatrix._table.nifti': 'nibabel',
    'datamatrix.plot': 'matplotlib',
    'datamatrix.series.smooth': 'scipy',
    'datamatrix.series.filter_': 'scipy',
    'datamatrix.series.blinkreconstruct': 'scipy',
    'datamatrix._kernels.traces.smooth_block': 'scipy',
    'datamatrix._kernels.traces.filter_block': 'scipy',
    'datamatrix._kernels.blinks': 'scipy',
    'datamatrix.plot._legacy.regplot': 'scipy',
    'datamatrix.operations._group.pivot_table': 'pandas',
}
# ... by the exact name (module docstrings)
_NEEDS_EXACT = {'datamatrix.convert': 'pandas'}
# ... and by what the example imports
_IMPORTS = re.compile(r'^\s*(?:import|from)\s+(pandas|scipy|xarray|dask|zarr|mne|nibabel|'
                      r'matplotlib|openpyxl)\b', re.MULTILINE)
# The modules whose exported names are the public API
_PUBLIC_MODULES = ('datamatrix', 'datamatrix.io', 'datamatrix.operations',
                   'datamatrix.series', 'datamatrix.multidimensional',
                   'datamatrix.functional', 'datamatrix.convert', 'datamatrix.plot',
                   'datamatrix.colors', 'datamatrix.colors.tango', 'datamatrix.errors',
                   'datamatrix.py3compat')


def _public_ids() -> set:
    import importlib
    ids = set()
    for module_name in _PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, '__all__', None) or [
            name for name in vars(module) if not name.startswith('_')]
        ids.update(id(getattr(module, name)) for name in names)
    return ids


def _documents_public_api(dtest) -> bool:
    """Whether ``dtest`` documents a public module or something one exports."""
    module_name = dtest.globs.get('__name__', '')
    rest = dtest.name[len(module_name):].lstrip('.')
    if not rest:
        return module_name in _PUBLIC_MODULES
    global _PUBLIC_IDS
    if _PUBLIC_IDS is None:
        _PUBLIC_IDS = _public_ids()
    return id(dtest.globs.get(rest.split('.')[0])) in _PUBLIC_IDS


_PUBLIC_IDS = None


def _needed_packages(item) -> set:
    name = item.dtest.name
    needed = {package for prefix, package in _NEEDS.items() if name.startswith(prefix)}
    if name in _NEEDS_EXACT:
        needed.add(_NEEDS_EXACT[name])
    source = '\n'.join(example.source for example in item.dtest.examples)
    needed.update(_IMPORTS.findall(source))
    return needed


def pytest_collect_file(file_path, parent):
    """The doctests of every module below ``src/`` (as ``--doctest-modules`` would)."""
    if file_path.suffix == '.py' and file_path.name != 'conftest.py' and \
            not parent.config.getoption('doctestmodules'):
        from _pytest.doctest import DoctestModule
        return DoctestModule.from_parent(parent, path=file_path)
    return None


@pytest.fixture(autouse=True)
def _doctest_environment(request, doctest_namespace, tmp_path, monkeypatch):
    """Namespace, working directory, settings and packages of one example (see above)."""
    from datamatrix import DataMatrix, cfg

    if hasattr(request.node, 'dtest'):
        for package in sorted(_needed_packages(request.node)):
            pytest.importorskip(package)
        dtest = request.node.dtest
        if _documents_public_api(dtest):
            name = dtest.globs.get('__name__')
            dtest.globs.clear()  # not the module's globals: only public names
            dtest.globs['__name__'] = name
    doctest_namespace['np'] = np
    doctest_namespace['DataMatrix'] = DataMatrix
    work = tmp_path / 'work'
    spill = tmp_path / 'spill'
    work.mkdir()
    spill.mkdir()
    saved = copy.deepcopy(vars(cfg))
    monkeypatch.chdir(work)
    cfg.tmp_dir = str(spill)
    cfg.memory_limit = '64MB'
    cfg.progress = False
    try:
        yield
    finally:
        # restore the instance attributes as they were: settings the example assigned
        # disappear again and the class defaults show through
        vars(cfg).clear()
        vars(cfg).update(saved)
        if 'matplotlib.pyplot' in sys.modules:
            sys.modules['matplotlib.pyplot'].close('all')
