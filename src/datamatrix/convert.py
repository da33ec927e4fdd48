"""Conversions to and from pandas, JSON, MNE, xarray and dask (SPEC 10, 12).

Every optional package is imported inside the function that needs it, so
``import datamatrix.convert`` stays cheap; a missing package raises
``ImportError`` naming it. Multidimensional (MD) columns are read and built
block by block through :mod:`datamatrix._stream`, so converting an offloaded
column never needs the whole column in memory at once (except where the target
format itself is in memory, such as a JSON string or a pandas object).
"""
from __future__ import annotations

import base64
import functools
import gzip
import importlib
import json
import math
import uuid
import warnings
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from . import _stream
from ._column import BaseColumn, FloatColumn, IntColumn, MixedColumn
from ._datamatrix import DataMatrix
from ._keys import convert_int, convert_mixed, text_form
from ._multidim import _MultiDimensionalColumn, _SeriesColumn
from ._storage import release_pages, row_blocks
from .errors import InvalidValueError, LengthMismatchError

__all__ = ['to_pandas', 'from_pandas', 'wrap_pandas', 'to_json', 'from_json',
           'from_mne_epochs', 'from_mne_tfr', 'to_xarray', 'from_xarray', 'to_dask',
           'from_dask']

_TYPE_NAMES = {'MixedColumn': MixedColumn, 'FloatColumn': FloatColumn,
               'IntColumn': IntColumn, '_SeriesColumn': _SeriesColumn,
               '_MultiDimensionalColumn': _MultiDimensionalColumn}


def _require(package: str):
    """Import an optional package, or raise ImportError naming it."""
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise ImportError(f'this function requires the optional package {package!r}; '
                          f'install it with: pip install {package}') from exc


def type_name(column: BaseColumn) -> str:
    """The type name of a column as used in JSON and xarray (SPEC 10.2).

    Examples
    --------
    >>> from datamatrix import DataMatrix, SeriesColumn
    >>> dm = DataMatrix(length=1)
    >>> dm.s = SeriesColumn(depth=2)
    >>> type_name(dm.s)
    '_SeriesColumn'
    """
    for name in ('_SeriesColumn', '_MultiDimensionalColumn', 'IntColumn',
                 'FloatColumn', 'MixedColumn'):
        if isinstance(column, _TYPE_NAMES[name]):
            return name
    raise TypeError(f'unsupported column type {type(column).__name__}')


def _columns(obj: Any) -> list[tuple[str, BaseColumn]]:
    if not isinstance(obj, DataMatrix):
        raise TypeError(f'expected a DataMatrix, not {type(obj).__name__}')
    return obj.columns


def _first_name(column: BaseColumn) -> str | None:
    name = column.name
    return name[0] if isinstance(name, list) else name


def _md_blocks(column: _MultiDimensionalColumn) -> Iterator[tuple[int, int, np.ndarray]]:
    """Row blocks of an MD column's current array, without loading it as a whole."""
    return column._store.blocks()


def _md_class(ndim: int) -> type:
    """The MD kind for data of ``ndim`` dimensions (rows included)."""
    return _SeriesColumn if ndim == 2 else _MultiDimensionalColumn


def _md_dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float32) if np.dtype(dtype) == np.float32 else np.dtype(np.float64)


def _md_column(dm: DataMatrix, cls: type, dims: list, dtype: Any,
               fill: Callable[[int, int], np.ndarray], defaultnan: bool = True,
               metadata: Any = None) -> _MultiDimensionalColumn:
    """An MD column of ``dm`` built block by block from ``fill(start, stop)``."""
    shape = (len(dm),) + tuple(d if isinstance(d, int) else len(d) for d in dims)
    store = _stream.build(shape, _md_dtype(dtype), fill)
    return cls._from_store(dm, store, dims, defaultnan, metadata)


