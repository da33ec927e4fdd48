"""DataMatrix objects as zarr stores: :func:`writezarr` and :func:`readzarr`.

A store is one zarr (v3) group per DataMatrix with one row-chunked array per
column; the group attribute ``datamatrix`` describes everything else (see
``docs/scaleout.md``)::

    {"format": "datamatrix-zarr", "version": 1, "length": n,
     "rowid": [...], "sorted": false, "default_col_type": "MixedColumn",
     "metadata": <tagged JSON>,
     "columns": [{"name": "pupil", "type": "_SeriesColumn", "array": "pupil",
                  "dims": [100], "defaultnan": true, "dtype": "float32",
                  "metadata": <tagged JSON>},
                 {"name": "alias", "alias_of": 0}, ...]}

Metadata and MixedColumn cells use the same tagged JSON as the binary format
(:mod:`datamatrix.io._jsonvalues`): plain JSON, so any zarr reader can parse the
attributes, and every value comes back with its Python type. A MixedColumn is
an array of strings, each the JSON text of one cell. Numeric columns are int64
or float64 arrays, multidimensional columns float64 or float32 arrays of shape
``(rows,) + cell shape`` with named ``dimension_names`` (``row``,
``<array>_dim1``, …), so ``dask.array.from_zarr`` and ``xarray.open_zarr`` can
read them directly.

Only the zarr package's public API is used and it is imported on first use.
"""
from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
import time
from typing import Any

import numpy as np

import datamatrix.io._jsonvalues as _jsonvalues
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._engine.config import cfg
from datamatrix._optional import optional_import
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._engine.lazystore import LazyStore
from datamatrix._engine.memory import manager
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix._engine.progress import progress
from datamatrix._engine.storage import release_pages
from datamatrix.errors import BinFormatError, InvalidValueError
from datamatrix.io._binary import (_MD_DTYPES, _TYPES, _cells, _check, _column_entries, _dims,
                      _new_from_header)
from datamatrix.io._files import sweep_stale, temp_suffix, written

FORMAT_NAME = 'datamatrix-zarr'
FORMAT_VERSION = 1
"""The version that :func:`writezarr` writes and the newest that :func:`readzarr` reads."""
ATTRIBUTE = 'datamatrix'
"""The group attribute that holds the description of the DataMatrix."""

_FLAT_DTYPES = {'FloatColumn': np.dtype('<f8'), 'IntColumn': np.dtype('<i8')}
_SAFE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]*')
_STORE_MARKERS = ('zarr.json', '.zgroup', '.zarray', '.zattrs')
_WRITERS = max(1, min(4, os.cpu_count() or 1))
"""Blocks encoded and written at the same time (zarr compresses in the writing thread)."""


def _zarr():
    """The zarr module (v3 or newer), or ImportError naming the package."""
    return optional_import('zarr', 'writezarr and readzarr', min_version='3')


def _json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(',', ':'))


# -- writing ----------------------------------------------------------------------------

def _chunk_rows(chunk_rows: Any, row_nbytes: int, n: int) -> int:
    """Rows per chunk: as given, or as many as fit in ``cfg.save_chunk_size`` bytes.

    Never more than the ``n`` rows of the column (at least one).
    """
    if chunk_rows is None:
        chunk_rows = int(cfg.save_chunk_size) // max(1, row_nbytes)
    return max(1, min(int(chunk_rows), n))


def _array_names(names: list[str]) -> list[str]:
    """A zarr array name per column: the column name where it is a safe node name.

    Names are unique even on case-insensitive file systems; other columns get
    ``column_<i>``.
    """
    taken: set[str] = set()
    result = []
    for index, name in enumerate(names):
        candidate = name if _SAFE_NAME.fullmatch(name) and len(name) < 200 \
            else f'column_{index}'
        while candidate.lower() in taken:
            candidate += '_'
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _plan(dm: DataMatrix) -> tuple[dict, list[tuple[str, BaseColumn]]]:
    """The group attribute, and ``(array name, column)`` for every stored column."""
    first_names: dict[int, str] = {}  # each stored column by its first name, in order
    for name, column in dm._cols.items():
        first_names.setdefault(id(column), name)
    array_names = iter(_array_names(list(first_names.values())))
    entries, members = _column_entries(dm, 'writezarr', 'array',
                                       lambda index, column: next(array_names))
    attribute = {
        'format': FORMAT_NAME, 'version': FORMAT_VERSION, 'length': len(dm),
        'rowid': _jsonvalues.encode(dm._rowid.tolist(), 'the row ids'),
        'sorted': bool(dm._sorted),
        'default_col_type': dm._default_col_type.__name__,
        'metadata': _jsonvalues.encode(dm._metadata, 'the DataMatrix'),
        'columns': entries,
    }
    return attribute, members


