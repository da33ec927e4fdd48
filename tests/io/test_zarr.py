"""Tests of ``io.writezarr`` / ``io.readzarr`` and zarr-backed columns (SPEC 12)."""
import json
import math
import os
import shutil
import warnings

import numpy as np
import pytest

pytest.importorskip('zarr')

from datamatrix import (DataMatrix, FloatColumn, IntColumn, MixedColumn,  # noqa: E402
                        MultiDimensionalColumn, SeriesColumn, cfg, io)
from datamatrix import convert as cnv  # noqa: E402
from datamatrix._engine.memory import manager  # noqa: E402
from datamatrix._engine.storage import ArrayStore  # noqa: E402
from datamatrix.errors import BinFormatError  # noqa: E402


@pytest.fixture
def folder(tmp_path_factory):
    """A fresh folder for zarr stores (apart from ``cfg.tmp_dir``, which must stay empty)."""
    path = tmp_path_factory.mktemp('zarr')
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _sample(storage=None) -> DataMatrix:
    """A DataMatrix with every column type, named dimensions, aliases and metadata."""
    dm = DataMatrix(length=5, default_col_type=FloatColumn)
    dm.mixed = MixedColumn
    dm.text = MixedColumn
    dm.mixed = [1, 'a', None, math.nan, 2 ** 70]
    dm.mixed[0] = -math.inf
    dm.text = ['x', '', 'é', '{"$float": "nan"}', '3']
    dm.f = FloatColumn
    dm.f = [1.5, math.inf, math.nan, 0.0, -1e300]
    dm.i = IntColumn
    dm.i = [1, -2, 2 ** 62, 0, 5]
    dm.s = SeriesColumn(depth=3, dtype=np.float32)
    dm.s = np.arange(15, dtype=np.float32).reshape(5, 3) / 3
    dm.s[1, 2] = np.nan
    dm.md = MultiDimensionalColumn(shape=(('Fz', 'Cz'), (0.0, 0.5, 1.0)),
                                   defaultnan=False)
    dm.md[0] = np.arange(6).reshape(2, 3)
    dm.alias = dm.s
    dm.metadata = {'ids': (1, 2), 'gain': np.float32(2.5), 'bad': math.nan,
                   'array': np.arange(4).reshape(2, 2)}
    dm.md.metadata = {'unit': 'µV'}
    dm.i.metadata = [1, 2]
    if storage is not None:
        storage.prepare(dm.s)
        storage.prepare(dm.md)
    return dm[[4, 0, 3, 1]]  # non-trivial row ids, sorted == False


def _assert_same(a: DataMatrix, b: DataMatrix) -> None:
    assert list(a._cols) == list(b._cols)
    assert list(a._rowid) == list(b._rowid)
    assert a.sorted == b.sorted
    assert a.default_col_type == b.default_col_type
    assert _same(a.metadata, b.metadata)
    for name, col in a._cols.items():
        other = b._cols[name]
        assert type(col) is type(other), name
        assert _same(col.metadata, other.metadata), name
        if isinstance(col, MultiDimensionalColumn):
            assert col.index_names == other.index_names
            assert col.defaultnan == other.defaultnan
            assert col._store.dtype == other._store.dtype
            assert np.array_equal(col._store.array, other._store.array, equal_nan=True)
        else:
            assert len(col) == len(other)
            for x, y in zip(col, other):
                assert type(x) is type(y) and _same(x, y), (name, x, y)


