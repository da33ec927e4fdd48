"""Our binary format: :func:`writebin` and :func:`readbin` (``docs/format.md``).

A file is a ZIP archive whose members are all *stored* (uncompressed):

* ``datamatrix.json`` (first member): the manifest — format name and version,
  length, flags, metadata and the list of columns;
* ``rowid.npy``: the row ids;
* ``columns/<i>.npy`` for every numeric and multidimensional column: a plain
  ``.npy`` array, placed so that the array data starts on a 4096-byte
  boundary of the file, which lets :func:`readbin` map it straight from disk;
* ``columns/<i>.json`` for every MixedColumn: its values in tagged JSON
  (:mod:`datamatrix.io._jsonvalues`).

Nothing in a file is pickled, and reading never runs code from it.
"""
from __future__ import annotations

import concurrent.futures
import gzip
import io
import json
import math
import os
import pickle  # only to recognise pickles, never to load them
import struct
import tarfile
import time
import tokenize
import zipfile
import zlib
from typing import Any, Callable, Iterable

import numpy as np

import datamatrix.io._legacy as _legacy
import datamatrix.io._jsonvalues as _jsonvalues
from datamatrix._table.columns import BaseColumn, FloatColumn, IntColumn, MixedColumn
from datamatrix._engine.config import cfg
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._engine.memory import manager
from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
from datamatrix._engine.progress import progress
from datamatrix._engine.storage import ArrayStore
from datamatrix._engine.stream import blocks_of
from datamatrix.errors import BinFormatError
from datamatrix.io._files import atomic_target

FORMAT_NAME = 'datamatrix'
FORMAT_VERSION = 1
"""The version that :func:`writebin` writes and the newest that :func:`readbin` reads."""
MANIFEST = 'datamatrix.json'
ROWID = 'rowid.npy'

_TYPES = {cls.__name__: cls for cls in
          (MixedColumn, FloatColumn, IntColumn, _SeriesColumn, _MultiDimensionalColumn)}
_FLAT_DTYPES = {'FloatColumn': np.dtype('<f8'), 'IntColumn': np.dtype('<i8')}
_MD_DTYPES = {'float64': np.dtype('<f8'), 'float32': np.dtype('<f4')}
_CELL_TYPES = (str, int, float, type(None))

# -- a minimal ZIP64 writer ---------------------------------------------------------

_LOCAL = struct.Struct('<IHHHHHIIIHH')
_ZIP64_LOCAL = struct.Struct('<HHQQ')
_CENTRAL = struct.Struct('<IHHHHHHIIIHHHHHII')
_ZIP64_CENTRAL = struct.Struct('<HHQQQ')
_ZIP64_END = struct.Struct('<IQHHIIQQQQ')
_ZIP64_LOCATOR = struct.Struct('<IIQI')
_END = struct.Struct('<IHHHHIIH')
_ZIP_VERSION = 45  # ZIP64
_UTF8_NAMES = 0x0800
_PAD_ID = 0xD935  # the "alignment" extra field (as written by Android's zipalign)
_ALIGN = 4096
_THREADED_CRC = 1 << 20
_MAX32 = 0xFFFFFFFF


def _write_all(fd: int, data) -> None:
    view = memoryview(data).cast('B')
    while view:
        view = view[os.write(fd, view):]


