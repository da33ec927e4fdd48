"""datamatrix.io: CSV, Excel, pickle and our binary format (SPEC 6)."""
import errno
import gzip
import hashlib
import io as stdio
import json
import math
import os
import pickle
import tarfile
import warnings
import zipfile

import numpy as np
import pytest

from datamatrix import (DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, SeriesColumn, cfg, io)
from datamatrix._engine.memory import manager
from datamatrix.errors import BinFormatError
from datamatrix.io import _binary, _files

NAN, INF = math.nan, math.inf


@pytest.fixture
def folder(tmp_path_factory):
    """A folder for the files of a test, apart from ``cfg.tmp_dir`` (checked empty)."""
    return tmp_path_factory.mktemp('files')


def _leftovers(path):
    """Names in the folder of ``path`` other than ``path`` itself."""
    return sorted(set(os.listdir(path.parent)) - {path.name})


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same(a, b):
    """Same names (insertion order), aliasing, types, specs, values, ids, flags."""
    assert list(a._cols) == list(b._cols)
    assert a._rowid.tolist() == b._rowid.tolist()
    assert a.sorted == b.sorted and a.default_col_type is b.default_col_type
    for name in a._cols:
        x, y = a._cols[name], b._cols[name]
        assert type(x) is type(y), name
        assert x.equals(y), name
        if hasattr(x, '_dims'):
            assert x._dims == y._dims and x.defaultnan == y.defaultnan
            assert x._dtype == y._dtype
    aliases_a = [[n for n in a._cols if a._cols[n] is c] for c in a._cols.values()]
    aliases_b = [[n for n in b._cols if b._cols[n] is c] for c in b._cols.values()]
    assert aliases_a == aliases_b


# -- CSV: readtxt ---------------------------------------------------------------------

def test_readtxt_infers_types_by_the_column_rules(folder):
    """MixedColumn cells follow SPEC 3.8: numbers, NaN, INF; '' and 'None' stay text."""
    path = folder / 'a.csv'
    path.write_text('x,y\n1,2.5\nnan,inf\n,None\nabc,-inf\n', encoding='utf-8')
    dm = io.readtxt(path)
    assert list(dm.column_names) == ['x', 'y']
    x, y = list(dm.x), list(dm.y)
    assert x[0] == 1 and type(x[0]) is int and math.isnan(x[1])
    assert x[2:] == ['', 'abc'] and y[0] == 2.5 and y[1] == INF and y[2] == 'None'
    assert y[3] == -INF


def test_readtxt_default_col_type_float_and_int(folder):
    """default_col_type accepts float/int and converts every column with that type."""
    path = folder / 'a.csv'
    path.write_text('x\n1\n2.9\n', encoding='utf-8')
    assert isinstance(io.readtxt(path, default_col_type=float).x, FloatColumn)
    dm = io.readtxt(path, default_col_type=int)
    assert isinstance(dm.x, IntColumn) and list(dm.x) == [1, 2]


@pytest.mark.parametrize('newline', ['\n', '\r\n', '\r'])
def test_readtxt_line_endings(folder, newline):
    """LF, CRLF and bare CR line ends all give the same rows."""
    path = folder / 'a.csv'
    path.write_bytes(newline.join(['a,b', '1,x', '2,y', '']).encode())
    dm = io.readtxt(path)
    assert list(dm.a) == [1, 2] and list(dm.b) == ['x', 'y']


def test_readtxt_bom_quotes_and_embedded_breaks(folder):
    """A BOM is removed; quoted fields keep delimiters, line breaks and doubled quotes."""
    path = folder / 'a.csv'
    path.write_bytes('\ufeff"name",b\r\n"say ""hi""","1,2\r\nx"\r\n'.encode('utf-8'))
    dm = io.readtxt(path)
    assert dm.column_names == ['b', 'name']
    assert dm.name[0] == 'say "hi"' and dm.b[0] == '1,2\r\nx'


