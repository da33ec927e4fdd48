"""Reading datamatrix-1.0 files and DataMatrix pickles safely.

datamatrix 1.0 wrote ``.dm`` files as a gzip-compressed tar archive holding
one ``*.datamatrix`` member (a pickle of its DataMatrix) and, for every
offloaded multidimensional column, a raw ``.memmap`` member (the column's
float64 array, row after row). Its ``writepickle`` wrote the same pickle to a
plain file. This module reads both, and our own pickles, without ever running
code named in the file.

How
---
The C unpickler (:class:`pickle.Unpickler`) is used with :meth:`find_class`
replaced by a look-up in a fixed table (:data:`_ALLOWED`). Unpickling can
only call what ``find_class`` returns (REDUCE calls it, NEWOBJ/INST/OBJ
instantiate it, BUILD calls its ``__setstate__``), so nothing outside this
module runs:

* the reference's ``datamatrix._datamatrix.*`` classes (and ours) map onto
  inert *state holders* (:class:`_Holder` subclasses): NEWOBJ with arguments,
  a second BUILD, attribute access and every other operation are refused;
  the recorded state is only read afterwards, by :class:`_Builder`, which
  checks every value and builds our objects with our own constructors;
* numpy arrays, dtypes and scalars map onto functions of this module that
  check the dtype (plain bool, integer, float, complex and fixed-size string
  dtypes only: no object or structured dtypes, whose pickles carry further
  objects), the shape and that the data has exactly the expected size, and
  only then copy the bytes into a new array;
* the builtins that carry data map onto checked versions: ``list``,
  ``tuple``, ``set``, ``frozenset``, ``dict``, ``OrderedDict`` accept only
  containers that are already in memory (so ``list(range(10**12))`` cannot be
  asked for), ``int``/``float``/``complex``/``slice``/``range`` are the real
  types (whose constructors only convert values); ``copyreg._reconstructor``
  only builds state holders;
* any other global (``os.system``, ``builtins.eval``, ``subprocess.Popen``,
  ``builtins.getattr``, ...) raises an error that names it, before anything
  is called.

The C unpickler grows (and zero-fills) its memo up to any index that
``LONG_BINPUT`` names: the 11-byte pickle ``80 02 4b 01 72 ff ff ff 3f 2e``
makes a plain :func:`pickle.load` take 16 GB and 50 s. It may also allocate
the buffer of a length-prefixed item (``BINBYTES8``, ``BYTEARRAY8``) before
reading it. So the pickle is first read into memory (as much as the file
really holds) and walked once with :func:`pickletools.genops`, which reads
items without pre-allocating and rejects truncated ones; that pass also
refuses memo indices that no pickler writes, out-of-band buffers, persistent
ids and the extension registry. Only then is it unpickled. Nesting is
bounded by the recursion limit (``RecursionError`` becomes a clean error).

An opcode-level unpickler of our own was the alternative; the C unpickler
with a closed ``find_class`` plus the pre-pass gives the same guarantees
with far less code of ours to get wrong, and is fast.

Tar members are read through :meth:`tarfile.TarFile.extractfile` only
(never extracted to disk, so member names cannot point anywhere), must be
regular files, and an offloaded column is streamed from its member into a
spill file in blocks of ``cfg.save_chunk_size`` bytes, so it is never fully
in memory and comes back offloaded.
"""
from __future__ import annotations

import collections
import io
import math
import os
import pickle
import pickletools
import tarfile
import warnings
import zlib
from typing import Any, BinaryIO, Callable

import numpy as np

from datamatrix._engine.config import cfg
from datamatrix._engine.memory import manager
from datamatrix._engine.storage import ArrayStore, release_pages
from datamatrix._engine.stream import blocks_of, new_store
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn, parse_shape
from datamatrix.errors import BinFormatError

_MAX_NDIM = 32
_READ_BLOCK = 1 << 16
_DTYPE_KINDS = 'biufcUS'
_CELL_TYPES = (str, int, float, type(None))


