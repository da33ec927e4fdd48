"""xarray: ``to_xarray`` and ``from_xarray``; offloaded columns are wrapped without loading."""
from __future__ import annotations

from typing import Any

import numpy as np

from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import convert_int, text_form
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix.errors import InvalidValueError
from datamatrix.convert._common import (_checked_int64, _columns, _first_name, _md_class,
                                        _md_column, _mixed_values, _require, _TYPE_NAMES,
                                        type_name)
from datamatrix.convert._json import metadata_to_json, metadata_from_json


# -- xarray -----------------------------------------------------------------------------

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

    Examples
    --------
    >>> from datamatrix import MultiDimensionalColumn
    >>> from datamatrix.convert import to_xarray
    >>> dm = DataMatrix(rt=[500, 600])
    >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz'), 3))
    >>> dm.erp = np.arange(12.).reshape(2, 2, 3)
    >>> ds = to_xarray(dm)
    >>> sorted(ds.data_vars)
    ['erp', 'rt']
    >>> ds['erp'].dims
    ('row', 'erp_dim1', 'erp_dim2')
    >>> ds['erp'].sel(erp_dim1='Cz').values
    array([[ 3.,  4.,  5.],
           [ 9., 10., 11.]])
    >>> to_xarray(dm.rt).values
    array([500, 600], dtype=object)
    """
    xr = _require('xarray', 'to_xarray')
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

    Examples
    --------
    >>> import xarray as xr
    >>> from datamatrix.convert import from_xarray
    >>> ds = xr.Dataset({'rt': ('trial', [500., 600.]),
    ...                  'pupil': (('trial', 'time'), [[1., 2.], [3., 4.]])})
    >>> dm = from_xarray(ds)
    >>> dm.column_names
    ['pupil', 'rt']
    >>> print(dm.pupil)
    col[[1. 2.]
     [3. 4.]]
    >>> type(dm.rt).__name__
    'FloatColumn'
    """
    xr = _require('xarray', 'from_xarray')
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