def _mixed_values(values: Any, where: str) -> list:
    """Values converted by the MixedColumn rule, with errors naming ``where``."""
    try:
        return [convert_mixed(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f'{where}: {exc}') from exc


def _checked_int64(values: np.ndarray, where: str) -> np.ndarray:
    """``values`` as int64, refusing what int64 cannot hold exactly."""
    if values.dtype.kind == 'u' and values.size and values.max() > np.iinfo(np.int64).max:
        raise OverflowError(f'{where}: values beyond the int64 range of an IntColumn')
    return values.astype(np.int64)


# -- pandas (SPEC 10.1) ------------------------------------------------------------------

def to_pandas(obj: Any):
    """Convert a DataMatrix to a ``pandas.DataFrame``, or a column to a ``pandas.Series``.

    Parameters
    ----------
    obj : DataMatrix or column
        A column becomes ``pandas.Series(list(column))`` (pandas infers the
        dtype; MD columns give an object Series of cell arrays, copies). A
        DataMatrix becomes a DataFrame with one column per column, in
        ``dm.columns`` order, and a default ``RangeIndex`` (row ids are not
        kept).

    Returns
    -------
    pandas.DataFrame or pandas.Series

    Raises
    ------
    TypeError
        If ``obj`` is neither a DataMatrix nor a column.

    Examples
    --------
    >>> from datamatrix import DataMatrix
    >>> to_pandas(DataMatrix(a=[1, 2])).a.tolist()
    [1, 2]
    """
    pd = _require('pandas')
    if isinstance(obj, BaseColumn):
        if isinstance(obj, _MultiDimensionalColumn):
            cells = np.empty(len(obj), dtype=object)
            for start, stop, block in _md_blocks(obj):
                for index, cell in enumerate(np.array(block), start=start):
                    cells[index] = cell
            return pd.Series(cells, dtype=object)
        return pd.Series(list(obj))
    if isinstance(obj, DataMatrix):
        data = {name: to_pandas(column) for name, column in obj.columns}
        return pd.DataFrame(data, index=pd.RangeIndex(len(obj)), columns=list(data))
    raise TypeError(f'to_pandas expects a DataMatrix or a column, not '
                    f'{type(obj).__name__}')


def _pandas_name(name: Any) -> str:
    if isinstance(name, tuple):
        return '_'.join(text_form(part) for part in name)
    return text_form(name)


def _unique_names(names: list[str]) -> list[str]:
    """Later duplicates get ``_2``, ``_3``, … (as ``io.readtxt`` does), with a warning."""
    result: list[str] = []
    for name in names:
        new, count = name, 1
        while new in result:
            count += 1
            new = f'{name}_{count}'
        if new != name:
            warnings.warn(f'duplicate column name {name!r} renamed to {new!r}')
        result.append(new)
    return result


def _ndarray_cells(values: np.ndarray) -> bool:
    """Whether an object array holds ndarrays of one shape (and nothing else)."""
    if not len(values) or not all(isinstance(v, np.ndarray) for v in values):
        return False
    shape = values[0].shape
    return len(shape) > 0 and all(v.shape == shape for v in values)


def _column_from_pandas(dm: DataMatrix, series, name: str) -> BaseColumn:
    """One column of ``dm`` from a pandas Series (SPEC 10.1 type mapping)."""
    pd = _require('pandas')
    api = pd.api.types
    dtype = series.dtype
    where = f'column {name!r}'
    if api.is_bool_dtype(dtype) or api.is_integer_dtype(dtype):
        if series.isna().any():  # nullable Int64/boolean with pd.NA: IntColumn can't
            values = series.astype('float64').to_numpy()
            return FloatColumn._from_data(dm, np.asarray(values, dtype=np.float64))
        values = series.to_numpy()
        return IntColumn._from_data(dm, _checked_int64(np.asarray(values), where))
    if api.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return FloatColumn._from_data(dm, values)
    if isinstance(dtype, pd.CategoricalDtype) or api.is_string_dtype(dtype) or \
            api.is_object_dtype(dtype):
        values = series.to_numpy(dtype=object)
        if _ndarray_cells(values):
            dtype = np.result_type(*{v.dtype for v in values})
            return _md_column(dm, _md_class(values[0].ndim + 1), list(values[0].shape),
                              dtype, lambda start, stop: np.stack(values[start:stop]))
        missing = series.isna().to_numpy()
        cells = [None if v is None else math.nan if miss else v
                 for v, miss in zip(values, missing)]
        return MixedColumn._from_data(dm, _mixed_values(cells, where))
    raise TypeError(f'{where}: pandas dtype {dtype} cannot be converted (only integer, '
                    f'bool, float, object, string and categorical columns can)')


def from_pandas(obj: Any) -> DataMatrix:
    """Convert a ``pandas.DataFrame`` (or ``Series``) to a new DataMatrix.

    Parameters
    ----------
    obj : pandas.DataFrame or pandas.Series
        A Series becomes a one-column DataMatrix whose column is named
        ``'series'``. Column names become their text form; MultiIndex tuples
        are joined with ``'_'`` (duplicate names that result get ``_2``,
        ``_3``, … with a warning). The index is ignored.

    Returns
    -------
    DataMatrix
        Integer and bool dtypes give IntColumns (nullable integers holding
        ``pd.NA`` give FloatColumns, as an IntColumn cannot hold a missing
        value); float dtypes FloatColumns; object, string and categorical
        columns become MixedColumns (``NaN``/``pd.NA`` → NaN, ``None`` stays
        ``None``) refined by the ``auto_type`` rule, except object columns of
        ndarrays of one shape, which become MD columns (series columns for 1-D
        cells).

    Raises
    ------
    TypeError
        For other objects and for other dtypes (datetime, timedelta, complex, …).

    Examples
    --------
    >>> import pandas as pd
    >>> dm = from_pandas(pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']}))
    >>> type(dm.a).__name__, dm.b[1]
    ('IntColumn', 'y')
    """
    pd = _require('pandas')
    if isinstance(obj, pd.Series):
        obj = obj.to_frame(name='series')
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(f'from_pandas expects a pandas DataFrame or Series, not '
                        f'{type(obj).__name__}')
    names = _unique_names([_pandas_name(name) for name in obj.columns])
    dm = DataMatrix(length=len(obj))
    mixed = False
    for position, name in enumerate(names):
        column = _column_from_pandas(dm, obj.iloc[:, position], name)
        mixed = mixed or type(column) is MixedColumn
        dm[name] = column
    if not mixed:
        return dm
    from .operations import auto_type
    return auto_type(dm)


def wrap_pandas(fnc: Callable) -> Callable:
    """Make a pandas function accept and return DataMatrix objects.

    Parameters
    ----------
    fnc : callable
        A function whose first argument is a DataFrame.

    Returns
    -------
    callable
        ``g(obj, *args, **kwargs)``: a DataMatrix ``obj`` is converted with
        :func:`to_pandas`, ``fnc`` is called, and a DataFrame result is
        converted back with :func:`from_pandas` (other results are returned
        as they are).

    Examples
    --------
    >>> import pandas as pd
    >>> pivot = wrap_pandas(pd.pivot_table)
    """
    @functools.wraps(fnc)
    def wrapped(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, DataMatrix):
            obj = to_pandas(obj)
        result = fnc(obj, *args, **kwargs)
        pd = _require('pandas')
        return from_pandas(result) if isinstance(result, pd.DataFrame) else result
    return wrapped


# -- JSON (SPEC 10.2) -------------------------------------------------------------------

def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f'{type(value).__name__} is not JSON serialisable')


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True, default=_json_default)


