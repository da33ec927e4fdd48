"""datamatrix: tabular, time-series and multidimensional data whose big columns
spill to disk on their own when memory runs low.

This module only re-exports the public names; see ``docs/architecture.md``.

Examples
--------
>>> from datamatrix import DataMatrix, SeriesColumn, NAN
>>> dm = DataMatrix(length=3)
>>> dm.condition = 'a', 'b', 'a'
>>> dm.rt = 500, 620, NAN
>>> dm.pupil = SeriesColumn(depth=4)
>>> dm.pupil = np.arange(12.).reshape(3, 4)
>>> print(dm.condition == 'a')
+---+-----------+-------------------+-----+
| # | condition |       pupil       |  rt |
+---+-----------+-------------------+-----+
| 0 |     a     |   [0. 1. 2. 3.]   | 500 |
| 2 |     a     | [ 8.  9. 10. 11.] | nan |
+---+-----------+-------------------+-----+
>>> dm.rt.mean
560.0
>>> print(dm.pupil[:, ...])
col[1.5 5.5 9.5]

The settings are attributes of ``cfg``; sizes are numbers of bytes or strings such
as ``'2GB'`` and ``'1.5GiB'``, and read back as ints. Under a budget of 100 KB, of
two columns of 80 KB the most recently used one stays in memory:

>>> from datamatrix import cfg
>>> cfg.memory_limit = '1.5GiB'
>>> cfg.memory_limit
1610612736
>>> cfg.always_load_max_size = 1000
>>> cfg.memory_limit = '100KB'
>>> dm = DataMatrix(length=100)
>>> dm.a = SeriesColumn(depth=100)
>>> dm.b = SeriesColumn(depth=100)
>>> dm.a.loaded, dm.b.loaded
(False, True)
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
