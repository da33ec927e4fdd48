"""The fast CSV paths of :func:`~datamatrix.io.readtxt` and ``writetxt``.

Reading: when ``pyarrow`` is installed (the optional extra ``fast``), its CSV
parser splits the file into fields, block by block: a file without quotes in
blocks of whole lines, each parsed by a thread while the rows of the block before
are converted; a file with quotes by pyarrow's streaming reader. The fields are
converted by exactly the rules of the column type (plain numerals are parsed by
pyarrow, which rounds them as Python's ``float`` does; everything else goes
through :mod:`datamatrix._table.bulk`), so the DataMatrix is the same as the csv
module's. A MixedColumn's list is made at once for as many rows as the file has
line ends (a list grown block by block would leave its outgrown copies behind as
freed but resident memory) and cut to the rows at the end. Files that the two
parsers could read differently (rows of unequal length, NUL bytes, bare CR line
ends, quotes together with CR LF line ends, invalid UTF-8, other dialects, ...)
are left to the csv module: :func:`readtxt` returns None for them.

Writing: :func:`lines` writes a chunk of rows at once: :func:`text_fields` gives
the text forms of a column chunk (numpy decides which floats are integral), and
one pass over the joined chunk tells whether any field needs quotes.
"""
from __future__ import annotations

import codecs
import csv
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from datamatrix._engine.progress import progress
from datamatrix._table import bulk as _bulk
from datamatrix._table.columns import FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import text_form
from datamatrix.io._files import unique_names

USE_FAST_CSV = True
"""Set to False to force the standard-library CSV path (used by tests)."""

_SAFE_DELIMITERS = frozenset(',;|:\t')
_SAFE_QUOTES = frozenset('"\'')
"""The dialects for which pyarrow's reading was compared with the csv module's."""

_BOM = b'\xef\xbb\xbf'


def _pyarrow_csv():
    if not USE_FAST_CSV:
        return None
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow


def _pool(pa):
    """The memory pool of pyarrow's calls in Python's thread: the system allocator's,
    so that freed memory goes back to the system (or is reused by Python) at once."""
    return pa.system_memory_pool()


def readtxt(path: str, delimiter: str, quotechar: str, col_type: type):
    """The DataMatrix of a CSV file read by pyarrow, or None for the standard path.

    Never raises for a bad file: such files are left to the standard-library
    path, which reports them.
    """
    pa = _pyarrow_csv()
    if pa is None or delimiter not in _SAFE_DELIMITERS or quotechar not in _SAFE_QUOTES \
            or col_type not in (MixedColumn, FloatColumn, IntColumn):
        return None  # (e.g. a subclass: the csv module's path assigns whole columns)
    with progress(os.path.getsize(path), f'readtxt {os.path.basename(path)}') as bar:
        dm = _read(pa, path, delimiter, quotechar, col_type)
        if dm is not None:
            bar.update(os.path.getsize(path))
    return dm


_SCAN_BLOCK = 1 << 20
_PARSE_BLOCK = 1 << 19
"""Bytes read at a time when scanning the file, and per block parsed by pyarrow
(what a block needs while it is parsed and converted grows with it: 1 MiB blocks
took ~6 MiB more at the peak of a million rows than these, and were ~10% faster)."""


def _scan(path: str, quotechar: str) -> tuple[bool, bytes, int] | None:
    """``(has quotes, first line, line ends)`` of a file that pyarrow reads as the
    csv module does, or None (an empty file, NUL bytes, bare CR line ends, quotes
    together with CR LF line ends, two byte-order marks, invalid UTF-8); read block
    by block, so that the file never is in memory at once."""
    quote = quotechar.encode()
    quoted = crlf = False
    blank = True
    whole = False  # whether ``first`` holds the whole first line
    first = b''
    lines = 0
    utf8 = codecs.getincrementaldecoder('utf-8')()  # checked here, not by pyarrow
    with open(path, 'rb') as fh:
        block = fh.read(_SCAN_BLOCK)
        if block.startswith(_BOM):  # pyarrow drops it, as the csv path does
            block = block[len(_BOM):]
            if block.startswith(_BOM):
                return None  # pyarrow would drop this second mark too
        while block:
            if block.endswith(b'\r'):
                block += fh.read(1)  # keep CR LF together
            if b'\x00' in block:
                return None
            if b'\r' in block:
                if block.count(b'\r') != block.count(b'\r\n'):
                    return None
                crlf = True
            quoted = quoted or quote in block
            if not block.isascii() or utf8.getstate()[0]:  # (a character goes on)
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    return None
            lines += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))
            if blank and block.strip(b'\r\n'):
                blank = False
                first = block.lstrip(b'\r\n')
                whole = b'\n' in first
            elif not blank and not whole:  # the first line goes on in this block
                first += block
                whole = b'\n' in block
            block = fh.read(_SCAN_BLOCK)
    try:
        utf8.decode(b'', final=True)
    except UnicodeDecodeError:  # the file ends inside a character
        return None
    if blank or quoted and crlf:  # pyarrow may drop the LF of a quoted CR LF that
        return None                # ends one of its blocks
    return quoted, first.split(b'\n', 1)[0], lines


