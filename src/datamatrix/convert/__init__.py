"""Conversions to and from pandas, JSON, MNE, xarray and dask.

Every optional package is imported inside the function that needs it, so
``import datamatrix.convert`` stays cheap; a missing package raises
``ImportError`` naming it. Multidimensional (MD) columns are read and built
block by block through :mod:`datamatrix._engine.stream`, so converting an offloaded
column never needs the whole column in memory at once (except where the target
format itself is in memory, such as a JSON string or a pandas object).

Examples
--------
>>> from datamatrix import convert
>>> dm = DataMatrix(rt=[500, 600], condition=['a', 'b'])
>>> df = convert.to_pandas(dm)
>>> df.columns.tolist()
['condition', 'rt']
>>> convert.from_pandas(df).equals(dm)
True
"""
from __future__ import annotations

from typing import Any

from datamatrix._table.datamatrix import DataMatrix
from datamatrix.convert._dask import from_dask, to_dask
from datamatrix.convert._json import from_json, to_json
from datamatrix.convert._mne import from_mne_epochs, from_mne_tfr
from datamatrix.convert._pandas import from_pandas, to_pandas, wrap_pandas
from datamatrix.convert._xarray import from_xarray, to_xarray

__all__ = ['to_pandas', 'from_pandas', 'wrap_pandas', 'to_json', 'from_json',
           'from_mne_epochs', 'from_mne_tfr', 'to_xarray', 'from_xarray', 'to_dask',
           'from_dask']


# -- conveniences of DataMatrix that need this package, bound from above -------------------

def _hash(self: DataMatrix) -> int:
    """The hash of a DataMatrix's content (its deterministic JSON form).

    Examples
    --------
    >>> a = DataMatrix(rt=[500, 600])
    >>> b = DataMatrix(rt=[500, 600])
    >>> hash(a) == hash(b)
    True
    >>> b.rt[0] = 0
    >>> hash(a) == hash(b)
    False
    """
    return hash(to_json(self))


def _get(self: DataMatrix, name: str, default: Any = None) -> Any:
    """The column as a ``pandas.Series`` if it exists, else ``default``.

    Examples
    --------
    >>> dm = DataMatrix(rt=[500, 600])
    >>> print(dm.get('rt'))
    0    500
    1    600
    dtype: int64
    >>> dm.get('accuracy', 'no such column')
    'no such column'
    """
    if name not in self._cols:
        return default
    return to_pandas(self._cols[name])


def _drop_duplicates(self: DataMatrix, *args: Any, **kwargs: Any):
    """``pandas.DataFrame.drop_duplicates`` of the DataMatrix as a DataFrame.

    Examples
    --------
    >>> dm = DataMatrix(condition=['a', 'a', 'b'], rt=[500, 500, 600])
    >>> dm.drop_duplicates().values.tolist()
    [['a', 500], ['b', 600]]
    """
    return to_pandas(self).drop_duplicates(*args, **kwargs)


def _groupby(self: DataMatrix, *args: Any, **kwargs: Any):
    """``pandas.DataFrame.groupby`` of the DataMatrix as a DataFrame.

    Examples
    --------
    >>> dm = DataMatrix(condition=['a', 'a', 'b'], rt=[500, 600, 700])
    >>> dm.groupby('condition')['rt'].mean().to_dict()
    {'a': 550.0, 'b': 700.0}
    """
    return to_pandas(self).groupby(*args, **kwargs)


def _dataframe(self: DataMatrix, *args: Any, **kwargs: Any):
    """The DataMatrix as a ``pandas.DataFrame`` (dataframe interchange)."""
    return to_pandas(self)


DataMatrix.__hash__ = _hash
DataMatrix.get = _get
DataMatrix.drop_duplicates = _drop_duplicates
DataMatrix.groupby = _groupby
DataMatrix.__dataframe__ = _dataframe
