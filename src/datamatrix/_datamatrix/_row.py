"""1.0 path of :class:`datamatrix.Row`."""
from datamatrix._table.datamatrix import Row

__all__ = ['Row']
