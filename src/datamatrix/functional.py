"""Functional-programming helpers: currying, mapping, filtering and memoization.

Customary import::

    from datamatrix import functional as fnc

Heavy parts of the library (I/O, JSON conversion, stacking, numpy) are imported
lazily, inside the functions that need them.

Examples
--------
>>> from datamatrix import functional as fnc
>>> dm = DataMatrix(rt=[500, 600, 700])
>>> print(fnc.filter_(lambda rt: rt > 550, dm.rt))
col[600, 700]
"""
from __future__ import annotations

import cProfile
import contextlib
import functools
import hashlib
import inspect
import json
import logging
import os
import pickle
import pstats
import shutil
import tarfile
import uuid
import warnings
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator

from datamatrix._engine.config import cfg

logger = logging.getLogger(__name__)

__all__ = ['curry', 'map_', 'filter_', 'setcol', 'profile', 'stack_multiprocess',
           'memoize']


# ---------------------------------------------------------------------------
# Small helpers shared by several functions
# ---------------------------------------------------------------------------

def _datamatrix_class() -> type:
    from datamatrix import DataMatrix
    return DataMatrix


def _is_datamatrix(obj: Any) -> bool:
    try:
        cls = _datamatrix_class()
    except ImportError:  # without the class, no DataMatrix object can exist
        return False
    return isinstance(obj, cls)


def _is_column(obj: Any) -> bool:
    """Whether ``obj`` is a column: an object bound to a DataMatrix through ``.dm``."""
    if isinstance(obj, (type, str, bytes)) or _is_datamatrix(obj):
        return False
    try:
        return _is_datamatrix(getattr(obj, 'dm', None))
    except Exception:  # e.g. a Row looking up a column called 'dm'
        return False


def _check_callable(fnc: Any, who: str) -> None:
    if not callable(fnc):
        raise TypeError(f'{who}() expects a callable as first argument, not '
                        f'{type(fnc).__name__}')


def _qualified_name(obj: Any) -> str:
    """The module-qualified name of a callable (of its class for callable objects)."""
    target = obj if hasattr(obj, '__qualname__') else type(obj)
    module = getattr(target, '__module__', None) or ''
    name = getattr(target, '__qualname__', None) or getattr(target, '__name__', '?')
    return f'{module}.{name}' if module else name


# ---------------------------------------------------------------------------
# curry, map_, filter_, setcol
# ---------------------------------------------------------------------------

def _positional_count(fnc: Callable) -> int:
    """Number of named positional parameters of ``fnc`` (defaults included)."""
    try:
        parameters = inspect.signature(fnc).parameters.values()
    except (TypeError, ValueError) as exc:
        raise TypeError(f'cannot curry {fnc!r}: its signature is unknown') from exc
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(parameter.kind in kinds for parameter in parameters)


def curry(fnc: Callable) -> Callable:
    """Make ``fnc`` callable one (or more) positional arguments at a time.

    The wrapper calls ``fnc`` as soon as it has received as many positional
    arguments as ``fnc`` has positional parameters (parameters with defaults count);
    before that, each call returns a new curried function with the arguments bound
    so far. Keyword arguments are not supported.

    Parameters
    ----------
    fnc : callable
        The function to curry.

    Returns
    -------
    callable
        A wrapper with ``fnc``'s ``__name__`` and ``__doc__``.

    Examples
    --------
    >>> from datamatrix.functional import curry
    >>> @curry
    ... def add(a, b, c):
    ...     return a + b + c
    >>> add(1)(2)(3) == add(1, 2)(3) == add(1)(2, 3) == add(1, 2, 3) == 6
    True
    """
    _check_callable(fnc, 'curry')
    needed = _positional_count(fnc)

    def bind(bound: tuple) -> Callable:
        @functools.wraps(fnc)
        def curried(*args: Any) -> Any:
            collected = bound + args
            if len(collected) >= needed:
                return fnc(*collected)
            return bind(collected)
        return curried

    return bind(())


