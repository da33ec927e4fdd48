"""Tests of ``datamatrix.convert``: pandas, JSON, MNE, xarray and dask (SPEC 10, 12)."""
import json
import math
import sys
import types

import numpy as np
import pytest

from datamatrix import (DataMatrix, FloatColumn, IntColumn, MixedColumn,
                        MultiDimensionalColumn, SeriesColumn, cfg)
from datamatrix import convert as cnv

try:
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None
try:
    import xarray as xr
except ImportError:  # pragma: no cover
    xr = None

needs_pandas = pytest.mark.skipif(pd is None, reason='pandas is not installed')
needs_xarray = pytest.mark.skipif(xr is None, reason='xarray is not installed')

NAN = float('nan')
INF = float('inf')


def sample(storage=None, n=4):
    """A DataMatrix with one column of every type (MD columns prepared by ``storage``)."""
    dm = DataMatrix(length=n)
    dm.i = IntColumn
    dm.i = range(n)
    dm.f = FloatColumn
    dm.f = [1.5, NAN, INF, -2][:n]
    dm.m = ['a', 1, None, 2.5][:n]
    dm.s = SeriesColumn(depth=3)
    dm.s = np.arange(n * 3).reshape(n, 3)
    dm.md = MultiDimensionalColumn(shape=(('x', 'y'), 2), defaultnan=False)
    dm.md = np.arange(n * 4).reshape(n, 2, 2) / 2
    dm.md[0, 'y', 1] = NAN
    if storage is not None:
        storage.prepare(dm.s)
        storage.prepare(dm.md)
    return dm


def assert_same(a, b, kinds=True):
    """Same column names, order, types (optionally), shapes and values."""
    assert a.column_names == b.column_names
    for (name, x), (_, y) in zip(a.columns, b.columns):
        if kinds:
            assert type(x) is type(y), name
        assert x.shape == y.shape, name
        assert x.equals(y), name


# ---------------------------------------------------------------------------------- pandas

@needs_pandas
def test_to_pandas_column_dtypes():
    """Columns become Series whose dtype pandas infers; MD columns give object Series."""
    dm = sample()
    assert cnv.to_pandas(dm.i).dtype == np.int64
    assert cnv.to_pandas(dm.f).dtype == np.float64
    assert cnv.to_pandas(dm.m).tolist()[:2] == ['a', 1]
    cells = cnv.to_pandas(dm.s)
    assert cells.dtype == object
    np.testing.assert_array_equal(cells[1], [3, 4, 5])


@needs_pandas
def test_to_pandas_md_cells_are_copies(storage):
    """MD cells in the Series are copies: writing them leaves the column alone."""
    dm = sample(storage)
    series = cnv.to_pandas(dm.s)
    series[0][:] = -1
    np.testing.assert_array_equal(dm.s[0], [0, 1, 2])


@needs_pandas
def test_to_pandas_datamatrix_order_and_index():
    """A DataFrame in column order with a RangeIndex; row ids are not kept."""
    dm = sample()
    dm.sorted = False
    df = cnv.to_pandas(dm[2:])
    assert list(df.columns) == ['i', 'f', 'm', 's', 'md']
    assert isinstance(df.index, pd.RangeIndex) and list(df.index) == [0, 1]
    assert df.i.tolist() == [2, 3]


@needs_pandas
def test_to_pandas_rejects_other_objects():
    """Anything but a DataMatrix or a column is a TypeError."""
    with pytest.raises(TypeError):
        cnv.to_pandas([1, 2])


