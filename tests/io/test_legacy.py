"""Reading datamatrix-1.0 files and pickles safely (SPEC 14.2, 6.4, 6.5).

The 1.0 layout is written by this test code itself: stand-in classes whose
``__module__``/``__qualname__`` carry the 1.0 module paths and whose pickled
state is what datamatrix 1.0.20 writes (a ``(names, values)`` pair per object,
row ids in an ``Index`` holding an ``array.array('I')``, numeric arrays as
numpy arrays, offloaded columns as the name of a raw ``.memmap`` tar member).
One slow test installs the real datamatrix 1.0.20 and reads what it writes.
"""
import array
import collections
import copyreg
import gc
import io as stdio
import math
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import tracemalloc
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from datamatrix import DataMatrix, FloatColumn, IntColumn, MixedColumn, io
from datamatrix import MultiDimensionalColumn, SeriesColumn
from datamatrix._engine.config import cfg
from datamatrix.errors import BinFormatError
from datamatrix.io import _legacy

_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir')

# -- stand-ins for the classes of datamatrix 1.0 ---------------------------------------


class _Legacy:
    """Pickles as datamatrix 1.0 objects do: NEWOBJ, then BUILD with (names, values)."""

    def __init__(self, **state):
        self.__dict__.update(state)

    def __reduce_ex__(self, protocol):
        names = sorted(self.__dict__)
        return copyreg.__newobj__, (type(self),), (names, [self.__dict__[n] for n in names])


_MODULES = {'_datamatrix': ['DataMatrix'], '_mixedcolumn': ['MixedColumn'],
            '_numericcolumn': ['FloatColumn', 'IntColumn'],
            '_seriescolumn': ['_SeriesColumn'],
            '_multidimensionalcolumn': ['_MultiDimensionalColumn'], '_index': ['Index']}
L = types.SimpleNamespace()
for _module, _names in _MODULES.items():
    for _name in _names:
        _cls = type(_name, (_Legacy,), {})
        _cls.__module__ = f'datamatrix._datamatrix.{_module}'
        _cls.__qualname__ = _name
        setattr(L, _name, _cls)


@pytest.fixture
def legacy(monkeypatch):
    """Make the stand-in classes findable under the 1.0 module paths (for pickling)."""
    for module, names in _MODULES.items():
        fake = types.ModuleType(f'datamatrix._datamatrix.{module}')
        for name in names:
            setattr(fake, name, getattr(L, name))
        monkeypatch.setitem(sys.modules, fake.__name__, fake)
    return L