def map_(fnc: Callable, obj: Any) -> Any:
    """Apply ``fnc`` to every cell of a column or to every row of a DataMatrix.

    Parameters
    ----------
    fnc : callable
        For a column, called with each cell value. For a DataMatrix, called for
        every row as ``fnc(**{name: value})`` with the values of the columns that
        ``obj`` has; it must return a ``dict`` of ``{name: new_value}``.
    obj : column or DataMatrix

    Returns
    -------
    column or DataMatrix
        For a column: ``obj @ fnc``, a new column. For a DataMatrix: a modified
        copy of the same family; returned items are written into the row (unknown
        names first create a column of the default type), other cells are kept.

    Raises
    ------
    TypeError
        If ``fnc`` is not callable, if it does not return a dict for a DataMatrix,
        or if ``obj`` is neither a column nor a DataMatrix.

    Examples
    --------
    >>> from datamatrix.functional import map_
    >>> dm = DataMatrix(rt=[500, 600])
    >>> print(map_(lambda rt: rt / 1000, dm.rt))
    col[0.5, 0.6]
    >>> print(map_(lambda rt: {'speed': 'slow' if rt > 550 else 'fast'}, dm))
    +---+-----+-------+
    | # |  rt | speed |
    +---+-----+-------+
    | 0 | 500 |  fast |
    | 1 | 600 |  slow |
    +---+-----+-------+
    """
    _check_callable(fnc, 'map_')
    if _is_datamatrix(obj):
        names = list(obj.column_names)
        result = obj[:]
        for i, row in enumerate(result):
            changes = fnc(**{name: row[name] for name in names})
            if not isinstance(changes, dict):
                raise TypeError(f'map_() function must return a dict for each row, '
                                f'not {type(changes).__name__} (row {i})')
            for name, value in changes.items():
                if name not in result:
                    result[name] = result.default_col_type
                result[name][i] = value
        return result
    if _is_column(obj):
        return obj @ fnc
    raise TypeError(f'map_() works on a column or a DataMatrix, not '
                    f'{type(obj).__name__}')


def filter_(fnc: Callable, obj: Any) -> Any:
    """Keep the cells of a column, or the rows of a DataMatrix, for which ``fnc`` is true.

    Parameters
    ----------
    fnc : callable
        For a column, called with each cell value; for a DataMatrix, called for each
        row as ``fnc(**{name: value})``. Any callable works, built-ins included.
    obj : column or DataMatrix

    Returns
    -------
    column or DataMatrix
        For a column: a new column with the selected cells (not a DataMatrix, unlike
        ``col == fnc``). For a DataMatrix: a selection of the same family.

    Raises
    ------
    TypeError
        If ``fnc`` is not callable or ``obj`` is neither a column nor a DataMatrix.

    Examples
    --------
    >>> from datamatrix.functional import filter_
    >>> dm = DataMatrix(rt=[500, 600, 700], condition=['a', 'b', 'a'])
    >>> print(filter_(lambda rt: rt > 550, dm.rt))
    col[600, 700]
    >>> print(filter_(lambda condition, rt: condition == 'a' and rt > 550, dm))
    +---+-----------+-----+
    | # | condition |  rt |
    +---+-----------+-----+
    | 2 |     a     | 700 |
    +---+-----------+-----+
    """
    _check_callable(fnc, 'filter_')
    if _is_datamatrix(obj):
        keep = [i for i, row in enumerate(obj)
                if fnc(**{name: value for name, value in row})]
    elif _is_column(obj):
        keep = [i for i, value in enumerate(obj) if fnc(value)]
    else:
        raise TypeError(f'filter_() works on a column or a DataMatrix, not '
                        f'{type(obj).__name__}')
    # an empty list would select no *columns* of a DataMatrix: use an empty slice
    return obj[keep] if keep else obj[0:0]