def test_readtxt_delimiter_and_quotechar(folder):
    """Other delimiters and quote characters are honoured."""
    path = folder / 'a.tsv'
    path.write_text("a\tb\n'x\ty'\t3\n", encoding='utf-8')
    dm = io.readtxt(path, delimiter='\t', quotechar="'")
    assert dm.a[0] == 'x\ty' and dm.b[0] == 3


def test_readtxt_bad_dialect(folder):
    """A delimiter that is not one character is a TypeError."""
    path = folder / 'a.csv'
    path.write_text('a\n1\n', encoding='utf-8')
    with pytest.raises(TypeError, match='delimiter'):
        io.readtxt(path, delimiter=';;')


def test_readtxt_duplicate_names_are_renamed(folder):
    """Later duplicate names become name_2, name_3 (with a warning); values stay aligned."""
    path = folder / 'a.csv'
    path.write_text('a,a,b,a\n1,2,3,4\n', encoding='utf-8')
    with pytest.warns(UserWarning, match='duplicate'):
        dm = io.readtxt(path)
    dm.sorted = False
    assert dm.column_names == ['a', 'a_2', 'b', 'a_3']
    assert [dm[name][0] for name in dm.column_names] == [1, 2, 3, 4]


def test_readtxt_ragged_rows(folder):
    """Short rows get '' with a warning naming the column; extra fields are ignored."""
    path = folder / 'a.csv'
    path.write_text('a,b,c\n1,2\n3,4,5,6\n', encoding='utf-8')
    with pytest.warns(UserWarning, match='Some rows miss column c'):
        dm = io.readtxt(path)
    assert list(dm.c) == ['', 5] and len(dm.column_names) == 3


def test_readtxt_empty_and_header_only(folder):
    """An empty file gives an empty DataMatrix; a header-only file columns and 0 rows."""
    empty = folder / 'empty.csv'
    empty.write_bytes(b'')
    dm = io.readtxt(empty)
    assert dm.shape == (0, 0)
    header = folder / 'header.csv'
    header.write_text('a,b\n', encoding='utf-8')
    dm = io.readtxt(header)
    assert dm.shape == (0, 2) and dm.column_names == ['a', 'b']


def test_readtxt_invalid_utf8(folder):
    """Bytes that are not UTF-8 raise UnicodeDecodeError naming the file."""
    path = folder / 'a.csv'
    path.write_bytes(b'a\n\xff\xfe\n')
    with pytest.raises(UnicodeDecodeError, match='a.csv'):
        io.readtxt(path)


# -- CSV: writetxt --------------------------------------------------------------------

def test_writetxt_text_forms_and_quoting(folder):
    """Cells are written in their text form with minimal quoting and '\\n' line ends."""
    dm = DataMatrix(length=4)
    dm.a = [1.0, 1e20, NAN, None]
    dm.b = FloatColumn
    dm.b = [2.5, INF, -INF, 3]
    dm.c = ['x,y', 'say "hi"', 'two\nlines', 'cr\rhere']
    path = folder / 'out.csv'
    io.writetxt(dm, path)
    assert path.read_bytes().decode() == (
        'a,b,c\n1,2.5,"x,y"\n100000000000000000000,inf,"say ""hi"""\n'
        'nan,-inf,"two\nlines"\nNone,3,"cr\rhere"\n')
    back = io.readtxt(path)
    assert list(back.c) == list(dm.c) and back.a[3] == 'None'
    assert back.a[1] == 10 ** 20 and math.isnan(back.a[2])


def test_writetxt_respects_sorted_and_roundtrips(folder):
    """The header follows dm.column_names, and readtxt restores numbers and strings."""
    dm = DataMatrix(length=2)
    dm.z = [1, 'b']
    dm.a = [2.5, '']
    dm.sorted = False
    path = folder / 'sub' / 'dir' / 'out.csv'
    io.writetxt(dm, path, delimiter=';')
    assert path.read_text().splitlines()[0] == 'z;a'
    back = io.readtxt(path, delimiter=';')
    assert list(back.z) == [1, 'b'] and list(back.a) == [2.5, '']
    assert _leftovers(path) == []


