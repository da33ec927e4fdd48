"""Tests of ``datamatrix.functional`` (SPEC section 11)."""
import functools
import logging
import lzma  # noqa: F401  (tar.xz support must be available)
import os
import pickle
import tarfile

import numpy as np
import pytest

from datamatrix._engine.config import cfg
from datamatrix.functional import (curry, filter_, map_, memoize, profile, setcol,
                                   stack_multiprocess)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

class Counter:
    """A callable that counts its calls and returns a value computed from its arguments."""

    def __init__(self, fnc=lambda *a, **kw: (a, sorted(kw.items()))):
        self.calls = 0
        self.fnc = fnc
        self.__name__ = 'counter'

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fnc(*args, **kwargs)


def g(x, y=0):
    """A module-level function for use in partials."""
    return x + y


def h(x, y=0):
    """Another module-level function with the same signature as ``g``."""
    return x - y


class A:
    @staticmethod
    def f(x):
        return x


class B:
    @staticmethod
    def f(x):
        return x


def _key(fnc, *args, **kwargs):
    """The memoize key for calling ``fnc`` with the given arguments."""
    _result, key, _source = memoize(fnc, debug=True)(*args, **kwargs)
    return key


def _dm(**columns):
    from datamatrix import DataMatrix
    return DataMatrix(**columns)


# ---------------------------------------------------------------------------
# curry
# ---------------------------------------------------------------------------

def test_curry_all_call_patterns():
    """A curried 3-argument function gives the same result for every way of splitting the arguments."""
    @curry
    def add(a, b, c):
        return a + b + c

    assert add(1)(2)(3) == add(1, 2)(3) == add(1)(2, 3) == add(1, 2, 3) == 6


def test_curry_counts_parameters_with_defaults_and_keeps_name():
    """Parameters with defaults count as unbound, and name and docstring are kept."""
    def mul(a, b=2):
        """Multiply."""
        return a * b

    curried = curry(mul)
    assert callable(curried(3))
    assert curried(3)(4) == 12
    assert curried.__name__ == 'mul' and curried.__doc__ == 'Multiply.'


def test_curry_partial_applications_are_independent():
    """Binding different first arguments to one curried function does not mix them up."""
    curried = curry(lambda a, b: (a, b))
    first, second = curried(1), curried(2)
    assert first(10) == (1, 10)
    assert second(20) == (2, 20)


def test_curry_rejects_keywords():
    """Keyword arguments are not supported by curried functions."""
    with pytest.raises(TypeError):
        curry(lambda a, b: a)(a=1)


# ---------------------------------------------------------------------------
# memoize: basics and keys
# ---------------------------------------------------------------------------

def test_memoize_caches_and_returns_fresh_copies():
    """A memoized call runs once per key and every hit returns an independent copy."""
    counter = Counter(lambda n: list(range(n)))
    fast = memoize(counter)
    first = fast(3)
    first.append('changed')
    assert fast(3) == [0, 1, 2]
    assert counter.calls == 1
    assert fast(4) == [0, 1, 2, 3] and counter.calls == 2


def test_memoize_decorator_forms_and_name():
    """``@memoize`` and ``@memoize(...)`` both work and name the object ``memoize(<name>)``."""
    @memoize
    def plain(x):
        return x + 1

    @memoize(debug=True)
    def configured(x):
        return x + 2

    assert plain.__name__ == 'memoize(plain)'
    assert configured.__name__ == 'memoize(configured)'
    assert plain(1) == 2
    assert configured(1)[0] == 3


def test_memoize_keys_distinguish_partials():
    """``partial(g, 1)`` and ``partial(g, 2)`` (and partials of different functions) get different keys."""
    identity = lambda obj: 0  # noqa: E731
    assert _key(identity, functools.partial(g, 1)) != _key(identity, functools.partial(g, 2))
    assert _key(identity, functools.partial(g, 1)) != _key(identity, functools.partial(h, 1))
    assert (_key(identity, functools.partial(g, y=1))
            != _key(identity, functools.partial(g, y=2)))
    assert _key(identity, functools.partial(g, 1)) == _key(identity, functools.partial(g, 1))


def test_memoize_partial_arguments_do_not_share_results():
    """Calls with different partials as argument each run the function and return their own result."""
    @memoize
    def apply(fnc):
        return fnc()

    assert apply(functools.partial(g, 1)) == 1
    assert apply(functools.partial(g, 2)) == 2


def test_memoize_keys_distinguish_callables_by_qualified_name():
    """Callables with the same ``__name__`` but different qualified names get different keys."""
    identity = lambda obj: 0  # noqa: E731
    assert _key(identity, A.f) != _key(identity, B.f)
    assert _key(identity, g) != _key(identity, h)
    assert _key(identity, g) == _key(identity, g)