class RefusedGlobalError(pickle.UnpicklingError):
    """A pickle names a global that is not on the allow-list."""


def _refuse(problem: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(problem)


# -- stand-ins for allow-listed classes and functions ---------------------------------

class _Holder:
    """An inert record of the state that a pickle gives an allow-listed class."""

    __slots__ = ('state', 'built')
    kind = ''

    def __new__(cls, *args: Any, **kwargs: Any) -> '_Holder':
        if args or kwargs:
            raise _refuse(f'{cls.kind} objects are not created with arguments')
        self = object.__new__(cls)
        self.state = None
        self.built = False
        return self

    def __setstate__(self, state: Any) -> None:
        if self.built:
            raise _refuse(f'the state of a {self.kind} object is given twice')
        self.state = state
        self.built = True

    def __reduce__(self):
        raise TypeError('state holders of the legacy reader cannot be pickled')


def _holder_class(kind: str) -> type:
    return type(f'_{kind.strip("_")}Holder', (_Holder,), {'__slots__': (), 'kind': kind})


_KINDS = ('DataMatrix', 'MixedColumn', 'FloatColumn', 'IntColumn', '_SeriesColumn',
          '_MultiDimensionalColumn', 'Index')
_HOLDERS = {kind: _holder_class(kind) for kind in _KINDS}


class _Marker:
    """A global that may only appear as an argument (``numpy.ndarray``, ``object``)."""

    __slots__ = ('name',)

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self):
        raise TypeError('markers of the legacy reader cannot be pickled')


_NDARRAY = _Marker('numpy.ndarray')
_OBJECT = _Marker('builtins.object')


class _DType:
    """``numpy.dtype(name, align, copy)`` followed by BUILD, checked."""

    __slots__ = ('name', 'dtype')

    def __init__(self, name: Any = None, align: Any = False, copy: Any = False) -> None:
        if not isinstance(name, str) or len(name) > 16:
            raise _refuse(f'unsupported dtype {name!r}')
        try:
            dtype = np.dtype(name)
        except (TypeError, ValueError):
            raise _refuse(f'unsupported dtype {name!r}') from None
        if dtype.kind not in _DTYPE_KINDS or dtype.fields is not None \
                or dtype.subdtype is not None or dtype.itemsize > 1 << 20:
            raise _refuse(f'unsupported dtype {name!r}')
        self.name = name
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or len(state) < 2 or \
                state[1] not in ('<', '>', '|', '='):
            raise _refuse(f'invalid dtype state {state!r:.80}')
        if any(item is not None for item in state[2:5]):
            raise _refuse('structured dtypes are not supported')
        dtype = self.dtype
        if dtype.kind in 'US' and len(state) > 5:
            size = state[5]
            if type(size) is not int or not 0 <= size <= 1 << 20:
                raise _refuse('invalid string dtype size')
            unit = 4 if dtype.kind == 'U' else 1
            if size % unit:
                raise _refuse('invalid string dtype size')
            dtype = np.dtype(f'{dtype.kind}{size // unit}')
        if state[1] in '<>':
            dtype = dtype.newbyteorder(state[1])
        self.dtype = dtype

    def __reduce__(self):
        raise TypeError('not picklable')


def _dtype_of(value: Any) -> np.dtype:
    if isinstance(value, _DType):
        return value.dtype
    raise _refuse(f'expected a numpy dtype, not {type(value).__name__}')


def _shape_of(value: Any) -> tuple:
    if not isinstance(value, tuple) or len(value) > _MAX_NDIM or \
            not all(type(size) is int and size >= 0 for size in value):
        raise _refuse(f'invalid array shape {value!r:.80}')
    return value


def _array_from_bytes(data: Any, dtype: np.dtype, shape: tuple, fortran: bool) -> np.ndarray:
    if not isinstance(data, (bytes, bytearray)):
        raise _refuse(f'array data must be bytes, not {type(data).__name__}')
    if math.prod(shape) * dtype.itemsize != len(data):
        raise _refuse(f'array data of {len(data)} bytes does not fit shape {shape} '
                      f'of {dtype}')
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order='F' if fortran else 'C').copy(order='K')