@needs_pandas
@pytest.mark.parametrize('values, dtype, kind, expected', [
    ([1, 2], 'int64', IntColumn, [1, 2]),
    ([1, 2], 'int8', IntColumn, [1, 2]),
    ([True, False], 'bool', IntColumn, [1, 0]),
    ([1.5, None], 'float64', FloatColumn, [1.5, NAN]),
    ([1.5, 2], 'float32', FloatColumn, [1.5, 2.0]),
    (['a', None], 'object', MixedColumn, ['a', None]),
    (['a', None], 'string', MixedColumn, ['a', NAN]),
    (['a', 'b'], 'category', MixedColumn, ['a', 'b']),
    (['1', 2], 'object', IntColumn, [1, 2]),
    ([1, 2.5], 'object', FloatColumn, [1, 2.5]),
    ([1, 2], 'category', IntColumn, [1, 2]),
    ([1, None], 'Int64', FloatColumn, [1.0, NAN]),
])
def test_from_pandas_type_mapping(values, dtype, kind, expected):
    """Every dtype maps to the SPEC type; object-like columns are refined by auto_type."""
    dm = cnv.from_pandas(pd.DataFrame({'x': pd.Series(values, dtype=dtype)}))
    assert type(dm.x) is kind
    assert DataMatrix(length=2, x=expected).x.equals(dm.x)


@needs_pandas
def test_from_pandas_object_missing_markers():
    """In object columns NaN and pd.NA become NaN while None stays None."""
    df = pd.DataFrame({'x': pd.Series(['a', np.nan, pd.NA, None], dtype=object)})
    values = list(cnv.from_pandas(df).x)
    assert values[0] == 'a' and math.isnan(values[1]) and math.isnan(values[2])
    assert values[3] is None


@needs_pandas
@pytest.mark.parametrize('dtype', ['int64', 'float64', 'object', 'bool'])
def test_pandas_roundtrip_keeps_types(dtype):
    """Int, Float and (non-numeric) Mixed columns come back with their type and values."""
    dm = DataMatrix(length=3)
    kinds = {'int64': (IntColumn, [1, 2, 3]), 'float64': (FloatColumn, [1.5, NAN, INF]),
             'object': (MixedColumn, ['a', 1, None]), 'bool': (IntColumn, [1, 0, 1])}
    kind, values = kinds[dtype]
    dm.x = kind
    dm.x = values
    back = cnv.from_pandas(cnv.to_pandas(dm))
    assert type(back.x) is kind and back.x.equals(dm.x)


@needs_pandas
def test_from_pandas_names_and_index():
    """Names become text (MultiIndex tuples joined with '_'); the index is ignored."""
    columns = pd.MultiIndex.from_tuples([('a', 1), ('b', 2.5)])
    df = pd.DataFrame([[1, 2], [3, 4]], columns=columns, index=[10, 20])
    dm = cnv.from_pandas(df)
    assert dm.column_names == ['a_1', 'b_2.5']
    assert dm._rowid.tolist() == [0, 1] and list(dm.a_1) == [1, 3]
    assert cnv.from_pandas(pd.DataFrame({0: [1]})).column_names == ['0']


@needs_pandas
def test_from_pandas_duplicate_names():
    """Names that coincide after conversion get _2, _3 … with a warning, keeping all data."""
    df = pd.DataFrame([[1, 2, 3]], columns=['a', 'a', 'a'])
    with pytest.warns(UserWarning, match='duplicate'):
        dm = cnv.from_pandas(df)
    dm.sorted = False
    assert dm.column_names == ['a', 'a_2', 'a_3'] and dm.a_3[0] == 3


@needs_pandas
def test_from_pandas_series():
    """A Series becomes a one-column DataMatrix with the column 'series'."""
    dm = cnv.from_pandas(pd.Series([1.5, 2.5], name='ignored'))
    assert dm.column_names == ['series'] and type(dm.series) is FloatColumn


@needs_pandas
@pytest.mark.parametrize('kind', ['datetime', 'timedelta', 'complex'])
def test_from_pandas_rejects_other_dtypes(kind):
    """Datetime, timedelta and complex columns raise TypeError."""
    values = {'datetime': pd.to_datetime(['2020-01-01']), 'timedelta':
              pd.to_timedelta(['1D']), 'complex': [1 + 2j]}[kind]
    with pytest.raises(TypeError, match="'x'"):
        cnv.from_pandas(pd.DataFrame({'x': values}))


@needs_pandas
def test_from_pandas_rejects_non_frames():
    """Anything but a DataFrame or Series is a TypeError."""
    with pytest.raises(TypeError):
        cnv.from_pandas({'a': [1]})


