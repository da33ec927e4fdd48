"""1.0 path of :class:`datamatrix.DataMatrix`."""
from datamatrix._table.datamatrix import DataMatrix

__all__ = ['DataMatrix']