class _PendingArray:
    """``numpy.core.multiarray._reconstruct(ndarray, ...)``, completed by BUILD."""

    __slots__ = ('array',)

    def __init__(self) -> None:
        self.array = None

    def __setstate__(self, state: Any) -> None:
        if self.array is not None:
            raise _refuse('the state of an array is given twice')
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _refuse('invalid array state')
        if len(state) == 5:
            state = state[1:]
        shape, dtype, fortran, data = state
        if isinstance(data, str):  # a Python 2 pickle, read with encoding='latin1'
            data = data.encode('latin-1')
        if type(fortran) is not bool:
            raise _refuse('invalid array state')
        self.array = _array_from_bytes(data, _dtype_of(dtype), _shape_of(shape), fortran)

    def __reduce__(self):
        raise TypeError('not picklable')


def _reconstruct(cls: Any, shape: Any = None, typecode: Any = None) -> _PendingArray:
    if cls is not _NDARRAY:
        raise _refuse('numpy _reconstruct is only allowed for numpy.ndarray')
    return _PendingArray()


def _frombuffer(data: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    if order not in ('C', 'F'):
        raise _refuse('invalid array order')
    return _array_from_bytes(data, _dtype_of(dtype), _shape_of(shape), order == 'F')


def _scalar(dtype: Any, data: Any = None) -> Any:
    dtype = _dtype_of(dtype)
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise _refuse('invalid numpy scalar')
    return np.frombuffer(data, dtype=dtype)[0].copy()


# machine formats of array._array_reconstructor (CPython's arraymodule.c)
_MACHINE_FORMATS = {0: 'u1', 1: 'i1', 2: '<u2', 3: '>u2', 4: '<i2', 5: '>i2', 6: '<u4',
                    7: '>u4', 8: '<i4', 9: '>i4', 10: '<u8', 11: '>u8', 12: '<i8',
                    13: '>i8', 14: '<f4', 15: '>f4', 16: '<f8', 17: '>f8'}


_TYPECODES = {'b': 'i1', 'B': 'u1', 'h': 'i2', 'H': 'u2', 'i': 'i4', 'I': 'u4', 'l': 'i8',
              'L': 'u8', 'q': 'i8', 'Q': 'u8', 'f': 'f4', 'd': 'f8'}


def _array_array(typecode: Any, items: Any = ()) -> np.ndarray:
    """``array.array(typecode, list)`` (protocols 0-2), as a 1-D numpy array."""
    if typecode not in _TYPECODES or not isinstance(items, (list, tuple)) or \
            not all(type(item) in (int, float) for item in items):
        raise _refuse('invalid array.array data')
    try:
        return np.array(items, dtype=_TYPECODES[typecode])
    except OverflowError:
        raise _refuse('invalid array.array data') from None


def _array_reconstructor(cls: Any, typecode: Any, mformat: Any, items: Any) -> np.ndarray:
    """``array.array`` data (the reference's row ids), as a 1-D numpy array."""
    if cls is not _array_array or not isinstance(typecode, str) or \
            mformat not in _MACHINE_FORMATS or not isinstance(items, bytes):
        raise _refuse('invalid array.array data')
    dtype = np.dtype(_MACHINE_FORMATS[mformat])
    if len(items) % dtype.itemsize:
        raise _refuse('invalid array.array data')
    return np.frombuffer(items, dtype=dtype).copy()


def _reconstructor(cls: Any, base: Any, state: Any) -> _Holder:
    """``copyreg._reconstructor``, for state holders only (protocols 0 and 1)."""
    if not (isinstance(cls, type) and issubclass(cls, _Holder)) or base is not _OBJECT \
            or state is not None:
        raise _refuse('copyreg._reconstructor is only allowed for datamatrix classes')
    return cls()


def _codecs_encode(text: Any, encoding: Any = 'utf-8', errors: Any = 'strict') -> bytes:
    """``_codecs.encode`` as protocols 0-2 use it for bytes: latin-1 text only."""
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1') or \
            errors != 'strict':
        raise _refuse('_codecs.encode is only allowed for latin-1 bytes')
    return text.encode('latin-1')


_IN_MEMORY = (list, tuple, set, frozenset, dict, str, bytes, bytearray)


def _materialised(name: str, args: tuple) -> tuple:
    if len(args) > 1 or (args and not isinstance(args[0], _IN_MEMORY)):
        raise _refuse(f'{name}() is only allowed on a container already in the file')
    return args


def _checked(cls: type) -> Callable[..., Any]:
    def make(*args: Any) -> Any:
        return cls(*_materialised(cls.__name__, args))
    make.__name__ = cls.__name__
    return make


def _bytearray(*args: Any) -> bytearray:
    if len(args) > 1 or (args and not isinstance(args[0], (bytes, bytearray))):
        raise _refuse('bytearray() is only allowed on bytes')
    return bytearray(*args)


_BUILTINS = {'list': _checked(list), 'tuple': _checked(tuple), 'set': _checked(set),
             'frozenset': _checked(frozenset), 'dict': _checked(dict),
             'bytearray': _bytearray, 'float': float, 'int': int, 'complex': complex,
             'slice': slice, 'range': range, 'object': _OBJECT}

_LEGACY_CLASSES = {
    ('datamatrix._datamatrix._datamatrix', 'DataMatrix'): 'DataMatrix',
    ('datamatrix._datamatrix._mixedcolumn', 'MixedColumn'): 'MixedColumn',
    ('datamatrix._datamatrix._numericcolumn', 'FloatColumn'): 'FloatColumn',
    ('datamatrix._datamatrix._numericcolumn', 'IntColumn'): 'IntColumn',
    ('datamatrix._datamatrix._seriescolumn', '_SeriesColumn'): '_SeriesColumn',
    ('datamatrix._datamatrix._multidimensionalcolumn', '_MultiDimensionalColumn'):
        '_MultiDimensionalColumn',
    ('datamatrix._datamatrix._index', 'Index'): 'Index',
}
_OUR_CLASSES = {DataMatrix: 'DataMatrix', MixedColumn: 'MixedColumn',
                FloatColumn: 'FloatColumn', IntColumn: 'IntColumn',
                _SeriesColumn: '_SeriesColumn',
                _MultiDimensionalColumn: '_MultiDimensionalColumn'}


def _allowed() -> dict[tuple[str, str], Any]:
    table: dict[tuple[str, str], Any] = {}
    for key, kind in _LEGACY_CLASSES.items():
        table[key] = _HOLDERS[kind]
    for cls, kind in _OUR_CLASSES.items():
        table[(cls.__module__, cls.__qualname__)] = _HOLDERS[kind]
    for module in ('builtins', '__builtin__'):
        for name, value in _BUILTINS.items():
            table[(module, name)] = value
    table[('__builtin__', 'xrange')] = range  # range, as protocols 0-2 name it
    table[('collections', 'OrderedDict')] = _checked(collections.OrderedDict)
    for module in ('copyreg', 'copy_reg'):
        table[(module, '_reconstructor')] = _reconstructor
    table[('_codecs', 'encode')] = _codecs_encode
    for core in ('numpy.core', 'numpy._core'):
        table[(f'{core}.multiarray', '_reconstruct')] = _reconstruct
        table[(f'{core}.multiarray', 'scalar')] = _scalar
        table[(f'{core}.numeric', '_frombuffer')] = _frombuffer
    table[('numpy', 'dtype')] = _DType
    table[('numpy', 'ndarray')] = _NDARRAY
    table[('array', '_array_reconstructor')] = _array_reconstructor
    table[('array', 'array')] = _array_array
    return table


_ALLOWED = _allowed()


def _check_global(module: Any, name: Any) -> Any:
    try:
        return _ALLOWED[(module, name)]
    except (KeyError, TypeError):
        raise RefusedGlobalError(
            f'refused to load the global {module}.{name}: only DataMatrix objects, '
            f'numpy arrays and plain data can be read safely (use trusted=True only '
            f'for files you trust)') from None


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return _check_global(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise _refuse('persistent ids are not supported')


_MEMO_PUTS = {'PUT', 'BINPUT', 'LONG_BINPUT'}
_FORBIDDEN_OPS = {'PERSID', 'BINPERSID', 'EXT1', 'EXT2', 'EXT4', 'NEXT_BUFFER',
                  'READONLY_BUFFER'}


def _prescan(data: bytes) -> None:
    """Walk the opcodes once: no pre-allocation of lengths the data does not hold."""
    with warnings.catch_warnings():  # pickletools warns about odd escapes in STRING
        warnings.simplefilter('ignore', DeprecationWarning)
        _prescan_ops(data)


def _prescan_ops(data: bytes) -> None:
    puts = 0
    stopped = False
    for opcode, arg, _ in pickletools.genops(data):
        name = opcode.name
        if name in _FORBIDDEN_OPS:
            raise _refuse(f'the pickle opcode {name} is not supported')
        if name in _MEMO_PUTS:
            if type(arg) is not int or not 0 <= arg <= puts:
                raise _refuse(f'invalid memo index {arg!r}')
            puts += 1
        elif name == 'MEMOIZE':
            puts += 1
        elif name in ('GLOBAL', 'INST'):
            module, _, attr = str(arg).partition(' ')
            _check_global(module, attr)
        elif name == 'STOP':
            stopped = True
    if not stopped:
        raise _refuse('the pickle has no STOP opcode')


def unpickle(data: bytes) -> Any:
    """Unpickle ``data`` through the allow-list and build our objects from it.

    Raises
    ------
    pickle.UnpicklingError
        For a global outside the allow-list (the message names it), or any
        malformed, truncated or inconsistent pickle.
    """
    raw = _load_raw(data)
    try:
        return _Builder().resolve(raw)
    except pickle.UnpicklingError:
        raise
    except Exception as exc:  # noqa: BLE001 - building from hostile state
        raise _refuse(f'invalid DataMatrix pickle ({type(exc).__name__}: {exc})') from None


def _load_raw(data: bytes) -> Any:
    try:
        _prescan(data)
        return _SafeUnpickler(io.BytesIO(data), encoding='latin1').load()
    except pickle.UnpicklingError:
        raise
    except RecursionError:
        raise _refuse('the pickle is nested too deeply') from None
    except Exception as exc:  # noqa: BLE001 - any failure of a hostile file is clean
        raise _refuse(f'invalid pickle ({type(exc).__name__}: {exc})') from None


# -- building our objects from the recorded state ---------------------------------------

def _state_dict(holder: _Holder) -> dict:
    """The state as a dict: ours is a dict, the reference's a ``(names, values)`` pair."""
    if not holder.built:
        raise _refuse(f'a {holder.kind} object without state')
    state = holder.state
    if isinstance(state, tuple) and len(state) == 2 and all(
            isinstance(part, list) for part in state) and len(state[0]) == len(state[1]):
        state = dict(zip(*state))
    if not isinstance(state, dict) or not all(isinstance(key, str) for key in state):
        raise _refuse(f'invalid state of a {holder.kind} object')
    return state


_TYPES = {'MixedColumn': MixedColumn, 'FloatColumn': FloatColumn, 'IntColumn': IntColumn,
          '_SeriesColumn': _SeriesColumn,
          '_MultiDimensionalColumn': _MultiDimensionalColumn}
_DEFAULT_TYPES = {'MixedColumn': MixedColumn, 'FloatColumn': FloatColumn,
                  'IntColumn': IntColumn}


def _cell(value: Any) -> Any:
    if type(value) in _CELL_TYPES:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.integer, np.bool_)):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('utf-8', errors='replace')
    raise _refuse(f'invalid MixedColumn value of type {type(value).__name__}')


