"""CSV files: :func:`readtxt` and :func:`writetxt`."""
from __future__ import annotations

import codecs
import csv
import io
import os
import warnings
from typing import Any

from datamatrix._table import bulk as _bulk
from datamatrix._table.columns import FloatColumn, IntColumn, MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import text_form
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix._engine.progress import progress
import datamatrix.io._txt_fast as _txt_fast
from datamatrix.io._files import atomic_target, column_class, unique_names

_ROWS_PER_UPDATE = 10000


def _check_dialect(delimiter: Any, quotechar: Any) -> None:
    for what, value in (('delimiter', delimiter), ('quotechar', quotechar)):
        if not isinstance(value, str) or len(value) != 1:
            raise TypeError(f'{what} must be a 1-character string, not {value!r}')
    if delimiter == quotechar or delimiter in '\r\n' or quotechar in '\r\n':
        raise ValueError(f'invalid CSV dialect: delimiter {delimiter!r}, quotechar '
                         f'{quotechar!r}')


def readtxt(path: str | os.PathLike, delimiter: str | None = ',', quotechar: str = '"',
            default_col_type: Any = MixedColumn,
            encoding: str = 'utf-8') -> DataMatrix:
    """Read a CSV file into a new DataMatrix.

    The file is read as UTF-8 (a byte-order mark is removed), or in the given
    ``encoding``, with LF, CRLF or bare CR line ends. The first row holds the column names; later duplicates
    are renamed ``name_2``, ``name_3``, … with a warning. Every cell is a string
    that the column type converts (for the default MixedColumn ``'1'`` becomes
    1, ``'2.5'`` 2.5, ``'nan'`` NaN and ``''`` stays ``''``).

    Completely blank lines are skipped. A row with fewer fields than there are
    names gets ``''`` in the missing cells (warning ``Some rows miss column
    <name>``); a row with more fields than names is an error naming its line.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    delimiter : str or None
        The field separator (one character); ``None`` guesses it from the start
        of the file (``csv.Sniffer``, among ``,``, ``;``, tab, ``|`` and space).
    quotechar : str
        The quote character (one character); doubled inside a quoted field it
        stands for itself.
    default_col_type : type
        ``MixedColumn`` (default), ``FloatColumn``, ``IntColumn``, ``float`` or
        ``int``: the type of every column.
    encoding : str
        The text encoding of the file (default UTF-8), e.g. ``'latin-1'`` or
        ``'utf-16'``.

    Returns
    -------
    DataMatrix
        A header-only file gives columns without rows; an empty file an empty
        DataMatrix.

    Raises
    ------
    UnicodeDecodeError
        If the file is not valid in ``encoding``.
    LookupError
        If ``encoding`` is not a known encoding.
    ValueError
        If a row has more fields than the header (the message names the line),
        or if ``delimiter=None`` and no delimiter can be guessed.

    Examples
    --------
    >>> from datamatrix import io
    >>> with open('trials.csv', 'w') as fh:
    ...     _ = fh.write('rt,condition\\n500,a\\n620,b\\n,a\\n')
    ...
    >>> dm = io.readtxt('trials.csv')
    >>> print(dm)
    +---+-----------+-----+
    | # | condition |  rt |
    +---+-----------+-----+
    | 0 |     a     | 500 |
    | 1 |     b     | 620 |
    | 2 |     a     |     |
    +---+-----------+-----+
    >>> dm.rt.mean
    560.0
    """
    path = os.fspath(path)
    encoding = _check_encoding(encoding)
    if delimiter is None:
        delimiter = _sniff_delimiter(path, encoding, quotechar)
    _check_dialect(delimiter, quotechar)
    col_type = column_class(default_col_type)
    if encoding == 'utf-8-sig':  # the fast path reads UTF-8 only
        fast = _txt_fast.readtxt(path, delimiter, quotechar, col_type)
        if fast is not None:
            return fast
    with open(path, 'rb') as raw, \
            progress(os.path.getsize(path), f'readtxt {os.path.basename(path)}') as bar:
        text = io.TextIOWrapper(raw, encoding=encoding, newline='')
        rows = csv.reader(text, delimiter=delimiter, quotechar=quotechar,
                          doublequote=True, strict=False)
        try:
            names = _first_row(rows)
            if names is None:
                return DataMatrix(default_col_type=col_type)
            columns: list[list[str]] = [[] for _ in names]
            mixed = col_type is MixedColumn
            chunked = col_type in (MixedColumn, FloatColumn, IntColumn)
            capacity = _line_ends(path) + 1 if mixed else 0  # at least the rows
            # converted: MixedColumn values, or pieces of a FloatColumn or IntColumn
            values = [[None] * capacity if mixed else [] for _ in names]
            n_rows = 0
            short: set[int] = set()
            done = 0
            line = rows.line_num + 1
            for count, row in enumerate(rows, start=1):
                if not row:
                    line = rows.line_num + 1
                    continue
                if len(row) > len(names):
                    raise _too_many_fields(path, line, row, names)
                line = rows.line_num + 1
                if len(row) < len(names):
                    short.update(range(len(row), len(names)))
                    row = row + [''] * (len(names) - len(row))
                for cells, cell in zip(columns, row):
                    cells.append(cell)
                n_rows += 1
                if chunked and len(columns[0]) == _ROWS_PER_CHUNK:
                    _convert_chunk(columns, values, n_rows - _ROWS_PER_CHUNK, col_type)
                if count % _ROWS_PER_UPDATE == 0:
                    bar.update(raw.tell() - done)
                    done = raw.tell()
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(exc.encoding, exc.object, exc.start, exc.end,
                                     f'{exc.reason} (the file {path!r} is not valid '
                                     f'{encoding.replace("utf-8-sig", "UTF-8")}; '
                                     f'pass its encoding, e.g. encoding="latin-1")'
                                     ) from None
        bar.update(os.path.getsize(path) - done)
    names = unique_names(names)
    for index in sorted(short):
        warnings.warn(f'Some rows miss column {names[index]}', UserWarning, stacklevel=2)
    dm = DataMatrix(length=n_rows, default_col_type=col_type)
    if not chunked:  # e.g. a subclass: the whole column of strings is assigned
        for name, cells in zip(names, columns):
            dm[name] = cells
        return dm
    # the conversion rules go value by value, so chunk by chunk, without all the
    _convert_chunk(columns, values, n_rows - len(columns[0]), col_type)  # strings
    values.reverse()
    for name in names:
        cells = values.pop()
        if mixed:
            del cells[n_rows:]
            dm[name] = MixedColumn._from_data(dm, cells)
        else:
            dm[name] = col_type._from_data(dm, _txt_fast.number_values(cells, col_type))
    return dm