def _ndarray_text(dtype: np.dtype, shape: tuple, blocks: Iterator[np.ndarray]) -> str:
    """A json_tricks-style array object, its nested list written block by block.

    The text equals ``json.dumps`` of the whole nested list.
    """
    parts = [_dumps(block.tolist())[1:-1] for block in blocks if len(block)]
    data = '[' + ', '.join(parts) + ']'
    return (f'{{"__ndarray__": {data}, "dtype": {_dumps(str(dtype))}, '
            f'"shape": {_dumps(list(shape))}}}')


def _shape_spec(column: _MultiDimensionalColumn) -> list:
    return [list(d) if isinstance(d, tuple) else d for d in column._dims]


def _column_json(column: BaseColumn) -> str:
    """``[type_name, data]`` (plus ``{shape, defaultnan}`` for MD columns)."""
    kind = _dumps(type_name(column))
    if isinstance(column, _MultiDimensionalColumn):
        store = column._store  # read block by block; hashing does not load
        blocks = (np.asarray(b) for _, _, b in store.blocks())
        data = _ndarray_text(store.dtype, store.shape, blocks)
        extra = _dumps({'shape': _shape_spec(column), 'defaultnan': column.defaultnan})
        return f'[{kind}, {data}, {extra}]'
    if isinstance(column, MixedColumn):
        return f'[{kind}, {_dumps(list(column._seq))}]'
    values = column._seq
    return f'[{kind}, {_ndarray_text(values.dtype, values.shape, iter([values]))}]'


def to_json(dm: DataMatrix) -> str:
    """Serialise a DataMatrix to a deterministic JSON string.

    The form is ``{"rowid": [...], "columns": {name: [type_name, data,
    (MD only) {"shape": ..., "defaultnan": ...}]}}`` with columns in
    ``dm.columns`` order; numeric and MD data are json_tricks-style array
    objects. Identical content always gives the identical string, which is what
    ``hash(dm)`` relies on. Metadata is not included.

    Examples
    --------
    >>> from datamatrix import DataMatrix
    >>> to_json(DataMatrix(a=[1, 'x']))
    '{"rowid": [0, 1], "columns": {"a": ["MixedColumn", [1, "x"]]}}'
    """
    columns = ', '.join(f'{_dumps(name)}: {_column_json(column)}'
                        for name, column in _columns(dm))
    return f'{{"rowid": {_dumps(dm._rowid.tolist())}, "columns": {{{columns}}}}}'


