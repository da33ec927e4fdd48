"""The table: :class:`DataMatrix` and its :class:`Row` view.

A DataMatrix holds named columns (insertion-ordered), the ids of its rows and a
*family id* shared with every DataMatrix derived from it by row selection.
Columns own their values; the DataMatrix only keeps their lengths and row ids
in step.
"""
from __future__ import annotations

import itertools
import keyword
import math
import weakref
from typing import Any, Iterator

import numpy as np

from datamatrix._table import keys as _keys
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._table.combine import keep_only, stack_tables
from datamatrix._table.hints import suggestion
from datamatrix._table.keys import RowSet, is_int
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix.errors import (ColumnNotFoundError, InvalidKeyError, InvalidValueError,
                     LengthMismatchError, NotASubsetError)

_families = itertools.count()
_PROPERTIES = ('length', 'sorted', 'default_col_type', 'metadata')


def _column_type(value: Any) -> type | None:
    """The column class that ``value`` names, or None."""
    if value is float:
        return FloatColumn
    if value is int:
        return IntColumn
    if isinstance(value, type) and issubclass(value, BaseColumn) and \
            not issubclass(value, _MultiDimensionalColumn):
        return value
    return None


def _is_spec(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and callable(value[0]) and \
        isinstance(value[1], dict)


def _check_name(name: Any) -> str:
    if isinstance(name, bytes):
        name = name.decode('utf-8')
    if not isinstance(name, str):
        raise InvalidValueError(f'column names must be str, not {type(name).__name__}')
    return name



def _no_column(name: Any, names: Any) -> ColumnNotFoundError:
    """The error for an unknown column, suggesting the nearest names."""
    hint = suggestion(name, names, 'columns')
    return ColumnNotFoundError(f'no column named {name!r}{hint}')


class _Columns(dict):
    """Columns by name, insertion-ordered.

    Columns read as attributes (``dm.name``) are cached in the owner's instance
    ``__dict__`` so that the next read is a plain attribute look-up; any change
    to the mapping drops those cached entries.
    """

    __slots__ = ('_owner', '_cached')

    def __init__(self, owner: 'DataMatrix', *args: Any) -> None:
        super().__init__(*args)
        self._owner = weakref.ref(owner)
        self._cached: set[str] = set()

    def cache(self, name: str, column: BaseColumn) -> None:
        owner = self._owner()
        if owner is not None and not hasattr(type(owner), name):
            owner.__dict__[name] = column
            self._cached.add(name)

    def _changed(self) -> None:
        owner = self._owner()
        if owner is not None:
            for name in self._cached:
                owner.__dict__.pop(name, None)
        self._cached.clear()

    def __setitem__(self, key, value):
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._changed()
        super().__delitem__(key)

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def clear(self):
        self._changed()
        super().clear()

    def update(self, *args, **kwargs):
        self._changed()
        super().update(*args, **kwargs)

    def setdefault(self, *args):
        self._changed()
        return super().setdefault(*args)

    def popitem(self):
        self._changed()
        return super().popitem()

    def __reduce__(self):
        return dict, (dict(self),)


class DataMatrix(RowSet):
    """A table of named columns, one row per trial.

    Parameters
    ----------
    length : int or dict
        Number of rows, or a dict ``{name: sequence}`` to fill from.
    default_col_type : type
        Column type for columns created from plain values (``float`` and
        ``int`` mean :class:`FloatColumn` and :class:`IntColumn`).
    metadata : object
        Stored as ``dm.metadata``.
    **columns : list
        Columns to create, in keyword order.

    Examples
    --------
    >>> from datamatrix import DataMatrix, FloatColumn
    >>> dm = DataMatrix(a=[1, 2], b=['x', 'y'])
    >>> dm.a.sum
    3.0
    >>> dm = DataMatrix(length=3)
    >>> dm.condition = 'a', 'b', 'a'
    >>> dm.rt = FloatColumn
    >>> dm.rt = 500, 620, 580
    >>> print(dm)
    +---+-----------+-------+
    | # | condition |   rt  |
    +---+-----------+-------+
    | 0 |     a     | 500.0 |
    | 1 |     b     | 620.0 |
    | 2 |     a     | 580.0 |
    +---+-----------+-------+
    >>> print((dm.condition == 'a').rt)
    col[500. 580.]
    >>> dm.rt.mean
    566.6666666666666
    >>> print(dm[1:])
    +---+-----------+-------+
    | # | condition |   rt  |
    +---+-----------+-------+
    | 1 |     b     | 620.0 |
    | 2 |     a     | 580.0 |
    +---+-----------+-------+
    >>> dm = DataMatrix({'x': [1, 2], 'y': [3, 4]}, default_col_type=int)
    >>> print(dm.x + dm.y)
    col[4 6]
    """

    def __init__(self, length: Any = 0, default_col_type: Any = MixedColumn,
                 metadata: Any = None, **columns: Any) -> None:
        col_type = _column_type(default_col_type)
        if col_type is None:
            raise InvalidValueError(f'invalid default_col_type {default_col_type!r}')
        init = object.__setattr__
        init(self, '_cols', _Columns(self))
        init(self, '_family', next(_families))
        init(self, '_sorted', True)
        init(self, '_default_col_type', col_type)
        init(self, '_metadata', metadata)
        if isinstance(length, dict):
            data = length
            if columns:
                from datamatrix._engine.config import logger
                logger.warning('DataMatrix: keyword columns are ignored when a dict '
                               'is given')
            n = max((len(v) for v in data.values()), default=0)
            init(self, '_rowid', np.arange(n, dtype=np.int64))
            for name, values in data.items():
                self[name] = col_type
                column = self._cols[_check_name(name)]
                column[:len(values)] = list(values)
            return
        try:
            n = int(length)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f'length must be an int, not {length!r}') from exc
        if n < 0:
            raise ValueError(f'length cannot be negative: {n}')
        for name, values in columns.items():
            if not isinstance(values, list):
                raise InvalidValueError(f'column {name!r}: values must be a list, not '
                                        f'{type(values).__name__}')
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise LengthMismatchError('all columns must have the same length')
        if lengths:
            (column_length,) = lengths
            if n and n != column_length:
                raise LengthMismatchError(f'length {n} differs from the column length '
                                          f'{column_length}')
            n = column_length
        init(self, '_rowid', np.arange(n, dtype=np.int64))
        for name, values in columns.items():
            self[name] = values

    # -- simple properties -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._rowid)

    @property
    def length(self) -> int:
        """The number of rows; assigning a new length drops rows or adds empty ones.

        Examples
        --------
        >>> dm = DataMatrix(length=3)
        >>> dm.length
        3
        >>> dm.x = 1, 2, 3
        >>> dm.length = 5
        >>> print(dm)
        +---+---+
        | # | x |
        +---+---+
        | 0 | 1 |
        | 1 | 2 |
        | 2 | 3 |
        | 3 |   |
        | 4 |   |
        +---+---+
        """
        return len(self._rowid)

    @length.setter
    def length(self, value: Any) -> None:
        if isinstance(value, bool) or not is_int(value):
            raise InvalidValueError(f'length must be an int, not {value!r}')
        value = int(value)
        if value < 0:
            raise ValueError(f'length cannot be negative: {value}')
        self._set_length(value)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``.

        Examples
        --------
        >>> dm = DataMatrix(a=[1, 2, 3], b=['x', 'y', 'z'])
        >>> dm.shape
        (3, 2)
        """
        return len(self), len(self._cols)

    @property
    def empty(self) -> bool:
        """Whether the DataMatrix has no rows or no columns.

        Examples
        --------
        >>> DataMatrix(length=3).empty
        True
        >>> DataMatrix(a=[1, 2]).empty
        False
        """
        return len(self) == 0 or len(self._cols) == 0

    @property
    def sorted(self) -> bool:
        """Whether the columns are listed alphabetically (default) or by insertion.

        Examples
        --------
        >>> dm = DataMatrix(length=1)
        >>> dm.b = 1
        >>> dm.a = 2
        >>> dm.column_names
        ['a', 'b']
        >>> dm.sorted = False
        >>> dm.column_names
        ['b', 'a']
        """
        return self._sorted

    @sorted.setter
    def sorted(self, value: bool) -> None:
        object.__setattr__(self, '_sorted', bool(value))

    @property
    def default_col_type(self) -> type:
        """The type of columns created from plain values: MixedColumn unless set.

        Examples
        --------
        >>> from datamatrix import FloatColumn
        >>> dm = DataMatrix(length=2, default_col_type=float)
        >>> dm.default_col_type is FloatColumn
        True
        >>> dm.x = '1', '2.5'
        >>> print(dm.x)
        col[1.  2.5]
        """
        return self._default_col_type

    @default_col_type.setter
    def default_col_type(self, value: Any) -> None:
        col_type = _column_type(value)
        if col_type is None:
            raise InvalidValueError(f'invalid default_col_type {value!r}')
        object.__setattr__(self, '_default_col_type', col_type)

    @property
    def metadata(self) -> Any:
        """Any object attached to the DataMatrix (kept by selections and by writebin).

        Examples
        --------
        >>> dm = DataMatrix(length=2, metadata={'subject': 1})
        >>> dm.metadata
        {'subject': 1}
        >>> (dm[:1]).metadata
        {'subject': 1}
        """
        return self._metadata

    @metadata.setter
    def metadata(self, value: Any) -> None:
        object.__setattr__(self, '_metadata', value)

    @property
    def column_names(self) -> list[str]:
        """The names of the columns (alphabetical unless ``sorted`` is False).

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600], condition=['a', 'b'])
        >>> dm.column_names
        ['condition', 'rt']
        """
        names = list(self._cols)
        return sorted(names) if self._sorted else names

    @property
    def columns(self) -> list[tuple[str, BaseColumn]]:
        """``(name, column)`` pairs, in the order of ``column_names``.

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600], condition=['a', 'b'])
        >>> for name, column in dm.columns:
        ...     print(name, list(column))
        ...
        condition ['a', 'b']
        rt [500, 600]
        """
        return [(name, self._cols[name]) for name in self.column_names]

    @property
    def rows(self) -> list[int]:
        """The positions of the rows: ``[0, 1, ..., len(dm) - 1]``.

        Examples
        --------
        >>> DataMatrix(length=3).rows
        [0, 1, 2]
        """
        return list(range(len(self)))

    @property
    def is_2d(self) -> bool:
        """True if no column is multidimensional (the DataMatrix is a plain table).

        Examples
        --------
        >>> from datamatrix import SeriesColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.rt = 500, 600
        >>> dm.is_2d
        True
        >>> dm.pupil = SeriesColumn(depth=10)
        >>> dm.is_2d
        False
        """
        return not any(isinstance(c, _MultiDimensionalColumn) for c in self._cols.values())

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, BaseColumn):
            return any(col is item for col in self._cols.values())
        return item in self._cols

    def __dir__(self) -> list[str]:
        return list(super().__dir__()) + list(self._cols)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator['Row']:
        for index in range(len(self)):
            yield Row(self, index)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DataMatrix) and other._family == self._family

    def __ne__(self, other: Any) -> bool:
        return not self == other

    # ``hash(dm)`` (the hash of its content) and the pandas-compatibility methods
    # ``get``, ``drop_duplicates``, ``groupby`` and ``__dataframe__`` are bound by
    # :mod:`datamatrix.convert`, which owns the JSON and pandas conversions.
    __hash__ = None  # until datamatrix.convert binds it

    def equals(self, other: Any) -> bool:
        """Whether ``other`` holds the same columns with the same content.

        Examples
        --------
        >>> a = DataMatrix(x=[1, 2])
        >>> b = DataMatrix(x=[1, 2])
        >>> a == b, a.equals(b)
        (False, True)
        >>> b.x[0] = 3
        >>> a.equals(b)
        False
        """
        if not isinstance(other, DataMatrix) or len(other._cols) != len(self._cols):
            return False
        return all(name in other._cols and col.equals(other._cols[name])
                   for name, col in self._cols.items())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        n = len(self)
        columns = [col for _, col in self.columns]
        result = np.empty((n, len(columns)), dtype=object)
        for j, col in enumerate(columns):
            for i, value in enumerate(col):
                result[i, j] = value
        if not any(isinstance(c, _MultiDimensionalColumn) for c in columns):
            for kind in (int, float):
                try:
                    converted = result.astype(kind)
                    if kind is int and not np.array_equal(
                            converted, result.astype(float), equal_nan=True):
                        continue
                    result = converted
                    break
                except (TypeError, ValueError, OverflowError):
                    continue
        return result if dtype is None else result.astype(dtype)

    # -- attribute access routes to columns -------------------------------------------
    def __getattr__(self, name: str) -> BaseColumn:
        if name.startswith('__') or '_cols' not in self.__dict__:
            raise AttributeError(name)
        cols = self._cols
        try:
            column = cols[name]
        except KeyError:
            raise _no_column(name, self._cols) from None
        if type(cols) is _Columns:
            cols.cache(name, column)
        return column

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PROPERTIES or name.startswith('_'):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        if name not in self._cols:
            raise _no_column(name, self._cols)
        del self._cols[name]

    # -- columns ------------------------------------------------------------------------------
    def _new_column(self, col_type: type, **kwargs: Any) -> BaseColumn:
        return col_type(self, **kwargs)

    def _column_from(self, value: Any, existing: BaseColumn | None) -> BaseColumn | None:
        """The column that assigning ``value`` should insert (None: written in place)."""
        col_type = _column_type(value)
        if col_type is not None:
            return self._new_column(col_type)
        if _is_spec(value):
            cls, kwargs = value
            return cls(self, **kwargs)
        if isinstance(value, BaseColumn):
            if value._datamatrix is self and (value._rowid is self._rowid or np.array_equal(
                    value._rowid, self._rowid)):
                return value
            if len(value) != len(self):
                raise LengthMismatchError(
                    f'cannot insert a column of {len(value)} rows into a DataMatrix of '
                    f'{len(self)} rows')
            new = value._take(slice(None))
            new._datamatrix = self
            new._rowid = self._rowid
            new.metadata = value.metadata
            return new
        if isinstance(value, np.ndarray) and value.ndim == 2 and existing is None:
            n = len(self)
            if value.shape[0] == n:
                array = value
            elif value.shape[1] == n:
                array = value.T
            else:
                raise LengthMismatchError(f'a 2-D array of shape {value.shape} does not '
                                          f'match a DataMatrix of {n} rows')
            column = _SeriesColumn(self, shape=(array.shape[1],))
            column[:, :] = array
            return column
        if existing is not None:
            existing[:] = value
            return None
        column = self._new_column(self._default_col_type)
        column[:] = value
        return column

    def __setitem__(self, name: Any, value: Any) -> None:
        name = _check_name(name)
        column = self._column_from(value, self._cols.get(name))
        if column is not None:
            self._cols[name] = column

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, (str, bytes)):
            name = _check_name(key)
            if name not in self._cols:
                raise _no_column(name, self._cols)
            del self._cols[name]
            return
        if isinstance(key, BaseColumn):
            names = [name for name, col in self._cols.items() if col is key]
            if not names:
                raise ColumnNotFoundError('the column is not part of this DataMatrix')
            for name in names:
                del self._cols[name]
            return
        n = len(self)
        if is_int(key):
            key = [key]
        positions = _keys.as_positions(
            _keys.row_positions(list(key) if isinstance(key, tuple) else key, n,
                                self._rowid, self._family), n)
        keep = np.setdiff1d(np.arange(n), positions)
        self._keep_rows(keep)

    def rename(self, old: str, new: str) -> None:
        """Rename column ``old`` to ``new`` in place, keeping its position.

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600])
        >>> dm.rename('rt', 'response_time')
        >>> dm.column_names
        ['response_time']
        """
        if old == new:
            return
        if old not in self._cols:
            raise _no_column(old, self._cols)
        if new in self._cols:
            raise ValueError(f'a column named {new!r} exists already')
        if not isinstance(new, str) or not new.isidentifier() or keyword.iskeyword(new):
            raise ValueError(f'{new!r} is not a valid column name')
        self._cols._changed()
        object.__setattr__(self, '_cols', _Columns(self, {
            new if name == old else name: col for name, col in self._cols.items()}))

    # -- rows ------------------------------------------------------------------------------
    def _unique_columns(self) -> list[BaseColumn]:
        seen: dict[int, BaseColumn] = {}
        for col in self._cols.values():
            seen.setdefault(id(col), col)
        return list(seen.values())

    def _set_rowid(self, rowid: np.ndarray) -> None:
        object.__setattr__(self, '_rowid', rowid)
        for col in self._cols.values():
            col._rowid = rowid

    def _set_length(self, n: int) -> None:
        old = len(self)
        if n == old:
            return
        for col in self._unique_columns():
            col._resize(n)
        if n < old:
            rowid = self._rowid[:n].copy()
        else:
            start = int(self._rowid.max()) + 1 if old else 0
            rowid = np.concatenate([self._rowid,
                                    np.arange(start, start + n - old, dtype=np.int64)])
        self._set_rowid(rowid)

    def _keep_rows(self, positions: np.ndarray) -> None:
        """Keep only the rows at ``positions``, in place."""
        for col in self._unique_columns():
            col._adopt(col._take(positions))
        self._set_rowid(self._rowid[positions])

    def _select_positions(self, positions: slice | np.ndarray) -> 'DataMatrix':
        """A new DataMatrix of the same family with these rows (copies)."""
        new = DataMatrix.__new__(DataMatrix)
        init = object.__setattr__
        init(new, '_family', self._family)
        init(new, '_sorted', self._sorted)
        init(new, '_default_col_type', self._default_col_type)
        init(new, '_metadata', self._metadata)
        init(new, '_rowid', np.array(self._rowid[positions], dtype=np.int64))
        copies: dict[int, BaseColumn] = {}
        columns = {}
        for name, col in self._cols.items():
            if id(col) not in copies:
                copy = col._take(positions)
                copy._datamatrix = new
                copy._rowid = new._rowid
                copy.metadata = col.metadata
                copies[id(col)] = copy
            columns[name] = copies[id(col)]
        init(new, '_cols', _Columns(new, columns))
        return new

    def _select_ids(self, ids: np.ndarray) -> 'DataMatrix':
        """Rows with these ids, in their order in this DataMatrix."""
        positions = np.sort(_keys.positions_of(self._rowid, np.asarray(ids,
                                                                       dtype=np.int64)))
        return self._select_positions(positions)

    # -- indexing -------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        if is_int(key):
            return Row(self, _keys.check_position(key, len(self)))
        if isinstance(key, (str, bytes)):
            name = _check_name(key)
            try:
                return self._cols[name]
            except KeyError:
                raise _no_column(name, self._cols) from None
        if isinstance(key, BaseColumn):
            if key in self:
                return key
            raise ColumnNotFoundError('the column is not part of this DataMatrix')
        if isinstance(key, slice):
            return self._select_positions(key)
        if isinstance(key, DataMatrix):
            if key._family != self._family:
                raise NotASubsetError('the DataMatrix used as key is of another family')
            return _keys.positions_of(self._rowid, key._rowid).tolist()
        if isinstance(key, (list, tuple)):
            if all(isinstance(k, (str, BaseColumn)) for k in key):
                return keep_only(self, *key)
            if isinstance(key, tuple) and isinstance(key[0], str):
                column = self[key[0]]
                rest = key[1:]
                if isinstance(column, _MultiDimensionalColumn):
                    return column[rest]
                return column[list(rest)]
            if any(isinstance(k, (str, BaseColumn)) for k in key):
                raise InvalidKeyError(f'cannot mix column names and row indices: {key!r}')
        if isinstance(key, (list, tuple, range, np.ndarray)):
            positions = _keys.row_positions(list(key) if isinstance(key, tuple) else key,
                                            len(self), self._rowid, self._family)
            return self._select_positions(positions)
        raise InvalidKeyError(f'invalid key for a DataMatrix: {key!r}')

    # -- set operators and stacking ---------------------------------------------------
    def _combine(self, other: Any, keep: Any) -> 'DataMatrix':
        if not isinstance(other, DataMatrix):
            return NotImplemented
        if other._family != self._family:
            raise NotASubsetError('cannot combine DataMatrix objects of different '
                                  'families')
        mine, theirs = set(self._rowid.tolist()), set(other._rowid.tolist())
        ids = np.array(sorted(keep(mine, theirs)), dtype=np.int64)
        from_self = np.array([i for i in ids if i in mine], dtype=np.int64)
        from_other = np.array([i for i in ids if i not in mine], dtype=np.int64)
        part = self._select_positions(_keys.positions_of(self._rowid, from_self))
        if not len(from_other):
            return part
        extra = other._select_positions(_keys.positions_of(other._rowid, from_other))
        result = stack_tables([part, extra])
        order = np.argsort(np.concatenate([from_self, from_other]), kind='stable')
        result = result._select_positions(order)
        object.__setattr__(result, '_family', self._family)
        result._set_rowid(np.sort(ids))
        return result

    def __and__(self, other): return self._combine(other, lambda a, b: a & b)
    def __or__(self, other): return self._combine(other, lambda a, b: a | b)
    def __xor__(self, other): return self._combine(other, lambda a, b: a ^ b)

    def __lshift__(self, other: Any) -> 'DataMatrix':
        if isinstance(other, dict):  # dm <<= {'x': 5}: a dict of cell values is one row
            other = {name: [value] if _keys.is_scalar(value) else value
                     for name, value in other.items()}
        return stack_tables([self, as_datamatrix(other)])

    # -- printing ----------------------------------------------------------------------------
    def __str__(self) -> str:
        from datamatrix._table.printing import table_text
        return table_text(self)

    def __repr__(self) -> str:
        return f'DataMatrix[{self._family}, 0x{id(self):x}]\n{self}'

    def _repr_html_(self) -> str:
        from datamatrix._table.printing import table_html
        return table_html(self)

    # -- pickling ---------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        return {key: value for key, value in self.__dict__.items()
                if key.startswith('_')}

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, '_cols', _Columns(self, state.get('_cols', {})))
        object.__setattr__(self, '_family', next(_families))


class Row:
    """One row of a DataMatrix; reading and writing cells by column name.

    Examples
    --------
    >>> dm = DataMatrix(rt=[500, 600], condition=['a', 'b'])
    >>> row = dm[1]
    >>> row.rt, row['condition']
    (600, 'b')
    >>> row.rt = 650
    >>> print(dm.rt)
    col[500, 650]
    >>> for name, value in row:
    ...     print(name, value)
    ...
    condition b
    rt 650
    """

    def __init__(self, dm: DataMatrix, index: int) -> None:
        object.__setattr__(self, '_dm', dm)
        object.__setattr__(self, '_index', index)

    def _name(self, key: Any) -> str:
        if is_int(key):
            return self._dm.column_names[key]
        return _check_name(key)

    def __getitem__(self, key: Any) -> Any:
        return self._dm[self._name(key)][self._index]

    def __setitem__(self, key: Any, value: Any) -> None:
        name = self._name(key)
        if name not in self._dm._cols:
            self._dm[name] = self._dm._default_col_type
        self._dm._cols[name][self._index] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        column = self._dm._cols.get(name)  # the hot path: ``row.name`` of a column
        if column is not None:
            return column[self._index]
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __len__(self) -> int:
        return len(self._dm._cols)

    def __iter__(self):
        for name in self._dm.column_names:
            yield name, self[name]

    @property
    def column_names(self) -> list[str]:
        """The names of the columns, as ``dm.column_names``.

        Examples
        --------
        >>> DataMatrix(rt=[500], condition=['a'])[0].column_names
        ['condition', 'rt']
        """
        return self._dm.column_names

    @property
    def as_slice(self) -> DataMatrix:
        """The row as a DataMatrix of one row (of the same family).

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600])
        >>> print(dm[1].as_slice)
        +---+-----+
        | # |  rt |
        +---+-----+
        | 1 | 600 |
        +---+-----+
        """
        return self._dm[self._index:self._index + 1]

    def equals(self, other: 'Row') -> bool:
        """Same length and pairwise equal values (NaN equals NaN).

        Examples
        --------
        >>> dm = DataMatrix(x=[1, 2, 1])
        >>> dm[0].equals(dm[2]), dm[0].equals(dm[1])
        (True, False)
        """
        if not isinstance(other, Row) or len(other) != len(self):
            return False
        for (_, a), (_, b) in zip(self, other):
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if not np.array_equal(a, b, equal_nan=True):
                    return False
            elif not (a == b or (isinstance(a, float) and isinstance(b, float)
                                 and math.isnan(a) and math.isnan(b))):
                return False
        return True

    def __str__(self) -> str:
        from prettytable import PrettyTable
        table = PrettyTable(['Name', 'Value'])
        for name, value in self:
            table.add_row([name, value])
        return str(table)


def as_datamatrix(obj: Any) -> DataMatrix:
    """``obj`` as a DataMatrix: itself, a Row's 1-row slice, or ``DataMatrix(dict)``.

    Raises
    ------
    TypeError
        For any other object.
    """
    if isinstance(obj, DataMatrix):
        return obj
    if isinstance(obj, Row):
        return obj.as_slice
    if isinstance(obj, dict):
        return DataMatrix(obj)
    raise TypeError(f'stack expects DataMatrix, Row or dict objects, not '
                    f'{type(obj).__name__}')
