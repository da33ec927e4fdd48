"""Exceptions raised by datamatrix.

Every class derives from :class:`DataMatrixError` and from the built-in exception(s)
that the reference implementation raises in the same situation, so ``except`` clauses
written for the reference keep working.

Examples
--------
>>> from datamatrix import errors
>>> dm = DataMatrix(rt=[500, 600])
>>> try:
...     dm.rtt
... except errors.DataMatrixError as error:
...     print(type(error).__name__)
...
ColumnNotFoundError
>>> issubclass(errors.ColumnNotFoundError, AttributeError)
True
"""


class DataMatrixError(Exception):
    """Base class of every datamatrix-specific error.

    Examples
    --------
    >>> from datamatrix import IntColumn, errors
    >>> dm = DataMatrix(length=1)
    >>> dm.n = IntColumn
    >>> try:
    ...     dm.n = 'many'
    ... except errors.DataMatrixError as error:
    ...     print(type(error).__name__)
    ...
    InvalidValueError
    """


class ColumnNotFoundError(DataMatrixError, AttributeError, KeyError, ValueError):
    """An unknown column name, or a column object that the DataMatrix does not hold.

    Examples
    --------
    >>> from datamatrix import errors
    >>> dm = DataMatrix(rt=[500, 600])
    >>> dm.rtt
    Traceback (most recent call last):
        ...
    datamatrix.errors.ColumnNotFoundError: no column named 'rtt'...
    >>> try:
    ...     dm['rtt']
    ... except KeyError:
    ...     print('a KeyError too')
    ...
    a KeyError too
    """

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ''


class InvalidKeyError(DataMatrixError, KeyError, TypeError):
    """An index of a type that a DataMatrix or column does not support.

    Examples
    --------
    >>> dm = DataMatrix(rt=[500, 600])
    >>> dm.rt[1.5]
    Traceback (most recent call last):
        ...
    datamatrix.errors.InvalidKeyError: invalid key for a column: 1.5
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


class InvalidValueError(DataMatrixError, TypeError, ValueError):
    """A value that a column type cannot hold, or a bad column name.

    Examples
    --------
    >>> from datamatrix import IntColumn
    >>> dm = DataMatrix(length=1)
    >>> dm.n = IntColumn
    >>> dm.n = 'many'
    Traceback (most recent call last):
        ...
    datamatrix.errors.InvalidValueError: an IntColumn cannot hold 'many'
    >>> print(dm.n)
    col[0]
    """


class LengthMismatchError(DataMatrixError, ValueError):
    """A sequence whose length differs from the number of addressed rows.

    Examples
    --------
    >>> dm = DataMatrix(length=3)
    >>> dm.rt = 500, 600
    Traceback (most recent call last):
        ...
    datamatrix.errors.LengthMismatchError: cannot assign 2 values to 3 rows
    """


class ShapeMismatchError(DataMatrixError, ValueError):
    """Multidimensional shapes that cannot be matched or broadcast.

    Examples
    --------
    >>> from datamatrix import SeriesColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=3)
    >>> dm.pupil = np.zeros((2, 4))
    Traceback (most recent call last):
        ...
    datamatrix.errors.ShapeMismatchError: ...(2, 4)...
    """


class NotASubsetError(DataMatrixError, ValueError):
    """A DataMatrix key or set operand from another family of DataMatrix objects.

    Examples
    --------
    >>> a = DataMatrix(rt=[500, 600])
    >>> b = DataMatrix(rt=[500, 600])
    >>> a[b.rt > 550]
    Traceback (most recent call last):
        ...
    datamatrix.errors.NotASubsetError: the DataMatrix used as key is of another family
    """


class MemoryBudgetError(DataMatrixError, MemoryError):
    """A column that cannot be held in memory under ``cfg.memory_limit``.

    Examples
    --------
    >>> from datamatrix import SeriesColumn, cfg, errors
    >>> dm = DataMatrix(length=100)
    >>> dm.pupil = SeriesColumn(depth=1000)
    >>> dm.pupil.loaded = False
    >>> cfg.always_load_max_size = 1000
    >>> cfg.memory_limit = '100KB'
    >>> try:
    ...     copy = dm.pupil.array
    ... except errors.MemoryBudgetError:
    ...     print('too large for the budget')
    ...
    too large for the budget
    """


class BinFormatError(DataMatrixError, ValueError):
    """A binary file that is not ours, is corrupt, truncated or of a newer version.

    Examples
    --------
    >>> from datamatrix import io
    >>> with open('notes.dm', 'w') as fh:
    ...     _ = fh.write('not a DataMatrix')
    ...
    >>> io.readbin('notes.dm')
    Traceback (most recent call last):
        ...
    datamatrix.errors.BinFormatError: 'notes.dm' is not a datamatrix binary file
    """


class SettingWarning(UserWarning):
    """A setting in the environment or ``pyproject.toml`` that was ignored."""


__all__ = [
    'DataMatrixError', 'ColumnNotFoundError', 'InvalidKeyError', 'InvalidValueError',
    'LengthMismatchError', 'ShapeMismatchError', 'NotASubsetError', 'MemoryBudgetError',
    'BinFormatError', 'SettingWarning',
]