_ROWS_PER_CHUNK = 16384
"""Rows read before their strings are converted."""


def _convert_chunk(columns: list[list[str]], values: list[list], start: int,
                   col_type: type) -> None:
    """Convert the strings of ``columns`` (rows from ``start`` on) and empty
    ``columns``.

    For MixedColumns, ``values`` holds a list per column, made at once for all rows
    (a list grown chunk by chunk would leave its outgrown copies behind as freed but
    resident memory), which gets the converted values. For FloatColumns and
    IntColumns, it holds a list of pieces per column: an array for a chunk of plain
    numbers (which convert without warnings or errors), else the strings themselves,
    converted at the end in row order (so that warnings and errors come column by
    column, row by row).
    """
    for index, (cells, column) in enumerate(zip(columns, values)):
        if not cells:
            continue
        if col_type is MixedColumn:
            column[start:start + len(cells)] = _bulk.mixed_from_strings(cells)
            cells.clear()
        else:
            column.append(_number_piece(cells, col_type))
            columns[index] = []


def _number_piece(cells: list[str], col_type: type):
    """The FloatColumn or IntColumn values of strings that all are numbers, else the
    strings."""
    parsed, ok = _bulk.parse_strings(cells)
    return _txt_fast.number_piece(cells, parsed if ok.all() else None, col_type)


def _line_ends(path: str) -> int:
    """The number of LF or of CR bytes in the file, whichever is larger: at least the
    number of line ends in any encoding that writes them as in ASCII."""
    lf = cr = 0
    with open(path, 'rb') as fh:
        for block in iter(lambda: fh.read(1 << 20), b''):
            lf += block.count(b'\n')
            cr += block.count(b'\r')
    return max(lf, cr)


def _first_row(rows) -> list[str] | None:
    """The column names: the first non-blank row, or None for an empty file."""
    for row in rows:
        if row:
            return row
    return None


def _check_encoding(encoding: Any) -> str:
    """The codec name to read with (UTF-8 as ``utf-8-sig``, removing a BOM)."""
    if not isinstance(encoding, str):
        raise TypeError(f'encoding must be a str such as "utf-8", not {encoding!r}')
    name = codecs.lookup(encoding).name  # LookupError names an unknown encoding
    return 'utf-8-sig' if name == 'utf-8' else name


_SNIFF_BYTES = 65536
_SNIFF_DELIMITERS = ',;\t| '