def _read(pa, path: str, delimiter: str, quotechar: str, col_type: type):
    scanned = _scan(path, quotechar)
    if scanned is None:
        return None
    quoted, first, lines = scanned
    capacity = lines + 1  # every row but the last ends in a LF
    keys = [f'f{i}' for i in range(first.count(delimiter.encode()) + 1)]  # at most
    pool = _pool(pa)
    parse_options = pa.csv.ParseOptions(delimiter=delimiter,
                                        quote_char=quotechar if quoted else False,
                                        double_quote=quoted, escape_char=False,
                                        newlines_in_values=quoted, ignore_empty_lines=True)
    convert_options = pa.csv.ConvertOptions(
        column_types={key: pa.string() for key in keys},
        strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False)
    try:
        if not quoted:
            tables = _unquoted_tables(pa, path, parse_options, convert_options, col_type)
            try:
                return _convert_batches(pa, tables, col_type, capacity)
            finally:
                tables.close()  # waits for the block being parsed, closes the file
        reader = pa.csv.open_csv(
            path,
            read_options=pa.csv.ReadOptions(autogenerate_column_names=True,
                                            encoding='utf8', block_size=_PARSE_BLOCK),
            parse_options=parse_options, convert_options=convert_options,
            memory_pool=pool)
        if any(not pa.types.is_string(field.type) for field in reader.schema):
            return None  # a column beyond the first line's fields (a quoted line break)
        return _convert_batches(pa, reader, col_type, capacity)
    except (pa.ArrowException, ValueError):
        return None  # e.g. rows of other lengths, invalid UTF-8


def _unquoted_tables(pa, path: str, parse_options, convert_options, col_type: type):
    """The pyarrow tables of a file without quote characters, ``_PARSE_BLOCK`` bytes
    (and the rest of a line) at a time.

    Without quotes every LF ends a row, so each block of whole lines is parsed on
    its own, by a thread (pyarrow lets go of the GIL) while the rows of the block
    before are converted; only two blocks and their tables are in memory besides
    what the rows are converted to (pyarrow's streaming reader would read ahead the
    whole file while the rows are converted).
    """
    pool = _parser_pool(pa)
    header = []  # whether the first row (the names) has been read

    def parse(data: memoryview):
        table = pa.csv.read_csv(
            pa.py_buffer(data),
            read_options=pa.csv.ReadOptions(autogenerate_column_names=True,
                                            encoding='utf8', use_threads=False,
                                            block_size=len(data) + 1),
            parse_options=parse_options, convert_options=convert_options,
            memory_pool=pool)
        rows = table
        if table.num_rows and not header:
            rows = table.slice(1)
            header.append(True)
        if not all(pa.types.is_string(column.type) for column in rows.columns):
            return table  # rows of another length: _convert_batches gives up
        return table, [[_prepare(pa, chunk, col_type, pool) if len(chunk) else None
                         for chunk in column.chunks] for column in rows.columns]

    with open(path, 'rb') as fh, ThreadPoolExecutor(1) as parser:
        pending = None
        for data in _line_blocks(fh):
            parsing = parser.submit(parse, data)
            del data
            if pending is not None:
                yield pending.result()
            pending = parsing
        if pending is not None:
            yield pending.result()


def _parser_pool(pa):
    """The memory pool of the parsing thread: jemalloc's where pyarrow has it (the
    system allocator would give the thread an arena of its own, which keeps what it
    frees), else the system allocator's."""
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError):
        return _pool(pa)


_CONTENT = re.compile(rb'[^\r\n]')


def _line_blocks(fh):
    """The blocks of whole lines of the file ``fh`` as memoryviews, each ending in a
    line end (blocks of blank lines only are left out)."""
    rest = b''
    while True:
        block = fh.read(_PARSE_BLOCK)
        if not block:  # the end of the file: the last lines
            if _CONTENT.search(rest):  # pyarrow reads no lone line without a line end
                yield memoryview(rest if rest.endswith(b'\n') else rest + b'\n')
            return
        data = rest + block if rest else block
        del block
        cut = _line_cut(data)
        rest = data[cut:]
        if _CONTENT.search(data, 0, cut):
            yield memoryview(data)[:cut]


