"""1.0 path of the numeric column types."""
from datamatrix._table.columns import FloatColumn, IntColumn, NumericColumn

__all__ = ['NumericColumn', 'FloatColumn', 'IntColumn']
