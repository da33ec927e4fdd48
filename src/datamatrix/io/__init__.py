"""Reading and writing DataMatrix objects.

=========================================  ==============================================
Function                                   Format
=========================================  ==============================================
:func:`readtxt` / :func:`writetxt`         CSV text (UTF-8)
:func:`readxlsx` / :func:`writexlsx`       Excel workbooks (needs ``openpyxl``)
:func:`readbin` / :func:`writebin`         our binary format (``docs/format.md``): fast,
                                           lazy, safe for files from any source
:func:`readpickle` / :func:`writepickle`   Python pickle: safe by default (an allow-list;
                                           also reads datamatrix 1.0 pickles)
=========================================  ==============================================

Every writer creates missing folders and writes to a temporary file that is
renamed into place, so an existing file is never left half-written. See
``SECURITY.md`` for which formats are safe to read from untrusted sources.

Examples
--------
>>> from datamatrix import io
>>> dm = DataMatrix(rt=[500, 600], condition=['a', 'b'])
>>> io.writetxt(dm, 'trials.csv')
>>> print(io.readtxt('trials.csv'))
+---+-----------+-----+
| # | condition |  rt |
+---+-----------+-----+
| 0 |     a     | 500 |
| 1 |     b     | 600 |
+---+-----------+-----+
>>> io.writebin(dm, 'trials.dm')
>>> io.readbin('trials.dm').equals(dm)
True
"""
from datamatrix.io._binary import readbin, writebin
from datamatrix.io._excel import readxlsx, writexlsx
from datamatrix.io._pickle import readpickle, writepickle
from datamatrix.io._text import readtxt, writetxt
from datamatrix.io._zarr import readzarr, writezarr

__all__ = ['readtxt', 'writetxt', 'readxlsx', 'writexlsx', 'readbin', 'writebin',
           'readpickle', 'writepickle', 'readzarr', 'writezarr']
