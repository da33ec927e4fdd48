"""1.0 path of the series column class and its spec factory."""
from datamatrix._table.multidim import SeriesColumn, _SeriesColumn

__all__ = ['_SeriesColumn', 'SeriesColumn']
