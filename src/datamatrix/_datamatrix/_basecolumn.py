"""1.0 path of the column base class."""
from datamatrix._table.columns import BaseColumn

__all__ = ['BaseColumn']
