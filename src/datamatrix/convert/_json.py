"""JSON: ``to_json``, ``from_json``, and metadata as JSON (for xarray attributes)."""
from __future__ import annotations

import base64
import gzip
import json
import warnings
from typing import Any, Iterator

import numpy as np

from datamatrix._table.columns import BaseColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.convert._common import (_columns, _md_column, _md_dtype, _mixed_values,
                                        _TYPE_NAMES, type_name)


# -- JSON -------------------------------------------------------------------------------

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
    >>> from datamatrix.convert import to_json
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

    Examples
    --------
    >>> from datamatrix import SeriesColumn
    >>> from datamatrix.convert import to_json, from_json
    >>> dm = DataMatrix(rt=[500, 600], condition=['a', 'b'])
    >>> dm.pupil = SeriesColumn(depth=2)
    >>> dm.pupil = [[1, 2], [3, 4]]
    >>> copy = from_json(to_json(dm))
    >>> copy.equals(dm)
    True
    >>> print(copy.pupil)
    col[[1. 2.]
     [3. 4.]]
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


# -- metadata as JSON, as writebin stores it, for xarray attributes -------------------

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
    """Metadata as a JSON string, as ``writebin`` stores it: unsupported objects → ``null``.

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