def test_writetxt_single_empty_column(folder):
    """A one-column row holding '' is written as "" so that it is not a blank line."""
    dm = DataMatrix(a=['', 'x'])
    path = folder / 'out.csv'
    io.writetxt(dm, path)
    assert list(io.readtxt(path).a) == ['', 'x']


def test_writetxt_refuses_multidimensional_columns(folder):
    """A DataMatrix with an MD column raises TypeError and writes nothing."""
    dm = DataMatrix(length=1)
    dm.s = SeriesColumn(depth=2)
    path = folder / 'out.csv'
    with pytest.raises(TypeError, match='only 2D'):
        io.writetxt(dm, path)
    assert os.listdir(folder) == []


# -- Excel --------------------------------------------------------------------------------

def test_xlsx_roundtrip_with_series_sheet(folder):
    """Main sheet holds 1-D columns (missing values empty); a 2-D column gets its sheet."""
    openpyxl = pytest.importorskip('openpyxl')
    dm = DataMatrix(length=2)
    dm.a = [1, 'x']
    dm.f = FloatColumn
    dm.f = [NAN, 2.5]
    dm.s = SeriesColumn(depth=3)
    dm.s = [[1, NAN, 3], [4, 5, 6]]
    dm.m = MultiDimensionalColumn(shape=2)
    path = folder / 'out.xlsx'
    io.writexlsx(dm, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.active.title == 'Main sheet'
    assert workbook.sheetnames == ['Main sheet', 'm', 's']  # dm.columns order
    sheet = workbook['s']
    assert [c.value for c in sheet[1]] == ['T0000', 'T0001', 'T0002']
    assert [c.value for c in sheet[2]] == [1, None, 3]
    with pytest.warns(UserWarning, match='empty cell'):
        back = io.readxlsx(path)
    assert list(back.a) == [1, 'x'] and list(back.f) == ['', 2.5]
    with pytest.warns(UserWarning, match='empty cell'), \
            pytest.warns(UserWarning, match="'x' becomes NaN"):
        back = io.readxlsx(path, default_col_type=float)
    assert math.isnan(back.f[0]) and isinstance(back.f, FloatColumn)
    with pytest.warns(UserWarning, match="column 'T0001'"):
        assert list(io.readxlsx(path, sheet='s').T0002) == [3, 6]
    assert _leftovers(path) == []


def test_readxlsx_active_sheet_and_numeric_names(folder):
    """sheet=None reads the active sheet; numeric names become their text form."""
    openpyxl = pytest.importorskip('openpyxl')
    workbook = openpyxl.Workbook()
    workbook.active.append(['first'])
    other = workbook.create_sheet('other')
    other.append([1, 2.5, 'c'])
    other.append([1, 2, 3])
    workbook.active = 1
    path = folder / 'in.xlsx'
    workbook.save(path)
    dm = io.readxlsx(path)
    assert sorted(dm.column_names) == ['1', '2.5', 'c']


def test_readxlsx_empty_header_cell(folder):
    """An empty name cell above data raises ValueError naming the cell."""
    openpyxl = pytest.importorskip('openpyxl')
    workbook = openpyxl.Workbook()
    workbook.active.append(['a', None, 'c'])
    workbook.active.append([1, 2, 3])
    path = folder / 'in.xlsx'
    workbook.save(path)
    with pytest.raises(ValueError, match='B1'):
        io.readxlsx(path)


def test_writexlsx_refuses_3d_columns(folder):
    """A column with more than 2 dimensions raises ValueError and writes no file."""
    pytest.importorskip('openpyxl')
    dm = DataMatrix(length=1)
    dm.m = MultiDimensionalColumn(shape=(2, 2))
    with pytest.raises(ValueError, match='dimensions'):
        io.writexlsx(dm, folder / 'out.xlsx')
    assert os.listdir(folder) == []


# -- pickle ------------------------------------------------------------------------------

def test_pickle_roundtrip(folder, storage):
    """writepickle/readpickle keep content, types and flags; the result is a new family."""
    dm = DataMatrix(length=2)
    dm.a = [1, None]
    dm.s = SeriesColumn(depth=2)
    storage.prepare(dm.s)
    dm.sorted = False
    path = folder / 'x.pkl'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        io.writepickle(dm, path)
    back = io.readpickle(path)
    _same(dm, back)
    assert back != dm


# -- binary: round trips ------------------------------------------------------------

def _everything():
    """A DataMatrix with every column type, named dims, aliases and odd values."""
    dm = DataMatrix(length=4, default_col_type=FloatColumn)
    dm.mixed = MixedColumn
    dm.mixed = [1, 2.5, 'text', None]
    dm.big = MixedColumn
    dm.big = [2 ** 70, -2 ** 64, NAN, -INF]
    dm.f = [0.1, NAN, INF, -0.0]
    dm.i = IntColumn
    dm.i = [2 ** 62, -1, 0, 7]
    dm.s = SeriesColumn(depth=3, defaultnan=False)
    dm.s = np.arange(12.).reshape(4, 3)
    dm.m = MultiDimensionalColumn(shape=(('Fz', 'Cz'), (0.5, NAN, 2)),
                                  dtype=np.float32)
    dm.m[1] = 7
    dm.alias = dm.mixed
    dm.mixed.metadata = {'unit': 'ms', 'range': (0, INF), '$weird': [1]}
    dm.s.metadata = np.arange(4).reshape(2, 2)
    dm.metadata = {'subject': np.int32(3), 'gain': np.float32(1.5), 'nan': NAN,
                   'huge': 10 ** 30, 'nested': [None, True, {'x': (1, 'a')}]}
    dm.sorted = False
    return dm[[3, 0, 2]]  # row ids 3, 0, 2


def test_bin_roundtrip_everything(folder, storage):
    """Every column type, spec, value, alias, row id, flag and metadata round-trips."""
    dm = _everything()
    storage.prepare(dm.s)
    storage.prepare(dm.m)
    path = folder / 'x.dm'
    io.writebin(dm, path)
    back = io.readbin(path)
    _same(dm, back)
    assert back != dm  # a new family
    assert type(back.big[1]) is int and back.big[1] == 2 ** 70  # rows 3, 0, 2
    assert back.m.dtype is np.float32 and back.m.index_names[0] == ['Fz', 'Cz']
    assert math.isnan(back.m.index_names[1][1])
    assert back.mixed.metadata == {'unit': 'ms', 'range': (0, INF), '$weird': [1]}
    assert np.array_equal(back.s.metadata, dm.s.metadata)
    meta = back.metadata
    assert type(meta['subject']) is np.int32 and type(meta['gain']) is np.float32
    assert math.isnan(meta['nan']) and meta['huge'] == 10 ** 30
    assert meta['nested'] == [None, True, {'x': (1, 'a')}]
    assert _leftovers(path) == []


@pytest.mark.parametrize('length', [0, 3])
def test_bin_roundtrip_empty(folder, length):
    """0 rows (with MD columns) and 0 columns round-trip."""
    dm = DataMatrix(length=length)
    path = folder / 'x.dm'
    io.writebin(dm, path)
    assert io.readbin(path).shape == (length, 0)
    dm.s = SeriesColumn(depth=2)
    dm.a = 1
    io.writebin(dm, path)
    back = io.readbin(path)
    _same(dm, back)
    assert back.s.shape == (length, 2)


def test_bin_float32_offloaded_large_row(folder, storage):
    """A float32 column whose single row exceeds cfg.save_chunk_size round-trips."""
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(depth=50, dtype=np.float32)
    dm.s = np.random.default_rng(1).random((3, 50))
    storage.prepare(dm.s)
    cfg_chunk = cfg.save_chunk_size
    cfg.save_chunk_size = 40
    try:
        io.writebin(dm, folder / 'x.dm')
        back = io.readbin(folder / 'x.dm')
        assert back.s._store.array.dtype == np.float32
        assert np.array_equal(np.asarray(back.s), np.asarray(dm.s))
    finally:
        cfg.save_chunk_size = cfg_chunk


def test_writebin_streams_in_blocks(folder, storage, monkeypatch):
    """Array data is written in blocks of at most save_chunk_size (or one row)."""
    dm = DataMatrix(length=20)
    dm.s = SeriesColumn(depth=4)
    dm.s = np.arange(80.).reshape(20, 4)
    storage.prepare(dm.s)
    sizes = []
    original = _binary._write_all
    monkeypatch.setattr(_binary, '_write_all',
                        lambda fd, data: (sizes.append(memoryview(data).nbytes),
                                          original(fd, data))[1])
    io.writebin(dm, folder / 'x.dm')
    if storage.offloaded:  # save_chunk_size 40: blocks of one 32-byte row
        assert sizes.count(32) == 20 and 640 not in sizes
    else:
        assert 640 in sizes
    assert np.array_equal(np.asarray(io.readbin(folder / 'x.dm').s), np.asarray(dm.s))


def test_bin_metadata_that_json_cannot_hold(folder):
    """Unsupported metadata is saved as None with a warning naming the column."""
    dm = DataMatrix(a=[1])
    dm.a.metadata = {'ok': 1, 'obj': object()}
    dm.metadata = {1: 'int key'}
    path = folder / 'x.dm'
    with pytest.warns(UserWarning, match="column 'a'"), \
            pytest.warns(UserWarning, match='the DataMatrix.*not str'):
        io.writebin(dm, path)
    back = io.readbin(path)
    assert back.a.metadata == {'ok': 1, 'obj': None} and back.metadata is None


def test_bin_offloaded_state(folder):
    """Offloaded columns come back offloaded, small loaded ones loaded."""
    dm = DataMatrix(length=2)
    dm.on = SeriesColumn(depth=2)
    dm.off = SeriesColumn(depth=2)
    dm.off.loaded = False
    io.writebin(dm, folder / 'x.dm')
    back = io.readbin(folder / 'x.dm')
    assert back.on.loaded and not back.off.loaded
    back.off[0]  # a use: small columns are loaded by the memory manager
    assert back.off.loaded


# -- binary: laziness -----------------------------------------------------------------

def test_readbin_is_lazy_and_never_writes_the_file(folder, storage):
    """Columns map the file read-only; writing to them leaves the file's bytes alone."""
    dm = DataMatrix(length=4)
    dm.s = SeriesColumn(depth=3)
    dm.s = np.arange(12.).reshape(4, 3)
    storage.prepare(dm.s)
    dm.s.loaded = False
    path = folder / 'x.dm'
    io.writebin(dm, path)
    digest = _digest(path)
    back = io.readbin(path)
    store = back.s._store
    assert not back.s.loaded and store.readonly_source
    assert isinstance(store.array, np.memmap) and store.array.mode == 'r'
    assert os.path.samefile(store.array.filename, path)
    assert store.array.offset % 4096 == 0
    assert back.s[2, 1] == 7
    back.s[2] = -1
    back.s[:, 0] = 5
    assert back.s[2].tolist() == [5, -1, -1] and _digest(path) == digest
    assert io.readbin(path).s[2].tolist() == [6, 7, 8]
    assert _leftovers(path) == []


def test_readbin_survives_replacing_the_file(folder, storage):
    """After readbin the file may be replaced or deleted; the data stays readable."""
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=2)
    dm.s = [[1, 2], [3, 4]]
    dm.s.loaded = False
    path = folder / 'x.dm'
    io.writebin(dm, path)
    back = io.readbin(path)
    io.writebin(DataMatrix(length=1), path)
    assert back.s[1].tolist() == [3, 4]
    os.unlink(path)
    assert back.s.sum.tolist() == [4, 6]


