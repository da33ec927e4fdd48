"""Column types: what the values of a column mean.

:class:`BaseColumn` holds what every column shares: the DataMatrix it is bound
to, the ids of the rows it holds, metadata, selection by comparison and the
binding of results. The 1-D types keep their values in ``_seq`` (a list for
:class:`MixedColumn`, an ndarray for :class:`FloatColumn` and
:class:`IntColumn`); multidimensional columns (``_multidim.py``) keep theirs in
an :class:`~datamatrix._engine.storage.ArrayStore`.
"""
from __future__ import annotations

import inspect
import math
import numbers
import operator
import types
import warnings
from typing import Any, Callable

import numpy as np

from datamatrix._table import bulk as _bulk
from datamatrix._table import keys as _keys
from datamatrix._table.keys import (convert_float, convert_int, convert_mixed, is_int,
                                    text_form)
from datamatrix.errors import InvalidKeyError, InvalidValueError, LengthMismatchError


class CallableFloat(float):
    """A float that returns itself when called, so ``col.mean()`` works too."""

    def __call__(self, *args: Any, **kwargs: Any) -> 'CallableFloat':
        return self


_COMPARISONS = {'==': operator.eq, '!=': operator.ne, '<': operator.lt,
                '<=': operator.le, '>': operator.gt, '>=': operator.ge}


def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


