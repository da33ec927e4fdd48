"""Text and HTML renderings of a DataMatrix.

Only the cells that are shown are read, so printing never loads an offloaded
column as a whole.
"""
from __future__ import annotations

import html
import re
from typing import Any

import numpy as np

MAX_TEXT_ROWS = 20
MAX_TEXT_COLUMNS = 6
MAX_HTML_ROWS = 60
"""Longer tables show only their first and last rows in HTML (as pandas)."""
HTML_EDGE_ROWS = 5
MAX_HTML_COLUMNS = 20


def cell_text(value: Any) -> str:
    """How one cell appears in a text table."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, threshold=4, edgeitems=2):
            return str(value)
    if type(value) in (int, float, np.float64) and value > 999999:
        return '%E' % value
    return str(value)


# Columns are told apart by what they hold, not by class: the column modules show
# themselves through this one (``_repr_html_``), so it must not import them.

def _is_md(col) -> bool:
    """Whether ``col`` is a multidimensional column (it owns an array store)."""
    return hasattr(col, '_store')


def _seq_kind(col) -> str:
    """``'f'`` for a FloatColumn, ``'i'`` for an IntColumn, else ``''``."""
    if _is_md(col):
        return ''
    seq = getattr(col, '_seq', None)
    return seq.dtype.kind if isinstance(seq, np.ndarray) else ''


def _shown_cell(col, position: int) -> Any:
    """The value of one cell for display, read without counting as a use.

    Multidimensional cells are copied straight from the store (a mapped file
    stays mapped: displaying never loads or reorders columns); IntColumn cells
    stay numpy ints, so they are never shown with ``%E`` (reference quirk).
    """
    from datamatrix._engine.storage import release_pages
    if _is_md(col):
        array = col._store.array
        cell = np.array(array[position])
        release_pages(array[position:position + 1])
        return cell
    if _seq_kind(col) == 'i':  # an IntColumn
        return col._seq[position]
    if hasattr(col, '_shown_cell'):  # a type with its own short form (NiftiColumn)
        return col._shown_cell(position)
    return col[position]


def table_text(dm) -> str:
    """The prettytable form of ``dm``, abbreviated to 20 rows and 6 columns."""
    from prettytable import PrettyTable
    n = len(dm)
    columns = dm.columns
    shown = columns[:MAX_TEXT_COLUMNS]
    table = PrettyTable(['#'] + [name for name, _ in shown])
    for position in range(min(n, MAX_TEXT_ROWS)):
        table.add_row([int(dm._rowid[position])] +
                      [cell_text(_shown_cell(col, position)) for _, col in shown])
    text = str(table)
    if len(columns) > MAX_TEXT_COLUMNS:
        text += f'\n(+ {len(columns) - MAX_TEXT_COLUMNS} columns not shown)'
    if n > MAX_TEXT_ROWS:
        text += f'\n(+ {n - MAX_TEXT_ROWS} rows not shown)'
    return text


def _html_cell(value: Any) -> str:
    if isinstance(value, np.ndarray):
        flat = value.ravel()
        if flat.size > 4:
            parts = [f'{v:.4g}' for v in flat[:2]] + ['…'] + \
                [f'{v:.4g}' for v in flat[-2:]]
        else:
            parts = [f'{v:.4g}' for v in flat]
        return ' '.join(parts)
    if isinstance(value, (float, np.floating)):
        return format_floats([value])[0]
    return html.escape(str(value))


_DECIMAL_NUMBER = re.compile(r'^[+-]?[0-9]+\.[0-9]*$')


def _trim_zeros(texts: list[str]) -> list[str]:
    """Drop trailing zeros that every fixed-point number has, keeping one decimal."""
    def numbers(values: list[str]) -> list[str]:
        return [text for text in values if _DECIMAL_NUMBER.match(text)]
    while numbers(texts) and all(text.endswith('0') for text in numbers(texts)):
        texts = [text[:-1] if _DECIMAL_NUMBER.match(text) else text for text in texts]
    return [text + '0' if _DECIMAL_NUMBER.match(text) and text.endswith('.') else text
            for text in texts]


def format_floats(values: Any, digits: int = 6) -> list[str]:
    """Format the floats of one column together, as pandas shows a float column.

    Every value gets ``digits`` decimals, then the trailing zeros that all of them
    share are dropped (keeping one); the whole column is written in scientific
    notation instead if a non-zero value would round to zero, or if a value above
    a million makes the numbers longer than ``digits + 6`` characters. NaN is
    ``'NaN'``.

    Examples
    --------
    >>> format_floats([1.5, 2.25, 3.0])
    ['1.50', '2.25', '3.00']
    >>> format_floats([1e-7, 1.0, float('nan')])
    ['1.000000e-07', '1.000000e+00', 'NaN']
    """
    values = np.asarray(values, dtype=np.float64).ravel()

    def render(kind: str) -> list[str]:
        texts = ['NaN' if np.isnan(v) else format(v, f'.{digits}{kind}') for v in values]
        return _trim_zeros(texts) if kind == 'f' else texts

    texts = render('f')
    absolute = np.abs(values[~np.isnan(values)])
    too_long = bool(texts) and max(len(text) for text in texts) > digits + 6
    large = bool((absolute > 1e6).any())
    small = bool(((absolute < 10.0 ** -digits) & (absolute > 0)).any())
    return render('e') if small or (too_long and large) else texts


def _html_column(col, positions: list[int]) -> list[str]:
    """The HTML text of the shown cells of one column."""
    if _seq_kind(col) == 'f':  # a FloatColumn
        return format_floats([_shown_cell(col, p) for p in positions])
    return [_html_cell(_shown_cell(col, p)) for p in positions]


def _html_header(name: str, col) -> str:
    """A column header: the name, and for MD columns the cell shape (and 'offloaded')."""
    if not _is_md(col):
        return f'<th>{html.escape(name)}</th>'
    dims = col._dims
    shape = ' × '.join(str(len(d) if isinstance(d, tuple) else d) for d in dims)
    named = [', '.join(map(str, d)) for d in dims if isinstance(d, tuple)]
    title = f' title="{html.escape("; ".join(named))}"' if named else ''
    state = '' if col.loaded else ' · offloaded'
    return (f'<th>{html.escape(name)}<br /><small{title}>{shape}{state}</small>'
            f'</th>')


def _shown_positions(n: int) -> tuple[list[int], list[int]]:
    """The rows shown in HTML: all, or the first and last ``HTML_EDGE_ROWS``."""
    if n > MAX_HTML_ROWS:
        return list(range(HTML_EDGE_ROWS)), list(range(n - HTML_EDGE_ROWS, n))
    return list(range(n)), []


def _html_rows(rowid, head: list[int], tail: list[int], texts: list[list[str]]) -> str:
    """The body rows: row number and cells, with a ``… N rows …`` line between."""
    body = []
    positions = head + tail
    for index, position in enumerate(positions):
        if tail and position == tail[0]:
            hidden = len(rowid) - len(positions)
            body.append(f'<tr><td colspan="{len(texts) + 1}" '
                        f'style="text-align: center">… {hidden} rows …</td></tr>')
        cells = ''.join(f'<td>{column[index]}</td>' for column in texts)
        body.append(f'<tr><td>{int(rowid[position])}</td>{cells}</tr>')
    return ''.join(body)


def column_html(col) -> str:
    """One column as an HTML table, shown like a column of :func:`table_html`.

    Only the shown cells are read: displaying a column neither loads it nor counts
    as a use.
    """
    name = col.name if isinstance(col.name, str) else \
        ', '.join(col.name) if col.name else ''
    head, tail = _shown_positions(len(col))
    texts = [_html_column(col, head + tail)]
    footer = f'<p>{len(col)} rows</p>' if tail else ''
    return (f'<table><tr><th>#</th>{_html_header(name, col)}</tr>'
            f'{_html_rows(col._rowid, head, tail, texts)}</table>{footer}')


def table_html(dm) -> str:
    """An HTML table for Jupyter: the first and last rows, at most 20 columns.

    Tables of up to ``MAX_HTML_ROWS`` rows are shown whole; longer ones show their
    first and last ``HTML_EDGE_ROWS`` rows around a ``… N rows …`` line, and end
    with the size of the table, as pandas does. MD column headers show the cell
    shape (with the index names as a tooltip) and whether the column is offloaded.
    """
    n = len(dm)
    columns = dm.columns
    notes = ''
    if len(columns) > MAX_HTML_COLUMNS:
        notes += f'Showing {MAX_HTML_COLUMNS} of {len(columns)} columns <br />'
    shown_columns = columns[:MAX_HTML_COLUMNS]
    head, tail = _shown_positions(n)
    texts = [_html_column(col, head + tail) for _, col in shown_columns]
    header = ''.join(_html_header(name, col) for name, col in shown_columns)
    body = _html_rows(dm._rowid, head, tail, texts)
    footer = f'<p>{n} rows × {len(columns)} columns</p>' \
        if tail or len(columns) > MAX_HTML_COLUMNS else ''
    return (f'{notes}<table><tr><th>#</th>{header}</tr>{body}</table>'
            f'{footer}')