def test_writebin_over_the_file_a_datamatrix_was_read_from(folder, storage):
    """A lazily read DataMatrix can be changed and saved over its own file."""
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(depth=2)
    dm.s = [[1, 2], [3, 4], [5, 6]]
    storage.prepare(dm.s)
    path = folder / 'x.dm'
    io.writebin(dm, path)
    back = io.readbin(path)
    back.s[0] = 9
    io.writebin(back, path)
    assert np.asarray(io.readbin(path).s)[:, 0].tolist() == [9, 3, 5]
    assert _leftovers(path) == []


def test_readbin_reads_only_the_manifest_and_flat_columns(folder, monkeypatch):
    """The arrays of MD columns are not read by readbin, only mapped."""
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(depth=1000)
    dm.s.loaded = False
    io.writebin(dm, folder / 'x.dm')
    reads = []
    real_open = open

    class Counting(stdio.FileIO):
        def read(self, *args):
            data = super().read(*args)
            reads.append(len(data))
            return data

        def readinto(self, buffer):
            count = super().readinto(buffer)
            reads.append(count)
            return count

    monkeypatch.setattr('builtins.open', lambda p, mode='r', *a, **k: Counting(p, 'rb')
                        if mode == 'rb' else real_open(p, mode, *a, **k))
    back = io.readbin(folder / 'x.dm')
    assert not back.s.loaded
    assert sum(reads) < 3 * 1000 * 8