class BaseColumn:
    """Behaviour shared by every column type."""

    default_value: Any = ''

    def __init__(self, datamatrix, metadata: Any = None, rowid: np.ndarray | None = None,
                 **kwargs: Any) -> None:
        self._datamatrix = datamatrix
        self._rowid = datamatrix._rowid if rowid is None else rowid
        self.metadata = metadata
        self._init_data(len(self._rowid), **kwargs)

    # -- storage hooks, defined by each type -----------------------------------------
    def _init_data(self, n: int) -> None:
        """Create default storage for ``n`` rows."""
        raise NotImplementedError

    def _take(self, positions: slice | np.ndarray) -> 'BaseColumn':
        """A new column with these rows (unbound: caller sets dm and rowid)."""
        raise NotImplementedError

    def _resize(self, n: int) -> None:
        """Keep the first ``n`` rows or append default rows."""
        raise NotImplementedError

    @classmethod
    def _from_data(cls, datamatrix, data: Any, metadata: Any = None) -> 'BaseColumn':
        """A column bound to ``datamatrix`` that takes ``data`` as its values as is.

        ``data`` is the storage of the type: a list for MixedColumn, an ndarray of
        the storage dtype for numeric columns. Used by readers and converters.
        """
        column = object.__new__(cls)
        column._datamatrix = datamatrix
        column._rowid = datamatrix._rowid
        column.metadata = metadata
        column._seq = data
        return column

    def _adopt(self, other: 'BaseColumn') -> None:
        """Take over the values of ``other`` (same type), e.g. after deleting rows."""
        self._seq = other._seq

    def _empty_like(self, datamatrix, rowid: np.ndarray) -> 'BaseColumn':
        """A new column of the same type and spec, with default values."""
        new = object.__new__(type(self))
        new._datamatrix = datamatrix
        new._rowid = rowid
        new.metadata = None
        new._copy_spec(self)
        new._init_data(len(rowid))
        return new

    def _copy_spec(self, other: 'BaseColumn') -> None:
        """Copy type parameters (shape specs for MD columns); nothing for 1-D types."""

    # -- identity and binding --------------------------------------------------------
    @property
    def dm(self):
        """The DataMatrix this column is bound to.

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600])
        >>> dm.rt.dm is dm
        True
        """
        return self._datamatrix

    @property
    def name(self) -> str | list[str] | None:
        """The name under which ``self.dm`` holds this column (a list if aliased).

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600])
        >>> dm.rt.name
        'rt'
        >>> dm.alias = dm.rt
        >>> dm.rt.name
        ['rt', 'alias']
        """
        names = [name for name, col in self._datamatrix._cols.items() if col is self]
        if not names:
            return None
        return names[0] if len(names) == 1 else names

    def _bind(self, column: 'BaseColumn', rowid: np.ndarray) -> 'BaseColumn':
        """Bind a result column to the DataMatrix of this column and return it."""
        if len(rowid) == len(self._datamatrix):
            column._datamatrix = self._datamatrix
            column._rowid = rowid
        else:
            fresh = type(self._datamatrix)(length=len(rowid))
            column._datamatrix = fresh
            column._rowid = fresh._rowid
        if not hasattr(column, 'metadata'):
            column.metadata = None
        return column

    def _select_rows(self, positions: slice | np.ndarray) -> 'BaseColumn':
        rowid = self._rowid[positions]
        return self._bind(self._take(positions), rowid)

    # -- sizes ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._seq)

    @property
    def shape(self) -> tuple:
        """``(rows,)`` for 1-D columns; multidimensional columns add their cell shape.

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600, 700])
        >>> dm.rt.shape
        (3,)
        """
        return (len(self),)

    @property
    def loaded(self) -> bool:
        """1-D columns are always in memory.

        Examples
        --------
        >>> dm = DataMatrix(rt=[500, 600])
        >>> dm.rt.loaded
        True
        """
        return True

    @loaded.setter
    def loaded(self, value: bool) -> None:
        if not value:
            raise NotImplementedError('only multidimensional columns can be offloaded')

    # -- reading ----------------------------------------------------------------------------
    def _cell(self, index: int) -> Any:
        return self._seq[index]

    def __getitem__(self, key: Any) -> Any:
        if type(key) is int and 0 <= key < len(self):  # the hot path: one cell
            return self._cell(key)
        if is_int(key):
            return self._cell(_keys.check_position(key, len(self)))
        if key is Ellipsis:
            return self.mean
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], slice) \
                and key[1] is None:
            return np.array(self)[key]
        if isinstance(key, (str, bytes, float, dict, set)) or key is None:
            raise InvalidKeyError(f'invalid key for a column: {key!r}')
        positions = _keys.row_positions(key, len(self), self._rowid,
                                        self._datamatrix._family)
        return self._select_rows(positions)

    def __iter__(self):
        for index in range(len(self)):
            yield self._cell(index)

    # -- writing ------------------------------------------------------------------------------
    def _convert(self, value: Any) -> Any:
        raise NotImplementedError

    def _assign(self, positions: slice | np.ndarray, values: list) -> None:
        raise NotImplementedError

    def __setitem__(self, key: Any, value: Any) -> None:
        n = len(self)
        if is_int(key):
            position = _keys.check_position(key, n)
            if isinstance(value, bytes):
                value = value.decode('utf-8')
            self._assign(np.array([position]), [self._convert(value)])
            return
        if key is Ellipsis:
            key = slice(None)
        if isinstance(key, (str, bytes, float, dict, set)) or key is None:
            raise InvalidKeyError(f'invalid key for a column: {key!r}')
        positions = _keys.row_positions(key, n, self._rowid, self._datamatrix._family)
        count = _keys.count_positions(positions, n)
        self._assign(positions, self._convert_many(value, count))

    def _convert_many(self, value: Any, count: int) -> Any:
        """``count`` converted values from a scalar or a sequence (bulk in subclasses)."""
        return [self._convert(v) for v in _keys.values_for(value, count)]

    # -- conversions and comparisons -------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        array = np.array(list(self._seq))
        return array if dtype is None else array.astype(dtype)

    def equals(self, other: Any) -> bool:
        """Whether ``other`` is a column of the same length with equal values (NaN == NaN).

        Examples
        --------
        >>> from datamatrix import NAN
        >>> a = DataMatrix(x=[1, NAN])
        >>> b = DataMatrix(x=[1, NAN])
        >>> a.x.equals(b.x)
        True
        >>> a.x.equals([1, 2])
        False
        """
        if not isinstance(other, BaseColumn) or len(other) != len(self):
            return False
        for a, b in zip(self, other):
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if np.shape(a) != np.shape(b) or \
                        not np.array_equal(a, b, equal_nan=True):
                    return False
            elif not (a == b or (_is_nan(a) and _is_nan(b))):
                return False
        return True

    def _compare(self, op: str, other: Any):
        """Rows for which ``cell OP other`` holds, as a DataMatrix."""
        self._object_cells = None  # a MixedColumn keeps its cells here for the selection
        try:
            mask = np.asarray(self._compare_mask(op, other), dtype=bool)
            if self._rowid is self._datamatrix._rowid:  # rows in the DataMatrix's order
                return self._datamatrix._select_positions(np.flatnonzero(mask))
            return self._datamatrix._select_ids(self._rowid[mask])
        finally:
            self.__dict__.pop('_object_cells', None)

    def _compare_mask(self, op: str, other: Any) -> np.ndarray:
        if _is_nan(other):
            if op not in ('==', '!='):
                raise TypeError(f'cannot compare with NaN using {op}')
            mask = np.array([_is_nan(v) for v in self], dtype=bool)
            return mask if op == '==' else ~mask
        if isinstance(other, type):
            if op not in ('==', '!='):
                raise TypeError(f'cannot compare with a type using {op}')
            mask = np.array([isinstance(v, other) for v in self], dtype=bool)
            return mask if op == '==' else ~mask
        if isinstance(other, (set, frozenset)):
            if op not in ('==', '!='):
                raise TypeError(f'cannot compare with a set using {op}')
            members = [self._comparable(m) for m in other]
            mask = self._set_mask(members)
            if mask is None:
                mask = np.array([any(self._cell_equals(v, m) for m in members)
                                 for v in self], dtype=bool)
            return mask if op == '==' else ~mask
        if isinstance(other, types.FunctionType):
            if op not in ('==', '!='):
                raise TypeError(f'cannot compare with a function using {op}')
            params = [p for p in inspect.signature(other).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                      and p.default is p.empty]
            if len(params) != 1:
                raise TypeError('a function used for selection must take exactly one '
                                'argument')
            mask = np.array([bool(other(v)) for v in self], dtype=bool)
            return mask if op == '==' else ~mask
        if hasattr(other, '__len__') and not isinstance(other, (str, bytes)):
            if len(other) != len(self._datamatrix):
                raise TypeError(f'cannot compare a column of {len(self)} rows with a '
                                f'sequence of {len(other)} values')
            return self._elementwise_mask(
                op, other if isinstance(other, np.ndarray) else list(other))
        return self._scalar_mask(op, other)

    def _set_mask(self, members: list) -> np.ndarray | None:
        """Cells equal to any of ``members`` (NaN equals NaN) in bulk, or None."""
        return None

    def _comparable(self, value: Any) -> Any:
        return value

    def _cell_equals(self, cell: Any, value: Any) -> bool:
        try:
            return bool(cell == value) or (_is_nan(cell) and _is_nan(value))
        except Exception:
            return False

    def _elementwise_mask(self, op: str, others: list) -> np.ndarray:
        fnc = _COMPARISONS[op]
        result = []
        for cell, other in zip(self, others):
            try:
                result.append(bool(fnc(cell, self._comparable(other))))
            except Exception:
                result.append(False)
        return np.array(result, dtype=bool)

    def _scalar_mask(self, op: str, other: Any) -> np.ndarray:
        return self._elementwise_mask(op, [other] * len(self))

    def __eq__(self, other): return self._compare('==', other)
    def __ne__(self, other): return self._compare('!=', other)
    def __lt__(self, other): return self._compare('<', other)
    def __le__(self, other): return self._compare('<=', other)
    def __gt__(self, other): return self._compare('>', other)
    def __ge__(self, other): return self._compare('>=', other)
    __hash__ = object.__hash__
    __array_priority__ = 1000.0
    """Makes ``ndarray OP col`` call ``col.__rOP__`` (a column), not numpy's loop."""

    # -- arithmetic ------------------------------------------------------------------------
    def _arith(self, other: Any, fnc: Callable, reflected: bool = False) -> 'BaseColumn':
        raise NotImplementedError

    _multidimensional = False
    """True for multidimensional columns (set by their class, which builds on this one)."""

    def _operand_md(self, other: Any) -> bool:
        return getattr(other, '_multidimensional', False)

    def __add__(self, other): return self._dispatch(other, operator.add, False)
    def __radd__(self, other): return self._dispatch(other, operator.add, True)
    def __sub__(self, other): return self._dispatch(other, operator.sub, False)
    def __rsub__(self, other): return self._dispatch(other, operator.sub, True)
    def __mul__(self, other): return self._dispatch(other, operator.mul, False)
    def __rmul__(self, other): return self._dispatch(other, operator.mul, True)
    def __truediv__(self, other): return self._dispatch(other, operator.truediv, False)
    def __rtruediv__(self, other): return self._dispatch(other, operator.truediv, True)
    def __floordiv__(self, other): return self._dispatch(other, operator.floordiv, False)
    def __rfloordiv__(self, other): return self._dispatch(other, operator.floordiv, True)
    def __mod__(self, other): return self._dispatch(other, operator.mod, False)
    def __rmod__(self, other): return self._dispatch(other, operator.mod, True)
    def __pow__(self, other): return self._dispatch(other, operator.pow, False)
    def __rpow__(self, other): return self._dispatch(other, operator.pow, True)

    def _dispatch(self, other: Any, fnc: Callable, reflected: bool) -> 'BaseColumn':
        if self._operand_md(other) and not self._operand_md(self):  # 1-D with MD: MD
            return other._arith(self, fnc, reflected=not reflected)
        return self._arith(other, fnc, reflected)

    def _operand_values(self, other: Any) -> list:
        """The other operand as one value per row."""
        if isinstance(other, bytes):
            other = other.decode('utf-8')
        if _keys.is_scalar(other):
            return [other] * len(self)
        if not hasattr(other, '__iter__'):
            raise TypeError(f'unsupported operand of type {type(other).__name__}')
        values = list(other)
        if len(values) != len(self):
            raise LengthMismatchError(
                f'cannot combine a column of {len(self)} rows with {len(values)} values')
        return values

    def __matmul__(self, fnc: Callable) -> 'BaseColumn':
        if not callable(fnc):  # fnc.map_(f, col) calls col @ f: do not call map_ back
            raise TypeError(f'col @ f needs a callable, not {type(fnc).__name__}')
        return self._map(fnc)

    def _map(self, fnc: Callable) -> 'BaseColumn':
        """``col @ fnc`` for 1-D columns: same type, converted results."""
        new = self._empty_like(self._datamatrix, self._rowid)
        values = [fnc(v) for v in self]
        try:
            new._assign(slice(None), [new._convert(v) for v in values])
        except (TypeError, InvalidValueError) as exc:
            raise InvalidValueError(f'cannot store the results of {fnc!r}: {exc}') from exc
        return self._bind(new, self._rowid)

    # -- descriptives ---------------------------------------------------------------------
    def _numbers(self) -> np.ndarray:
        raise NotImplementedError

    @property
    def unique(self):
        raise NotImplementedError

    @property
    def count(self) -> int:
        """The number of distinct values.

        Examples
        --------
        >>> dm = DataMatrix(condition=['a', 'b', 'a', 'c'])
        >>> dm.condition.count
        3
        """
        return len(self.unique)

    # -- printing ---------------------------------------------------------------------------
    def __str__(self) -> str:
        return 'col' + str(self._print_form())

    def _print_form(self) -> Any:
        return list(self._seq)

    def __repr__(self) -> str:
        return f'<{type(self).__name__}>[0x{id(self):x}]\n{self}'

    def _repr_html_(self) -> str:
        from datamatrix._table.printing import column_html
        return column_html(self)

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __reduce_ex__(self, protocol):
        return object.__reduce_ex__(self, protocol)