def _finish(item: tuple, bar: Any) -> None:
    """Wait for one block write; release the block's mapped pages."""
    future, block = item
    future.result()
    release_pages(block)
    bar.update(block.nbytes)


def _write_column(group, array_name: str, column: BaseColumn, chunk_rows: Any,
                  bar: Any) -> None:
    """Create the array of one column and fill it, streaming MD columns by blocks."""
    n = len(column)
    if isinstance(column, _MultiDimensionalColumn):
        store = column._store
        rows = _chunk_rows(chunk_rows, store.row_nbytes, n)
        cell = tuple(column._cell_shape)
        array = group.create_array(
            array_name, shape=store.shape, dtype=store.dtype,
            chunks=(rows,) + tuple(max(1, size) for size in cell), fill_value=0,
            dimension_names=['row'] + [f'{array_name}_dim{i}'
                                       for i in range(1, len(cell) + 1)])
        if not n or not store.row_nbytes:
            return
        # blocks of whole chunks, about cfg.save_chunk_size bytes, so an offloaded column
        # streams; a few blocks are encoded and written at once by helper threads
        chunk_nbytes = rows * store.row_nbytes
        block_nbytes = max(1, int(cfg.save_chunk_size) // chunk_nbytes) * chunk_nbytes
        in_flight: collections.deque = collections.deque()
        with concurrent.futures.ThreadPoolExecutor(
                _WRITERS, thread_name_prefix='datamatrix-zarr') as pool:
            for start, stop, block in store.blocks(block_nbytes):
                if len(in_flight) >= _WRITERS:
                    _finish(in_flight.popleft(), bar)
                in_flight.append((pool.submit(array.__setitem__, slice(start, stop),
                                              block), block))
            while in_flight:
                _finish(in_flight.popleft(), bar)
        return
    if isinstance(column, MixedColumn):
        values = np.empty(n, dtype=object)
        values[:] = [_json_text(cell) for cell in _jsonvalues.encode_cells(column._seq)]
        dtype, itemsize = str, 8
    else:
        values = column._seq
        dtype, itemsize = _FLAT_DTYPES[type(column).__name__], 8
    rows = _chunk_rows(chunk_rows, itemsize, n)
    array = group.create_array(array_name, shape=(n,), dtype=dtype, chunks=(rows,),
                               dimension_names=['row'])
    if n:
        array[:] = values
    bar.update(itemsize * n)


def _replaceable(path: str) -> bool:
    """Whether an existing ``path`` may be replaced: a zarr store or an empty folder."""
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    entries = os.listdir(path)
    return not entries or any(marker in entries for marker in _STORE_MARKERS)


@contextlib.contextmanager
def _atomic_folder(path: str, overwrite: bool):
    """Yield a hidden temporary folder that replaces ``path`` when the block succeeds.

    On error the temporary folder is removed and ``path`` is left as it was.
    """
    folder, name = os.path.split(path)
    if os.path.lexists(path):
        if not overwrite:
            raise FileExistsError(errno.EEXIST, f'{path!r} already exists; pass '
                                  f'overwrite=True to replace it', path)
        if not _replaceable(path):
            raise FileExistsError(errno.EEXIST, f'{path!r} exists and is not a zarr '
                                  f'store (nor an empty folder); it is not replaced, '
                                  f'even with overwrite=True', path)
    os.makedirs(folder, exist_ok=True)
    sweep_stale(folder)  # what a killed writezarr or writebin left in this folder
    tmp = tempfile.mkdtemp(prefix=f'.{name}.', suffix=temp_suffix(), dir=folder)
    try:
        yield tmp
        if os.path.lexists(path):
            old = tempfile.mkdtemp(prefix=f'.{name}.', suffix=temp_suffix('old'),
                                   dir=folder)
            os.rmdir(old)
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
    except BaseException:
        _remove_eventually(tmp)
        raise
    written(folder)


def _remove_eventually(folder: str) -> None:
    """Remove ``folder``, also what zarr's still-running writes put back into it.

    When one chunk write fails, zarr's other concurrent chunk writes of the same
    assignment keep running on its event loop and may recreate files after a
    first removal; remove until the folder stays gone.
    """
    for _ in range(50):
        shutil.rmtree(folder, ignore_errors=True)
        time.sleep(0.02)
        if not os.path.lexists(folder):
            return


def writezarr(dm: DataMatrix, path: str | os.PathLike, chunk_rows: int | None = None,
              overwrite: bool = False) -> None:
    """Save a DataMatrix as a zarr group, one row-chunked array per column.

    Everything that :func:`writebin` keeps round-trips through :func:`readzarr`:
    column names, order and aliases, types, shapes with named dimensions,
    ``defaultnan``, float32 cells, every value exactly (MixedColumn values keep
    their Python types), row ids, ``sorted``, ``default_col_type`` and
    metadata (as :func:`writebin` stores it). Offloaded and zarr-backed columns are
    streamed block by block of about ``cfg.save_chunk_size`` bytes (whole chunks), so
    memory use stays bounded. The store is written to a hidden temporary folder
    next to ``path`` and renamed into place when complete; on error nothing is
    left behind and an existing store is untouched.

    Parameters
    ----------
    dm : DataMatrix
    path : str or os.PathLike
        The folder of the zarr store (conventionally ``*.zarr``).
    chunk_rows : int, optional
        Rows per chunk of every array; default: per column, as many rows as fit
        in ``cfg.save_chunk_size`` bytes (at least one), the same default as
        :func:`datamatrix.convert.to_dask`, so dask chunks match zarr chunks.
    overwrite : bool
        Replace an existing store at ``path``. Only a zarr store or an empty
        folder is ever replaced.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False, or exists and is not a
        zarr store.
    ImportError
        If zarr (3 or newer) is not installed.

    Warns
    -----
    UserWarning
        For metadata that JSON cannot hold; it is saved as ``None`` and the
        warning names the column.

    Examples
    --------
    >>> from datamatrix import io, SeriesColumn
    >>> dm = DataMatrix(rt=[500, 600, 700])
    >>> dm.pupil = SeriesColumn(depth=4)
    >>> dm.pupil = np.arange(12.).reshape(3, 4)
    >>> io.writezarr(dm, 'trials.zarr', chunk_rows=2)
    >>> import zarr
    >>> zarr.open_group('trials.zarr', mode='r')['pupil'].chunks
    (2, 4)
    """
    if not isinstance(dm, DataMatrix):
        raise TypeError(f'writezarr needs a DataMatrix, not {type(dm).__name__}')
    if chunk_rows is not None and (isinstance(chunk_rows, bool) or not isinstance(
            chunk_rows, (int, np.integer)) or chunk_rows < 1):
        raise InvalidValueError(f'chunk_rows must be a positive int, not {chunk_rows!r}')
    zarr = _zarr()
    attribute, members = _plan(dm)
    target = os.path.abspath(os.fspath(path))
    total = sum(c._store.nbytes if isinstance(c, _MultiDimensionalColumn) else 8 * len(c)
                for _, c in members)
    with _atomic_folder(target, overwrite) as tmp, \
            progress(total, f'writezarr {os.path.basename(target)}') as bar:
        group = zarr.open_group(tmp, mode='w', zarr_format=3)
        for array_name, column in members:
            _write_column(group, array_name, column, chunk_rows, bar)
        group.attrs[ATTRIBUTE] = attribute


# -- reading ----------------------------------------------------------------------------

class _Reader:
    """The arrays of one open group, checked against what the attribute says."""

    def __init__(self, path: str, group: Any) -> None:
        self.path = path
        self.group = group

    def fail(self, problem: str) -> BinFormatError:
        return BinFormatError(f'{self.path!r} is not a valid datamatrix zarr store: '
                              f'{problem}')

    def array(self, entry: dict, dtype: np.dtype | None, shape: tuple) -> Any:
        """The zarr array of a column entry, checked (``dtype`` None: strings)."""
        name, array_name = entry['name'], entry['array']
        _check(isinstance(array_name, str), f'invalid array name {array_name!r}')
        try:
            array = self.group[array_name]
        except KeyError:
            raise self.fail(f'the array {array_name!r} of column {name!r} is '
                            f'missing') from None
        stored = getattr(array, 'dtype', None)
        if not hasattr(array, 'shape') or tuple(array.shape) != tuple(shape) or (
                dtype is not None and np.dtype(stored) != dtype) or (
                dtype is None and np.dtype(stored).kind not in 'TUO'):
            raise self.fail(f'the array {array_name!r} of column {name!r} holds '
                            f'{stored} {getattr(array, "shape", None)}, expected '
                            f'{"strings" if dtype is None else dtype} {tuple(shape)}')
        return array


def _column(reader: _Reader, dm: DataMatrix, entry: dict) -> BaseColumn:
    """The column that ``entry`` describes (MD columns backed lazily by their array)."""
    cls = _TYPES[entry['type']]
    metadata = _jsonvalues.decode(entry['metadata'])
    n = len(dm)
    if cls is MixedColumn:
        array = reader.array(entry, None, (n,))
        texts = array[:] if n else np.empty(0, dtype=object)
        try:
            cells = [json.loads(text) for text in np.asarray(texts).tolist()]
        except (TypeError, ValueError) as exc:
            raise reader.fail(f'column {entry["name"]!r} holds a cell that is not '
                              f'JSON ({exc})') from None
        return MixedColumn._from_data(dm, _cells(cells, n), metadata)
    if cls in (FloatColumn, IntColumn):
        dtype = _FLAT_DTYPES[cls.__name__]
        array = reader.array(entry, dtype, (n,))
        data = np.asarray(array[:], dtype=dtype) if n else np.empty(0, dtype)
        return cls._from_data(dm, data, metadata)
    dims = _dims(entry['dims'])
    _check(len(dims) >= 1 and (cls is not _SeriesColumn or len(dims) == 1),
           'invalid dimensions')
    _check(type(entry['defaultnan']) is bool, 'invalid defaultnan flag')
    shape = (n,) + tuple(d if isinstance(d, int) else len(d) for d in dims)
    store = LazyStore(reader.array(entry, _MD_DTYPES[entry['dtype']], shape))
    manager.add(store)
    return cls._from_store(dm, store, dims, entry['defaultnan'], metadata)


def _build(reader: _Reader, attribute: Any) -> DataMatrix:
    """The DataMatrix that ``attribute`` describes (raises ValueError etc. if invalid)."""
    n, dm = _new_from_header(attribute, reader.path, 'zarr format', FORMAT_VERSION)
    rowid = _jsonvalues.decode(attribute['rowid'])
    _check(isinstance(rowid, list) and len(rowid) == n and
           all(type(i) is int for i in rowid), 'invalid row ids')
    rowid = np.array(rowid, dtype=np.int64)
    _check(len(np.unique(rowid)) == n, 'duplicate row ids')
    dm._set_rowid(rowid)
    _check(type(attribute['sorted']) is bool, 'invalid sorted flag')
    dm.sorted = attribute['sorted']
    dm.metadata = _jsonvalues.decode(attribute['metadata'])
    columns: list[BaseColumn | None] = []
    for entry in attribute['columns']:
        name = entry['name']
        _check(isinstance(name, str) and name not in dm._cols, f'invalid name {name!r}')
        if 'alias_of' in entry:
            target = entry['alias_of']
            _check(type(target) is int and 0 <= target < len(columns)
                   and columns[target] is not None, 'invalid alias')
            dm._cols[name] = columns[target]
            columns.append(None)
            continue
        column = _column(reader, dm, entry)
        dm._cols[name] = column
        columns.append(column)
    return dm


def readzarr(path: str | os.PathLike) -> DataMatrix:
    """Open a zarr store written by :func:`writezarr`, lazily.

    The attribute, the row ids and the 1-D columns are read; every
    multidimensional column stays backed by its zarr array without reading
    any of it: it reports ``loaded == False``, and its first use loads it
    through the memory manager like any offloaded column (into RAM when it fits
    the budget, else into a spill file). Until then
    :func:`datamatrix.convert.to_dask` reads it with ``dask.array.from_zarr``,
    so a computation on it can run on a dask cluster. The store is never
    written; it must stay in place while such columns have not been used
    (see ``docs/scaleout.md``).

    Parameters
    ----------
    path : str or os.PathLike
        The folder of the zarr store.

    Returns
    -------
    DataMatrix
        A new DataMatrix (new family id).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    BinFormatError
        (a ``ValueError``) if ``path`` is not a zarr group written by
        :func:`writezarr`, lacks a column's array, has arrays that do not match
        the description, or was written by a newer format version.
    ImportError
        If zarr (3 or newer) is not installed.

    Examples
    --------
    >>> from datamatrix import io, SeriesColumn
    >>> dm = DataMatrix(rt=[500, 600])
    >>> dm.pupil = SeriesColumn(depth=3)
    >>> dm.pupil = [[1, 2, 3], [4, 5, 6]]
    >>> io.writezarr(dm, 'trials.zarr')
    >>> copy = io.readzarr('trials.zarr')
    >>> copy.pupil.loaded
    False
    >>> print(copy.pupil)
    col[[1. 2. 3.]
     [4. 5. 6.]]
    >>> copy.equals(dm)
    True
    """
    zarr = _zarr()
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f'{path!r} does not exist', path)
    try:
        group = zarr.open_group(path, mode='r')
    except (zarr.errors.BaseZarrError, ValueError, KeyError, OSError) as exc:
        raise BinFormatError(f'{path!r} is not a zarr group, so not a store written by '
                             f'io.writezarr ({type(exc).__name__}: {exc})') from None
    attribute = group.attrs.asdict().get(ATTRIBUTE)
    if not isinstance(attribute, dict) or attribute.get('format') != FORMAT_NAME:
        raise BinFormatError(f'{path!r} is a zarr group without the {ATTRIBUTE!r} '
                             f'attribute of io.writezarr, so not a datamatrix store')
    reader = _Reader(path, group)
    try:
        return _build(reader, attribute)
    except BinFormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError,
            OverflowError) as exc:
        raise reader.fail(f'invalid {ATTRIBUTE!r} attribute ({type(exc).__name__}: '
                          f'{exc})') from None


__all__ = ['writezarr', 'readzarr']