@needs_pandas
def test_pandas_md_roundtrip(storage):
    """MD columns survive to_pandas/from_pandas with kind, shape and values (names aside)."""
    dm = sample(storage)
    back = cnv.from_pandas(cnv.to_pandas(dm))
    assert type(back.s).__name__ == '_SeriesColumn'
    assert type(back.md).__name__ == '_MultiDimensionalColumn'
    assert back.md.shape == dm.md.shape and back.md.equals(dm.md)
    assert back.s.equals(dm.s)
    assert type(back.i) is IntColumn and type(back.f) is FloatColumn
    assert list(back.m)[:2] == ['a', 1] and list(back.m)[2] is None


@needs_pandas
def test_from_pandas_ndarray_cells_of_other_shapes_are_refused():
    """Object cells holding arrays of different shapes cannot become a column."""
    df = pd.DataFrame({'x': pd.Series([np.zeros(2), np.zeros(3)], dtype=object)})
    with pytest.raises(TypeError, match="'x'"):
        cnv.from_pandas(df)


@needs_pandas
def test_wrap_pandas():
    """A wrapped function takes a DataMatrix and returns DataFrames as DataMatrix objects."""
    dm = DataMatrix(g=['a', 'b', 'a'], v=[1, 2, 3])
    pivot = cnv.wrap_pandas(pd.pivot_table)
    result = pivot(dm, values='v', columns='g')
    assert isinstance(result, DataMatrix) and result.a[0] == 2
    first = cnv.wrap_pandas(lambda df: df.v.iloc[0])
    assert first(dm) == 1


@needs_pandas
def test_datamatrix_pandas_helpers():
    """``dm.get`` and ``__dataframe__`` use to_pandas."""
    dm = DataMatrix(a=[1, 2])
    assert dm.get('a').tolist() == [1, 2] and dm.get('b', 5) == 5
    assert dm.__dataframe__().equals(cnv.to_pandas(dm))


# ------------------------------------------------------------------------------------ JSON

def test_json_is_deterministic_and_drives_hash(storage):
    """Identical content gives identical JSON and hashes; other content another hash."""
    a, b = sample(storage), sample(storage)
    assert cnv.to_json(a) == cnv.to_json(b)
    assert hash(a) == hash(b) == hash(cnv.to_json(a))
    b.f[0] = 0
    assert hash(a) != hash(b)


def test_json_structure():
    """The JSON holds rowid and typed entries; only MD entries have a third element."""
    dm = sample()
    document = json.loads(cnv.to_json(dm[::-1]))
    assert document['rowid'] == [3, 2, 1, 0]
    columns = document['columns']
    assert list(columns) == dm.column_names
    assert columns['i'][0] == 'IntColumn' and len(columns['i']) == 2
    assert columns['i'][1] == {'__ndarray__': [3, 2, 1, 0], 'dtype': 'int64',
                               'shape': [4]}
    assert columns['m'] == ['MixedColumn', [2.5, None, 1, 'a']]
    assert columns['s'][0] == '_SeriesColumn'
    assert columns['md'][0] == '_MultiDimensionalColumn'
    assert columns['md'][2] == {'shape': [['x', 'y'], 2], 'defaultnan': False}


def test_json_roundtrip(storage):
    """from_json restores names, order, types, shape specs, defaultnan and values."""
    dm = sample(storage)
    dm.h = SeriesColumn(depth=2, dtype=np.float32)
    dm.h = [1 / 3, 2]
    back = cnv.from_json(cnv.to_json(dm[1:]))
    assert_same(back, dm[1:])
    assert back._rowid.tolist() == [0, 1, 2]
    assert back.md.index_names == [['x', 'y'], [0, 1]]
    assert back.md.defaultnan is False and back.s.defaultnan is True
    assert back.h.dtype is np.float32 and back.h.equals(dm.h[1:])