MemberReader = Callable[[str, tuple], ArrayStore]
"""Builds an offloaded store from a ``.memmap`` member: ``(name, shape) -> store``."""


class _Builder:
    """Turns state holders and pending values into our objects, checking everything."""

    def __init__(self, member_reader: MemberReader | None = None) -> None:
        self.done: dict[int, Any] = {}
        self.member_reader = member_reader
        self.columns: dict[int, BaseColumn] = {}

    # -- plain values ------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """``value`` with holders, pending arrays and dtypes replaced by real objects."""
        key = id(value)
        if key in self.done:
            return self.done[key]
        if isinstance(value, (_PendingArray)):
            if value.array is None:
                raise _refuse('an array without data')
            return value.array
        if isinstance(value, _DType):
            return value.dtype
        if isinstance(value, _Marker) or isinstance(value, type) and \
                not issubclass(value, _Holder):
            if value in (int, float, complex, slice, range):
                return value
            raise _refuse(f'{getattr(value, "name", value)!s} cannot be used as a value')
        if isinstance(value, type):  # a holder class: a column type
            return _TYPES.get(value.kind, None) or self._bad(value.kind)
        if isinstance(value, _Holder):
            return self._holder(value)
        if isinstance(value, list):
            result: Any = []
            self.done[key] = result
            result.extend(self.resolve(item) for item in value)
            return result
        if isinstance(value, dict):
            result = type(value)() if type(value) is not dict else {}
            self.done[key] = result
            for name, item in value.items():
                result[self.resolve(name)] = self.resolve(item)
            return result
        if isinstance(value, tuple):
            return tuple(self.resolve(item) for item in value)
        if isinstance(value, (set, frozenset)):
            return type(value)(self.resolve(item) for item in value)
        if callable(value) and not isinstance(value, (np.generic, np.ndarray)):
            raise _refuse(f'{getattr(value, "__name__", value)!s} cannot be used as a '
                          f'value')
        return value

    @staticmethod
    def _bad(kind: str) -> Any:
        raise _refuse(f'{kind} cannot be used as a value')

    def _holder(self, holder: _Holder) -> Any:
        if holder.kind == 'DataMatrix':
            return self.datamatrix(holder)
        if holder.kind == 'Index':
            return self.rowid(holder)
        state = _state_dict(holder)
        owner = state.get('_datamatrix')
        if isinstance(owner, _Holder) and owner.kind == 'DataMatrix':
            self.datamatrix(owner)
            if id(holder) in self.columns:
                return self.columns[id(holder)]
        raise _refuse('a column outside a DataMatrix cannot be read safely; use '
                      'trusted=True for files you trust')

    def rowid(self, value: Any) -> np.ndarray:
        """Row ids from the reference's Index or an array, as unique int64 values."""
        if isinstance(value, _Holder) and value.kind == 'Index':
            value = _state_dict(value).get('_a')
        value = self.resolve(value)
        if isinstance(value, list):
            value = np.array(value) if value else np.empty(0, np.int64)
        if not isinstance(value, np.ndarray) or value.ndim != 1 or \
                value.dtype.kind not in 'iu':
            raise _refuse('invalid row ids')
        if len(value) and (value.min() < 0 or value.max() > np.iinfo(np.int64).max):
            raise _refuse('invalid row ids')
        rowid = value.astype(np.int64)
        if len(np.unique(rowid)) != len(rowid):
            raise _refuse('duplicate row ids')
        return rowid

    def datamatrix(self, holder: _Holder) -> DataMatrix:
        if id(holder) in self.done:
            return self.done[id(holder)]
        state = _state_dict(holder)
        default = state.get('_default_col_type', MixedColumn)
        if isinstance(default, type) and issubclass(default, _Holder) and \
                default.kind in _DEFAULT_TYPES:
            default = _DEFAULT_TYPES[default.kind]
        elif default not in (MixedColumn, FloatColumn, IntColumn):
            raise _refuse('invalid default column type')
        dm = DataMatrix(default_col_type=default)
        self.done[id(holder)] = dm
        rowid = self.rowid(state.get('_rowid'))
        dm._set_rowid(rowid)
        sorted_ = state.get('_sorted', True)
        if type(sorted_) is not bool:
            raise _refuse('invalid sorted flag')
        dm.sorted = sorted_
        dm.metadata = self.resolve(state.get('_metadata', state.get('metadata')))
        columns = state.get('_cols', {})
        if not isinstance(columns, dict):
            raise _refuse('invalid column list')
        for name, column in columns.items():
            if not isinstance(name, str) or not name.isidentifier() or name in dm._cols:
                raise _refuse(f'invalid column name {name!r:.80}')
            if not isinstance(column, _Holder) or column.kind not in _TYPES:
                raise _refuse(f'column {name!r}: not a column')
            if id(column) not in self.columns:
                self.columns[id(column)] = self.column(dm, column, name)
            dm._cols[name] = self.columns[id(column)]
        return dm

    def column(self, dm: DataMatrix, holder: _Holder, name: str) -> BaseColumn:
        state = _state_dict(holder)
        cls = _TYPES[holder.kind]
        metadata = self.resolve(state.get('metadata'))
        n = len(dm)
        where = f'column {name!r}'
        if cls is MixedColumn:
            cells = self.resolve(state.get('_seq'))
            if not isinstance(cells, list) or len(cells) != n:
                raise _refuse(f'{where}: wrong number of values')
            return MixedColumn._from_data(dm, [_cell(v) for v in cells], metadata)
        if cls in (FloatColumn, IntColumn):
            data = self.resolve(state.get('_seq'))
            kinds = 'biuf' if cls is FloatColumn else 'biu'
            if not isinstance(data, np.ndarray) or data.shape != (n,) or \
                    data.dtype.kind not in kinds:
                raise _refuse(f'{where}: invalid values')
            dtype = np.float64 if cls is FloatColumn else np.int64
            return cls._from_data(dm, np.array(data, dtype=dtype), metadata)
        return self.md_column(dm, cls, state, metadata, where)

    def md_column(self, dm: DataMatrix, cls: type, state: dict, metadata: Any,
                  where: str) -> _MultiDimensionalColumn:
        spec = self.resolve(state.get('_dims', state.get('_orig_shape',
                                                          state.get('_shape'))))
        try:
            dims = parse_shape(spec)
        except (TypeError, ValueError) as exc:
            raise _refuse(f'{where}: invalid shape ({exc})') from None
        if not dims or len(dims) > _MAX_NDIM or (cls is _SeriesColumn and len(dims) != 1):
            raise _refuse(f'{where}: invalid shape')
        defaultnan = state.get('defaultnan', True)
        if type(defaultnan) is not bool:
            raise _refuse(f'{where}: invalid defaultnan')
        shape = (len(dm),) + tuple(d if isinstance(d, int) else len(d) for d in dims)
        data = state.get('_array', state.get('_seq'))
        if isinstance(data, str):
            if self.member_reader is None:
                raise _refuse(f'{where}: the data is in a .memmap member of a .dm file, '
                              f'not in this pickle')
            store = self.member_reader(data, shape)
        else:
            array = self.resolve(data)
            if not isinstance(array, np.ndarray) or array.shape != shape or \
                    array.dtype.kind not in 'biuf':
                raise _refuse(f'{where}: invalid values')
            dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.float64
            store = new_store(shape, dtype)
            for start, stop, block in blocks_of(store.array):
                block[...] = array[start:stop]
        return cls._from_store(dm, store, dims, defaultnan, metadata)


