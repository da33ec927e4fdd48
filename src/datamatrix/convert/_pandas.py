"""pandas: ``to_pandas``, ``from_pandas``, ``wrap_pandas``."""
from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Callable

import numpy as np

from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import text_form
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix.convert._common import (_checked_int64, _md_blocks, _md_class, _md_column,
                                        _mixed_values, _require)


# -- pandas ------------------------------------------------------------------------------

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
    >>> from datamatrix.convert import to_pandas
    >>> from datamatrix import DataMatrix
    >>> to_pandas(DataMatrix(a=[1, 2])).a.tolist()
    [1, 2]
    """
    pd = _require('pandas', 'to_pandas')
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
    """One column of ``dm`` from a pandas Series (the type mapping of ``from_pandas``)."""
    pd = _require('pandas', 'from_pandas')
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
    >>> from datamatrix.convert import from_pandas
    >>> import pandas as pd
    >>> dm = from_pandas(pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']}))
    >>> type(dm.a).__name__, dm.b[1]
    ('IntColumn', 'y')
    """
    pd = _require('pandas', 'from_pandas')
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
    from datamatrix._table.combine import auto_type
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
    >>> from datamatrix.convert import wrap_pandas
    >>> import pandas as pd
    >>> pivot = wrap_pandas(pd.pivot_table)
    """
    @functools.wraps(fnc)
    def wrapped(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, DataMatrix):
            obj = to_pandas(obj)
        result = fnc(obj, *args, **kwargs)
        pd = _require('pandas', getattr(fnc, '__name__', 'wrap_pandas'))
        return from_pandas(result) if isinstance(result, pd.DataFrame) else result
    return wrapped