_PLAIN_OPERANDS = frozenset({int, float, str})
"""Operand types for which comparing a whole object array equals comparing cell by cell
(numpy calls the same rich comparison for every cell)."""


class ListColumn(BaseColumn):
    """A column whose cells are Python objects in a list (``self._seq``).

    The storage that MixedColumn and NiftiColumn share: new cells hold
    ``default_value``; a take copies the chosen items.
    """

    default_value: Any = None

    def _init_data(self, n: int) -> None:
        self._seq = [self.default_value] * n

    def _take(self, positions):
        new = object.__new__(type(self))
        new.metadata = None
        if isinstance(positions, slice):
            new._seq = self._seq[positions]
        else:
            new._seq = list(map(self._seq.__getitem__, np.asarray(positions).tolist()))
        return new

    def _resize(self, n: int) -> None:
        if n <= len(self._seq):
            del self._seq[n:]
        else:
            self._seq.extend([self.default_value] * (n - len(self._seq)))


class MixedColumn(ListColumn):
    """A column of ``int``, ``float``, ``str`` and ``None`` values (default ``''``).

    Examples
    --------
    >>> dm = DataMatrix(length=4)
    >>> dm.x = 1, '2', 'three', None
    >>> print(dm.x)
    col[1, 2, 'three', None]
    >>> [type(value).__name__ for value in dm.x]
    ['int', 'int', 'str', 'NoneType']
    >>> print(dm.x == 2)
    +---+---+
    | # | x |
    +---+---+
    | 1 | 2 |
    +---+---+
    >>> print(dm[:2].x * 10)
    col[10, 20]
    """

    default_value = ''

    def _take(self, positions):
        if isinstance(positions, slice) or len(positions) * 8 <= len(self._seq):
            return super()._take(positions)
        # many rows: numpy's take from an object array is faster
        new = object.__new__(type(self))
        new.metadata = None
        cells = self.__dict__.get('_object_cells')
        if cells is None or len(cells) != len(self._seq):
            cells = np.fromiter(self._seq, dtype=object, count=len(self._seq))
        new._seq = cells[np.asarray(positions)].tolist()
        return new

    def _convert(self, value: Any) -> Any:
        return convert_mixed(value)

    def _convert_many(self, value: Any, count: int) -> list:
        return _bulk.mixed_values(value, count)

    def _assign(self, positions, values: list) -> None:
        if isinstance(positions, slice):
            self._seq[positions] = values
        else:
            for position, value in zip(np.asarray(positions).tolist(), values):
                self._seq[position] = value

    @property
    def dtype(self):
        """Not available: a MixedColumn holds Python objects of several types.

        Examples
        --------
        >>> dm = DataMatrix(x=[1, 'a'])
        >>> dm.x.dtype
        Traceback (most recent call last):
            ...
        AttributeError: 'MixedColumn' has no dtype
        """
        raise AttributeError("'MixedColumn' has no dtype")

    @property
    def array(self):
        """Not available: use ``list(col)`` for the values of a MixedColumn.

        Examples
        --------
        >>> dm = DataMatrix(x=[1, 'a'])
        >>> list(dm.x)
        [1, 'a']
        >>> dm.x.array
        Traceback (most recent call last):
            ...
        AttributeError: 'MixedColumn' has no array
        """
        raise AttributeError("'MixedColumn' has no array")

    # -- comparisons: no conversion, failures are False ------------------------------------
    def _scalar_mask(self, op: str, other: Any) -> np.ndarray:
        fnc = _COMPARISONS[op]
        if type(other) in _PLAIN_OPERANDS:  # one C loop over the cells
            cells = np.fromiter(self._seq, dtype=object, count=len(self._seq))
            if '_object_cells' in self.__dict__:  # inside _compare: reused by _take
                self._object_cells = cells
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter('error')  # e.g. numpy's elementwise warnings
                    return np.asarray(fnc(cells, other), dtype=bool)
            except Exception:  # a failing cell: row by row, failures are False
                pass
        result = np.zeros(len(self), dtype=bool)
        for index, cell in enumerate(self._seq):
            try:
                result[index] = bool(fnc(cell, other))
            except Exception:
                pass
        return result

    def _set_mask(self, members: list) -> np.ndarray | None:
        if not set(map(type, members)) <= _bulk.STORED_TYPES or \
                not set(map(type, self._seq)) <= _bulk.STORED_TYPES:
            return None  # e.g. numpy scalars: cell by cell
        lookup = {m for m in members if not _is_nan(m)}  # == and hash agree for these
        mask = np.fromiter(map(lookup.__contains__, self._seq), dtype=bool,
                           count=len(self._seq))
        if len(lookup) < len(members):  # NaN among the members: NaN cells match
            mask |= np.fromiter((_is_nan(v) for v in self._seq), dtype=bool,
                                count=len(self._seq))
        return mask

    # -- arithmetic -------------------------------------------------------------------------
    def _arith(self, other: Any, fnc: Callable, reflected: bool = False) -> 'BaseColumn':
        values = self._operand_values(other)
        result = []
        for cell, value in zip(self._seq, values):
            value = convert_mixed(value)  # converted as a MixedColumn cell first: '2' is 2
            a, b = (value, cell) if reflected else (cell, value)
            if _is_number(a) and _is_number(b):
                number = fnc(a, b)  # a float result stays a float: 20 * .5 is 10.0
                result.append(number if isinstance(number, float) else
                              convert_mixed(number))
            elif fnc is operator.add:
                result.append(convert_mixed(text_form(a) + text_form(b)))
            else:
                result.append(cell)
        new = self._empty_like(self._datamatrix, self._rowid)
        new._seq = result
        return self._bind(new, self._rowid)

    def _map(self, fnc: Callable) -> 'BaseColumn':
        new = self._empty_like(self._datamatrix, self._rowid)
        new._seq = [fnc(v) for v in self._seq]  # stored as returned (reference quirk)
        return self._bind(new, self._rowid)

    # -- descriptives ---------------------------------------------------------------------
    def _numbers(self) -> np.ndarray:
        return np.array([v for v in self._seq if _is_number(v) and math.isfinite(v)],
                        dtype=float)

    def _statistic(self, fnc: Callable, minimum: int = 1) -> CallableFloat:
        values = self._numbers()
        if len(values) < minimum:
            return CallableFloat(math.nan)
        return CallableFloat(fnc(values))

    @property
    def mean(self) -> CallableFloat:
        """The mean of the numeric cells; text and ``None`` are ignored.

        Examples
        --------
        >>> dm = DataMatrix(x=[1, 2, 'missing', 6])
        >>> dm.x.mean
        3.0
        >>> dm.x.mean()
        3.0
        """
        return self._statistic(np.mean)

    @property
    def median(self) -> CallableFloat:
        """The median of the numeric cells; text and ``None`` are ignored.

        Examples
        --------
        >>> DataMatrix(x=[1, 2, 'missing', 6]).x.median
        2.0
        """
        return self._statistic(np.median)

    @property
    def std(self) -> CallableFloat:
        """The standard deviation (``ddof=1``) of the numeric cells; NaN for fewer than two.

        Examples
        --------
        >>> DataMatrix(x=[1, 2, 'missing', 6]).x.std
        2.6457513110645907
        >>> DataMatrix(x=[1, 'a']).x.std
        nan
        """
        return self._statistic(lambda v: np.std(v, ddof=1), minimum=2)

    @property
    def min(self) -> CallableFloat:
        """The smallest numeric cell; text and ``None`` are ignored.

        Examples
        --------
        >>> DataMatrix(x=[3, 'a', 2]).x.min
        2.0
        """
        return self._statistic(np.min)

    @property
    def max(self) -> CallableFloat:
        """The largest numeric cell; text and ``None`` are ignored.

        Examples
        --------
        >>> DataMatrix(x=[3, 'a', 2]).x.max
        3.0
        """
        return self._statistic(np.max)

    @property
    def sum(self) -> CallableFloat:
        """The sum of the numeric cells; text and ``None`` are ignored.

        Examples
        --------
        >>> DataMatrix(x=[3, 'a', 2]).x.sum
        5.0
        """
        return self._statistic(np.sum)

    @property
    def unique(self) -> list:
        """Distinct values, sorted naturally or by text form; NaN once.

        Examples
        --------
        >>> DataMatrix(x=['b', 1, 'a', 1, 2.5]).x.unique
        [1, 2.5, 'a', 'b']
        """
        unique = _bulk.mixed_unique(self._seq)
        return self._unique_slow() if unique is None else unique

    def _unique_slow(self) -> list:
        seen = []
        has_nan = False
        for value in self._seq:
            if _is_nan(value):
                has_nan = True
            elif not any(type(value) is type(s) and value == s or
                         (_is_number(value) and _is_number(s) and value == s)
                         for s in seen):
                seen.append(value)
        try:
            seen.sort()
        except TypeError:
            seen.sort(key=text_form)
        if has_nan:
            seen.append(math.nan)
        return seen


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and \
        not isinstance(value, (str, bytes))