def test_memoize_keys_distinguish_memoize_objects():
    """Memoize objects as arguments are keyed by their wrapped function."""
    identity = lambda obj: 0  # noqa: E731
    assert _key(identity, memoize(g)) != _key(identity, memoize(h))
    assert _key(identity, memoize(g)) == _key(identity, memoize(g))


def test_memoize_positional_and_keyword_keys_differ():
    """Passing an argument positionally or by keyword gives different keys (reference quirk)."""
    assert _key(g, 1) != _key(g, x=1)
    assert _key(g, 1, y=2) == _key(g, 1, y=2)
    assert _key(g, x=1, y=2) == _key(g, y=2, x=1)


def test_memoize_keys_of_values():
    """Keys distinguish values of different types and contents, including arrays and nested containers."""
    identity = lambda obj: 0  # noqa: E731
    keys = {_key(identity, value) for value in
            [1, 1.5, '1', None, True, [1], (1,), {'a': 1}, {'b': 1}, {'a': 2},
             np.array([1, 2]), np.array([1, 3]), np.array([1.0, 2.0]),
             np.array([[1, 2]]), [[1, 2]], [[1, 3]]]}
    assert len(keys) == 16
    assert _key(identity, np.array([1, 2])) == _key(identity, np.array([1, 2]))
    assert _key(identity, {'a': 1, 'b': 2}) == _key(identity, {'b': 2, 'a': 1})
    assert _key(identity, {'b', 'a', 'c'}) == _key(identity, {'c', 'a', 'b'})
    assert _key(identity, {'a', 'b'}) != _key(identity, {'a', 'c'})


def test_memoize_fixed_key_ignores_arguments():
    """With ``key=...`` the arguments are ignored: the first result is returned for every call."""
    fixed = memoize(lambda x: x, key='constant', debug=True)
    assert fixed(1) == (1, 'constant', 'function')
    assert fixed(2) == (1, 'constant', 'memory')


def test_memoize_debug_sources_and_output(capsys):
    """``debug=True`` reports ``'function'`` then ``'memory'`` and prints a line per call."""
    fast = memoize(lambda x: x * 2, debug=True)
    result, key, source = fast(21)
    assert (result, source) == (42, 'function')
    assert len(key) == 32 and int(key, 16) >= 0
    assert fast(21) == (42, key, 'memory')
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert key in lines[0] and 'function' in lines[0] and 'memory' in lines[1]


# ---------------------------------------------------------------------------
# memoize: in-memory size limit
# ---------------------------------------------------------------------------

def test_memoize_max_size_evicts_oldest():
    """When the pickled total exceeds ``max_size`` the oldest entries are dropped."""
    size = len(pickle.dumps(b'x' * 100, protocol=pickle.HIGHEST_PROTOCOL))
    counter = Counter(lambda i: bytes([i]) * 100)
    fast = memoize(counter, max_size=2 * size, debug=True)
    fast(1), fast(2)
    assert fast.cache_size == 2 * size
    fast(3)  # evicts 1
    assert fast.cache_size == 2 * size
    assert fast(2)[2] == 'memory' and fast(3)[2] == 'memory'
    assert fast(1)[2] == 'function'
    assert counter.calls == 4


def test_memoize_result_larger_than_max_size_is_not_kept():
    """A single result larger than ``max_size`` triggers a warning and is not cached."""
    fast = memoize(lambda: b'x' * 1000, max_size=100, debug=True)
    with pytest.warns(UserWarning):
        assert fast()[2] == 'function'
    assert fast.cache_size == 0
    with pytest.warns(UserWarning):
        assert fast()[2] == 'function'


# ---------------------------------------------------------------------------
# memoize: persistent caching
# ---------------------------------------------------------------------------

def test_memoize_persistent_roundtrip(tmp_path):
    """A persistent cache writes one file per key and a new memoize object reads it from disk."""
    folder = tmp_path / 'cache'
    first = memoize(lambda x: {'value': x}, persistent=True, folder=folder, debug=True)
    assert folder.is_dir()  # created at decoration time
    result, key, source = first(5)
    assert (result, source) == ({'value': 5}, 'function')
    assert os.listdir(folder) == [key]
    second = memoize(lambda x: {'other': x}, persistent=True, folder=folder, debug=True)
    # same key: both lambdas have the same module-qualified name (spec)
    assert second(5) == ({'value': 5}, key, 'disk')
    assert first.cache_size == 0