def test_json_empty():
    """Zero rows and zero columns round-trip."""
    dm = DataMatrix(length=0)
    dm.s = SeriesColumn(depth=2)
    dm.x = FloatColumn
    back = cnv.from_json(cnv.to_json(dm))
    assert len(back) == 0 and back.s.shape == (0, 2) and type(back.x) is FloatColumn
    assert cnv.from_json(cnv.to_json(DataMatrix(length=3))).shape == (3, 0)


def test_from_json_reference_format():
    """Reference strings: two-element entries, array-object row ids, NaN/Infinity literals."""
    text = (
        '{"rowid": {"__ndarray__": [4, 7], "dtype": "int64", "shape": [2]}, '
        '"columns": {"a": ["MixedColumn", [1, "x"]], '
        '"f": ["FloatColumn", {"__ndarray__": [1.5, Infinity], "dtype": "float64", '
        '"shape": [2]}], '
        '"s": ["_SeriesColumn", {"__ndarray__": [[1.0, NaN], [2.0, 3.0]], '
        '"dtype": "float64", "shape": [2, 2]}], '
        '"m": ["_MultiDimensionalColumn", {"__ndarray__": [[[1.0], [2.0]], [[3.0], '
        '[4.0]]], "dtype": "float64", "shape": [2, 2, 1]}]}}')
    dm = cnv.from_json(text)
    dm.sorted = False
    assert dm.column_names == ['a', 'f', 's', 'm'] and dm._rowid.tolist() == [0, 1]
    assert list(dm.a) == [1, 'x'] and list(dm.f) == [1.5, INF]
    assert type(dm.s).__name__ == '_SeriesColumn'
    np.testing.assert_array_equal(dm.s[0], [1, NAN])
    assert type(dm.m).__name__ == '_MultiDimensionalColumn' and dm.m.shape == (2, 2, 1)
    assert dm.m[1, 1, 0] == 4


def test_from_json_base64_arrays():
    """json_tricks' compact base64 array form is decoded too."""
    import base64
    raw = base64.b64encode(np.array([1.5, 2.5]).astype('<f8').tobytes()).decode()
    text = ('{"rowid": [0, 1], "columns": {"f": ["FloatColumn", {"__ndarray__": '
            f'"b64:{raw}", "dtype": "float64", "shape": [2], "Corder": true}}]}}}}')
    assert list(cnv.from_json(text).f) == [1.5, 2.5]


@pytest.mark.parametrize('text', [
    'not json', '{"columns": {}}',
    '{"rowid": [0], "columns": {"x": ["NiftiColumn", [1]]}}',
    '{"rowid": [0], "columns": {"x": ["MixedColumn", [1, 2]]}}',
    '{"rowid": [0], "columns": {"x": 3}}'])
def test_from_json_rejects_bad_input(text):
    """Text that does not describe a DataMatrix raises ValueError."""
    with pytest.raises(ValueError):
        cnv.from_json(text)


# ------------------------------------------------------------------------------------ MNE

@needs_pandas
def test_from_mne_epochs_real():
    """With mne installed, epochs fill the rows named by their metadata index."""
    mne = pytest.importorskip('mne', reason='mne is not installed')
    dm = DataMatrix(length=3)
    dm.cond = 'a', 'b', 'c'
    info = mne.create_info(['Fz', 'Cz'], sfreq=100.0, ch_types='eeg')
    data = np.arange(3 * 2 * 5, dtype=float).reshape(3, 2, 5)
    epochs = mne.EpochsArray(data, info, metadata=cnv.to_pandas(dm), verbose=False)
    epochs.drop([1], verbose=False)
    dm.erp = cnv.from_mne_epochs(epochs)
    assert dm.erp.shape == (3, 2, 5) and dm.erp.index_names[0] == ['Fz', 'Cz']
    np.testing.assert_allclose(dm.erp[2], data[2])
    assert np.isnan(dm.erp[1]).all()