@pytest.fixture
def budget(tmp_path):
    """Small blocks, a spill folder of its own; settings restored, no file left behind."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    cfg.tmp_dir = str(tmp_path / 'spill')
    os.mkdir(cfg.tmp_dir)
    try:
        yield cfg
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)
        gc.collect()
    assert os.listdir(tmp_path / 'spill') == [], 'spill files were left behind'


def _index(ids):
    return L.Index(_a=array.array('I', ids), _length=len(ids), _max=max(ids, default=-1))


def _mixed(ids, values, metadata=None):
    return L.MixedColumn(_rowid=_index(ids), _seq=list(values), _typechecking=True,
                         metadata=metadata)


def _numeric(cls, ids, values, dtype, metadata=None):
    return cls(_rowid=np.array(ids, 'u4'), _seq=np.array(values, dtype),
               _typechecking=True, metadata=metadata)


def _md(cls, ids, orig_shape, seq, metadata=None, defaultnan=True):
    """An MD column: ``seq`` is the array (loaded) or a member name (offloaded)."""
    shape = tuple(d if isinstance(d, int) else len(d) for d in orig_shape)
    names = [list(range(d)) if isinstance(d, int) else list(d) for d in orig_shape]
    return cls(_fd=None, _loaded=not isinstance(seq, str), _orig_shape=orig_shape,
               _rowid=np.array(ids, 'u4'), _seq=seq, _shape=shape, _typechecking=True,
               defaultnan=defaultnan, index_names=names,
               index_values=[list(range(s)) for s in shape], metadata=metadata)


def _datamatrix(ids, columns, metadata=None, sorted_=True, default=None):
    return L.DataMatrix(_cols=collections.OrderedDict(columns),
                        _default_col_type=default or L.MixedColumn,
                        _instantiate_on_select=True, _rowid=_index(ids), _sorted=sorted_,
                        metadata=metadata)


def _write_dm(path, obj, members=(), protocol=5, name='.140667224728464-10691.datamatrix'):
    """A 1.0 ``.dm`` file: a gzip tar of the pickle and raw members."""
    payload = obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=protocol)
    with tarfile.open(path, 'w:gz') as archive:
        for member, data in list(members) + [(name, payload)]:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, stdio.BytesIO(data))
    return path


IDS = [5, 2, 9]
MIXED = [1, 'a', 2.5]
OFFLOADED = np.arange(15, dtype=float).reshape(3, 5) / 4
MEMBER = '.140667224729232-10691.memmap'


def _every_type(ids=IDS):
    n = len(ids)
    floats = _numeric(L.FloatColumn, ids, [1.5, math.nan, math.inf][:n], 'f8', 'fmeta')
    return _datamatrix(ids, [
        ('mixed', _mixed(ids, [None, 2 ** 70, 'é'][:n] if n == 3 else [], {'m': [1, 2]})),
        ('cells', _mixed(ids, MIXED[:n])),
        ('f', floats),
        ('i', _numeric(L.IntColumn, ids, [1, -2, 3][:n], 'i8')),
        ('s', _md(L._SeriesColumn, ids, (4,), np.arange(4 * n, dtype=float).reshape(n, 4),
                  defaultnan=False)),
        ('m', _md(L._MultiDimensionalColumn, ids, (2, ('x', 'y', 'z')),
                  np.arange(6 * n, dtype=float).reshape(n, 2, 3), {'unit': 'uV'})),
        ('o', _md(L._MultiDimensionalColumn, ids, (5,), MEMBER)),
        ('alias', floats),
    ], metadata={'subject': 3, 'array': np.arange(3), 'nan': math.nan}, sorted_=False,
        default=L.FloatColumn)


def _check_every_type(dm, offloaded=True):
    assert isinstance(dm, DataMatrix)
    assert dm.column_names == ['mixed', 'cells', 'f', 'i', 's', 'm', 'o', 'alias']  # unsorted
    assert list(dm._cols) == ['mixed', 'cells', 'f', 'i', 's', 'm', 'o', 'alias']
    assert list(dm._rowid) == IDS and dm._rowid.dtype == np.int64
    assert dm.sorted is False and dm.default_col_type is FloatColumn
    assert dm.metadata['subject'] == 3 and math.isnan(dm.metadata['nan'])
    assert np.array_equal(dm.metadata['array'], np.arange(3))
    assert type(dm.mixed) is MixedColumn and type(dm.cells) is MixedColumn
    assert list(dm.mixed) == [None, 2 ** 70, 'é'] and type(dm.mixed[1]) is int
    assert list(dm.cells) == MIXED and [type(v) for v in dm.cells] == [int, str, float]
    assert dm.mixed.metadata == {'m': [1, 2]} and dm.cells.metadata is None
    assert type(dm.f) is FloatColumn and dm.f.metadata == 'fmeta'
    assert np.array_equal(np.asarray(dm.f), [1.5, math.nan, math.inf], equal_nan=True)
    assert dm.alias is dm.f
    assert type(dm.i) is IntColumn and list(dm.i) == [1, -2, 3]
    assert isinstance(dm.s, SeriesColumn) and dm.s.depth == 4 and dm.s.defaultnan is False
    assert np.array_equal(np.asarray(dm.s), np.arange(12).reshape(3, 4))
    assert isinstance(dm.m, MultiDimensionalColumn) and dm.m.shape == (3, 2, 3)
    assert dm.m.metadata == {'unit': 'uV'} and dm.m.defaultnan is True
    assert np.array_equal(np.asarray(dm.m), np.arange(18).reshape(3, 2, 3))
    assert np.array_equal(np.asarray(dm.m[:, 1, 'y']), [4, 10, 16])  # named dimension
    assert dm.o.loaded is (not offloaded)
    assert np.array_equal(np.asarray(dm.o._store.array), OFFLOADED)


# -- reading legacy files ------------------------------------------------------------------

@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_readbin_reads_every_column_type(legacy, tmp_path, budget, protocol):
    """A 1.0 .dm file comes back with equal names, types, shapes, values and metadata."""
    path = _write_dm(tmp_path / 'old.dm', _every_type(), [(MEMBER, OFFLOADED.tobytes())],
                     protocol)
    dm = io.readbin(path)
    _check_every_type(dm)
    other = io.readbin(path)
    assert not dm.f.equals(other.f) or dm._family != other._family  # a new family each time
    assert dm._family != other._family
    del dm, other


def test_readbin_zero_rows(legacy, tmp_path, budget):
    """A 1.0 file of 0 rows keeps its columns and their shapes."""
    old = _datamatrix([], [('a', _mixed([], [])), ('f', _numeric(L.FloatColumn, [], [], 'f8')),
                           ('s', _md(L._SeriesColumn, [], (3,), np.empty((0, 3)))),
                           ('o', _md(L._MultiDimensionalColumn, [], (2, 2), MEMBER))])
    dm = io.readbin(_write_dm(tmp_path / 'old.dm', old, [(MEMBER, b'')]))
    assert dm.shape == (0, 4) and dm.column_names == ['a', 'f', 'o', 's']
    assert dm.s.depth == 3 and dm.o.shape == (0, 2, 2) and type(dm.f) is FloatColumn


def test_readbin_streams_offloaded_columns(legacy, tmp_path, budget):
    """An offloaded column streams from the archive in blocks and comes back offloaded.

    The budget and the blocks are far smaller than the column, and the peak of
    memory allocated while reading stays well below the column's size.
    """
    rows, depth = 1000, 500  # 4 MB of float64
    data = np.random.default_rng(1).normal(size=(rows, depth))
    ids = list(range(rows))
    old = _datamatrix(ids, [('o', _md(L._SeriesColumn, ids, (depth,), MEMBER))])
    path = _write_dm(tmp_path / 'big.dm', old, [(MEMBER, data.tobytes())])
    budget.memory_limit = 100_000
    budget.always_load_max_size = 0
    budget.never_load_min_size = 0
    budget.save_chunk_size = 16_000
    del data
    io.readbin(path)  # first imports (numpy.ma, ...) are not the column
    tracemalloc.start()
    try:
        dm = io.readbin(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < rows * depth * 8 / 4
    assert dm.o.loaded is False and dm.o.depth == depth
    expected = np.random.default_rng(1).normal(size=(rows, depth))
    assert np.array_equal(dm.o._store.array, expected)
    assert dm.o[7].tolist() == expected[7].tolist()
    del dm


def test_readpickle_reads_legacy_and_own_pickles(legacy, tmp_path, budget):
    """readpickle reads 1.0 pickles and ours, safely by default and with trusted=True."""
    old = _every_type()
    old._cols['o'] = _md(L._MultiDimensionalColumn, IDS, (5,), OFFLOADED)
    path = tmp_path / 'old.pkl'
    path.write_bytes(pickle.dumps(old, protocol=4))
    dm = io.readpickle(path)
    _check_every_type(dm, offloaded=False)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        io.writepickle(dm, tmp_path / 'ours.pkl', protocol=protocol)
        back = io.readpickle(tmp_path / 'ours.pkl')
        _check_every_type(back, offloaded=False)
        assert back._family != dm._family
        trusted = io.readpickle(tmp_path / 'ours.pkl', trusted=True)
        _check_every_type(trusted, offloaded=False)
    # plain data and DataMatrix objects nested in it
    io.writepickle({'dm': dm, 'list': [1, 2.5, None], 'set': {1, 2}, 'range': range(3),
                    'c': 1j, 'scalar': np.float32(1.5), 'od': collections.OrderedDict(a=1)},
                   tmp_path / 'data.pkl', protocol=2)
    data = io.readpickle(tmp_path / 'data.pkl')
    _check_every_type(data['dm'], offloaded=False)
    assert data['list'] == [1, 2.5, None] and data['set'] == {1, 2}
    assert data['range'] == range(3) and data['c'] == 1j
    assert data['scalar'] == np.float32(1.5) and data['scalar'].dtype == np.float32
    assert type(data['od']) is collections.OrderedDict


def test_readpickle_refuses_a_lone_legacy_column(legacy, tmp_path):
    """A 1.0 column pickled on its own cannot be bound to a DataMatrix: a clear error."""
    path = tmp_path / 'col.pkl'
    path.write_bytes(pickle.dumps(_mixed([0], [1])))
    with pytest.raises(pickle.UnpicklingError, match='outside a DataMatrix'):
        io.readpickle(path)


def test_readpickle_of_a_memmap_reference(legacy, tmp_path):
    """A pickle that refers to a .memmap member (only valid inside a .dm file) is refused."""
    path = tmp_path / 'x.pkl'
    path.write_bytes(pickle.dumps(_every_type()))
    with pytest.raises(pickle.UnpicklingError, match='memmap'):
        io.readpickle(path)


# -- malicious files --------------------------------------------------------------------


class _Evil:
    def __init__(self, fnc, *args):
        self.fnc, self.args = fnc, args

    def __reduce__(self):
        return self.fnc, self.args


def _shell(marker):
    return f'touch {marker}'


def _payloads(marker):
    """(name, object whose unpickling would create ``marker``, refused global)."""
    code = f'open({str(marker)!r}, "w").close()'
    return [
        ('os.system', _Evil(os.system, _shell(marker)), r'(os|posix|nt)\.system'),
        ('eval', _Evil(eval, code), r'(builtins|__builtin__)\.eval'),
        ('exec', _Evil(exec, code), r'(builtins|__builtin__)\.exec'),
        # protocols 0-2 spell it as Python 2 did: commands.Popen
        ('Popen', _Evil(subprocess.Popen, ['touch', str(marker)]),
         r'(subprocess|commands)\.Popen'),
        ('getattr', _Evil(getattr, 1, 'real'), r'(builtins|__builtin__)\.getattr'),
    ]


def _nested(legacy_ns, evil):
    """A 1.0 DataMatrix that carries ``evil`` in its metadata."""
    return _datamatrix([0], [('a', _mixed([0], [1], metadata={'x': [evil]}))])


@pytest.mark.parametrize('index', range(5))
def test_malicious_globals_are_refused(legacy, tmp_path, index):
    """os.system, eval, exec, Popen, getattr: refused by name, alone, nested and in a .dm."""
    marker = tmp_path / 'ran'
    name, evil, refused = _payloads(marker)[index]
    path = tmp_path / 'evil.pkl'
    for obj in (evil, _nested(legacy, evil), [{'deep': (evil,)}]):
        for protocol in (2, 5) if isinstance(obj, _Legacy) else (0, 2, 5):
            path.write_bytes(pickle.dumps(obj, protocol=protocol))
            with pytest.raises(pickle.UnpicklingError, match=refused):
                io.readpickle(path)
    dm_path = _write_dm(tmp_path / 'evil.dm', _nested(legacy, evil))
    with pytest.raises(BinFormatError, match=refused):
        io.readbin(dm_path)
    assert not marker.exists(), f'{name}: code from the file ran'
    # the same file with trust does run it: the marker test can fail
    if name == 'eval':
        path.write_bytes(pickle.dumps(evil))
        io.readpickle(path, trusted=True)
        assert marker.exists()


def _raw(*parts):
    return b''.join(parts)


def _global(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


_HUGE = (1 << 40).to_bytes(8, 'little')
_EVIL_RAW = {
    # REDUCE on allowed callables with evil arguments
    'list(range(huge))': _raw(b'\x80\x02', _global('builtins', 'list'),
                              _global('builtins', 'range'), b'J\xff\xff\xff\x7f\x85R\x85R.'),
    'OrderedDict(range)': _raw(b'\x80\x02', _global('collections', 'OrderedDict'),
                               _global('builtins', 'range'), b'K\x05\x85R\x85R.'),
    'dtype object': _raw(b'\x80\x02', _global('numpy', 'dtype'), b'X\x01\x00\x00\x00O\x85R.'),
    'reconstruct os.system': _raw(b'\x80\x02', _global('numpy.core.multiarray', '_reconstruct'),
                                  _global('os', 'system'), b'\x85R.'),
    'DataMatrix with args': _raw(b'\x80\x02',
                                 _global('datamatrix._datamatrix._datamatrix', 'DataMatrix'),
                                 b'X\x05\x00\x00\x00rm -r\x85\x81.'),
    'BUILD twice': _raw(b'\x80\x02', _global('datamatrix._datamatrix._index', 'Index'),
                        b')\x81}b}b.'),
    'reconstructor of list': _raw(b'\x80\x02', _global('copyreg', '_reconstructor'),
                                  _global('builtins', 'list'), _global('builtins', 'object'),
                                  b'N\x87R.'),
    'codecs other encoding': _raw(b'\x80\x02', _global('_codecs', 'encode'),
                                  b'X\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.'),
    'huge bytearray': b'\x80\x05\x96' + _HUGE + b'.',
    'huge bytes': b'\x80\x04\x8e' + _HUGE + b'.',
    'huge memo index': b'\x80\x02K\x01r\xff\xff\xff\xff.',
    'persistent id': b'\x80\x02X\x01\x00\x00\x00aQ.',
    'extension registry': b'\x80\x02\x82\x01.',
    'out-of-band buffer': b'\x80\x05\x97.',
    'no STOP': b'\x80\x02K\x01',
}
_EVIL_RAW['frombuffer too small'] = _raw(  # 10**9 floats asked from 0 bytes
    b'\x80\x02', _global('numpy._core.numeric', '_frombuffer'), b'(C\x00',
    _global('numpy', 'dtype'), b'X\x02\x00\x00\x00f8\x85R', b'J\x00\xca\x9a\x3b\x85',
    b'X\x01\x00\x00\x00Ct', b'R.')


_EVIL_MESSAGES = {
    'list(range(huge))': 'only allowed on a container', 'OrderedDict(range)': 'container',
    'dtype object': 'unsupported dtype', 'frombuffer too small': 'does not fit shape',
    'reconstruct os.system': r'os\.system', 'DataMatrix with args': 'with arguments',
    'BUILD twice': 'given twice', 'reconstructor of list': 'only allowed for datamatrix',
    'codecs other encoding': 'latin-1', 'huge bytearray': r'expected \d+ bytes',
    'huge bytes': r'expected \d+ bytes', 'huge memo index': 'memo index',
    'persistent id': 'PERSID', 'extension registry': 'EXT1',
    'out-of-band buffer': 'NEXT_BUFFER', 'no STOP': 'STOP',
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize('name', sorted(_EVIL_RAW))
def test_evil_opcodes_are_refused(tmp_path, name):
    """REDUCE/NEWOBJ/BUILD abuse of allowed names and huge allocations: clean refusals."""
    data = _EVIL_RAW[name]
    path = tmp_path / 'evil.pkl'
    path.write_bytes(data)
    with pytest.raises(pickle.UnpicklingError, match=_EVIL_MESSAGES[name]):
        io.readpickle(path)
    dm_path = _write_dm(tmp_path / 'evil.dm', data)
    with pytest.raises(BinFormatError, match=_EVIL_MESSAGES[name]):
        io.readbin(dm_path)


def test_refusal_happens_before_anything_runs(legacy, tmp_path):
    """A refused global after an allowed one: nothing of the pickle takes effect."""
    marker = tmp_path / 'ran'
    obj = [_every_type(), _Evil(os.system, _shell(marker))]
    path = tmp_path / 'mixed.pkl'
    path.write_bytes(pickle.dumps(obj))
    with pytest.raises(pickle.UnpicklingError, match='system'):
        io.readpickle(path)
    assert not marker.exists()


# -- the tar archive ----------------------------------------------------------------------

def test_member_names_never_reach_the_file_system(legacy, tmp_path, budget):
    """Members named '../x' or '/abs' are read from the archive, never written anywhere."""
    work = tmp_path / 'a' / 'b'
    work.mkdir(parents=True)
    member = '../../escaped.memmap'
    old = _datamatrix(IDS, [('o', _md(L._MultiDimensionalColumn, IDS, (5,), member))])
    _write_dm(work / 'old.dm', old, [(member, OFFLOADED.tobytes())],
              name='/../../abs.datamatrix')
    cwd = os.getcwd()
    os.chdir(work)
    try:
        dm = io.readbin('old.dm')
    finally:
        os.chdir(cwd)
    assert np.array_equal(dm.o._store.array, OFFLOADED) and not dm.o.loaded
    assert not (tmp_path / 'escaped.memmap').exists()
    assert sorted(os.listdir(tmp_path)) == ['a', 'spill']
    assert sorted(os.listdir(work)) == ['old.dm']
    del dm


def test_links_and_odd_archives_are_refused(legacy, tmp_path):
    """Symlinks, missing or duplicated members and wrong sizes raise BinFormatError."""
    old = _datamatrix(IDS, [('o', _md(L._MultiDimensionalColumn, IDS, (5,), MEMBER))])
    payload = pickle.dumps(old)
    path = tmp_path / 'old.dm'
    with tarfile.open(path, 'w:gz') as archive:
        info = tarfile.TarInfo(MEMBER)
        info.type, info.linkname = tarfile.SYMTYPE, '/etc/passwd'
        archive.addfile(info)
        info = tarfile.TarInfo('x.datamatrix')
        info.size = len(payload)
        archive.addfile(info, stdio.BytesIO(payload))
    with pytest.raises(BinFormatError, match='not a regular file'):
        io.readbin(path)
    with pytest.raises(BinFormatError, match='missing'):
        io.readbin(_write_dm(path, old))
    with pytest.raises(BinFormatError, match='expected 120'):
        io.readbin(_write_dm(path, old, [(MEMBER, b'\0' * 16)]))
    with pytest.raises(BinFormatError, match='exactly one'):
        io.readbin(_write_dm(path, old, [('y.datamatrix', payload)]))
    with pytest.raises(BinFormatError, match='exactly one'):
        io.readbin(_write_dm(path, old, name='datamatrix.pickle'))
    with pytest.raises(BinFormatError, match='does not hold a DataMatrix'):
        io.readbin(_write_dm(path, pickle.dumps([1, 2])))


# -- fuzzing ------------------------------------------------------------------------------

def _valid_pickles():
    ns = L
    saved = {}
    try:
        for module, names in _MODULES.items():
            fake = types.ModuleType(f'datamatrix._datamatrix.{module}')
            for name in names:
                setattr(fake, name, getattr(ns, name))
            saved[fake.__name__] = sys.modules.get(fake.__name__)
            sys.modules[fake.__name__] = fake
        old = _every_type()
        old._cols['o'] = _md(L._MultiDimensionalColumn, IDS, (5,), OFFLOADED)
        result = [pickle.dumps(old, protocol=p) for p in (2, 5)]
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    ours = DataMatrix(a=[1, 'x'], f=[1.5, 2.5])
    ours.s = SeriesColumn(depth=2)
    ours.s = 1.0
    result += [pickle.dumps(ours, protocol=p) for p in (0, 2, 5)]
    return result


_VALID = _valid_pickles()


@st.composite
def _mutated(draw):
    data = bytearray(draw(st.sampled_from(_VALID)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(['flip', 'insert', 'delete', 'truncate', 'set']))
        at = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == 'flip' and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == 'set' and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == 'insert':
            data[at:at] = draw(st.binary(min_size=1, max_size=9))
        elif kind == 'delete':
            del data[at:at + draw(st.integers(1, 9))]
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzzed_pickles_fail_cleanly(data):
    """Mutated valid pickles give a result or a clean UnpicklingError/ValueError."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    try:
        _legacy.unpickle(data)
    except (pickle.UnpicklingError, ValueError):
        pass
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)