def _sniff_delimiter(path: str, encoding: str, quotechar: Any) -> str:
    """Guess the delimiter from the first lines of the file (``delimiter=None``)."""
    with open(path, 'rb') as fh:
        sample = fh.read(_SNIFF_BYTES)
    text = sample.decode(encoding, errors='ignore')
    if len(sample) == _SNIFF_BYTES and '\n' in text:
        text = text[:text.rindex('\n')]  # whole lines only
    if not text.strip():
        return ','
    try:
        dialect = csv.Sniffer().sniff(text, delimiters=_SNIFF_DELIMITERS)
    except csv.Error:
        first = text.splitlines()[0] if text.splitlines() else ''
        if not any(d in first for d in _SNIFF_DELIMITERS):
            return ','  # one column: any delimiter reads it
        raise ValueError(f'cannot guess the delimiter of {path!r}; pass it, e.g. '
                         f"delimiter=';'") from None
    return dialect.delimiter


def _too_many_fields(path: str, line: int, row: list, names: list) -> ValueError:
    return ValueError(f'{path!r}, line {line}: {len(row)} fields, but the header has '
                      f'{len(names)} column names; check the delimiter and quoting of '
                      f'that line')


def writetxt(dm: DataMatrix, path: str | os.PathLike, delimiter: str = ',',
             quotechar: str = '"') -> None:
    """Write a DataMatrix to a CSV file (UTF-8, ``\\n`` line ends).

    The header holds ``dm.column_names``; every cell is written in its text
    form (``1.0`` → ``1``, NaN → ``nan``, ``None`` → ``None``). Fields that
    contain the delimiter, the quote character or a line break are quoted.
    The file is written to a temporary file and renamed into place; missing
    folders are created.

    Parameters
    ----------
    dm : DataMatrix
        Only 1-D columns are allowed.
    path : str or os.PathLike
        The file to write.
    delimiter, quotechar : str
        One character each.

    Raises
    ------
    TypeError
        If ``dm`` has a multidimensional column.

    Notes
    -----
    A round trip through :func:`readtxt` restores numbers, NaN/INF and strings;
    ``None`` comes back as the string ``'None'``.

    Examples
    --------
    >>> from datamatrix import io, NAN
    >>> dm = DataMatrix(rt=[500, NAN], response=['left', 'a, b'])
    >>> io.writetxt(dm, 'trials.csv')
    >>> print(open('trials.csv').read())
    response,rt
    left,500
    "a, b",nan
    """
    if not isinstance(dm, DataMatrix):
        raise TypeError(f'writetxt needs a DataMatrix, not {type(dm).__name__}')
    _check_dialect(delimiter, quotechar)
    for name, column in dm.columns:
        if isinstance(column, _MultiDimensionalColumn):
            raise TypeError(f'only 2D DataMatrix objects can be written to a CSV file; '
                            f'column {name!r} is multidimensional')
    names = dm.column_names
    columns = [column for _, column in dm.columns]
    special = (delimiter, quotechar, '\n', '\r')
    doubled = quotechar * 2

    def field(value: Any) -> str:
        text = value if type(value) is str else text_form(value)
        if any(char in text for char in special):
            return quotechar + text.replace(quotechar, doubled) + quotechar
        return text

    def line(fields: list[str]) -> str:
        if fields == ['']:  # a lone empty field must not look like a blank line
            return doubled + '\n'
        return delimiter.join(fields) + '\n'

    n = len(dm)
    with atomic_target(path) as fh, \
            progress(n * len(columns) * 8, f'writetxt {os.path.basename(path)}') as bar:
        text = io.TextIOWrapper(fh, encoding='utf-8', newline='')
        if columns:
            text.write(line([field(name) for name in names]))
            for start in range(0, n, _ROWS_PER_UPDATE):
                stop = min(n, start + _ROWS_PER_UPDATE)
                if _txt_fast.USE_FAST_CSV:  # whole chunks at once, same text
                    text.write(_txt_fast.lines(columns, start, stop, delimiter, quotechar))
                    bar.update((stop - start) * len(columns) * 8)
                    continue
                cells = [[field(value) for value in _values(column, start, stop)]
                         for column in columns]
                text.write(''.join(line(list(row)) for row in zip(*cells)))
                bar.update((stop - start) * len(columns) * 8)
        text.flush()
        text.detach()


def _values(column, start: int, stop: int) -> list:
    """The cell values of rows ``start:stop`` as Python objects."""
    values = column._seq[start:stop]
    return values.tolist() if hasattr(values, 'tolist') else values