def setcol(dm: Any, name: str, value: Any) -> Any:
    """Return a copy of ``dm`` in which column ``name`` is set to ``value``.

    Parameters
    ----------
    dm : DataMatrix
    name : str
        The column to create or replace.
    value : object
        Anything ``copy[name] = value`` accepts. A column must belong to ``dm``
        (e.g. ``dm.x * 2``); its values are copied into the new DataMatrix.

    Returns
    -------
    DataMatrix
        A copy of ``dm`` of the same family. Neither ``dm`` nor a passed column are
        modified.

    Raises
    ------
    TypeError
        If ``name`` is not a ``str`` or ``dm`` not a DataMatrix.
    ValueError
        If ``value`` is a column of another DataMatrix.

    Examples
    --------
    >>> from datamatrix.functional import setcol
    >>> dm = DataMatrix(rt=[500, 600])
    >>> copy = setcol(dm, 'rt_s', dm.rt / 1000)
    >>> copy.column_names, dm.column_names
    (['rt', 'rt_s'], ['rt'])
    >>> print(copy.rt_s)
    col[0.5, 0.6]
    """
    if not isinstance(name, str):
        raise TypeError(f'column name must be a str, not {type(name).__name__}')
    if not _is_datamatrix(dm):
        raise TypeError(f'setcol() expects a DataMatrix, not {type(dm).__name__}')
    if _is_column(value) and value.dm is not dm:
        raise ValueError(f'cannot set column {name!r}: the column belongs to another '
                         f'DataMatrix')
    result = dm[:]
    result[name] = value  # value is bound to dm, not to result: its data are copied
    return result


# ---------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def profile(path: str | os.PathLike = 'profile.txt',
            sortby: str = 'cumulative') -> Iterator[cProfile.Profile]:
    """Profile the enclosed block and write a ``pstats`` report to ``path``.

    Parameters
    ----------
    path : str or path-like, optional
        Text file that receives the report (overwritten).
    sortby : str, optional
        A ``pstats`` sort key, e.g. ``'cumulative'``, ``'tottime'``, ``'calls'``.

    Yields
    ------
    cProfile.Profile
        The active profiler.

    Examples
    --------
    >>> from datamatrix.functional import profile
    >>> with profile('profile.txt', sortby='tottime'):
    ...     dm = DataMatrix(x=list(range(1000)))
    ...     total = dm.x.sum
    ...
    >>> total
    499500.0
    >>> 'function calls' in open('profile.txt').read()
    True
    """
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield profiler
    finally:
        profiler.disable()
        with open(path, 'w') as fh:
            pstats.Stats(profiler, stream=fh).sort_stats(sortby).print_stats()


# ---------------------------------------------------------------------------
# stack_multiprocess
# ---------------------------------------------------------------------------

def _stack_job(job: tuple) -> str | None:
    """Worker: run ``fnc(arg)`` and write the DataMatrix result to ``path``.

    Returns ``None`` on success and a description of the problem otherwise, so that
    a failing job never breaks the pool.
    """
    fnc, arg, path = job
    try:
        result = fnc(arg)
        if not _is_datamatrix(result):
            return f'returned {type(result).__name__}, not a DataMatrix'
        from datamatrix import io
        io.writebin(result, path)
    except Exception as exc:
        return f'{type(exc).__name__}: {exc}'
    return None


def _materialise(dm: Any) -> None:
    """Load the lazily read columns of ``dm`` into memory where the budget allows.

    Columns that cannot be loaded stay file-backed; they are copied by ``stack``,
    whose result never depends on the files that ``readbin`` opened.
    """
    for _name, col in dm.columns:
        try:
            if not col.loaded:
                col.loaded = True
        except MemoryError:
            pass


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning('cannot remove temporary file %s: %s', path, exc)