def test_memoize_default_folder_read_at_decoration(tmp_path, monkeypatch):
    """The default folder is ``memoize.folder`` as it is when decorating, and it is created then."""
    monkeypatch.setattr(memoize, 'folder', str(tmp_path / 'default'))
    fast = memoize(g, persistent=True, debug=True)
    monkeypatch.setattr(memoize, 'folder', str(tmp_path / 'later'))
    assert (tmp_path / 'default').is_dir()
    _result, key, _source = fast(1)
    assert (tmp_path / 'default' / key).is_file()
    assert not (tmp_path / 'later').exists()


def test_memoize_persistent_never_overwrites(tmp_path):
    """An existing cache file is used as is and never overwritten."""
    fast = memoize(g, persistent=True, folder=tmp_path, debug=True)
    key = _key(g, 1)
    (tmp_path / key).write_bytes(pickle.dumps('planted', protocol=2))
    assert fast(1) == ('planted', key, 'disk')
    assert pickle.loads((tmp_path / key).read_bytes()) == 'planted'


def test_memoize_extracts_tar_xz(tmp_path):
    """A ``<key>.tar.xz`` archive next to the expected file is extracted on first use."""
    key = _key(g, 7)
    staged = tmp_path / 'staging' / key
    staged.parent.mkdir()
    staged.write_bytes(pickle.dumps('from archive', protocol=pickle.HIGHEST_PROTOCOL))
    folder = tmp_path / 'cache'
    folder.mkdir()
    with tarfile.open(folder / f'{key}.tar.xz', 'w:xz') as tar:
        tar.add(staged, arcname=key)
    fast = memoize(g, persistent=True, folder=folder, debug=True)
    assert fast(7) == ('from archive', key, 'disk')
    assert (folder / key).is_file()


def test_memoize_clear_memory_and_disk(tmp_path):
    """``clear()`` makes the next call delete its cached result, recompute and cache again."""
    counter = Counter(lambda x: x)
    fast = memoize(counter, debug=True)
    fast(1)
    fast.clear()
    assert fast(1)[2] == 'function'
    assert fast(1)[2] == 'memory'
    assert counter.calls == 2

    disk_counter = Counter(lambda x: x)
    slow = memoize(disk_counter, persistent=True, folder=tmp_path, debug=True)
    _result, key, _source = slow(1)
    (tmp_path / key).write_bytes(pickle.dumps('stale', protocol=2))
    assert slow(1)[0] == 'stale'
    slow.clear()
    assert slow(1) == (1, key, 'function')
    assert pickle.loads((tmp_path / key).read_bytes()) == 1
    assert slow(1)[2] == 'disk'


# ---------------------------------------------------------------------------
# memoize: lazy evaluation and >> chains
# ---------------------------------------------------------------------------

def test_memoize_lazy_evaluates_callables_only_on_miss():
    """Lazy memoize calls callable arguments (also nested) only when the function really runs."""
    producer = Counter(lambda: 10)
    total = memoize(lambda a, b, c: a + sum(b) + c['k'], lazy=True, debug=True)
    assert total(producer, [producer, 1], c={'k': producer})[::2] == (31, 'function')
    assert producer.calls == 3
    assert total(producer, [producer, 1], c={'k': producer})[::2] == (31, 'memory')
    assert producer.calls == 3


def test_memoize_lazy_chains_with_rshift():
    """``(1 >> f >> g)()`` evaluates ``g(f(1))`` and memoizes both steps."""
    f_counter, g_counter = Counter(lambda x: x + 1), Counter(lambda x: x * 10)
    f = memoize(f_counter, lazy=True)
    gg = memoize(g_counter, lazy=True)
    chain = 1 >> f >> gg
    assert isinstance(chain, functools.partial)
    assert chain() == 20
    assert chain() == 20
    assert (f_counter.calls, g_counter.calls) == (1, 1)
    assert f(1) == 2 and f_counter.calls == 1
    composed = f >> gg
    assert composed.func is gg and composed.args == (f,)


def test_memoize_rshift_requires_lazy():
    """``>>`` on a non-lazy memoize object raises ``ValueError``."""
    strict = memoize(g)
    with pytest.raises(ValueError):
        1 >> strict
    with pytest.raises(ValueError):
        strict >> g
    with pytest.raises(ValueError):
        memoize(g, lazy=True) >> strict


# ---------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------

def test_profile_writes_report(tmp_path):
    """``profile`` writes a pstats text report of the profiled block to the given path."""
    path = tmp_path / 'profile.txt'

    def busy():
        return sum(i * i for i in range(10000))

    with profile(path=str(path), sortby='tottime'):
        busy()
    report = path.read_text()
    assert 'busy' in report
    assert 'Ordered by: internal time' in report