class FakeEpochs:
    """Duck-typed stand-in for ``mne.Epochs`` (what from_mne_epochs reads)."""

    def __init__(self, data, rows):
        self._data = data
        self.ch_names = ['Fz', 'Cz']
        self.times = np.arange(data.shape[-1]) / 100
        self.info = {'sfreq': 100.0}
        self.metadata = pd.DataFrame({'x': range(len(rows))}, index=rows)
        self.data = data

    def get_data(self, copy=True):
        return self._data


@pytest.fixture
def fake_mne(monkeypatch):
    """An importable stand-in module ``mne`` so the mapping logic is tested without mne."""
    if 'mne' not in sys.modules:
        monkeypatch.setitem(sys.modules, 'mne', types.ModuleType('mne'))


@needs_pandas
@pytest.mark.parametrize('ch_avg', [False, True])
def test_from_mne_epochs_rows_names_and_average(fake_mne, ch_avg):
    """Epoch data go to their metadata rows (others NaN), with channel/time names."""
    data = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3)
    dm = DataMatrix(length=3)
    dm.erp = cnv.from_mne_epochs(FakeEpochs(data, [2, 0]), ch_avg=ch_avg)
    assert type(dm.erp).__name__ == '_MultiDimensionalColumn'
    assert dm.erp.metadata == {'sfreq': 100.0}
    assert np.isnan(dm.erp[1]).all()
    expected = data.mean(axis=1) if ch_avg else data
    np.testing.assert_allclose(dm.erp[2], expected[0])
    np.testing.assert_allclose(dm.erp[0], expected[1])
    times = [0.0, 0.01, 0.02]
    assert dm.erp.index_names == ([times] if ch_avg else [['Fz', 'Cz'], times])


@needs_pandas
@pytest.mark.parametrize('ch_avg, freq_avg, shape', [
    (False, False, (2, 2, 3)), (True, False, (2, 3)), (False, True, (2, 3)),
    (True, True, (3,))])
def test_from_mne_tfr_shapes(fake_mne, ch_avg, freq_avg, shape):
    """TFR cells are (channels, freqs, times), averaged axes removed."""
    data = np.arange(2 * 2 * 2 * 3, dtype=float).reshape(2, 2, 2, 3)
    tfr = FakeEpochs(data, [0, 1])
    tfr.freqs = np.array([4.0, 8.0])
    dm = DataMatrix(length=2)
    dm.tfr = cnv.from_mne_tfr(tfr, ch_avg=ch_avg, freq_avg=freq_avg)
    assert dm.tfr.shape == (2,) + shape
    axes = tuple(axis for axis, avg in ((1, ch_avg), (2, freq_avg)) if avg)
    np.testing.assert_allclose(dm.tfr[1], data.mean(axis=axes)[1] if axes else data[1])
    if ch_avg and freq_avg:
        assert dm.tfr.index_names == [[0, 1, 2]]


# --------------------------------------------------------------------------------- xarray

@needs_xarray
def test_xarray_roundtrip(storage):
    """from_xarray(to_xarray(dm)) keeps names, order, types, shapes, values and specs."""
    dm = sample(storage)
    dm.sorted = False
    dm.metadata = {'a': (1, 2)}
    dm.f.metadata = {'unit': 'ms', 'w': np.arange(2)}
    back = cnv.from_xarray(cnv.to_xarray(dm))
    back.sorted = False
    assert_same(back, dm)
    assert back.md.index_names == [['x', 'y'], [0, 1]] and back.md.defaultnan is False
    assert back.metadata == {'a': (1, 2)} and back.f.metadata['unit'] == 'ms'
    np.testing.assert_array_equal(back.f.metadata['w'], [0, 1])


@needs_xarray
def test_to_xarray_dataset_layout():
    """Variables in column order, row ids as coordinate, named dims as coordinates, attrs."""
    dm = sample()[::-1]
    dm.md.metadata = [1, NAN]
    ds = cnv.to_xarray(dm)
    assert list(ds.data_vars) == dm.column_names
    assert ds.row.values.tolist() == [3, 2, 1, 0]
    assert ds.md.dims == ('row', 'md_dim1', 'md_dim2')
    assert ds.md_dim1.values.tolist() == ['x', 'y'] and 'md_dim2' not in ds.coords
    assert ds.md.attrs['dm_type'] == '_MultiDimensionalColumn'
    assert ds.md.attrs['defaultnan'] is False
    assert json.loads(ds.md.attrs['metadata'])[0] == 1
    assert ds.m.dtype == object and ds.m.values.tolist()[1] is None
    assert ds.i.attrs == {'dm_type': 'IntColumn'}
    assert ds.s.attrs['dm_type'] == '_SeriesColumn'