@pytest.mark.timeout(120)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzzed_dm_files_fail_cleanly(data):
    """The same mutations inside a .dm archive: a result or a clean BinFormatError."""
    with tempfile.TemporaryDirectory() as folder:
        path = _write_dm(os.path.join(folder, 'f.dm'), data,
                         [(MEMBER, OFFLOADED.tobytes())])
        try:
            io.readbin(path)
        except BinFormatError:
            pass


# -- the real datamatrix 1.0.20 ---------------------------------------------------------

_WRITER = textwrap.dedent('''
    import sys, warnings
    warnings.simplefilter('ignore')
    import numpy as np
    import datamatrix
    assert datamatrix.__version__ == '1.0.20', datamatrix.__version__
    from datamatrix import (DataMatrix, io, FloatColumn, IntColumn, SeriesColumn,
                            MultiDimensionalColumn)
    folder = sys.argv[1]
    dm = DataMatrix(length=3)
    dm.mixed = 1, 'a', 2.5
    dm.f = FloatColumn
    dm.f = 1.5, np.nan, np.inf
    dm.i = IntColumn
    dm.i = 1, 2, 3
    dm.s = SeriesColumn(depth=4)
    dm.s = np.arange(12).reshape(3, 4)
    dm.o = MultiDimensionalColumn(shape=(5,))
    dm.o = np.arange(15).reshape(3, 5)
    dm = dm[[2, 0, 1]]
    dm.m = MultiDimensionalColumn(shape=(2, ('x', 'y', 'z')))
    dm.m = np.arange(18).reshape(3, 2, 3)
    dm.m.metadata = {'unit': 'uV'}
    dm.o.loaded = False
    io.writebin(dm, folder + '/a.dm')
    io.writepickle(dm, folder + '/a.pkl')
    empty = DataMatrix(length=0, metadata={'k': [1, 'x']})
    empty.x = IntColumn
    empty.s = SeriesColumn(depth=3)
    io.writebin(empty, folder + '/empty.dm')
''')


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """A folder with files written by the real datamatrix 1.0.20 (skips if unavailable)."""
    folder = tmp_path_factory.mktemp('reference')
    target = folder / 'site'
    try:
        install = subprocess.run(
            [sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
             '--disable-pip-version-check', '--target', str(target), 'datamatrix==1.0.20'],
            capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f'datamatrix 1.0.20 cannot be installed: {exc}')
    if install.returncode:
        pytest.skip(f'datamatrix 1.0.20 cannot be installed (offline?): '
                    f'{install.stderr.strip()[-300:]}')
    env = dict(os.environ, PYTHONPATH=str(target))
    run = subprocess.run([sys.executable, '-c', _WRITER, str(folder)], env=env,
                         capture_output=True, text=True, timeout=120, cwd=folder)
    if run.returncode:
        pytest.skip(f'datamatrix 1.0.20 does not run here: {run.stderr.strip()[-300:]}')
    return folder