# ---------------------------------------------------------------------------
# argument checks that need no DataMatrix content
# ---------------------------------------------------------------------------

def test_map_filter_reject_non_callables_and_other_objects():
    """``map_``/``filter_`` need a callable and a column or DataMatrix (else ``TypeError``)."""
    for function in (map_, filter_):
        with pytest.raises(TypeError):
            function(1, [1, 2])
        with pytest.raises(TypeError):
            function(abs, [1, 2])


# ---------------------------------------------------------------------------
# DataMatrix-dependent tests
# ---------------------------------------------------------------------------

def test_map_column():
    """``map_`` on a column returns a new column with the function applied to every cell."""
    dm = _dm(x=[1, 2, 3])
    result = map_(lambda v: v * 10, dm.x)
    assert list(result) == [10, 20, 30]
    assert list(dm.x) == [1, 2, 3]


def test_map_datamatrix_rows():
    """``map_`` on a DataMatrix passes only the original columns, creates new ones and keeps the family."""
    dm = _dm(a=[1, 2, 3], b=['x', 'y', 'z'])

    def fnc(a, b):
        return {'a': a * 2, 'c': b + '!'}

    result = map_(fnc, dm)
    assert list(result.a) == [2, 4, 6]
    assert list(result.b) == ['x', 'y', 'z']
    assert list(result.c) == ['x!', 'y!', 'z!']
    assert result == dm and result is not dm
    assert 'c' not in dm and list(dm.a) == [1, 2, 3]


def test_map_datamatrix_requires_dict():
    """A row function that does not return a dict raises ``TypeError``."""
    with pytest.raises(TypeError):
        map_(lambda a: a, _dm(a=[1, 2]))


def test_filter_column_with_any_callable():
    """``filter_`` on a column returns a column and accepts built-ins and partials."""
    dm = _dm(x=[0, 1, '', 'a', 2])
    assert list(filter_(bool, dm.x)) == [1, 'a', 2]
    assert list(filter_(functools.partial(g, y=-1), dm.x[[0, 1, 4]])) == [0, 2]
    assert list(filter_(str.isalpha, dm.x[[2, 3]])) == ['a']
    assert list(filter_(lambda v: v == 1, dm.x)) == [1]
    assert len(filter_(lambda v: False, dm.x)) == 0


def test_filter_datamatrix_rows():
    """``filter_`` on a DataMatrix selects rows of the same family, also when none match."""
    dm = _dm(a=[1, 2, 3], b=[3, 2, 1])
    result = filter_(lambda a, b: a > b, dm)
    assert list(result.a) == [3] and result == dm
    empty = filter_(lambda a, b: False, dm)
    assert len(empty) == 0 and empty.column_names == dm.column_names


def test_setcol_copies_and_keeps_inputs():
    """``setcol`` returns a copy of the same family and leaves the DataMatrix and the column unchanged."""
    dm = _dm(x=[1, 2, 3])
    doubled = dm.x * 2
    result = setcol(dm, 'y', doubled)
    assert list(result.y) == [2, 4, 6]
    assert 'y' not in dm and result == dm
    assert doubled.dm is dm and result.y is not doubled
    assert list(setcol(dm, 'x', 0).x) == [0, 0, 0] and list(dm.x) == [1, 2, 3]
    assert list(setcol(dm, 'z', dm.x).z) == [1, 2, 3]


def test_setcol_rejects_bad_name_and_foreign_column():
    """``setcol`` requires a str name and refuses a column of another DataMatrix."""
    dm = _dm(x=[1, 2])
    with pytest.raises(TypeError):
        setcol(dm, 1, 0)
    with pytest.raises(ValueError):
        setcol(dm, 'y', _dm(x=[1, 2]).x)


def test_memoize_datamatrix_arguments_and_results(tmp_path):
    """DataMatrix arguments are keyed by content, and persistent DataMatrix results use writebin."""
    dm1, dm2 = _dm(x=[1, 2]), _dm(x=[1, 3])
    identity = lambda obj: 0  # noqa: E731
    assert _key(identity, dm1) != _key(identity, dm2)
    assert _key(identity, dm1) == _key(identity, _dm(x=[1, 2]))

    fast = memoize(lambda dm: dm, debug=True)
    first = fast(dm1)[0]
    assert first.equals(dm1) and fast(dm1)[2] == 'memory'

    slow = memoize(lambda n: _dm(x=list(range(n))), persistent=True, folder=tmp_path,
                   debug=True)
    result, key, source = slow(3)
    assert source == 'function'
    assert (tmp_path / key).read_bytes()[:1] != b'\x80'  # not a pickle
    again, _key2, source = slow(3)
    assert source == 'disk' and list(again.x) == [0, 1, 2]