# -- .dm files ----------------------------------------------------------------------------

def _regular_members(archive: tarfile.TarFile, path: str) -> dict[str, tarfile.TarInfo]:
    members: dict[str, tarfile.TarInfo] = {}
    for info in archive.getmembers():
        if not info.isreg():
            raise BinFormatError(f'{path!r}: the archive member {info.name!r} is not a '
                                 f'regular file (links and devices are refused)')
        if info.name in members:
            raise BinFormatError(f'{path!r}: the archive member {info.name!r} occurs '
                                 f'twice')
        members[info.name] = info
    return members


def _read_member(archive: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    """All bytes of a member, read in blocks (as many as the archive really holds)."""
    stream = archive.extractfile(info)
    chunks = []
    while True:
        chunk = stream.read(_READ_BLOCK)
        if not chunk:
            break
        chunks.append(chunk)
    data = b''.join(chunks)
    if len(data) != info.size:
        raise EOFError(f'the member {info.name!r} is truncated')
    return data


def _member_reader(archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo],
                   path: str) -> MemberReader:
    def read(name: str, shape: tuple) -> ArrayStore:
        info = members.get(name)
        if info is None or not name.endswith('.memmap'):
            raise BinFormatError(f'{path!r}: the member {name!r} of an offloaded column '
                                 f'is missing')
        dtype = np.dtype('<f8')
        row_nbytes = dtype.itemsize * math.prod(shape[1:])
        if info.size != row_nbytes * shape[0]:
            raise BinFormatError(f'{path!r}: the member {name!r} holds {info.size} '
                                 f'bytes, expected {row_nbytes * shape[0]}')
        if info.size == 0:
            store = ArrayStore(np.zeros(shape, np.float64))
            manager.add(store)
            return store
        store = ArrayStore.allocate(shape, np.float64, in_memory=False)
        manager.add(store)
        stream = archive.extractfile(info)
        for start, stop, block in store.blocks(cfg.save_chunk_size):
            wanted = (stop - start) * row_nbytes
            data = stream.read(wanted)
            if len(data) != wanted:
                raise BinFormatError(f'{path!r}: the member {name!r} is truncated')
            block[...] = np.frombuffer(data, dtype).reshape(block.shape)
            release_pages(block)
        return store
    return read