class _ZipWriter:
    """Writes a ZIP64 archive of stored members to a file descriptor.

    Every member is written in one go with :meth:`add`; its CRC-32 is computed
    in a helper thread while the same block is being written, so checksumming
    costs (almost) no time. Local headers are patched with the CRC and size
    when a member is complete.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.offset = 0
        self.entries: list[tuple[bytes, int, int, int]] = []
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='datamatrix-crc')
        now = time.localtime()
        self._dos_time = now.tm_hour << 11 | now.tm_min << 5 | now.tm_sec // 2
        self._dos_date = max(0, now.tm_year - 1980) << 9 | now.tm_mon << 5 | now.tm_mday

    def __enter__(self) -> '_ZipWriter':
        return self

    def __exit__(self, *exc: Any) -> None:
        self._pool.shutdown(wait=True)

    def _raw(self, data) -> None:
        _write_all(self.fd, data)
        self.offset += memoryview(data).nbytes

    def add(self, name: str, chunks: Iterable, data_prefix: int | None = None,
            bar: Any = None) -> None:
        """Write a member from an iterable of bytes-like chunks.

        If ``data_prefix`` is given, the member's data plus that many bytes
        (for ``.npy`` members: the ``.npy`` header) begins on a 4096-byte
        boundary of the file, so that the array can be mapped efficiently.
        """
        encoded = name.encode('utf-8')
        start = self.offset
        padding = b''
        if data_prefix is not None:
            base = start + _LOCAL.size + len(encoded) + _ZIP64_LOCAL.size
            gap = (-(base + 6 + data_prefix)) % _ALIGN + 6
            padding = struct.pack('<HHH', _PAD_ID, gap - 4, _ALIGN) + bytes(gap - 6)
        extra = _ZIP64_LOCAL.pack(1, 16, 0, 0) + padding
        self._raw(_LOCAL.pack(0x04034B50, _ZIP_VERSION, _UTF8_NAMES, 0, self._dos_time,
                              self._dos_date, 0, _MAX32, _MAX32, len(encoded), len(extra))
                  + encoded + extra)
        crc = size = 0
        for chunk in chunks:
            view = memoryview(chunk).cast('B')
            if view.nbytes >= _THREADED_CRC:
                pending = self._pool.submit(zlib.crc32, view, crc)
                self._raw(view)
                crc = pending.result()
            else:
                crc = zlib.crc32(view, crc)
                self._raw(view)
            size += view.nbytes
            if bar is not None:
                bar.update(view.nbytes)
        os.pwrite(self.fd, struct.pack('<I', crc), start + 14)
        os.pwrite(self.fd, struct.pack('<QQ', size, size),
                  start + _LOCAL.size + len(encoded) + 4)
        self.entries.append((encoded, start, crc, size))

    def finish(self) -> None:
        """Write the central directory and the end records."""
        directory_start = self.offset
        for encoded, start, crc, size in self.entries:
            extra = _ZIP64_CENTRAL.pack(1, 24, size, size, start)
            self._raw(_CENTRAL.pack(0x02014B50, 3 << 8 | _ZIP_VERSION, _ZIP_VERSION,
                                    _UTF8_NAMES, 0, self._dos_time, self._dos_date, crc,
                                    _MAX32, _MAX32, len(encoded), len(extra), 0, 0, 0,
                                    0o100644 << 16, _MAX32) + encoded + extra)
        directory_size = self.offset - directory_start
        end64 = self.offset
        count = len(self.entries)
        self._raw(_ZIP64_END.pack(0x06064B50, _ZIP64_END.size - 12, 3 << 8 | _ZIP_VERSION,
                                  _ZIP_VERSION, 0, 0, count, count, directory_size,
                                  directory_start))
        self._raw(_ZIP64_LOCATOR.pack(0x07064B50, 0, end64, 1))
        self._raw(_END.pack(0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                            min(directory_size, _MAX32), _MAX32, 0))


# -- writing --------------------------------------------------------------------------

def _npy_header(dtype: np.dtype, shape: tuple) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {'descr': dtype.str, 'fortran_order': False, 'shape': tuple(shape)})
    return buffer.getvalue()


def _array_chunks(header: bytes, array: np.ndarray, dtype: np.dtype):
    """The header, then the rows of ``array`` in blocks of ``cfg.save_chunk_size``."""
    yield header
    for _, _, block in blocks_of(array):
        yield np.ascontiguousarray(block, dtype=dtype)


def _add_array(writer: _ZipWriter, name: str, array: np.ndarray, bar: Any) -> None:
    dtype = array.dtype.newbyteorder('<')
    header = _npy_header(dtype, array.shape)
    writer.add(name, _array_chunks(header, array, dtype), len(header), bar)


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, allow_nan=False, ensure_ascii=False,
                      separators=(',', ':')).encode('utf-8')


def _dims_json(dims: list, where: str) -> list:
    return [dim if isinstance(dim, int) else {'names': _jsonvalues.encode(list(dim), where)}
            for dim in dims]


def _column_entries(dm: DataMatrix, writer: str, member_key: str,
                    member_name: Callable[[int, BaseColumn], str],
                    ) -> tuple[list[dict], list[tuple[str, BaseColumn]]]:
    """The description of every column, and ``(member, column)`` per stored column.

    Shared by :func:`writebin` and ``writezarr``. An aliased column is stored
    once; its other names get ``{'name': ..., 'alias_of': <entry index>}``.
    ``member_name(entry_index, column)`` names where a stored column goes; it is
    called once per stored column, in column order.
    """
    entries: list[dict] = []
    members: list[tuple[str, BaseColumn]] = []
    first: dict[int, int] = {}
    for name, column in dm._cols.items():
        if id(column) in first:
            entries.append({'name': name, 'alias_of': first[id(column)]})
            continue
        type_name = type(column).__name__
        if _TYPES.get(type_name) is not type(column):
            raise TypeError(f'column {name!r}: columns of type {type_name} cannot be '
                            f'saved with {writer}')
        where = f'column {name!r}'
        member = member_name(len(entries), column)
        entry = {'name': name, 'type': type_name, member_key: member,
                 'metadata': _jsonvalues.encode(column.metadata, where)}
        if isinstance(column, _MultiDimensionalColumn):
            entry.update(dims=_dims_json(column._dims, where),
                         defaultnan=bool(column.defaultnan),
                         dtype=np.dtype(column._dtype).name)
        first[id(column)] = len(entries)
        entries.append(entry)
        members.append((member, column))
    return entries, members


def _plan(dm: DataMatrix) -> tuple[dict, list[tuple[str, BaseColumn]]]:
    """The manifest, and ``(member, column)`` for every stored column."""
    entries, members = _column_entries(
        dm, 'writebin', 'member',
        lambda index, column: f'columns/{index}.'
                              f'{"json" if isinstance(column, MixedColumn) else "npy"}')
    for entry, (_, column) in zip([e for e in entries if 'member' in e], members):
        if isinstance(column, _MultiDimensionalColumn):
            entry['offloaded'] = not column._store.loaded
    manifest = {
        'format': FORMAT_NAME, 'version': FORMAT_VERSION,
        'length': len(dm), 'rowid': ROWID, 'sorted': bool(dm._sorted),
        'default_col_type': dm._default_col_type.__name__,
        'metadata': _jsonvalues.encode(dm._metadata, 'the DataMatrix'),
        'columns': entries,
    }
    return manifest, members


def _column_array(column: BaseColumn) -> np.ndarray:
    """The stored values, without counting as a use (so nothing gets loaded)."""
    if isinstance(column, _MultiDimensionalColumn):
        return column._store.array
    return column._seq


def writebin(dm: DataMatrix, path: str | os.PathLike) -> None:
    """Save a DataMatrix in our binary format (``docs/format.md``).

    Everything round-trips through :func:`readbin`: column names, order and
    aliases, types, shapes with named dimensions, ``defaultnan``, float32
    cells, every value exactly, row ids, ``sorted``, ``default_col_type``,
    metadata, and whether each multidimensional column was offloaded.

    Offloaded columns are streamed block by block (``cfg.save_chunk_size``
    bytes, or one row if a row is larger), so memory use stays bounded. The
    file is written to a hidden temporary file in the target folder, flushed
    to disk and renamed into place: an error or a full disk leaves an existing
    file untouched and no temporary file behind. Missing folders are created.

    Parameters
    ----------
    dm : DataMatrix
    path : str or os.PathLike
        The file to write (conventionally ``*.dm``).

    Warns
    -----
    UserWarning
        For metadata that JSON cannot hold (see ``docs/format.md``); it is
        saved as ``None`` and the warning names the column.

    Examples
    --------
    >>> from datamatrix import io, MultiDimensionalColumn
    >>> dm = DataMatrix(condition=['a', 'b'])
    >>> dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz'), 4))
    >>> dm.erp = np.arange(16.).reshape(2, 2, 4)
    >>> io.writebin(dm, 'erp.dm')
    >>> copy = io.readbin('erp.dm')
    >>> copy.equals(dm), copy.erp.index_names
    (True, [['Fz', 'Cz'], [0, 1, 2, 3]])
    """
    if not isinstance(dm, DataMatrix):
        raise TypeError(f'writebin needs a DataMatrix, not {type(dm).__name__}')
    manifest, members = _plan(dm)
    total = sum(_column_array(c).nbytes if not isinstance(c, MixedColumn)
                else 8 * len(c) for _, c in members)
    with atomic_target(path) as fh, \
            progress(total, f'writebin {os.path.basename(os.fspath(path))}') as bar, \
            _ZipWriter(fh.fileno()) as writer:
        writer.add(MANIFEST, [_json_bytes(manifest)])
        _add_array(writer, ROWID, dm._rowid, None)
        for member, column in members:
            if isinstance(column, MixedColumn):
                writer.add(member, [_json_bytes(_jsonvalues.encode_cells(column._seq))])
                bar.update(8 * len(column))
            else:
                _add_array(writer, member, _column_array(column), bar)
        writer.finish()


# -- reading --------------------------------------------------------------------------

def _is_tar_gz(fh) -> bool:
    """Whether ``fh`` holds a gzip-compressed tar archive (reads one 512-byte block)."""
    try:
        with gzip.GzipFile(fileobj=fh, mode='rb') as archive:
            block = archive.read(tarfile.BLOCKSIZE)
        tarfile.TarInfo.frombuf(block, 'utf-8', 'surrogateescape')
        return True
    except (OSError, EOFError, ValueError, zlib.error, tarfile.TarError):
        return False


def _sniff(fh, path: str) -> bool:
    """Refuse files that are not ZIP archives, explaining what they are.

    Returns whether the file is a gzip-compressed tar archive (a legacy file).
    """
    head = fh.read(4)
    fh.seek(0)
    if head == b'PK\x03\x04':
        return False
    if head[:2] == b'\x1f\x8b':
        if _is_tar_gz(fh):
            return True
        raise BinFormatError(f'{path!r} is gzip-compressed data, not a datamatrix '
                             f'binary file')
    if head[:1] == b'\x80' and len(head) > 1 and head[1] <= pickle.HIGHEST_PROTOCOL:
        raise BinFormatError(f'{path!r} is a pickle file, not a datamatrix binary file; '
                             f'read it with io.readpickle, which only unpickles '
                             f'DataMatrix objects and plain data')
    if not head:
        raise BinFormatError(f'{path!r} is empty, not a datamatrix binary file')
    raise BinFormatError(f'{path!r} is not a datamatrix binary file')


class _Reader:
    """Reads the members of one open file, checking everything it relies on."""

    def __init__(self, path: str, fh, archive: zipfile.ZipFile, bar: Any) -> None:
        self.path = path
        self.fh = fh
        self.archive = archive
        self.size = os.fstat(fh.fileno()).st_size
        self.bar = bar

    def fail(self, problem: str) -> BinFormatError:
        return BinFormatError(f'{self.path!r} is corrupt or truncated: {problem}')

    def span(self, name: str) -> tuple[zipfile.ZipInfo, int]:
        """The member's entry and the file offset where its data starts."""
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise self.fail(f'the member {name!r} is missing') from None
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.fail(f'the member {name!r} is compressed')
        if not 0 <= info.header_offset < self.size:
            raise self.fail(f'the member {name!r} lies outside the file')
        self.fh.seek(info.header_offset)
        header = self.fh.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b'PK\x03\x04':
            raise self.fail(f'the header of member {name!r} is damaged')
        name_length, extra_length = struct.unpack('<HH', header[26:30])
        if self.fh.read(name_length) != name.encode('utf-8'):
            raise self.fail(f'the header of member {name!r} is damaged')
        start = info.header_offset + _LOCAL.size + name_length + extra_length
        if start + info.file_size > self.size:
            raise self.fail(f'the member {name!r} ends after the end of the file')
        return info, start

    def json(self, name: str) -> Any:
        info, _ = self.span(name)
        try:
            data = json.loads(self.archive.read(info))
        except (zipfile.BadZipFile, ValueError, RecursionError, NotImplementedError) as exc:
            raise self.fail(f'the member {name!r} is damaged ({exc})') from None
        self.bar.update(info.file_size)
        return data

    def array(self, name: str, dtype: np.dtype, shape: tuple, lazy: bool,
              verify: bool) -> np.ndarray:
        """The ``.npy`` member ``name``, checked against ``dtype`` and ``shape``.

        ``lazy`` arrays are read-only memory maps of the file; the others are
        read into memory and checked against the member's CRC-32.
        """
        info, start = self.span(name)
        self.fh.seek(start)
        try:
            version = np.lib.format.read_magic(self.fh)
            reader = {(1, 0): np.lib.format.read_array_header_1_0,
                      (2, 0): np.lib.format.read_array_header_2_0}[version]
            stored_shape, fortran, stored_dtype = reader(self.fh)
        except (KeyError, ValueError, OSError, SyntaxError, tokenize.TokenError) as exc:
            raise self.fail(f'the array header of {name!r} is damaged ({exc})') from None
        offset = self.fh.tell()
        if stored_dtype != dtype or tuple(stored_shape) != tuple(shape) or fortran:
            raise self.fail(f'the array {name!r} holds {stored_dtype} {stored_shape}, '
                            f'expected {dtype} {tuple(shape)}')
        nbytes = math.prod(shape) * dtype.itemsize
        if offset - start + nbytes != info.file_size:
            raise self.fail(f'the size of {name!r} does not match its shape')
        if lazy and nbytes:
            array = np.memmap(self.fh, dtype=dtype, mode='r', offset=offset, shape=shape)
            if verify:
                self.check_crc(info, start, offset, (b for _, _, b in blocks_of(array)))
            return array
        array = np.empty(shape, dtype)
        if nbytes:
            if self.fh.readinto(memoryview(array).cast('B')) != nbytes:
                raise self.fail(f'the array {name!r} is truncated')
        self.check_crc(info, start, offset, [array])
        return array

    def check_crc(self, info: zipfile.ZipInfo, start: int, offset: int,
                  blocks: Iterable) -> None:
        self.fh.seek(start)
        crc = zlib.crc32(self.fh.read(offset - start))
        for block in blocks:
            crc = zlib.crc32(block, crc)
            self.bar.update(block.nbytes)
        if crc != info.CRC:
            raise self.fail(f'the checksum of {info.filename!r} does not match its data')


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)