def _job(n):
    """Worker for stack_multiprocess tests: a DataMatrix with ``n`` rows."""
    from datamatrix import DataMatrix
    if n == 'fail':
        raise RuntimeError('job failed on purpose')
    if n == 'not a dm':
        return 'no DataMatrix'
    return DataMatrix(n=[n] * n, i=list(range(n)))


@pytest.fixture
def tmp_dir_cfg(tmp_path):
    """Point ``cfg.tmp_dir`` at an empty temporary directory and restore it afterwards."""
    saved = cfg.tmp_dir
    cfg.tmp_dir = str(tmp_path)
    yield tmp_path
    cfg.tmp_dir = saved


def test_stack_multiprocess_stacks_in_order(tmp_dir_cfg):
    """Results are stacked in argument order and no transfer file is left behind."""
    result = stack_multiprocess(_job, [1, 3, 2], processes=2)
    assert list(result.n) == [1, 3, 3, 3, 2, 2]
    assert list(result.i) == [0, 0, 1, 2, 0, 1]
    assert os.listdir(tmp_dir_cfg) == []


def test_stack_multiprocess_logs_and_skips_failures(tmp_dir_cfg, caplog):
    """Failing jobs and non-DataMatrix results are logged as errors and skipped."""
    with caplog.at_level(logging.ERROR, logger='datamatrix'):
        result = stack_multiprocess(_job, [2, 'fail', 'not a dm', 1], processes=2)
    assert list(result.n) == [2, 2, 1]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert any('job failed on purpose' in message for message in errors)
    assert os.listdir(tmp_dir_cfg) == []


def test_stack_multiprocess_without_success_is_empty(tmp_dir_cfg, caplog):
    """With no successful job the result is an empty DataMatrix."""
    with caplog.at_level(logging.ERROR, logger='datamatrix'):
        result = stack_multiprocess(_job, ['fail'], processes=1)
    assert len(result) == 0 and result.column_names == []
    assert os.listdir(tmp_dir_cfg) == []


def _typed_job(kind):
    """Worker returning a one-row DataMatrix whose column ``x`` has the given type."""
    from datamatrix import DataMatrix
    dm = DataMatrix(length=1)
    dm.x = kind
    return dm


def test_stack_multiprocess_removes_files_when_stacking_fails(tmp_dir_cfg):
    """When stacking raises (incompatible column types), the transfer files are still removed."""
    with pytest.raises(TypeError):
        stack_multiprocess(_typed_job, [int, float], processes=2)
    assert os.listdir(tmp_dir_cfg) == []


def test_stack_multiprocess_removes_what_a_killed_call_left(tmp_dir_cfg):
    """Result files of a process that no longer runs are swept; a running one's stay."""
    import subprocess
    import sys
    from datamatrix.io._files import _HOST
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True, check=True).stdout.strip()
    left = tmp_dir_cfg / f'.stack-0.0123abcd.tmp-{dead}@{_HOST}'
    running = tmp_dir_cfg / f'.stack-0.4567ef01.tmp-{os.getppid()}@{_HOST}'
    left.write_bytes(b'x' * 10)
    running.write_bytes(b'y')
    result = stack_multiprocess(_job, [2], processes=1)
    assert list(result.n) == [2, 2]
    assert os.listdir(tmp_dir_cfg) == [running.name]


def test_stack_multiprocess_progress_bar(tmp_dir_cfg, capsys):
    """With progress bars forced on, reading the results back shows a bar on stderr."""
    saved = cfg.progress, cfg.progress_min_bytes
    cfg.progress, cfg.progress_min_bytes = True, 1
    try:
        result = stack_multiprocess(_job, [1, 2], processes=1)
    finally:
        cfg.progress, cfg.progress_min_bytes = saved
    assert len(result) == 3
    assert 'stack_multiprocess' in capsys.readouterr().err


def _series_job(n):
    """Worker returning a 2-row DataMatrix with a series column filled with ``n``."""
    from datamatrix import DataMatrix, SeriesColumn
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=3)
    dm.s = n
    return dm


def test_stack_multiprocess_multidimensional_results(tmp_dir_cfg):
    """Series columns come back intact after their transfer files were deleted."""
    result = stack_multiprocess(_series_job, [1.0, 2.0], processes=2)
    assert os.listdir(tmp_dir_cfg) == []
    assert result.s.shape == (4, 3)
    assert np.array_equal(result.s.array, [[1.0] * 3] * 2 + [[2.0] * 3] * 2)