def _decode_ndarray(obj: dict) -> Any:
    """json_tricks array objects (nested-list and ``b64:`` forms) to numpy."""
    if '__ndarray__' not in obj:
        return obj
    data, dtype = obj['__ndarray__'], np.dtype(obj.get('dtype', 'float64'))
    shape = tuple(obj.get('shape', np.shape(data)))
    order = 'C' if obj.get('Corder', True) else 'F'
    if isinstance(data, str) and data.startswith(('b64:', 'b64.gz:')):
        raw = base64.b64decode(data.split(':', 1)[1])
        if data.startswith('b64.gz:'):
            raw = gzip.decompress(raw)
        dtype = dtype.newbyteorder('<' if obj.get('endian', 'little') == 'little'
                                   else '>')
        array = np.frombuffer(raw, dtype=dtype).reshape(shape, order=order)
        array = array.astype(dtype.newbyteorder('='))
    else:
        array = np.array(data, dtype=dtype).reshape(shape, order=order)
    return array[()] if shape == () else array


def _plain(value: Any) -> Any:
    """Numpy scalars (from reference JSON) as Python values."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return value.item() if isinstance(value, np.generic) else value


def from_json(s: str) -> DataMatrix:
    """Restore a DataMatrix from :func:`to_json` output (or the reference's).

    Parameters
    ----------
    s : str
        JSON text. Reference strings (two-element column entries, also for MD
        columns, whose shape then comes from the data) are accepted.

    Returns
    -------
    DataMatrix
        A new DataMatrix with ids ``0..n-1``.

    Raises
    ------
    ValueError
        For JSON that does not describe a DataMatrix (unknown column types,
        data of the wrong length).
    """
    try:
        document = json.loads(s, object_hook=_decode_ndarray)
        rowid, columns = document['rowid'], document['columns']
    except (TypeError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f'not a DataMatrix JSON string: {exc}') from exc
    dm = DataMatrix(length=len(rowid))
    for name, entry in columns.items():
        if not isinstance(entry, list) or len(entry) < 2:
            raise ValueError(f'column {name!r}: expected [type_name, data], not {entry!r}')
        kind, data = entry[0], entry[1]
        extra = entry[2] if len(entry) > 2 and isinstance(entry[2], dict) else {}
        if kind not in _TYPE_NAMES:
            raise ValueError(f'column {name!r}: unsupported column type {kind!r}')
        cls = _TYPE_NAMES[kind]
        if issubclass(cls, _MultiDimensionalColumn):
            array = np.asarray(data, dtype=_md_dtype(getattr(data, 'dtype', float)))
            dims = extra.get('shape', list(array.shape[1:]))
            column = _md_column(dm, cls, dims, array.dtype,
                                lambda start, stop, a=array: a[start:stop],
                                defaultnan=extra.get('defaultnan', True))
        elif cls is MixedColumn:
            values = data.tolist() if isinstance(data, np.ndarray) else data
            column = MixedColumn._from_data(
                dm, _mixed_values([_plain(v) for v in values], f'column {name!r}'))
        else:
            column = cls._from_data(dm, np.array(data, dtype=cls._storage_dtype))
        if len(column) != len(dm):
            raise ValueError(f'column {name!r} holds {len(column)} values for '
                             f'{len(dm)} rows')
        dm[name] = column
    return dm


# -- metadata as JSON (SPEC 6.4 rules), for xarray attributes ---------------------------

def _encode_metadata(value: Any) -> Any:
    """A JSON-ready form of ``value``; raises TypeError for what cannot be stored."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in 'biuf':
            raise TypeError(f'cannot store an array of dtype {array.dtype}')
        return {'__ndarray__': array.tolist(), 'dtype': str(array.dtype),
                'shape': list(array.shape)}
    if isinstance(value, tuple):
        return {'__tuple__': [_encode_metadata(v) for v in value]}
    if isinstance(value, list):
        return [_encode_metadata(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError('cannot store a dict with non-string keys')
        return {k: _encode_metadata(v) for k, v in value.items()}
    raise TypeError(f'cannot store a {type(value).__name__}')


def _decode_metadata(obj: dict) -> Any:
    if '__tuple__' in obj and len(obj) == 1:
        return tuple(obj['__tuple__'])
    return _decode_ndarray(obj)


def metadata_to_json(value: Any, where: str) -> str:
    """Metadata as a JSON string (SPEC 6.4 rules): unsupported objects → ``null``.

    ``None``, bools, numbers (NaN/INF included), strings, lists, tuples, dicts
    with string keys, numpy arrays and scalars are kept; anything else is
    replaced by ``None`` with a warning naming ``where``.
    """
    try:
        return _dumps(_encode_metadata(value))
    except TypeError as exc:
        warnings.warn(f'metadata of {where} replaced by None: {exc}')
        return 'null'


def metadata_from_json(text: str) -> Any:
    """The inverse of :func:`metadata_to_json`."""
    return json.loads(text, object_hook=_decode_metadata)


# -- MNE (SPEC 10.3) --------------------------------------------------------------------

def _mne_rows(obj: Any, n_epochs: int) -> np.ndarray:
    """The DataMatrix row of each epoch: its metadata index (positions if none)."""
    metadata = getattr(obj, 'metadata', None)
    if metadata is None:
        return np.arange(n_epochs, dtype=np.int64)
    rows = np.asarray(metadata.index, dtype=np.int64)
    if len(rows) != n_epochs:
        raise LengthMismatchError(f'the metadata has {len(rows)} rows for {n_epochs} '
                                  f'epochs')
    return rows


def _mne_column(dm: DataMatrix, data: np.ndarray, rows: np.ndarray, dims: list,
                metadata: Any) -> _MultiDimensionalColumn:
    """The column of a ``from_mne_*`` spec: epoch ``i`` in row ``rows[i]``, NaN elsewhere.

    Rows are filled block by block (``_stream.build``), so the column may be
    created offloaded when it does not fit the budget.
    """
    n = len(dm)
    if len(rows) and (rows.min() < 0 or rows.max() >= n):
        raise IndexError(f'epochs belong to rows up to {rows.max()}, but the '
                         f'DataMatrix has {n} rows')
    epoch_of_row = np.full(n, -1, dtype=np.int64)
    epoch_of_row[rows] = np.arange(len(rows))

    def fill(start: int, stop: int) -> np.ndarray:
        block = np.full((stop - start,) + data.shape[1:], np.nan)
        epochs = epoch_of_row[start:stop]
        block[epochs >= 0] = data[epochs[epochs >= 0]]
        return block

    return _md_column(dm, _MultiDimensionalColumn, dims, np.float64, fill,
                      metadata=metadata)


def from_mne_epochs(epochs: Any, ch_avg: bool = False) -> tuple:
    """A column spec with the data of ``mne.Epochs``: ``dm.erp = from_mne_epochs(e)``.

    Parameters
    ----------
    epochs : mne.Epochs
        Epochs whose metadata index gives each epoch's DataMatrix row (as
        with ``metadata=to_pandas(dm)``); without metadata, epoch ``i`` goes to
        row ``i``. Rows without an epoch (rejected epochs) hold NaN.
    ch_avg : bool
        Average over channels.

    Returns
    -------
    tuple
        A column spec for a plain MD column of cell shape ``(channels,
        times)`` (names: channel names, time stamps in seconds), or
        ``(times,)`` with ``ch_avg``; its metadata is ``epochs.info``.
    """
    _require('mne')
    try:
        data = epochs.get_data(copy=False)  # mne >= 1.6 asks for copy explicitly
    except TypeError:
        data = epochs.get_data()
    data = np.asarray(data, dtype=np.float64)
    times = tuple(float(t) for t in epochs.times)
    if ch_avg:
        data, dims = np.nanmean(data, axis=1), [times]
    else:
        dims = [tuple(epochs.ch_names), times]
    return _mne_column, dict(data=data, rows=_mne_rows(epochs, len(data)), dims=dims,
                             metadata=epochs.info)


def from_mne_tfr(tfr: Any, ch_avg: bool = False, freq_avg: bool = False) -> tuple:
    """A column spec with the data of ``mne.time_frequency.EpochsTFR``.

    Parameters
    ----------
    tfr : mne.time_frequency.EpochsTFR
        Per-epoch time-frequency data; rows are assigned as in
        :func:`from_mne_epochs`.
    ch_avg, freq_avg : bool
        Average over channels and/or frequencies.

    Returns
    -------
    tuple
        A column spec for a plain MD column of cell shape ``(channels, freqs,
        times)``; ``(freqs, times)`` with ``ch_avg``; ``(channels, times)`` with
        ``freq_avg``; with both, ``len(times)`` samples without names
        (reference quirk). Its metadata is ``tfr.info``.
    """
    _require('mne')
    data = np.asarray(tfr.data, dtype=np.float64)
    if data.ndim != 4:
        raise InvalidValueError(f'expected per-epoch TFR data (epochs, channels, freqs, '
                                f'times), not an array of shape {data.shape}')
    channels = tuple(tfr.ch_names)
    freqs = tuple(float(f) for f in tfr.freqs)
    times = tuple(float(t) for t in tfr.times)
    if ch_avg and freq_avg:
        data, dims = np.nanmean(data, axis=(1, 2)), [len(times)]
    elif ch_avg:
        data, dims = np.nanmean(data, axis=1), [freqs, times]
    elif freq_avg:
        data, dims = np.nanmean(data, axis=2), [channels, times]
    else:
        dims = [channels, freqs, times]
    return _mne_column, dict(data=data, rows=_mne_rows(tfr, len(data)), dims=dims,
                             metadata=tfr.info)


# -- xarray (SPEC 12) -------------------------------------------------------------------

def _cell_dim_names(name: str | None, column: _MultiDimensionalColumn) -> list[str]:
    prefix = 'col' if name is None else name
    return [f'{prefix}_dim{axis}' for axis in range(1, len(column._dims) + 1)]


def _readonly_view(array: np.ndarray) -> np.ndarray:
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


def _xarray_parts(name: str | None, column: BaseColumn) -> tuple:
    """``(dims, data, cell coords, attrs)`` of one column.

    Loaded data are copied; an offloaded (or lazily read) MD column is wrapped as
    a read-only view of its memory map, so nothing is loaded.
    """
    attrs: dict[str, Any] = {'dm_type': type_name(column)}
    coords: dict[str, list] = {}
    dims = ['row']
    if isinstance(column, _MultiDimensionalColumn):
        cell_dims = _cell_dim_names(name, column)
        dims += cell_dims
        for dim_name, dim in zip(cell_dims, column._dims):
            if isinstance(dim, tuple):
                coords[dim_name] = list(dim)
        store = column._store
        data = np.array(store.array) if store.loaded else _readonly_view(store.array)
        attrs['defaultnan'] = column.defaultnan
    elif isinstance(column, MixedColumn):
        data = np.empty(len(column), dtype=object)
        data[:] = column._seq
    else:
        data = column._seq.copy()
    if column.metadata is not None:
        attrs['metadata'] = metadata_to_json(column.metadata, f'column {name!r}')
    return dims, data, coords, attrs


def to_xarray(obj: Any):
    """Convert a DataMatrix to an ``xarray.Dataset``, or a column to a ``DataArray``.

    Each column becomes a variable with a ``row`` dimension (coordinate: the
    row ids) and, for MD columns, cell dimensions ``<name>_dim1``,
    ``<name>_dim2``, … (``col_dim1`` … for an unnamed column) whose
    coordinates are the index names of named dimensions. Attributes:
    ``dm_type`` (the type name of :func:`to_json`), ``defaultnan`` (MD
    columns) and ``metadata`` (a JSON string, absent when None). The
    Dataset's ``metadata`` attribute holds ``dm.metadata`` likewise.

    Loaded columns are copied. An offloaded MD column is not loaded: its data
    is a read-only view of the column's memory-mapped file, so it shows later
    writes to the column as long as the column stays offloaded (call
    ``.copy()`` on the result for an independent snapshot).

    Parameters
    ----------
    obj : DataMatrix or column

    Returns
    -------
    xarray.Dataset or xarray.DataArray

    Raises
    ------
    TypeError
        For other objects.
    ValueError
        For a column named ``'row'``, which clashes with the row dimension.
    """
    xr = _require('xarray')
    if isinstance(obj, BaseColumn):
        name = _first_name(obj)
        dims, data, coords, attrs = _xarray_parts(name, obj)
        coords['row'] = obj._rowid.copy()
        return xr.DataArray(data, dims=dims, coords=coords, attrs=attrs, name=name)
    variables, coords = {}, {}
    for name, column in _columns(obj):
        if name == 'row':
            raise ValueError("a column named 'row' clashes with the row dimension of "
                             "the xarray form; rename it first")
        dims, data, cell_coords, attrs = _xarray_parts(name, column)
        variables[name] = (dims, data, attrs)
        coords.update(cell_coords)
    coords['row'] = obj._rowid.copy()
    attrs = {}
    if obj.metadata is not None:
        attrs['metadata'] = metadata_to_json(obj.metadata, 'the DataMatrix')
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _index_names(variable, dim: str) -> int | tuple:
    """A cell dimension: its size, or its coordinate values if they are not 0..n-1."""
    size = variable.sizes[dim]
    if dim not in variable.coords:
        return size
    values = variable.coords[dim].values
    if values.dtype.kind in 'iu' and np.array_equal(values, np.arange(size)):
        return size
    return tuple(values.tolist())


def _column_from_xarray(dm: DataMatrix, variable, name: str) -> BaseColumn:
    """One column from an xarray variable whose first dimension is the rows."""
    kind = variable.attrs.get('dm_type')
    where = f'variable {name!r}'
    metadata = None
    if 'metadata' in variable.attrs:
        metadata = metadata_from_json(variable.attrs['metadata'])
    if variable.ndim > 1:
        row_dim = variable.dims[0]
        cls = _TYPE_NAMES.get(kind)
        if cls is None or not issubclass(cls, _MultiDimensionalColumn) or \
                (cls is _SeriesColumn and variable.ndim != 2):
            cls = _md_class(variable.ndim)
        dims = [_index_names(variable, dim) for dim in variable.dims[1:]]

        def fill(start: int, stop: int) -> np.ndarray:
            return np.asarray(variable.isel({row_dim: slice(start, stop)}).values)

        return _md_column(dm, cls, dims, variable.dtype, fill,
                          defaultnan=bool(variable.attrs.get('defaultnan', True)),
                          metadata=metadata)
    values = np.asarray(variable.values)
    kinds = {'IntColumn': 'iub', 'FloatColumn': 'f'}
    if kind == 'IntColumn' or (kind is None and values.dtype.kind in kinds['IntColumn']):
        try:
            data = _checked_int64(values, where) if values.dtype.kind in 'iub' else \
                np.array([convert_int(v) for v in values], dtype=np.int64)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f'{where}: {exc}') from exc
        column = IntColumn._from_data(dm, data)
    elif kind == 'FloatColumn' or (kind is None and values.dtype.kind == 'f'):
        column = FloatColumn._from_data(dm, values.astype(np.float64))
    else:
        column = MixedColumn._from_data(dm, _mixed_values(values.tolist(), where))
    column.metadata = metadata
    return column


def from_xarray(obj: Any) -> DataMatrix:
    """Convert an ``xarray.Dataset`` or a named ``xarray.DataArray`` to a DataMatrix.

    The first dimension of every variable is the rows (all variables must
    share it). Types come from the ``dm_type`` attribute when present, else
    from the data: integers (and bools) → IntColumn, floats → FloatColumn,
    anything else → MixedColumn; two dimensions → series column, more → plain
    MD column. Cell dimensions whose coordinates are not ``0..n-1`` become
    named dimensions. ``metadata``/``defaultnan`` attributes are restored. MD
    columns are built block by block, so dask- or file-backed variables are
    read one block of rows at a time.

    Returns
    -------
    DataMatrix
        A new DataMatrix with ids ``0..n-1``.

    Raises
    ------
    ValueError
        For an unnamed DataArray, variables without dimensions or with
        different row dimensions.
    TypeError
        For other objects.
    """
    xr = _require('xarray')
    if isinstance(obj, xr.DataArray):
        if obj.name is None:
            raise ValueError('from_xarray needs a named DataArray (its name becomes '
                             'the column name)')
        obj = obj.to_dataset()
    if not isinstance(obj, xr.Dataset):
        raise TypeError(f'from_xarray expects an xarray Dataset or DataArray, not '
                        f'{type(obj).__name__}')
    variables = [(text_form(name), obj[name].variable) for name in obj.data_vars]
    row_dims = {variable.dims[0] if variable.ndim else None for _, variable in variables}
    if None in row_dims or len(row_dims) > 1:
        raise ValueError(f'all variables must share their first dimension (the rows); '
                         f'found {sorted(map(str, row_dims))}')
    n = obj.sizes[row_dims.pop()] if variables else 0
    dm = DataMatrix(length=n)
    for name, _ in variables:
        dm[name] = _column_from_xarray(dm, obj[name], name)
    if 'metadata' in obj.attrs:
        dm.metadata = metadata_from_json(obj.attrs['metadata'])
    return dm


# -- dask (SPEC 12) ---------------------------------------------------------------------

class _StoreReader:
    """Array-like over an MD column's store for ``dask.array.from_array``.

    Each read copies the requested part of the store's current array (RAM or
    memory map) and releases the mapped pages, so dask reads an offloaded or
    lazily opened column chunk by chunk without loading it.
    """

    def __init__(self, store) -> None:
        self._store = store
        self.shape = store.shape
        self.dtype = store.dtype
        self.ndim = len(self.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        array = self._store.array
        part = np.array(array[key])
        release_pages(array)
        return part


def _rows_per_chunk(n_rows: int, row_nbytes: int, chunk_rows: int | None) -> int:
    if chunk_rows is None:
        return next(row_blocks(max(n_rows, 1), row_nbytes))[1]
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) \
            or chunk_rows < 1:
        raise InvalidValueError(f'chunk_rows must be a positive int, not {chunk_rows!r}')
    return int(chunk_rows)


def _dask_column(da, column: BaseColumn, chunk_rows: int | None):
    if isinstance(column, _MultiDimensionalColumn):
        store = column._store
        rows = _rows_per_chunk(len(column), store.row_nbytes, chunk_rows)
        chunks = (rows,) + column._cell_shape
        source = getattr(store, 'source', None)
        if source is not None:  # zarr-backed (io.readzarr) and not yet used: scales out
            return da.from_zarr(source, chunks=chunks)
        return da.from_array(_StoreReader(store), chunks=chunks,
                             name=f'datamatrix-{uuid.uuid4().hex}', asarray=False,
                             meta=np.empty((0,) * len(chunks), dtype=store.dtype))
    if isinstance(column, MixedColumn):
        values = np.empty(len(column), dtype=object)
        values[:] = column._seq
    else:
        values = column._seq.copy()
    rows = _rows_per_chunk(len(values), values.itemsize, chunk_rows)
    return da.from_array(values, chunks=(rows,), name=f'datamatrix-{uuid.uuid4().hex}')


def to_dask(obj: Any, chunk_rows: int | None = None):
    """Convert a column to a ``dask.array.Array`` (a DataMatrix to a dict of them).

    Parameters
    ----------
    obj : DataMatrix or column
    chunk_rows : int, optional
        Rows per chunk; default: as many rows as fit in ``cfg.save_chunk_size``
        bytes (at least one). Only rows are chunked, cell dimensions are not.

    Returns
    -------
    dask.array.Array or dict
        For a DataMatrix, ``{name: array}`` in column order. MixedColumns give
        object arrays. 1-D columns are copied; MD columns are read chunk by
        chunk from their store when the array is computed (so an offloaded
        column is never loaded as a whole, and the values are those of the
        column at compute time).

    Raises
    ------
    TypeError
        For other objects.
    """
    da = _require('dask.array')
    if isinstance(obj, BaseColumn):
        return _dask_column(da, obj, chunk_rows)
    return {name: _dask_column(da, column, chunk_rows)
            for name, column in _columns(obj)}


def _column_from_array(dm: DataMatrix, array: Any, name: str) -> BaseColumn:
    """One column from a dask (or numpy) array, computed one block of rows at a time."""
    def rows(start: int, stop: int) -> np.ndarray:
        part = array[start:stop]
        return np.asarray(part.compute() if hasattr(part, 'compute') else part)

    dtype = np.dtype(array.dtype)
    if array.ndim > 1:
        dims = [int(size) for size in array.shape[1:]]
        return _md_column(dm, _md_class(array.ndim), dims, dtype, rows)
    if array.ndim == 0:
        raise InvalidValueError(f'array {name!r} has no row dimension')
    values = rows(0, len(dm))
    if dtype.kind in 'iub':
        return IntColumn._from_data(dm, _checked_int64(values, f'array {name!r}'))
    if dtype.kind == 'f':
        return FloatColumn._from_data(dm, values.astype(np.float64))
    return MixedColumn._from_data(dm, _mixed_values(values.tolist(), f'array {name!r}'))


def from_dask(obj: Any, name: str = 'array') -> DataMatrix:
    """Convert dask arrays (the output of :func:`to_dask`) to a new DataMatrix.

    Parameters
    ----------
    obj : dict or dask.array.Array
        ``{name: array}`` (one column each, in dict order), or a single array,
        which becomes the column ``name``. All arrays must have the same
        length (their first dimension, the rows). numpy arrays are accepted too.
    name : str
        The column name for a single array.

    Returns
    -------
    DataMatrix
        A new DataMatrix with ids ``0..n-1``. 1-D integer/bool arrays give
        IntColumns, float arrays FloatColumns, others MixedColumns; 2-D arrays
        series columns and more dimensions plain MD columns (float32 is kept,
        other dtypes become float64). MD columns are written block by block of
        at most ``cfg.save_chunk_size`` bytes, computing only those rows, so
        the result may be larger than memory (it is then offloaded).

    Raises
    ------
    TypeError
        For other objects.
    ValueError
        For arrays of different or unknown lengths.
    """
    arrays = obj if isinstance(obj, Mapping) else {name: obj}
    for key, array in arrays.items():
        if not (hasattr(array, 'shape') and hasattr(array, 'dtype')):
            raise TypeError(f'from_dask expects dask arrays, not '
                            f'{type(array).__name__} (for {key!r})')
    lengths = {array.shape[0] if array.ndim else None for array in arrays.values()}
    if any(n is None or (isinstance(n, float) and math.isnan(n)) for n in lengths):
        raise ValueError('every array needs a known length (call '
                         'compute_chunk_sizes() on arrays of unknown chunk sizes)')
    if len(lengths) > 1:
        raise LengthMismatchError(f'the arrays have different lengths: {sorted(lengths)}')
    dm = DataMatrix(length=lengths.pop() if lengths else 0)
    for key, array in arrays.items():
        column_name = text_form(key)
        dm[column_name] = _column_from_array(dm, array, column_name)
    return dm