def _line_cut(data: bytes) -> int:
    """The length of the whole lines at the start of ``data`` (0 if none) that can be
    parsed apart from the rest: pyarrow drops a byte-order mark that starts a block,
    so the cut is made only where the bytes after it are known not to be one."""
    cut = data.rfind(b'\n', 0, len(data) - len(_BOM))
    while cut >= 0 and data.startswith(_BOM, cut + 1):
        cut = data.rfind(b'\n', 0, cut)
    return cut + 1


def _convert_batches(pa, batches, col_type: type, capacity: int):
    """The DataMatrix of the record batches (or tables) ``batches``.

    MixedColumns are converted batch by batch (the conversion rule is per value, so
    the result is the same) into lists made at once for ``capacity`` rows (at least
    the number of rows) and cut to the rows read at the end: a list grown batch by
    batch would leave each outgrown copy behind as freed but resident memory.
    """
    header = None
    parts: list[list] = []
    rows = 0
    limit = csv.field_size_limit()
    for batch in batches:
        batch, prepared = batch if isinstance(batch, tuple) else (batch, None)
        if not batch.num_rows:
            continue
        if any(not pa.types.is_string(column.type) for column in batch.columns) or \
                header is not None and batch.num_columns != len(header):
            return None  # rows of another length than the header's
        if any(_longest_field(pa, column, limit) >= limit for column in batch.columns):
            return None  # the csv module's limit on the length of a field decides
        if header is None:
            header = [column[0].as_py() for column in batch.columns]
            parts = [[None] * capacity if col_type is MixedColumn else []
                     for _ in header]
            batch = batch.slice(1)
        for index, (values, column) in enumerate(zip(parts, batch.columns)):
            position = rows
            chunks = getattr(column, 'chunks', (column,))
            for chunk, ready in zip(chunks, prepared[index] if prepared else
                                    [_TODO] * len(chunks)):
                if not len(chunk):
                    continue
                if ready is _TODO:
                    ready = _prepare(pa, chunk, col_type)
                if col_type is MixedColumn:
                    converted = _mixed_column(pa, ready)
                    values[position:position + len(converted)] = converted
                    position += len(converted)
                else:
                    values.append(number_piece(chunk, ready, col_type))
        rows += batch.num_rows
    if header is None:
        return None
    names = unique_names(header)
    dm = DataMatrix(length=rows, default_col_type=col_type)
    parts.reverse()
    for name in names:
        part = parts.pop()
        if col_type is MixedColumn:
            del part[rows:]
            dm[name] = MixedColumn._from_data(dm, part)
            continue
        dm[name] = col_type._from_data(dm, number_values(part, col_type))
    return dm


def number_piece(chunk, numbers: np.ndarray | None, col_type: type):
    """The FloatColumn or IntColumn values of a string array of plain numerals
    (which convert without warnings or errors; ``numbers``: their floats, see
    :func:`_prepare`), else the array itself."""
    if numbers is None:
        return chunk
    if col_type is FloatColumn:
        return numbers + 0.0  # '-0' is the int 0 first, so 0.0
    truncated = _bulk._int_array(numbers)  # None if one is beyond the int64 range
    return chunk if truncated is None else truncated


def number_values(pieces: list, col_type: type) -> np.ndarray:
    """The values of a FloatColumn or IntColumn from its pieces (consumed): arrays
    as they are, lists of strings or pyarrow string arrays converted by the rules of
    the type, in row order (so that warnings and errors come column by column, row
    by row, as when the whole column is assigned)."""
    convert = _bulk.float_values if col_type is FloatColumn else _bulk.int_values
    pieces.reverse()
    arrays = []
    while pieces:
        piece = pieces.pop()
        if not isinstance(piece, np.ndarray):
            strings = piece if isinstance(piece, list) else piece.to_pylist()
            piece = convert(strings, len(strings))
        arrays.append(piece)
    if not arrays:
        return np.empty(0, dtype=col_type._storage_dtype)
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _longest_field(pa, column, limit: int) -> int:
    """The number of characters of the longest field of a string array (or chunked
    array), or a smaller number if that is below ``limit``: UTF-8 characters are
    counted only if the longest field has ``limit`` bytes or more."""
    longest = 0
    for chunk in getattr(column, 'chunks', (column,)):
        if len(chunk):
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32,
                                    count=len(chunk) + 1, offset=4 * chunk.offset)
            longest = max(longest, int(np.diff(offsets).max()))
    if longest < limit:
        return longest
    pool = _pool(pa)
    return pa.compute.max(pa.compute.utf8_length(column, memory_pool=pool),
                          memory_pool=pool).as_py() or 0


_NUMERALS = b'0123456789+-.eE'
"""The characters of plain decimal numerals. Of the strings made of them, pyarrow's
cast to float64 accepts only numerals that Python's ``float`` accepts too, with the
same (correctly rounded) value (checked exhaustively up to 5 characters); other
numeric text (``'nan'``, ``' 1'``, ``'1_000'``, ...) is left to the conversion rules.
A string with another character is either refused by the cast or cast to NaN or
INF (``'nan'``, ``'inf'``; tests/io/test_txt_blocks.py checks this), so only casts
with such results need to look at the characters."""


