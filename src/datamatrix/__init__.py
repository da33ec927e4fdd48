"""datamatrix: tabular, time-series and multidimensional data whose big columns
spill to disk on their own when memory runs low.

This module only re-exports the public names; see ``docs/architecture.md``.
"""
from ._column import FloatColumn, IntColumn, MixedColumn, NumericColumn
from ._config import cfg
from ._datamatrix import DataMatrix, Row
from ._multidim import MultiDimensionalColumn, SeriesColumn
from ._nifti import NiftiColumn  # nibabel is imported only when one is created
from ._report import memory_report
from . import errors

__version__ = '1.1.0'
NAN = float('nan')
INF = float('inf')

__all__ = ['DataMatrix', 'Row', 'MixedColumn', 'FloatColumn', 'IntColumn',
           'NumericColumn', 'MultiDimensionalColumn', 'SeriesColumn', 'NiftiColumn',
           'NAN', 'INF', 'cfg', 'errors', 'memory_report', '__version__']