class NumericColumn(BaseColumn):
    """Behaviour shared by :class:`FloatColumn` and :class:`IntColumn`.

    Examples
    --------
    >>> from datamatrix import FloatColumn, IntColumn, NumericColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.f = FloatColumn
    >>> dm.i = IntColumn
    >>> isinstance(dm.f, NumericColumn), isinstance(dm.i, NumericColumn)
    (True, True)
    """

    _storage_dtype: type = np.float64

    def _init_data(self, n: int) -> None:
        self._seq = np.full(n, self.default_value, dtype=self._storage_dtype)

    def _take(self, positions):
        new = object.__new__(type(self))
        new.metadata = None
        taken = self._seq[positions]
        new._seq = taken.copy() if isinstance(positions, slice) else taken  # fancy: a copy
        return new

    def _resize(self, n: int) -> None:
        old = self._seq
        if n <= len(old):
            self._seq = old[:n].copy()
        else:
            self._seq = np.concatenate(
                [old, np.full(n - len(old), self.default_value, self._storage_dtype)])

    def _cell(self, index: int) -> Any:
        return self.dtype(self._seq[index])

    def __iter__(self):
        return iter(self._seq.tolist())

    def _assign(self, positions, values: list) -> None:
        self._seq[positions] = np.asarray(values, dtype=self._storage_dtype)

    def __array__(self, dtype=None, copy=None):
        return self._seq.copy() if dtype is None else self._seq.astype(dtype)

    @property
    def array(self) -> np.ndarray:
        """A copy of the values.

        Examples
        --------
        >>> from datamatrix import FloatColumn
        >>> dm = DataMatrix(length=3)
        >>> dm.x = FloatColumn
        >>> dm.x = 1, 2, 3
        >>> dm.x.array
        array([1., 2., 3.])
        """
        return self._seq.copy()

    def _print_form(self) -> Any:
        return self._seq

    def equals(self, other: Any) -> bool:
        """Whether ``other`` holds the same values (NaN equals NaN in FloatColumns).

        Examples
        --------
        >>> from datamatrix import FloatColumn, IntColumn
        >>> dm = DataMatrix(length=2)
        >>> dm.f = FloatColumn
        >>> dm.i = IntColumn
        >>> dm.f = 1, 2
        >>> dm.i = 1, 2
        >>> dm.f.equals(dm.i)
        True
        """
        if isinstance(other, NumericColumn):
            return len(other) == len(self) and bool(
                np.array_equal(self._seq, other._seq, equal_nan=True)
                if self._seq.dtype.kind == 'f' and other._seq.dtype.kind == 'f'
                else np.array_equal(self._seq, other._seq))
        return super().equals(other)

    # -- descriptives -------------------------------------------------------------------
    def _statistic(self, fnc: Callable) -> CallableFloat:
        values = self._seq if self._seq.dtype == np.float64 else self._seq.astype(float)
        if len(values) == 0:
            return CallableFloat(math.nan)
        plain = _PLAIN_REDUCTIONS.get(fnc)
        if plain is not None:  # without NaN the nan-function equals the plain one
            with np.errstate(invalid='ignore'):  # a NaN result: the nan-function warns
                result = plain(values)
            if not math.isnan(result):
                return CallableFloat(result)
        return CallableFloat(fnc(values))

    @property
    def mean(self) -> CallableFloat:
        """The mean, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import FloatColumn, NAN
        >>> dm = DataMatrix(length=3)
        >>> dm.x = FloatColumn
        >>> dm.x = 1, NAN, 4
        >>> dm.x.mean
        2.5
        """
        if len(self) == 0:
            warnings.warn('Mean of empty slice', RuntimeWarning, stacklevel=2)
        return self._statistic(np.nanmean)

    @property
    def median(self) -> CallableFloat:
        """The median, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import FloatColumn, NAN
        >>> dm = DataMatrix(length=4)
        >>> dm.x = FloatColumn
        >>> dm.x = 1, NAN, 4, 10
        >>> dm.x.median
        4.0
        """
        if len(self) == 0:
            warnings.warn('Mean of empty slice', RuntimeWarning, stacklevel=2)
        return self._statistic(np.nanmedian)

    @property
    def std(self) -> CallableFloat:
        """The standard deviation (``ddof=1``), ignoring NaN.

        Examples
        --------
        >>> from datamatrix import FloatColumn, NAN
        >>> dm = DataMatrix(length=4)
        >>> dm.x = FloatColumn
        >>> dm.x = 1, NAN, 2, 3
        >>> dm.x.std
        1.0
        """
        if len(self) < 2:
            warnings.warn('Degrees of freedom <= 0 for slice', RuntimeWarning,
                          stacklevel=2)
        return self._statistic(lambda v: np.nanstd(v, ddof=1))

    @property
    def min(self) -> CallableFloat:
        """The smallest value, ignoring NaN (NaN if every value is NaN).

        Examples
        --------
        >>> from datamatrix import FloatColumn, NAN
        >>> dm = DataMatrix(length=3)
        >>> dm.x = FloatColumn
        >>> dm.x = 5, NAN, 2
        >>> dm.x.min
        2.0
        """
        return self._statistic(_NANMIN)

    @property
    def max(self) -> CallableFloat:
        """The largest value, ignoring NaN (NaN if every value is NaN).

        Examples
        --------
        >>> from datamatrix import FloatColumn, NAN
        >>> dm = DataMatrix(length=3)
        >>> dm.x = FloatColumn
        >>> dm.x = 5, NAN, 2
        >>> dm.x.max
        5.0
        """
        return self._statistic(_NANMAX)

    @property
    def sum(self) -> CallableFloat:
        """The sum, ignoring NaN.

        Examples
        --------
        >>> from datamatrix import IntColumn
        >>> dm = DataMatrix(length=3)
        >>> dm.x = IntColumn
        >>> dm.x = 5, 1, 2
        >>> dm.x.sum
        8.0
        """
        return self._statistic(np.nansum)

    @property
    def unique(self) -> np.ndarray:
        """The distinct values, sorted, as an array.

        Examples
        --------
        >>> from datamatrix import IntColumn
        >>> dm = DataMatrix(length=4)
        >>> dm.x = IntColumn
        >>> dm.x = 3, 1, 3, 2
        >>> dm.x.unique
        array([1, 2, 3])
        """
        return np.unique(self._seq)

    # -- bulk paths: whole-array conversion and arithmetic ----------------------------------
    def _dispatch(self, other: Any, fnc: Callable, reflected: bool) -> 'BaseColumn':
        operand = self._bulk_operand(other)
        if operand is None:
            return super()._dispatch(other, fnc, reflected)
        a, b = (operand, self._seq) if reflected else (self._seq, operand)
        new = object.__new__(type(self))
        new.metadata = None
        new._seq = self._arith_result(fnc, a, b)
        return self._bind(new, self._rowid)

    def _bulk_operand(self, other: Any) -> Any:
        """The operand as a numpy scalar or array if that needs no per-item work, else None."""
        if isinstance(other, NumericColumn):
            other = other._seq
        elif isinstance(other, (bool, np.bool_)):
            other = int(other)
        if isinstance(other, (int, float, np.integer, np.floating)):
            try:
                return self._storage_dtype(self._arith_operand(other))
            except (TypeError, ValueError, OverflowError):
                return None
        if isinstance(other, np.ndarray) and other.ndim == 1 and \
                len(other) == len(self._seq) and other.dtype.kind in 'biuf':
            return self._bulk_array(other)
        return None

    def _bulk_array(self, array: np.ndarray) -> np.ndarray | None:
        return array.astype(self._storage_dtype, copy=False)

    def _convert_many(self, value: Any, count: int) -> np.ndarray:
        return self._bulk_values(value, count)

    # -- comparisons ----------------------------------------------------------------------
    def _scalar_mask(self, op: str, other: Any) -> np.ndarray:
        return np.asarray(_COMPARISONS[op](self._seq, other), dtype=bool)

    def _elementwise_mask(self, op: str, others: list) -> np.ndarray:
        converted = self._bulk_values(others, len(others))  # as _comparable, in bulk
        return np.asarray(_COMPARISONS[op](self._seq, converted), dtype=bool)

    def _set_mask(self, members: list) -> np.ndarray | None:
        numbers = [m for m in members if not _is_nan(m)]
        mask = np.isin(self._seq, np.array(numbers, dtype=self._storage_dtype))
        if len(numbers) < len(members):  # NaN among the members: NaN cells match
            mask |= np.isnan(self._seq)
        return mask

    # -- arithmetic ------------------------------------------------------------------------
    def _arith(self, other: Any, fnc: Callable, reflected: bool = False) -> 'BaseColumn':
        values = np.array([self._arith_operand(v) for v in self._operand_values(other)],
                          dtype=self._storage_dtype)
        a, b = (values, self._seq) if reflected else (self._seq, values)
        new = self._empty_like(self._datamatrix, self._rowid)
        new._seq = self._arith_result(fnc, a, b)
        return self._bind(new, self._rowid)

    def _arith_operand(self, value: Any) -> Any:
        return self._convert(value)

    def _arith_result(self, fnc: Callable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(fnc(a, b), dtype=self._storage_dtype)


def _all_nan_safe(fnc: Callable) -> Callable:
    def reduce(values: np.ndarray) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)
            return fnc(values)
    return reduce


