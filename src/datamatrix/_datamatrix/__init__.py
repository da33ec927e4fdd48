"""Import paths of datamatrix 1.0, kept for client packages and old scripts.

Client packages such as ``eyelinkparser`` and ``eeg_eyetracking_parser`` import
classes from here (``datamatrix._datamatrix._seriescolumn._SeriesColumn``, ...).
Every module only re-exports the table's own objects, so ``isinstance`` against
these names works for every column and DataMatrix. Nothing inside the library
imports this package; new code should use ``from datamatrix import ...``.
"""
