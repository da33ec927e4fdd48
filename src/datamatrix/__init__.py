"""datamatrix: tabular, time-series and multidimensional data whose big columns
spill to disk on their own when memory runs low.

This module only re-exports the public names; see ``docs/architecture.md``.
"""
from datamatrix import errors
from datamatrix._engine.config import cfg
from datamatrix._report import memory_report
from datamatrix._table.columns import FloatColumn, IntColumn, MixedColumn, NumericColumn
from datamatrix._table.datamatrix import DataMatrix, Row
from datamatrix._table.multidim import MultiDimensionalColumn, SeriesColumn
from datamatrix._table.nifti import NiftiColumn  # nibabel is imported only when one is created
from datamatrix import convert as _convert  # noqa: F401  (binds hash(dm) and pandas methods)

__version__ = '1.1.0'
NAN = float('nan')
INF = float('inf')

__all__ = ['DataMatrix', 'Row', 'MixedColumn', 'FloatColumn', 'IntColumn',
           'NumericColumn', 'MultiDimensionalColumn', 'SeriesColumn', 'NiftiColumn',
           'NAN', 'INF', 'cfg', 'errors', 'memory_report', '__version__']