def _new_from_header(header: dict, path: str, kind: str,
                     newest: int) -> tuple[int, DataMatrix]:
    """Check the version and length of a description; an empty DataMatrix for it.

    Shared by :func:`readbin` and ``readzarr``; ``kind`` names the format in the
    message for a file written by a newer datamatrix.
    """
    version = header['version']
    _check(type(version) is int and version >= 1, f'invalid format version {version!r}')
    if version > newest:
        raise BinFormatError(
            f'{path!r} was written in {kind} version {version} by a newer '
            f'datamatrix; this version reads format versions up to {newest}. '
            f'Upgrade datamatrix to read it.')
    n = header['length']
    _check(type(n) is int and n >= 0, 'invalid length')
    return n, DataMatrix(default_col_type=_TYPES[header['default_col_type']])


def _dims(data: Any) -> list:
    _check(isinstance(data, list), 'dims must be a list')
    dims = []
    for dim in data:
        if type(dim) is int and dim >= 0:
            dims.append(dim)
        else:
            names = _jsonvalues.decode(dim['names'])
            _check(isinstance(names, list), 'index names must be a list')
            dims.append(tuple(names))
    return dims


def _cells(data: Any, n: int) -> list:
    _check(isinstance(data, list) and len(data) == n, 'wrong number of cells')
    values = [_jsonvalues.decode(v) if type(v) is dict else v for v in data]
    _check(all(type(v) in _CELL_TYPES for v in values), 'invalid cell value')
    return values