_NANMIN = _all_nan_safe(np.nanmin)
_NANMAX = _all_nan_safe(np.nanmax)
_PLAIN_REDUCTIONS: dict = {np.nanmean: np.mean, np.nanmedian: np.median,
                           np.nansum: np.sum, _NANMIN: np.min, _NANMAX: np.max}
"""For each NaN-ignoring reduction, the plain one that gives the same result when
the values hold no NaN (a NaN in the values makes the plain result NaN)."""


class FloatColumn(NumericColumn):
    """A float64 column in which NaN marks a missing value.

    Examples
    --------
    >>> from datamatrix import FloatColumn, NAN
    >>> dm = DataMatrix(length=3)
    >>> dm.x = FloatColumn
    >>> print(dm.x)
    col[nan nan nan]
    >>> dm.x = 1, '2.5', NAN
    >>> print(dm.x)
    col[1.  2.5 nan]
    >>> print(dm.x > 1)
    +---+-----+
    | # |  x  |
    +---+-----+
    | 1 | 2.5 |
    +---+-----+
    """

    default_value = math.nan
    dtype = float
    _storage_dtype = np.float64

    def _convert(self, value: Any) -> float:
        return convert_float(value)

    def _bulk_values(self, value: Any, count: int) -> np.ndarray:
        return _bulk.float_values(value, count)

    def _comparable(self, value: Any) -> float:
        return convert_float(value)

    def _compare_mask(self, op: str, other: Any) -> np.ndarray:
        if isinstance(other, (str, bytes)) or other is None:
            other = convert_float(other)
        elif not isinstance(other, (numbers.Number, np.generic, type, set, frozenset,
                                    types.FunctionType)) and not hasattr(other, '__len__'):
            raise TypeError(f'cannot compare a FloatColumn with {other!r}')
        if op not in ('==', '!=') and isinstance(other, (numbers.Real, np.floating)) \
                and not math.isfinite(other):
            raise TypeError(f'cannot compare with {other!r} using {op}')
        return super()._compare_mask(op, other)

    def _arith_operand(self, value: Any) -> float:
        return convert_float(value)


