"""1.0 path of :class:`datamatrix.MixedColumn`."""
from datamatrix._table.columns import MixedColumn

__all__ = ['MixedColumn']