def _distinct(values: np.ndarray) -> bool:
    """Whether no value repeats (row ids are usually increasing: checked first)."""
    if len(values) < 2 or bool(np.all(values[1:] > values[:-1])):
        return True
    ordered = np.sort(values)
    return bool(np.all(ordered[1:] != ordered[:-1]))


def _build(reader: _Reader, manifest: Any, verify: bool) -> DataMatrix:
    """The DataMatrix that ``manifest`` describes (raises ValueError etc. if invalid)."""
    _check(isinstance(manifest, dict) and manifest.get('format') == FORMAT_NAME,
           'not a datamatrix manifest')
    n, dm = _new_from_header(manifest, reader.path, 'format', FORMAT_VERSION)
    rowid = reader.array(manifest['rowid'], np.dtype('<i8'), (n,), False, verify)
    _check(_distinct(rowid), 'duplicate row ids')
    dm._set_rowid(rowid)
    _check(type(manifest['sorted']) is bool, 'invalid sorted flag')
    dm.sorted = manifest['sorted']
    dm.metadata = _jsonvalues.decode(manifest['metadata'])
    columns: list[BaseColumn] = []
    for entry in manifest['columns']:
        name = entry['name']
        _check(isinstance(name, str) and name not in dm._cols, f'invalid name {name!r}')
        if 'alias_of' in entry:
            target = entry['alias_of']
            _check(type(target) is int and 0 <= target < len(columns)
                   and columns[target] is not None, 'invalid alias')
            dm._cols[name] = columns[target]
            columns.append(None)
            continue
        cls = _TYPES[entry['type']]
        metadata = _jsonvalues.decode(entry['metadata'])
        member = entry['member']
        _check(isinstance(member, str), 'invalid member name')
        if cls is MixedColumn:
            column = MixedColumn._from_data(dm, _cells(reader.json(member), n), metadata)
        elif cls in (FloatColumn, IntColumn):
            data = reader.array(member, _FLAT_DTYPES[cls.__name__], (n,), False, verify)
            column = cls._from_data(dm, data, metadata)
        else:
            column = _md_column(reader, dm, cls, entry, metadata, verify)
        dm._cols[name] = column
        columns.append(column)
    return dm