def read_dm(path: str, fh: BinaryIO) -> DataMatrix:
    """Read a datamatrix-1.0 ``.dm`` file (a gzip-compressed tar) from ``fh``.

    Raises
    ------
    BinFormatError
        For a global outside the allow-list (the message names it), and for
        every malformed, truncated or inconsistent archive or pickle.
    """
    try:
        fh.seek(0)
        with tarfile.open(fileobj=fh, mode='r:gz') as archive:
            members = _regular_members(archive, path)
            pickles = [name for name in members if name.endswith('.datamatrix')]
            if len(pickles) != 1:
                raise BinFormatError(
                    f'{path!r} is a gzip-compressed tar archive but not a legacy '
                    f'datamatrix file: it must hold exactly one *.datamatrix member, '
                    f'not {len(pickles)}')
            holder = _load_raw(_read_member(archive, members[pickles[0]]))
            if not isinstance(holder, _Holder) or holder.kind != 'DataMatrix':
                raise BinFormatError(f'{path!r}: the pickle does not hold a DataMatrix')
            builder = _Builder(_member_reader(archive, members, path))
            return builder.datamatrix(holder)
    except BinFormatError:
        raise
    except pickle.UnpicklingError as exc:
        raise BinFormatError(f'{path!r}: legacy datamatrix file refused: {exc}') from None
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError, TypeError,
            KeyError, IndexError, OverflowError, MemoryError, RecursionError) as exc:
        raise BinFormatError(f'{path!r} is a corrupt legacy datamatrix file '
                             f'({type(exc).__name__}: {exc})') from None


def read_pickle(path: str | os.PathLike) -> Any:
    """The object in a pickle file, through the allow-list (see :func:`unpickle`)."""
    with open(os.fspath(path), 'rb') as fh:
        data = fh.read()
    return unpickle(data)