class IntColumn(NumericColumn):
    """An int64 column; it cannot hold missing values (0 is the default).

    Examples
    --------
    >>> from datamatrix import IntColumn
    >>> dm = DataMatrix(length=3)
    >>> dm.x = IntColumn
    >>> dm.x = 1, '2', 3.0
    >>> print(dm.x)
    col[1 2 3]
    >>> dm.x[0] = 'one'
    Traceback (most recent call last):
        ...
    datamatrix.errors.InvalidValueError: an IntColumn cannot hold 'one'
    >>> print(dm.x)
    col[1 2 3]
    """

    default_value = 0
    dtype = int
    _storage_dtype = np.int64

    def _convert(self, value: Any) -> int:
        return convert_int(value)

    def _bulk_values(self, value: Any, count: int) -> np.ndarray:
        return _bulk.int_values(value, count)

    def _bulk_array(self, array: np.ndarray) -> np.ndarray | None:
        return _bulk._int_array(array)

    def _comparable(self, value: Any) -> int:
        return convert_int(value)

    def _compare_mask(self, op: str, other: Any) -> np.ndarray:
        if isinstance(other, (type, set, frozenset, types.FunctionType)) or \
                (hasattr(other, '__len__') and not isinstance(other, (str, bytes))):
            if not isinstance(other, (type, set, frozenset, types.FunctionType)):
                try:
                    _bulk.int_values(other, len(other))
                except (TypeError, ValueError, OverflowError):
                    raise TypeError('cannot compare an IntColumn with non-integer values')
            return super()._compare_mask(op, other)
        try:
            value = convert_int(other)
        except (TypeError, ValueError, OverflowError):
            if op == '==':
                return np.zeros(len(self), dtype=bool)
            if op == '!=':
                return np.ones(len(self), dtype=bool)
            raise TypeError(f'cannot compare an IntColumn with {other!r} using {op}')
        return self._scalar_mask(op, value)

    def _arith_operand(self, value: Any) -> int:
        try:
            return convert_int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f'cannot do arithmetic on an IntColumn with '
                                    f'{value!r}') from exc

    def _arith_result(self, fnc: Callable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if fnc is operator.pow and np.any(np.asarray(b) < 0):
            raise ValueError('Integers to negative integer powers are not allowed.')
        with np.errstate(divide='ignore', invalid='ignore'):
            if fnc is operator.truediv:
                if a is self._seq:
                    result = np.floor_divide(a, b)
                    result = np.where(b == 0, 0, result)
                else:
                    result = np.trunc(np.true_divide(a, b))
                    result = np.where(b == 0, 0, result)
            elif fnc in (operator.floordiv, operator.mod):
                result = np.where(b == 0, 0, fnc(a, np.where(b == 0, 1, b)))
            else:
                result = fnc(a, b)
        return np.asarray(result).astype(np.int64)