def _same(x, y) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return (type(x) is type(y) and x.dtype == y.dtype
                and np.array_equal(x, y, equal_nan=x.dtype.kind == 'f'))
    if isinstance(x, dict):
        return type(y) is dict and x.keys() == y.keys() and all(_same(x[k], y[k])
                                                                 for k in x)
    if isinstance(x, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(map(_same, x, y))
    if isinstance(x, float) and math.isnan(x):
        return isinstance(y, float) and math.isnan(y)
    return type(x) is type(y) and x == y


# -- round trips -------------------------------------------------------------------------

def test_roundtrip_every_type(storage, folder):
    """Names, order, aliases, types, shapes, dtypes, values, row ids, flags and metadata survive."""
    dm = _sample(storage)
    io.writezarr(dm, folder / 'a.zarr')
    back = io.readzarr(folder / 'a.zarr')
    _assert_same(dm, back)
    assert back.alias is back.s
    assert back.s.dtype is np.float32
    assert type(back.metadata['gain']) is np.float32
    assert back.md.index_names == [['Fz', 'Cz'], [0.0, 0.5, 1.0]]
    assert back.md.defaultnan is False and back.s.defaultnan is True
    assert back is not dm and back != 1


def test_roundtrip_empty(folder):
    """A DataMatrix without rows, and one without columns, round-trip."""
    dm = DataMatrix(length=0)
    dm.a = IntColumn
    dm.m = []
    dm.s = SeriesColumn(depth=0)
    dm.md = MultiDimensionalColumn(shape=(2, 3))
    io.writezarr(dm, folder / 'rows.zarr')
    _assert_same(dm, io.readzarr(folder / 'rows.zarr'))
    assert io.readzarr(folder / 'rows.zarr').md.shape == (0, 2, 3)
    io.writezarr(DataMatrix(length=3), folder / 'cols.zarr')
    back = io.readzarr(folder / 'cols.zarr')
    assert len(back) == 3 and back.column_names == []


def test_chunk_rows_and_array_names(folder):
    """Arrays are chunked by rows only (cell dimensions whole) and named after their columns."""
    import zarr
    dm = DataMatrix(length=10)
    dm.s = SeriesColumn(depth=4)
    dm['a.b'] = 1
    io.writezarr(dm, folder / 'c.zarr', chunk_rows=3)
    group = zarr.open_group(folder / 'c.zarr', mode='r')
    assert group['s'].chunks == (3, 4)
    assert group['a.b'].chunks == (3,)
    io.writezarr(dm, folder / 'big.zarr', chunk_rows=100)  # never more than the rows
    assert zarr.open_group(folder / 'big.zarr', mode='r')['s'].chunks == (10, 4)
    with pytest.raises(ValueError, match='chunk_rows'):
        io.writezarr(dm, folder / 'd.zarr', chunk_rows=0)
    assert not os.path.exists(folder / 'd.zarr')


def test_default_chunks_follow_save_chunk_size(folder):
    """Without chunk_rows an MD array has as many rows per chunk as fit cfg.save_chunk_size."""
    import zarr
    dm = DataMatrix(length=10)
    dm.s = SeriesColumn(depth=4)
    saved = cfg.save_chunk_size
    cfg.save_chunk_size = 3 * 4 * 8
    try:
        io.writezarr(dm, folder / 'c.zarr')
        assert zarr.open_group(folder / 'c.zarr', mode='r')['s'].chunks == (3, 4)
        assert cnv.to_dask(io.readzarr(folder / 'c.zarr').s).chunks[0] == (3, 3, 3, 1)
    finally:
        cfg.save_chunk_size = saved


def test_unsupported_metadata_warns_and_is_none(folder):
    """Metadata JSON cannot hold is stored as None, with a warning naming the column."""
    dm = DataMatrix(length=1)
    dm.a = 1
    dm.a.metadata = object()
    with pytest.warns(UserWarning, match="column 'a'"):
        io.writezarr(dm, folder / 'm.zarr')
    assert io.readzarr(folder / 'm.zarr').a.metadata is None


def test_mixed_cells_are_json_strings(folder):
    """A MixedColumn is an array of JSON texts, one per cell, tagged where JSON is not enough."""
    import zarr
    dm = DataMatrix(m=[1, 1.0, 'x', None, math.inf])
    io.writezarr(dm, folder / 'j.zarr')
    texts = zarr.open_group(folder / 'j.zarr', mode='r')['m'][:].tolist()
    assert [json.loads(t) for t in texts] == [1, 1.0, 'x', None, {'$float': 'inf'}]


# -- laziness ------------------------------------------------------------------------------

def test_readzarr_is_lazy_and_loads_on_use(storage, folder):
    """MD columns are backed by the zarr arrays until used; a use loads them by the rules."""
    dm = DataMatrix(length=6)
    dm.s = SeriesColumn(depth=5)
    dm.s = np.arange(30).reshape(6, 5)
    io.writezarr(dm, folder / 'l.zarr', chunk_rows=2)
    resident = manager.resident
    back = io.readzarr(folder / 'l.zarr')
    store = back.s._store
    assert store.pending and not back.s.loaded
    assert back.s.shape == (6, 5) and len(back.s) == 6  # no data read for these
    assert store.pending and manager.resident == resident
    assert list(back.s[2]) == [10, 11, 12, 13, 14]      # a use
    assert not store.pending
    assert back.s.loaded is (not storage.offloaded)    # tiny budget: offloaded copy
    assert np.array_equal(back.s.mean, np.arange(12.5, 17.5))


def test_readzarr_reads_no_array_data(folder):
    """Opening does not read chunks: a store whose chunk files are gone still opens."""
    dm = DataMatrix(length=4)
    dm.s = SeriesColumn(depth=2)
    dm.s = 1
    io.writezarr(dm, folder / 'n.zarr', chunk_rows=2)
    shutil.rmtree(folder / 'n.zarr' / 's' / 'c')
    back = io.readzarr(folder / 'n.zarr')
    assert back.s.shape == (4, 2) and back.s._store.pending


def test_writing_a_zarr_backed_column_leaves_the_store_unchanged(storage, folder):
    """Assigning to a zarr-backed column changes the column, never the store."""
    dm = DataMatrix(length=4)
    dm.s = SeriesColumn(depth=3)
    dm.s = 1
    io.writezarr(dm, folder / 'w.zarr', chunk_rows=2)
    back = io.readzarr(folder / 'w.zarr')
    back.s[1] = 7
    back.s[:, 0] = -1
    assert list(back.s[1]) == [-1, 7, 7]
    again = io.readzarr(folder / 'w.zarr')
    assert np.all(again.s._store.array == 1)


def test_to_dask_uses_from_zarr(storage, folder):
    """to_dask on an unused zarr-backed column reads the zarr array itself, nothing is loaded."""
    pytest.importorskip('dask.array')
    dm = DataMatrix(length=7)
    dm.s = SeriesColumn(depth=3, dtype=np.float32)
    dm.s = np.arange(21).reshape(7, 3)
    io.writezarr(dm, folder / 'd.zarr', chunk_rows=3)
    back = io.readzarr(folder / 'd.zarr')
    array = cnv.to_dask(back.s, chunk_rows=3)
    assert array.name.startswith('from-zarr')
    assert array.chunks == ((3, 3, 1), (3,)) and array.dtype == np.float32
    assert np.array_equal(array.compute(), np.arange(21).reshape(7, 3))
    assert back.s._store.pending and not back.s.loaded
    as_dict = cnv.to_dask(back)
    assert as_dict['s'].name.startswith('from-zarr')


def test_to_json_and_to_pandas_do_not_materialise(folder):
    """Hashing and pandas conversion stream from the zarr array without copying it."""
    pytest.importorskip('pandas')
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(depth=2)
    dm.s = np.arange(6).reshape(3, 2)
    io.writezarr(dm, folder / 'p.zarr')
    back = io.readzarr(folder / 'p.zarr')
    assert cnv.to_json(back) == cnv.to_json(dm)
    assert [list(cell) for cell in cnv.to_pandas(back.s)] == [[0, 1], [2, 3], [4, 5]]
    assert back.s._store.pending


# -- streaming writes -----------------------------------------------------------------------

def test_offloaded_column_is_written_block_by_block(storage, folder, monkeypatch):
    """Writing streams an offloaded column in blocks of whole chunks; it stays offloaded."""
    blocks = []
    original = ArrayStore.blocks

    def spy(self, max_bytes=None):
        for start, stop, block in original(self, max_bytes):
            blocks.append(block.nbytes)
            yield start, stop, block

    monkeypatch.setattr(ArrayStore, 'blocks', spy)
    dm = DataMatrix(length=20)
    dm.s = SeriesColumn(depth=4)
    dm.s = np.arange(80).reshape(20, 4)
    storage.prepare(dm.s)
    saved = cfg.save_chunk_size
    cfg.save_chunk_size = 64
    blocks.clear()
    try:
        io.writezarr(dm, folder / 's.zarr', chunk_rows=2)
    finally:
        cfg.save_chunk_size = saved
    assert len(blocks) == 10 and max(blocks) == 2 * 4 * 8   # one chunk per block
    assert dm.s.loaded is (not storage.offloaded)
    assert np.array_equal(io.readzarr(folder / 's.zarr').s._store.array,
                          np.arange(80).reshape(20, 4))


def test_zarr_backed_column_is_copied_from_the_source(folder):
    """Saving a zarr-backed column again reads its source block by block; it stays pending."""
    dm = DataMatrix(length=5)
    dm.s = SeriesColumn(depth=2)
    dm.s = np.arange(10).reshape(5, 2)
    io.writezarr(dm, folder / 'one.zarr', chunk_rows=2)
    back = io.readzarr(folder / 'one.zarr')
    io.writezarr(back, folder / 'two.zarr', chunk_rows=2)
    assert back.s._store.pending
    _assert_same(dm, io.readzarr(folder / 'two.zarr'))


# -- existing paths and bad stores ----------------------------------------------------------

def test_existing_path_needs_overwrite(folder):
    """An existing store is kept without overwrite=True and replaced with it."""
    io.writezarr(DataMatrix(a=[1]), folder / 'e.zarr')
    with pytest.raises(FileExistsError, match='overwrite=True'):
        io.writezarr(DataMatrix(a=[2]), folder / 'e.zarr')
    assert list(io.readzarr(folder / 'e.zarr').a) == [1]
    io.writezarr(DataMatrix(b=[3]), folder / 'e.zarr', overwrite=True)
    back = io.readzarr(folder / 'e.zarr')
    assert back.column_names == ['b'] and list(back.b) == [3]
    assert sorted(os.listdir(folder)) == ['e.zarr']          # no temporary folders left


def test_overwrite_never_replaces_other_folders_or_files(folder):
    """overwrite=True refuses to delete a folder that is not a zarr store, or a file."""
    (folder / 'docs').mkdir()
    (folder / 'docs' / 'thesis.txt').write_text('precious')
    (folder / 'file').write_text('precious')
    for name in ('docs', 'file'):
        with pytest.raises(FileExistsError, match='not a zarr store'):
            io.writezarr(DataMatrix(a=[1]), folder / name, overwrite=True)
    assert (folder / 'docs' / 'thesis.txt').read_text() == 'precious'
    assert (folder / 'file').read_text() == 'precious'


def test_failed_write_leaves_nothing_behind(folder, monkeypatch):
    """An error while writing removes the partial store and keeps the old one."""
    from datamatrix.io import _zarr
    io.writezarr(DataMatrix(a=[1]), folder / 'f.zarr')

    def fail(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(_zarr, '_write_column', fail)
    with pytest.raises(OSError, match='disk full'):
        io.writezarr(DataMatrix(a=[2]), folder / 'f.zarr', overwrite=True)
    with pytest.raises(OSError, match='disk full'):
        io.writezarr(DataMatrix(a=[2]), folder / 'g.zarr')
    assert sorted(os.listdir(folder)) == ['f.zarr']
    assert list(io.readzarr(folder / 'f.zarr').a) == [1]


def test_not_a_datamatrix_store(folder):
    """Folders, files and zarr nodes that are not our stores raise BinFormatError."""
    import zarr
    (folder / 'empty').mkdir()
    (folder / 'file').write_text('hello')
    zarr.create_array(folder / 'array', shape=(2,), dtype='f8')
    zarr.open_group(folder / 'group', mode='w').attrs['other'] = 1
    for name, message in [('empty', 'not a zarr group'), ('file', 'not a zarr group'),
                          ('array', 'not a zarr group'), ('group', 'without')]:
        with pytest.raises(BinFormatError, match=message):
            io.readzarr(folder / name)
    with pytest.raises(FileNotFoundError):
        io.readzarr(folder / 'missing')


def _store_with(folder, change) -> str:
    """A valid store whose attribute (or arrays) ``change(group_path, attribute)`` alters."""
    import zarr
    dm = DataMatrix(length=3)
    dm.a = [1, 2, 3]
    dm.s = SeriesColumn(depth=2)
    path = folder / 'bad.zarr'
    io.writezarr(dm, path, overwrite=True)
    group = zarr.open_group(path, mode='r+')
    attribute = group.attrs['datamatrix']
    change(path, attribute)
    group.attrs['datamatrix'] = attribute
    return path


def test_missing_column_array(folder):
    """A store whose column array was deleted names the column in a BinFormatError."""
    path = _store_with(folder, lambda path, attribute: shutil.rmtree(path / 's'))
    with pytest.raises(BinFormatError, match="array 's' of column 's' is missing"):
        io.readzarr(path)


def test_corrupt_attribute_and_arrays(folder):
    """Invalid descriptions, mismatched arrays and newer versions raise BinFormatError."""
    cases = [
        (lambda p, a: a.update(version=99), 'newer datamatrix'),
        (lambda p, a: a.update(length=4), 'row ids'),
        (lambda p, a: a['columns'][1].update(dtype='float32'), 'holds float64'),
        (lambda p, a: a['columns'][0].update(type='Nonsense'), 'invalid'),
        (lambda p, a: a['columns'].append({'name': 'x', 'alias_of': 7}), 'invalid alias'),
        (lambda p, a: a.pop('rowid'), 'rowid'),
    ]
    for change, message in cases:
        path = _store_with(folder, change)
        with pytest.raises(BinFormatError, match=message):
            io.readzarr(path)


def test_writezarr_rejects_other_objects(folder):
    """writezarr needs a DataMatrix."""
    with pytest.raises(TypeError, match='DataMatrix'):
        io.writezarr([1, 2], folder / 'x.zarr')
    assert not os.path.exists(folder / 'x.zarr')


def test_no_warnings_on_a_plain_round_trip(folder):
    """A round trip of plain data raises no warnings (zarr's included)."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        io.writezarr(_sample(), folder / 'q.zarr')
        io.readzarr(folder / 'q.zarr')


def test_manual_loading_of_a_zarr_backed_column(folder):
    """loaded = False keeps a pending column pending; loaded = True reads it into memory."""
    dm = DataMatrix(length=4)
    dm.s = SeriesColumn(depth=2)
    dm.s = np.arange(8).reshape(4, 2)
    io.writezarr(dm, folder / 'm.zarr')
    back = io.readzarr(folder / 'm.zarr')
    back.s.loaded = False
    assert back.s._store.pending
    back.s.loaded = True
    assert back.s.loaded and not back.s._store.pending
    back.s.loaded = False                      # now an ordinary offloaded column
    assert not back.s.loaded and np.array_equal(back.s._store.array, dm.s._store.array)


def test_from_dask_of_a_zarr_backed_datamatrix(folder):
    """from_dask(to_dask(readzarr(...))) rebuilds the columns and values."""
    pytest.importorskip('dask.array')
    dm = DataMatrix(length=5)
    dm.i = IntColumn
    dm.i = [1, 2, 3, 4, 5]
    dm.s = SeriesColumn(depth=3, dtype=np.float32)
    dm.s = np.arange(15).reshape(5, 3)
    io.writezarr(dm, folder / 'r.zarr', chunk_rows=2)
    back = cnv.from_dask(cnv.to_dask(io.readzarr(folder / 'r.zarr'), chunk_rows=2))
    assert list(back.i) == [1, 2, 3, 4, 5] and back.s.dtype is np.float32
    assert np.array_equal(back.s._store.array, np.arange(15).reshape(5, 3))