# -- binary: bad files ------------------------------------------------------------------

@pytest.fixture
def saved(folder):
    """A small valid binary file."""
    dm = DataMatrix(length=3)
    dm.a = [1, 'x', None]
    dm.f = FloatColumn
    dm.s = SeriesColumn(depth=4)
    dm.s = np.arange(12.).reshape(3, 4)
    dm.s.loaded = False
    path = folder / 'x.dm'
    io.writebin(dm, path)
    return path


@pytest.mark.parametrize('content', [b'', b'hello world', b'a,b\n1,2\n' * 100])
def test_readbin_not_ours(folder, content):
    """Files that are not ZIP archives raise BinFormatError (a ValueError)."""
    path = folder / 'x.dm'
    path.write_bytes(content)
    with pytest.raises(BinFormatError, match='not a datamatrix'):
        io.readbin(path)


def test_readbin_zip_without_manifest(folder):
    """A ZIP archive (e.g. an xlsx) without our manifest is not ours."""
    path = folder / 'x.dm'
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('other.txt', 'hi')
    with pytest.raises(BinFormatError, match='datamatrix.json'):
        io.readbin(path)
    assert issubclass(BinFormatError, ValueError)


@pytest.mark.parametrize('keep', [0.5, 0.9, -10, 100])
def test_readbin_truncated(saved, keep):
    """A truncated file raises BinFormatError."""
    data = saved.read_bytes()
    saved.write_bytes(data[:int(len(data) * keep) if isinstance(keep, float) else keep])
    with pytest.raises(BinFormatError):
        io.readbin(saved)