@pytest.mark.slow
def test_files_written_by_datamatrix_1_0(reference, budget):
    """.dm files and pickles written by the real datamatrix 1.0.20 are read back equal."""
    for dm, offloaded in ((io.readbin(reference / 'a.dm'), True),
                          (io.readpickle(reference / 'a.pkl'), False)):
        assert dm.column_names == ['f', 'i', 'm', 'mixed', 'o', 's']
        assert list(dm._rowid) == [2, 0, 1]
        assert list(dm.mixed) == [2.5, 1, 'a']
        assert np.array_equal(np.asarray(dm.f), [math.inf, 1.5, math.nan], equal_nan=True)
        assert type(dm.i) is IntColumn and list(dm.i) == [3, 1, 2]
        assert isinstance(dm.s, SeriesColumn) and dm.s.depth == 4
        assert np.array_equal(np.asarray(dm.s), np.arange(12).reshape(3, 4)[[2, 0, 1]])
        assert dm.m.shape == (3, 2, 3) and dm.m.metadata == {'unit': 'uV'}
        assert np.array_equal(np.asarray(dm.m[:, :, 'z']), np.arange(18).reshape(3, 2, 3)[..., 2])
        assert dm.o.loaded is (not offloaded)
        assert np.array_equal(np.asarray(dm.o._store.array),
                              np.arange(15).reshape(3, 5)[[2, 0, 1]])
        del dm
    empty = io.readbin(reference / 'empty.dm')
    assert empty.shape == (0, 2) and empty.metadata == {'k': [1, 'x']}
    assert type(empty.x) is IntColumn and empty.s.depth == 3


class Custom:
    """A class of the user's own, which only a trusted read may instantiate."""

    def __init__(self, value):
        self.value = value


def test_other_classes_need_trust(tmp_path):
    """A DataMatrix whose metadata holds a user's object is refused, naming the class.

    With ``trusted=True`` the same file loads, object and all.
    """
    dm = DataMatrix(a=[1, 2], metadata={'obj': Custom(3)})
    io.writepickle(dm, tmp_path / 'custom.pkl')
    with pytest.raises(pickle.UnpicklingError, match=r'test_legacy\.Custom.*trusted=True'):
        io.readpickle(tmp_path / 'custom.pkl')
    back = io.readpickle(tmp_path / 'custom.pkl', trusted=True)
    assert back.metadata['obj'].value == 3 and list(back.a) == [1, 2]