def stack_multiprocess(fnc: Callable, args: Iterable, processes: int | None = None) -> Any:
    """Run ``fnc(arg)`` for every ``arg`` in a process pool and stack the results.

    Parameters
    ----------
    fnc : callable
        A picklable function (defined at module level) that returns a DataMatrix.
    args : iterable
        One argument per job.
    processes : int or None, optional
        Number of worker processes; ``None`` uses the number of CPUs.

    Returns
    -------
    DataMatrix
        The results stacked in argument order (``operations.stack``). Failing jobs
        (exceptions or non-DataMatrix results) are logged with ``logger.error`` and
        skipped; with no successful job the result is an empty DataMatrix.

    Notes
    -----
    Results travel through hidden ``writebin`` files in ``cfg.tmp_dir``, named
    ``.stack-<index>.<id>.tmp-<pid>@<host>``; they are removed when the call
    returns, also on error. Those of a process that was killed are removed by the
    next ``stack_multiprocess`` (or file write) in that folder.

    Examples
    --------
    >>> from datamatrix import io
    >>> from datamatrix.functional import stack_multiprocess
    >>> for subject in (1, 2):
    ...     io.writetxt(DataMatrix(subject=[subject] * 2, rt=[500, 600]), f'subject{subject}.csv')
    ...
    >>> dm = stack_multiprocess(io.readtxt, ['subject1.csv', 'subject2.csv'], processes=2)
    >>> print(dm)
    +---+-----+---------+
    | # |  rt | subject |
    +---+-----+---------+
    | 0 | 500 |    1    |
    | 1 | 600 |    1    |
    | 2 | 500 |    2    |
    | 3 | 600 |    2    |
    +---+-----+---------+
    """
    import multiprocessing

    from datamatrix import io
    from datamatrix._engine.progress import progress
    from datamatrix._table.combine import stack_tables
    from datamatrix.io._files import sweep_stale, temp_suffix

    _check_callable(fnc, 'stack_multiprocess')
    args = list(args)
    sweep_stale(cfg.tmp_dir)  # what a killed stack_multiprocess left there
    call_id = uuid.uuid4().hex[:12]
    paths = [os.path.join(cfg.tmp_dir, f'.stack-{index}.{call_id}{temp_suffix()}')
             for index in range(len(args))]
    results = []
    try:
        with multiprocessing.Pool(processes) as pool:
            pending = [pool.apply_async(_stack_job, ((fnc, arg, path),))
                       for arg, path in zip(args, paths)]
            problems = []
            for index, job in enumerate(pending):
                try:
                    problems.append(job.get())
                except Exception as exc:  # e.g. an argument that cannot be pickled
                    problems.append(f'{type(exc).__name__}: {exc}')
            pool.close()
            pool.join()
        sizes = [os.path.getsize(path) if problem is None and os.path.exists(path)
                 else 0 for path, problem in zip(paths, problems)]
        with progress(sum(sizes), 'stack_multiprocess') as bar:
            for index, (path, problem) in enumerate(zip(paths, problems)):
                if problem is None:
                    try:
                        dm = io.readbin(path)
                        _materialise(dm)
                        results.append(dm)
                    except Exception as exc:
                        problem = f'{type(exc).__name__}: {exc}'
                if problem is not None:
                    logger.error('stack_multiprocess: job %d (%r) failed: %s', index,
                                 args[index], problem)
                bar.update(sizes[index])
        if not results:
            return _datamatrix_class()()
        return stack_tables(results)
    finally:
        results.clear()  # drop file-backed columns before their files are removed
        for path in paths:
            _remove_quietly(path)


# ---------------------------------------------------------------------------
# memoize
# ---------------------------------------------------------------------------