def test_readbin_corrupt_bytes(saved):
    """Damage to the manifest, the row ids or a MixedColumn is detected (CRC)."""
    data = saved.read_bytes()
    for needle in (b'"format"', np.arange(3, dtype=np.int64).tobytes(), b'"x"'):
        damaged = bytearray(data)
        damaged[data.index(needle) + 1] ^= 0x01
        saved.write_bytes(bytes(damaged))
        with pytest.raises(BinFormatError):
            io.readbin(saved)


def test_readbin_verify_checks_mapped_arrays(saved):
    """verify=True detects a damaged byte in a lazily mapped array."""
    back = io.readbin(saved)
    offset = back.s._store.array.offset
    del back
    damaged = bytearray(saved.read_bytes())
    damaged[offset + 3] ^= 0x40
    saved.write_bytes(bytes(damaged))
    io.readbin(saved)  # not checked by default: the array is not read
    with pytest.raises(BinFormatError, match='checksum'):
        io.readbin(saved, verify=True)


def _rewrite(path, change):
    """Copy ``path`` with a manifest changed by ``change`` (using plain zipfile)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    manifest = json.loads(members['datamatrix.json'])
    change(manifest)
    members['datamatrix.json'] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_readbin_plain_zipfile_copy(saved):
    """A copy re-packed by another ZIP writer (no alignment) still reads."""
    _rewrite(saved, lambda manifest: None)
    assert io.readbin(saved).s[2].tolist() == [8, 9, 10, 11]


def test_readbin_newer_version(saved):
    """A file of a newer format version raises BinFormatError asking for an upgrade."""
    _rewrite(saved, lambda manifest: manifest.update(version=2))
    with pytest.raises(BinFormatError, match='newer'):
        io.readbin(saved)


@pytest.mark.parametrize('change', [
    lambda m: m.update(length=4),
    lambda m: m['columns'][0].update(type='NoSuchColumn'),
    lambda m: m['columns'][2].update(dims=[5]),
    lambda m: m['columns'][2].update(dtype='object'),
    lambda m: m['columns'][1].update(member='columns/0.json'),
    lambda m: m['columns'].append({'name': 'b', 'alias_of': 7}),
    lambda m: m.update(metadata={'$ndarray': {'dtype': 'O', 'shape': [1], 'data': [1]}}),
    lambda m: m.pop('sorted'),
])
def test_readbin_inconsistent_manifest(saved, change):
    """A manifest that does not match the members raises BinFormatError."""
    _rewrite(saved, change)
    with pytest.raises(BinFormatError, match='corrupt'):
        io.readbin(saved)


def test_readbin_refuses_legacy_pickle_files(folder):
    """A gzip-tar holding a pickle (the old format) is refused, saying why."""
    payload = pickle.dumps({'would': 'run code'})
    path = folder / 'old.dm'
    with tarfile.open(path, 'w:gz') as archive:
        info = tarfile.TarInfo('datamatrix.pickle')
        info.size = len(payload)
        archive.addfile(info, stdio.BytesIO(payload))
    with pytest.raises(BinFormatError, match='legacy.*arbitrary code'):
        io.readbin(path)
    path.write_bytes(payload)
    with pytest.raises(BinFormatError, match='pickle'):
        io.readbin(path)
    path.write_bytes(gzip.compress(b'plain text'))
    with pytest.raises(BinFormatError, match='gzip'):
        io.readbin(path)


# -- writing safely ---------------------------------------------------------------------

def test_writebin_creates_folders(folder):
    """Missing parent folders are created (str paths work too)."""
    path = folder / 'a' / 'b' / 'x.dm'
    io.writebin(DataMatrix(a=[1]), str(path))
    assert io.readbin(path).a[0] == 1


def test_writebin_rejects_other_objects(folder):
    """Only DataMatrix objects can be written."""
    with pytest.raises(TypeError):
        io.writebin([1, 2], folder / 'x.dm')


def test_write_into_read_only_folder(folder, monkeypatch):
    """A read-only folder raises PermissionError naming it; nothing is left behind."""
    path = folder / 'x.dm'
    io.writebin(DataMatrix(a=[1]), path)
    digest = _digest(path)
    os.chmod(folder, 0o555)
    try:
        if os.access(folder, os.W_OK):  # root ignores permissions: simulate them
            def refuse(*args, **kwargs):
                raise PermissionError(errno.EACCES, 'Permission denied')
            monkeypatch.setattr(_files.tempfile, 'mkstemp', refuse)
        with pytest.raises(PermissionError, match='folder'):
            io.writebin(DataMatrix(a=[2]), path)
        with pytest.raises(PermissionError):
            io.writetxt(DataMatrix(a=[2]), folder / 'x.csv')
    finally:
        os.chmod(folder, 0o755)
    assert _digest(path) == digest and os.listdir(folder) == ['x.dm']


def test_failing_write_keeps_the_old_file(folder, storage, monkeypatch):
    """A disk error mid-way leaves the previous file intact and no temporary file."""
    dm = DataMatrix(length=10)
    dm.s = SeriesColumn(depth=100)
    storage.prepare(dm.s)
    path = folder / 'x.dm'
    io.writebin(DataMatrix(a=[1]), path)
    digest = _digest(path)
    calls = []
    original = _binary._write_all

    def failing(fd, data):
        calls.append(1)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, 'No space left on device')
        original(fd, data)

    monkeypatch.setattr(_binary, '_write_all', failing)
    with pytest.raises(OSError, match='No space'):
        io.writebin(dm, path)
    assert _digest(path) == digest and os.listdir(folder) == ['x.dm']


def test_exception_while_writing_text_keeps_the_old_file(folder, monkeypatch):
    """An exception inside writetxt removes its temporary file; the old file stays."""
    path = folder / 'x.csv'
    io.writetxt(DataMatrix(a=[1]), path)
    before = path.read_bytes()
    monkeypatch.setattr('datamatrix.io._text.text_form',
                        lambda value: (_ for _ in ()).throw(RuntimeError('boom')))
    with pytest.raises(RuntimeError):
        io.writetxt(DataMatrix(a=[1.5]), path)
    assert path.read_bytes() == before and os.listdir(folder) == ['x.csv']


def test_stale_temporary_files_are_swept(folder):
    """A temporary file of a dead process is removed by the next write to that path."""
    stale = folder / '.x.dm.abc.tmp-999999999'
    stale.write_bytes(b'partial')
    io.writebin(DataMatrix(a=[1]), folder / 'x.dm')
    assert os.listdir(folder) == ['x.dm']


def test_progress_bars_for_large_work(folder, capsys):
    """With cfg.progress True, readtxt/writetxt/writebin/readbin report on stderr."""
    saved = cfg.progress, cfg.progress_min_bytes
    cfg.progress, cfg.progress_min_bytes = True, 1
    try:
        dm = DataMatrix(a=list(range(100)))
        io.writetxt(dm, folder / 'x.csv')
        io.readtxt(folder / 'x.csv')
        io.writebin(dm, folder / 'x.dm')
        io.readbin(folder / 'x.dm', verify=True)
    finally:
        cfg.progress, cfg.progress_min_bytes = saved
    err = capsys.readouterr().err
    for what in ('writetxt', 'readtxt', 'writebin', 'readbin'):
        assert what in err


def test_readbin_member_needing_a_newer_zip_version_is_a_format_error(tmp_path):
    """A damaged 'version needed to extract' field gives BinFormatError, not zipfile's error."""
    from datamatrix import io
    from datamatrix.errors import BinFormatError
    path = tmp_path / 'x.dm'
    io.writebin(DataMatrix(a=[1, 2]), str(path))
    data = bytearray(path.read_bytes())
    for marker in (b'PK\x01\x02', b'PK\x03\x04'):  # central and local headers
        start = 0
        while (start := data.find(marker, start)) != -1:
            offset = start + (6 if marker == b'PK\x01\x02' else 4)
            data[offset:offset + 2] = (109).to_bytes(2, 'little')
            start += 4
    path.write_bytes(bytes(data))
    with pytest.raises(BinFormatError):
        io.readbin(str(path))