@needs_xarray
def test_to_xarray_column_names():
    """A column becomes a DataArray named after it (first alias; 'col' dims if unnamed)."""
    dm = sample()
    dm.t = dm.s
    named = cnv.to_xarray(dm.s)
    assert named.name == 's' and named.dims == ('row', 's_dim1')
    unnamed = cnv.to_xarray(dm.s * 2)
    assert unnamed.name is None and unnamed.dims == ('row', 'col_dim1')
    with pytest.raises(ValueError):
        cnv.from_xarray(unnamed)


@needs_xarray
def test_to_xarray_offloaded_column_is_not_loaded(storage):
    """Converting an offloaded column wraps its file: it stays offloaded, values are right."""
    dm = sample(storage)
    expected = dm.md.array
    array = cnv.to_xarray(dm.md)
    ds = cnv.to_xarray(dm)
    assert dm.md.loaded is (not storage.offloaded)
    assert dm.s.loaded is (not storage.offloaded)
    np.testing.assert_array_equal(array.values, expected)
    np.testing.assert_array_equal(ds.md.values, expected)
    if storage.offloaded:  # a read-only view of the spill file, not a copy
        assert not array.values.flags.writeable
        assert np.shares_memory(array.values, dm.md._store.array)


def test_conversions_do_not_load_offloaded_columns(tmp_path, monkeypatch):
    """to_xarray, to_dask, to_pandas and hashing read an offloaded column without loading it,
    even with room in the budget (where any use of the column would load it)."""
    monkeypatch.setattr(cfg, 'tmp_dir', str(tmp_path))
    monkeypatch.setattr(cfg, 'always_load_max_size', 0)
    monkeypatch.setattr(cfg, 'memory_limit', 2 ** 30)
    monkeypatch.setattr(cfg, 'save_chunk_size', 40)
    monkeypatch.setattr(cfg, 'min_mem_free_abs', 0)
    dm = sample()
    expected = dm.s.array
    dm.s.loaded = False
    dm.s[0]
    assert dm.s.loaded  # a use loads it: the budget has room
    dm.s.loaded = False
    assert not dm.s.loaded
    hash(dm)
    conversions = [cnv.to_json]
    if xr is not None:
        conversions.append(lambda d: cnv.to_xarray(d).s.values.sum())
    if pd is not None:
        conversions.append(cnv.to_pandas)
    try:
        import dask.array  # noqa: F401
        conversions.append(lambda d: cnv.to_dask(d.s).compute())
    except ImportError:
        pass
    for conversion in conversions:
        conversion(dm)
        assert not dm.s.loaded
    np.testing.assert_array_equal(dm.s.array, expected)
    del dm
    assert list(tmp_path.iterdir()) == []


@needs_xarray
def test_to_xarray_rejects_bad_input():
    """Non-DataMatrix objects are a TypeError; a column named 'row' a ValueError."""
    with pytest.raises(TypeError):
        cnv.to_xarray([1])
    with pytest.raises(ValueError):
        cnv.to_xarray(DataMatrix(row=[1]))