def _md_column(reader: _Reader, dm: DataMatrix, cls: type, entry: dict, metadata: Any,
               verify: bool) -> _MultiDimensionalColumn:
    """A multidimensional column backed by a read-only map of the file."""
    dims = _dims(entry['dims'])
    _check(len(dims) >= 1 and (cls is not _SeriesColumn or len(dims) == 1),
           'invalid dimensions')
    _check(type(entry['defaultnan']) is bool and type(entry['offloaded']) is bool,
           'invalid flags')
    shape = (len(dm),) + tuple(d if isinstance(d, int) else len(d) for d in dims)
    array = reader.array(entry['member'], _MD_DTYPES[entry['dtype']], shape, True, verify)
    store = ArrayStore(array, readonly_source=isinstance(array, np.memmap))
    manager.add(store)
    if not entry['offloaded'] and store.nbytes < cfg.always_load_max_size:
        manager.admit(store)  # small and loaded when saved: load it now
    return cls._from_store(dm, store, dims, entry['defaultnan'], metadata)


def readbin(path: str | os.PathLike, verify: bool = False) -> DataMatrix:
    """Open a file written by :func:`writebin`, lazily.

    Only the manifest, the row ids and the 1-D columns are read. Every
    multidimensional column is backed by a read-only memory map of its array
    in the file, so opening takes about the same time whatever the file's
    size. Such columns come back offloaded and are loaded by the memory
    manager when used, as any offloaded column; writing to one copies it
    first, so the file is never changed. (Small columns that were loaded when
    the file was written, below ``cfg.always_load_max_size``, are loaded at
    once.) The file may be replaced or deleted afterwards (POSIX).

    Parameters
    ----------
    path : str or os.PathLike
    verify : bool
        Also check the CRC-32 of every lazily mapped array, which reads the
        whole file. By default the manifest, the row ids and the 1-D columns
        are checked and the arrays' headers and sizes are validated, but the
        bytes of mapped arrays are not read.

    Returns
    -------
    DataMatrix
        A new DataMatrix (new family id).

    Raises
    ------
    BinFormatError
        (a ``ValueError``) if the file is not ours, is truncated or corrupt, or
        was written by a newer format version; for a legacy ``.dm`` file, also if
        its pickle names anything outside the allow-list (the message names it).

    Notes
    -----
    Files written by datamatrix 1.0 (a gzip-compressed tar holding a pickle)
    are read too, safely, by :mod:`datamatrix.io._legacy`: no code from the
    file runs, and offloaded columns are streamed from the archive into spill
    files and come back offloaded (``docs/migrating.md``).

    Examples
    --------
    >>> from datamatrix import io, SeriesColumn
    >>> dm = DataMatrix(length=2)
    >>> dm.pupil = SeriesColumn(depth=1000)
    >>> dm.pupil = 1
    >>> dm.pupil.loaded = False
    >>> io.writebin(dm, 'pupil.dm')
    >>> copy = io.readbin('pupil.dm')
    >>> copy.pupil.loaded
    False
    >>> print(copy.pupil.mean[:3])
    [1. 1. 1.]
    """
    path = os.fspath(path)
    with open(path, 'rb') as fh:
        if _sniff(fh, path):
            return _legacy.read_dm(path, fh)
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error,
                NotImplementedError) as exc:  # a damaged version or compression field
            raise BinFormatError(f'{path!r} is truncated or corrupt: {exc}') from None
        with archive, progress(os.fstat(fh.fileno()).st_size if verify else 0,
                               f'readbin {os.path.basename(path)}') as bar:
            reader = _Reader(path, fh, archive, bar)
            if MANIFEST not in archive.NameToInfo:
                raise BinFormatError(f'{path!r} is a ZIP archive without '
                                     f'{MANIFEST}, not a datamatrix binary file')
            manifest = reader.json(MANIFEST)
            try:
                return _build(reader, manifest, verify)
            except BinFormatError:
                raise
            except (KeyError, TypeError, ValueError, IndexError, AttributeError,
                    OverflowError, RecursionError) as exc:
                raise reader.fail(f'invalid manifest ({type(exc).__name__}: '
                                  f'{exc})') from None
