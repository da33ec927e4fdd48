"""Exceptions raised by datamatrix.

Every class derives from :class:`DataMatrixError` and from the built-in exception(s)
that the reference implementation raises in the same situation, so ``except`` clauses
written for the reference keep working.
"""


class DataMatrixError(Exception):
    """Base class of every datamatrix-specific error."""


class ColumnNotFoundError(DataMatrixError, AttributeError, KeyError, ValueError):
    """An unknown column name, or a column object that the DataMatrix does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ''


class InvalidKeyError(DataMatrixError, KeyError, TypeError):
    """An index of a type that a DataMatrix or column does not support."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


class InvalidValueError(DataMatrixError, TypeError, ValueError):
    """A value that a column type cannot hold, or a bad column name."""


class LengthMismatchError(DataMatrixError, ValueError):
    """A sequence whose length differs from the number of addressed rows."""


class ShapeMismatchError(DataMatrixError, ValueError):
    """Multidimensional shapes that cannot be matched or broadcast."""


class NotASubsetError(DataMatrixError, ValueError):
    """A DataMatrix key or set operand from another family of DataMatrix objects."""


class MemoryBudgetError(DataMatrixError, MemoryError):
    """A column that cannot be held in memory under ``cfg.memory_limit``."""


class BinFormatError(DataMatrixError, ValueError):
    """A binary file that is not ours, is corrupt, truncated or of a newer version."""


class SettingWarning(UserWarning):
    """A setting in the environment or ``pyproject.toml`` that was ignored."""


__all__ = [
    'DataMatrixError', 'ColumnNotFoundError', 'InvalidKeyError', 'InvalidValueError',
    'LengthMismatchError', 'ShapeMismatchError', 'NotASubsetError', 'MemoryBudgetError',
    'BinFormatError', 'SettingWarning',
]
