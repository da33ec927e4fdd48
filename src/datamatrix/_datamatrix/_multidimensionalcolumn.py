"""1.0 path of the multidimensional column class and its spec factory."""
from datamatrix._table.multidim import MultiDimensionalColumn, _MultiDimensionalColumn

__all__ = ['_MultiDimensionalColumn', 'MultiDimensionalColumn']