def _feed(h: Any, obj: Any) -> None:
    """Feed a deterministic serialisation of ``obj`` into the hash object ``h``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        h.update(b'j' + json.dumps(obj).encode() + b';')
        return
    if isinstance(obj, (list, tuple)):
        h.update(b'[' if isinstance(obj, list) else b'(')
        for item in obj:
            _feed(h, item)
        h.update(b']' if isinstance(obj, list) else b')')
        return
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            sub = hashlib.md5()
            _feed(sub, key)
            items.append((sub.hexdigest(), value))
        h.update(b'{')
        for key_digest, value in sorted(items, key=lambda item: item[0]):
            h.update(key_digest.encode() + b':')
            _feed(h, value)
        h.update(b'}')
        return
    if isinstance(obj, (set, frozenset)):
        # str() of a set depends on hash randomisation
        digests = []
        for item in obj:
            sub = hashlib.md5()
            _feed(sub, item)
            digests.append(sub.hexdigest())
        h.update(b'set{' + ','.join(sorted(digests)).encode() + b'}')
        return
    if _is_datamatrix(obj):
        from datamatrix.convert import to_json
        h.update(b'DataMatrix:' + to_json(obj).encode() + b';')
        return
    module = type(obj).__module__
    if module == 'numpy':
        import numpy as np
        if isinstance(obj, np.ndarray):
            h.update(f'ndarray:{obj.dtype.str}:{obj.shape}:'.encode())
            if obj.dtype.hasobject:
                _feed(h, obj.tolist())
            else:
                h.update(np.ascontiguousarray(obj).tobytes())
            h.update(b';')
            return
        if isinstance(obj, np.generic):
            _feed(h, obj.item())
            return
    if _is_column(obj):
        # str() of a long column is abbreviated, so key the values
        h.update(f'column:{type(obj).__name__}:'.encode())
        _feed(h, list(obj))
        h.update(b';')
        return
    if isinstance(obj, memoize):
        h.update(b'memoize(')
        _feed(h, obj._fnc)
        h.update(b')')
        return
    if isinstance(obj, functools.partial):
        h.update(b'partial(')
        _feed(h, obj.func)
        _feed(h, obj.args)
        _feed(h, obj.keywords)
        h.update(b')')
        return
    if callable(obj):
        h.update(b'callable:' + _qualified_name(obj).encode() + b';')
        return
    h.update(b'str:' + str(obj).encode('utf-8', 'surrogatepass') + b';')


def _evaluate(obj: Any) -> Any:
    """Call every callable in ``obj`` (also inside lists, tuples and dict values)."""
    if callable(obj):
        return obj()
    if isinstance(obj, list):
        return [_evaluate(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(_evaluate(item) for item in obj)
    if isinstance(obj, dict):
        return {key: _evaluate(value) for key, value in obj.items()}
    return obj


def _extract_member(archive: str, name: str, target: str) -> bool:
    """Extract the file called ``name`` from a ``.tar.xz`` archive to ``target``.

    Only the bytes of a regular file are copied (no paths from the archive are used),
    so a malicious archive cannot write elsewhere. If no member is called ``name``
    and the archive holds exactly one regular file, that file is used.
    """
    with tarfile.open(archive, 'r:xz') as tar:
        files = [member for member in tar.getmembers() if member.isfile()]
        matches = [m for m in files if os.path.basename(m.name) == name]
        if not matches and len(files) == 1:
            matches = files
        if not matches:
            return False
        tmp = f'{target}.{os.getpid()}.extract'
        try:
            with tar.extractfile(matches[0]) as src, open(tmp, 'wb') as dst:
                shutil.copyfileobj(src, dst)
            if os.path.exists(target):  # never overwrite an existing cache file
                return True
            os.replace(tmp, target)
        finally:
            _remove_quietly(tmp)
    return True


class memoize:
    """Cache the results of a function, in memory or on disk.

    Usable as ``@memoize`` or ``@memoize(...)``. The memoized object is callable
    and its ``__name__`` is ``'memoize(<function name>)'``.

    Parameters
    ----------
    fnc : callable, optional
        The function to memoize (given when used as ``@memoize``).
    key : str, optional
        A fixed cache key; the arguments are then ignored for the key.
    persistent : bool, optional
        Store results as files in ``folder`` instead of in memory.
    lazy : bool, optional
        On a cache miss, first call every callable among the arguments (also inside
        lists, tuples and dict values) and pass the results instead. Enables ``>>``.
    debug : bool, optional
        Return ``(result, key, source)`` with ``source`` one of ``'memory'``,
        ``'disk'`` and ``'function'``, and print what happened.
    folder : str or path-like, optional
        Cache folder for persistent caching; default :attr:`memoize.folder`, read
        when the function is decorated. It is created then.
    max_size : int, optional
        Maximum total size (bytes, pickled) of the in-memory cache.

    Attributes
    ----------
    folder : str
        Class attribute: the default cache folder, initially ``'.memoize'``.
    cache_size : int
        Total pickled size of the results held in memory (0 for persistent caches).

    Notes
    -----
    Keys are the md5 hex digest of a serialisation of ``(function, args, kwargs)``:
    numbers, strings and ``None`` as JSON, lists/tuples element-wise, dicts by key and
    value, sets by their sorted elements, DataMatrix objects with
    ``convert.to_json``, arrays by dtype, shape and bytes, columns by their values,
    callables by their module-qualified name (``functools.partial`` objects also by
    their function, arguments and keywords, memoize objects by their wrapped
    function) and other objects by ``str()``.
    Passing an argument positionally or by keyword gives different keys.

    Examples
    --------
    >>> from datamatrix.functional import memoize
    >>> @memoize
    ... def square(x):
    ...     return x ** 2
    >>> square(3)
    9
    >>> @memoize(lazy=True)
    ... def inc(x):
    ...     return x + 1
    >>> (1 >> inc >> inc)()
    3
    """

    folder: str = '.memoize'

    def __init__(self, fnc: Callable | None = None, key: str | None = None,
                 persistent: bool = False, lazy: bool = False, debug: bool = False,
                 folder: str | os.PathLike | None = None,
                 max_size: int = 1073741824) -> None:
        self._fnc = None
        self._key = key
        self._persistent = persistent
        self._lazy = lazy
        self._debug = debug
        self._folder = folder
        self._max_size = max_size
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._clear_next = False
        self.__name__ = 'memoize(None)'
        if fnc is not None:
            self._decorate(fnc)

    def _decorate(self, fnc: Callable) -> None:
        _check_callable(fnc, 'memoize')
        self._fnc = fnc
        name = getattr(fnc, '__name__', type(fnc).__name__)
        self.__name__ = f'memoize({name})'
        self.__qualname__ = self.__name__
        self.__doc__ = getattr(fnc, '__doc__', None)
        self.__module__ = getattr(fnc, '__module__', None)
        if self._persistent:
            self._folder = os.path.abspath(self._folder if self._folder is not None
                                           else memoize.folder)
            os.makedirs(self._folder, exist_ok=True)

    @property
    def cache_size(self) -> int:
        """Total size in bytes of the (pickled) results held in memory.

        Examples
        --------
        >>> from datamatrix.functional import memoize
        >>> @memoize
        ... def squares(n):
        ...     return np.arange(n) ** 2
        ...
        >>> squares.cache_size
        0
        >>> _ = squares(1000)
        >>> squares.cache_size > 8000
        True
        """
        return sum(len(data) for data in self._cache.values())

    def clear(self) -> None:
        """Make the next call delete and ignore its cached result, then recompute.

        Examples
        --------
        >>> from datamatrix.functional import memoize
        >>> @memoize(debug=True)
        ... def double(x):
        ...     return 2 * x
        ...
        >>> double(2)
        memoize(double): key ..., result from function
        (4, '...', 'function')
        >>> double(2)
        memoize(double): key ..., result from memory
        (4, '...', 'memory')
        >>> double.clear()
        >>> double(2)
        memoize(double): key ..., result from function
        (4, '...', 'function')
        """
        self._clear_next = True

    def __repr__(self) -> str:
        return f'<{self.__name__}>'

    # -- calling ----------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fnc is None:  # used as @memoize(...): this call decorates
            if len(args) != 1 or kwargs:
                raise TypeError('memoize(...) expects the function to decorate')
            self._decorate(args[0])
            return self
        key = self._make_key(args, kwargs)
        if self._clear_next:
            self._clear_next = False
            self._forget(key)
        source = 'function'
        found, result = self._lookup(key)
        if found:
            source = 'disk' if self._persistent else 'memory'
        else:
            if self._lazy:
                args, kwargs = _evaluate(args), _evaluate(kwargs)
            result = self._fnc(*args, **kwargs)
            self._store(key, result)
        if self._debug:
            print(f'{self.__name__}: key {key}, result from {source}')
            return result, key, source
        return result

    def _make_key(self, args: tuple, kwargs: dict) -> str:
        if self._key is not None:
            return self._key
        h = hashlib.md5()
        _feed(h, (_qualified_name(self._fnc), args, kwargs))
        return h.hexdigest()

    # -- storage ------------------------------------------------------------

    def _path(self, key: str) -> str:
        return os.path.join(self._folder, key)

    def _lookup(self, key: str) -> tuple[bool, Any]:
        if not self._persistent:
            if key in self._cache:
                return True, pickle.loads(self._cache[key])
            return False, None
        path = self._path(key)
        archive = path + '.tar.xz'
        if not os.path.exists(path) and os.path.exists(archive):
            _extract_member(archive, key, path)
        if not os.path.exists(path):
            return False, None
        with open(path, 'rb') as fh:
            is_pickle = fh.read(1) == b'\x80'
            if is_pickle:
                fh.seek(0)
                return True, pickle.load(fh)
        from datamatrix import io
        return True, io.readbin(path)

    def _store(self, key: str, result: Any) -> None:
        if self._persistent:
            self._store_disk(self._path(key), result)
            return
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            warnings.warn(f'{self.__name__}: result cannot be pickled and is not '
                          f'cached ({type(exc).__name__}: {exc})')
            return
        if len(data) > self._max_size:
            warnings.warn(f'{self.__name__}: result of {len(data)} bytes exceeds '
                          f'max_size ({self._max_size} bytes) and is not cached')
            return
        self._cache.pop(key, None)
        self._cache[key] = data
        total = self.cache_size
        while total > self._max_size:
            _old_key, old = self._cache.popitem(last=False)
            total -= len(old)

    def _store_disk(self, path: str, result: Any) -> None:
        if os.path.exists(path):  # existing cache files are never overwritten
            return
        if _is_datamatrix(result):
            from datamatrix import io
            io.writebin(result, path)
            return
        tmp = f'{path}.{os.getpid()}.tmp'
        try:
            with open(tmp, 'wb') as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            if not os.path.exists(path):
                os.replace(tmp, path)
        finally:
            _remove_quietly(tmp)

    def _forget(self, key: str) -> None:
        self._cache.pop(key, None)
        if self._persistent:
            _remove_quietly(self._path(key))

    # -- lazy call chains ---------------------------------------------------

    def _require_lazy(self) -> None:
        if not self._lazy:
            raise ValueError(f'{self.__name__}: the >> operator needs '
                             f'memoize(lazy=True)')

    def __rshift__(self, other: Any) -> functools.partial:
        """``self >> other`` is ``functools.partial(other, self)``."""
        self._require_lazy()
        if isinstance(other, memoize):
            other._require_lazy()
        return functools.partial(other, self)

    def __rrshift__(self, other: Any) -> functools.partial:
        """``other >> self`` is ``functools.partial(self, other)``."""
        self._require_lazy()
        return functools.partial(self, other)