@needs_xarray
def test_from_xarray_infers_types():
    """Without dm_type: int/float/other by dtype, 2-D series, N-D MD with coordinate names."""
    ds = xr.Dataset({
        'i': ('t', np.array([1, 2])), 'f': ('t', np.array([0.5, NAN])),
        'o': ('t', np.array(['a', '2'])),
        's': (('t', 'time'), np.zeros((2, 3))),
        'm': (('t', 'ch', 'time'), np.ones((2, 2, 3)))},
        coords={'ch': ['Fz', 'Cz'], 'time': [0, 1, 2]})
    dm = cnv.from_xarray(ds)
    dm.sorted = False
    assert dm.column_names == ['i', 'f', 'o', 's', 'm']
    assert type(dm.i) is IntColumn and type(dm.f) is FloatColumn
    assert type(dm.o) is MixedColumn and list(dm.o) == ['a', 2]
    assert type(dm.s).__name__ == '_SeriesColumn'
    assert type(dm.m).__name__ == '_MultiDimensionalColumn'
    assert dm.m.index_names == [['Fz', 'Cz'], [0, 1, 2]]
    assert dm.m._dims[1] == 3  # a default coordinate 0..n-1 is not a name


@needs_xarray
def test_from_xarray_named_dataarray_and_errors():
    """A named DataArray gives one column; mismatched rows and other objects fail."""
    dm = cnv.from_xarray(xr.DataArray(np.arange(3.0), dims=['r'], name='v'))
    assert dm.column_names == ['v'] and list(dm.v) == [0, 1, 2]
    with pytest.raises(TypeError):
        cnv.from_xarray(np.zeros(3))
    mixed = xr.Dataset({'a': ('r', [1]), 'b': ('q', [1, 2])})
    with pytest.raises(ValueError):
        cnv.from_xarray(mixed)


@needs_xarray
def test_from_xarray_builds_offloaded_columns(storage, monkeypatch):
    """MD columns are built block by block, in a spill file when the budget says so."""
    data = np.arange(10 * 4, dtype=float).reshape(10, 4)
    array = xr.DataArray(data, dims=['r', 'c'], name='s')
    dm = cnv.from_xarray(array)
    assert dm.s.loaded is (not storage.offloaded)
    np.testing.assert_array_equal(dm.s.array, data)


# ----------------------------------------------------------------------------------- dask

def test_to_dask_chunks_and_values(storage):
    """Columns become row-chunked dask arrays with the column's values."""
    pytest.importorskip('dask.array')
    dm = sample(storage)
    arrays = cnv.to_dask(dm)
    assert list(arrays) == dm.column_names
    assert arrays['m'].dtype == object and arrays['m'].compute().tolist()[:2] == ['a', 1]
    np.testing.assert_array_equal(arrays['md'].compute(), dm.md.array)
    np.testing.assert_array_equal(arrays['i'].compute(), [0, 1, 2, 3])
    rows = max(1, cfg.save_chunk_size // (8 * 4))
    assert arrays['md'].chunks[0][0] == min(rows, 4)
    assert arrays['md'].chunks[1:] == ((2,), (2,))
    assert cnv.to_dask(dm.s, chunk_rows=3).chunks == ((3, 1), (3,))
    with pytest.raises(ValueError):
        cnv.to_dask(dm.s, chunk_rows=0)


def test_to_dask_offloaded_column_stays_offloaded(storage):
    """Computing a dask array of an offloaded column reads it without loading the column."""
    pytest.importorskip('dask.array')
    dm = sample(storage)
    array = cnv.to_dask(dm.s)
    assert float(array.sum().compute()) == float(np.arange(12).sum())
    assert dm.s.loaded is (not storage.offloaded)


def test_dask_roundtrip(storage):
    """from_dask(to_dask(dm)) restores types (kinds by dimension), shapes and values."""
    pytest.importorskip('dask.array')
    dm = sample(storage)
    dm.sorted = False
    back = cnv.from_dask(cnv.to_dask(dm, chunk_rows=3))
    back.sorted = False
    assert_same(back, dm)
    assert back.md.loaded is (not storage.offloaded)


def test_from_dask_errors():
    """Arrays of different lengths and non-arrays are refused."""
    da = pytest.importorskip('dask.array')
    with pytest.raises(ValueError):
        cnv.from_dask({'a': da.zeros(2), 'b': da.zeros(3)})
    with pytest.raises(TypeError):
        cnv.from_dask({'a': [1, 2]})
    single = cnv.from_dask(da.arange(3), name='x')
    assert single.column_names == ['x'] and type(single.x) is IntColumn
