"""The table: what values mean.

``keys`` (converting values and keys), ``columns`` (the 1-D column types),
``multidim`` (multidimensional and series columns), ``datamatrix`` (DataMatrix and
Row), ``combine`` (keeping columns, stacking, ``auto_type``) and ``printing``.

The table builds on :mod:`datamatrix._engine` and imports nothing from the toolkit
(``io``, ``convert``, ``operations``, ...) above it.
"""
