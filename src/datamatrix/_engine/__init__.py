"""The large-data engine: where an array's bytes live and which ones stay in RAM.

``config`` (the settings, ``cfg``), ``storage`` (an array in RAM or on a hidden spill
file), ``lazystore`` (an array read on demand from a saved file or zarr), ``memory``
(the byte-weighted LRU manager that decides what stays resident), ``stream`` (the one
mechanism that walks blocks of rows) and ``progress`` (progress bars for long work).

The engine knows nothing of columns or tables: it imports only itself and
:mod:`datamatrix.errors`.
"""
