"""The fast CSV paths of :func:`~datamatrix.io.readtxt` and ``writetxt``.

Reading: when ``pyarrow`` is installed (the optional extra ``fast``), its
multithreaded CSV reader splits the file into fields, batch by batch; the fields
are then converted by exactly the rules of the column type (plain numerals are
parsed by pyarrow, which rounds them as Python's ``float`` does; everything else
goes through :mod:`datamatrix._table.bulk`), so the DataMatrix is the same as
the csv module's. Files that the two parsers could read differently (rows of
unequal length, NUL bytes, bare CR line ends, quotes together with CR LF line
ends, invalid UTF-8, other dialects, ...) are left to the csv module:
:func:`readtxt` returns None for them.

Writing: :func:`lines` writes a chunk of rows at once: :func:`text_fields` gives
the text forms of a column chunk (numpy decides which floats are integral), and
one pass over the joined chunk tells whether any field needs quotes.
"""
from __future__ import annotations

import csv
import math
import os

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


def readtxt(path: str, delimiter: str, quotechar: str, col_type: type):
    """The DataMatrix of a CSV file read by pyarrow, or None for the standard path.

    Never raises for a bad file: such files are left to the standard-library
    path, which reports them.
    """
    pa = _pyarrow_csv()
    if pa is None or delimiter not in _SAFE_DELIMITERS or quotechar not in _SAFE_QUOTES:
        return None
    with progress(os.path.getsize(path), f'readtxt {os.path.basename(path)}') as bar:
        dm = _read(pa, path, delimiter, quotechar, col_type)
        if dm is not None:
            bar.update(os.path.getsize(path))
    return dm


_SCAN_BLOCK = 1 << 20
_PARSE_BLOCK = 1 << 20
"""Bytes read at a time when scanning the file, and per batch of pyarrow's reader."""


def _scan(path: str, quotechar: str) -> tuple[bool, bytes] | None:
    """``(has quotes, first line)`` of a file that pyarrow reads as the csv module
    does, or None (an empty file, NUL bytes, bare CR line ends, quotes together with
    CR LF line ends, two byte-order marks); read block by block, so that the file
    never is in memory at once."""
    quote = quotechar.encode()
    quoted = crlf = False
    blank = True
    first = b''
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
            if blank and block.strip(b'\r\n'):
                blank = False
                first = block.lstrip(b'\r\n').split(b'\n', 1)[0]
            block = fh.read(_SCAN_BLOCK)
    if blank or quoted and crlf:  # pyarrow may drop the LF of a quoted CR LF that
        return None                # ends one of its blocks
    return quoted, first


def _read(pa, path: str, delimiter: str, quotechar: str, col_type: type):
    scanned = _scan(path, quotechar)
    if scanned is None:
        return None
    quoted, first = scanned
    keys = [f'f{i}' for i in range(first.count(delimiter.encode()) + 1)]  # at most
    pool = pa.system_memory_pool()  # freed memory goes back to the system
    try:
        reader = pa.csv.open_csv(
            path,
            read_options=pa.csv.ReadOptions(autogenerate_column_names=True,
                                            encoding='utf8', block_size=_PARSE_BLOCK),
            parse_options=pa.csv.ParseOptions(delimiter=delimiter,
                                              quote_char=quotechar if quoted else False,
                                              double_quote=quoted, escape_char=False,
                                              newlines_in_values=quoted,
                                              ignore_empty_lines=True),
            convert_options=pa.csv.ConvertOptions(
                column_types={key: pa.string() for key in keys},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                check_utf8=True),
            memory_pool=pool)
        if any(not pa.types.is_string(field.type) for field in reader.schema):
            return None  # a column beyond the first line's fields (a quoted line break)
        return _convert_batches(pa, reader, col_type)
    except (pa.ArrowException, ValueError):
        return None  # e.g. rows of other lengths, invalid UTF-8


def _convert_batches(pa, reader, col_type: type):
    """The DataMatrix of the batches of ``reader``; MixedColumns converted batch by
    batch (the conversion rule is per value, so the result is the same)."""
    header = None
    parts: list[list] = []
    limit = csv.field_size_limit()
    for batch in reader:
        if not batch.num_rows:
            continue
        if any((pa.compute.max(pa.compute.utf8_length(column)).as_py() or 0) >= limit
               for column in batch.columns):
            return None  # the csv module's limit on the length of a field decides
        if header is None:
            header = [column[0].as_py() for column in batch.columns]
            parts = [[] for _ in header]
            batch = batch.slice(1)
        for index, column in enumerate(batch.columns):
            if col_type is MixedColumn:
                parts[index].extend(_mixed_column(pa, column))
            else:
                parts[index].append(column)
    if header is None:
        return None
    names = unique_names(header)
    dm = DataMatrix(length=len(parts[0]) if col_type is MixedColumn else
                    sum(len(piece) for piece in parts[0]), default_col_type=col_type)
    parts.reverse()
    for name in names:
        part = parts.pop()
        if col_type is MixedColumn:
            dm[name] = MixedColumn._from_data(dm, part)
            continue
        column = pa.chunked_array(part, type=pa.string()).combine_chunks()
        del part
        numbers = _numerals(pa, column) if col_type is FloatColumn else None
        if numbers is not None:  # + 0.0: '-0' is the int 0 first, so 0.0
            dm[name] = FloatColumn._from_data(dm, numbers + 0.0)
        else:
            dm[name] = column.to_pylist()
    return dm


_NUMERAL_BYTES = np.zeros(256, dtype=bool)
_NUMERAL_BYTES[np.frombuffer(b'0123456789+-.eE', dtype=np.uint8)] = True
"""The characters of plain decimal numerals. Of the strings made of them, pyarrow's
cast to float64 accepts only numerals that Python's ``float`` accepts too, with the
same (correctly rounded) value (checked exhaustively up to 5 characters); other
numeric text (``'nan'``, ``' 1'``, ``'1_000'``, ...) is left to the conversion rules."""


def _numerals(pa, column):
    """The float64 values of a string array of plain numerals only, else None."""
    if not len(column) or column.null_count or column.buffers()[2] is None:
        return None
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32,
                            count=len(column) + 1, offset=4 * column.offset)
    text = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    if not _NUMERAL_BYTES[text].all():
        return None
    try:
        numbers = pa.compute.cast(column, pa.float64())
    except pa.ArrowException:  # e.g. '1-2', '', '+5': the conversion rules decide
        return None
    if numbers.null_count:
        return None
    return numbers.to_numpy(zero_copy_only=False)


def _mixed_column(pa, column) -> list:
    """MixedColumn storage of a pyarrow string array: numerals parsed in C, other
    columns converted once per distinct string (pyarrow finds them)."""
    numbers = _numerals(pa, column)
    if numbers is not None:
        return _bulk.mixed_from_floats(numbers)
    encoded = column.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return _bulk.mixed_from_codes(encoded.dictionary.to_pylist(), codes)


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


__all__ = ['readtxt', 'text_fields', 'lines']