_FIRST = 16


def _numerals(pa, column, pool=None):
    """The float64 values of a string array of plain numerals only, else None."""
    if not len(column) or column.null_count or column.buffers()[2] is None:
        return None
    pool = pool or _pool(pa)
    try:  # a failing cast goes on to the end: the first values tell most columns
        pa.compute.cast(column.slice(0, _FIRST), pa.float64(), memory_pool=pool)
        numbers = pa.compute.cast(column, pa.float64(), memory_pool=pool)
    except pa.ArrowException:  # e.g. 'x', '1-2', '', '+5': the conversion rules decide
        return None
    if numbers.null_count:
        return None
    values = numbers.to_numpy(zero_copy_only=False)
    if not np.isfinite(values).all():  # e.g. 'nan', or '1e400' (plain numerals)
        offsets = np.frombuffer(column.buffers()[1], dtype=np.int32,
                                count=len(column) + 1, offset=4 * column.offset)
        text = memoryview(column.buffers()[2])[offsets[0]:offsets[-1]].tobytes()
        if text.translate(None, _NUMERALS):  # a character that is not in _NUMERALS
            return None
    return values


_TODO = object()
"""A chunk that :func:`_prepare` has not seen yet."""


def _prepare(pa, column, col_type: type, pool=None):
    """The work of pyarrow in converting a string array (done by the parsing thread
    where there is one): the floats of plain numerals (see :func:`_numerals`), else
    for a MixedColumn the dictionary encoding (else None)."""
    numbers = _numerals(pa, column, pool)
    if numbers is not None or col_type is not MixedColumn:
        return numbers
    return pa.compute.dictionary_encode(column, memory_pool=pool or _pool(pa))


def _mixed_column(pa, prepared) -> list:
    """MixedColumn storage of a string array from what :func:`_prepare` made of it:
    numerals parsed in C, other columns converted once per distinct string (pyarrow
    finds them)."""
    if isinstance(prepared, np.ndarray):
        return _bulk.mixed_from_floats(prepared)
    codes = prepared.indices.to_numpy(zero_copy_only=False)
    return _bulk.mixed_from_codes(prepared.dictionary.to_pylist(), codes)


# -- writing ----------------------------------------------------------------------------

def text_fields(column, start: int, stop: int) -> list[str]:
    """The text forms of rows ``start:stop`` of a 1-D column."""
    values = column._seq[start:stop]
    if isinstance(column, IntColumn):
        return list(map(str, values.tolist()))
    if isinstance(column, FloatColumn):
        return _float_texts(values)
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(values)
    if kinds <= {str, int, float, type(None)}:
        return [value if type(value) is str else
                str(value) if type(value) is int else
                'None' if value is None else _float_text(value) for value in values]
    return [value if type(value) is str else text_form(value) for value in values]


def _float_text(value: float) -> str:
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _float_texts(values: np.ndarray) -> list[str]:
    """Text forms of float64 values: integral ones as integers, others ``str(float)``."""
    with np.errstate(invalid='ignore'):
        integral = np.isfinite(values) & (values == np.trunc(values))
    texts = list(map(str, values.tolist()))
    if integral.any():
        small = integral & (np.abs(values) < 2.0 ** 53)
        for position, number in zip(np.flatnonzero(small).tolist(),
                                    values[small].astype(np.int64).tolist()):
            texts[position] = str(number)
        for position in np.flatnonzero(integral & ~small).tolist():
            texts[position] = str(int(values[position]))
    return texts


def lines(columns: list, start: int, stop: int, delimiter: str, quotechar: str) -> str:
    """The CSV lines of rows ``start:stop``, each ending in ``\\n``.

    Fields holding the delimiter, the quote character or a line break are
    quoted (their quote characters doubled); a lone empty field is written
    ``""`` so that the line does not look blank.
    """
    special = (delimiter, quotechar, '\n', '\r')
    doubled = quotechar * 2
    cells = []
    for column in columns:
        fields = text_fields(column, start, stop)
        joined = ''.join(fields)  # one pass for the whole chunk
        if any(char in joined for char in special):
            fields = [quotechar + field.replace(quotechar, doubled) + quotechar
                      if any(char in field for char in special) else field
                      for field in fields]
        cells.append(fields)
    if not cells or stop <= start:
        return ''
    if len(cells) == 1:
        return ''.join(doubled + '\n' if field == '' else field + '\n'
                       for field in cells[0])
    return '\n'.join(map(delimiter.join, zip(*cells))) + '\n'


__all__ = ['readtxt', 'number_values', 'text_fields', 'lines']
