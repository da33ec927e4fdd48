"""Helpers shared by the converters: column type names, MD column blocks and builders."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from datamatrix._engine import stream as _stream
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import convert_mixed
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix._optional import optional_import
from datamatrix.errors import InvalidValueError


_TYPE_NAMES = {'MixedColumn': MixedColumn, 'FloatColumn': FloatColumn,
               'IntColumn': IntColumn, '_SeriesColumn': _SeriesColumn,
               '_MultiDimensionalColumn': _MultiDimensionalColumn}


def _require(package: str, needed_for: str = 'this function'):
    """Import an optional package, or raise ImportError naming it and its extra."""
    return optional_import(package, needed_for)


def type_name(column: BaseColumn) -> str:
    """The type name of a column as used in JSON and xarray.

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
