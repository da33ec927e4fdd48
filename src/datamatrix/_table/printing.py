"""Text and HTML renderings of a DataMatrix (SPEC 2.12).

Only the cells that are shown are read, so printing never loads an offloaded
column as a whole.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np

MAX_TEXT_ROWS = 20
MAX_TEXT_COLUMNS = 6
MAX_HTML_ROWS = 100
MAX_HTML_COLUMNS = 20


def cell_text(value: Any) -> str:
    """How one cell appears in a text table."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, threshold=4, edgeitems=2):
            return str(value)
    if type(value) in (int, float, np.float64) and value > 999999:
        return '%E' % value
    return str(value)


def _shown_cell(col, position: int) -> Any:
    """The value of one cell for display, read without counting as a use.

    Multidimensional cells are copied straight from the store (a mapped file
    stays mapped: displaying never loads or reorders columns); IntColumn cells
    stay numpy ints, so they are never shown with ``%E`` (reference quirk).
    """
    from datamatrix._table.columns import IntColumn
    from datamatrix._table.multidim import _MultiDimensionalColumn
    from datamatrix._engine.storage import release_pages
    if isinstance(col, _MultiDimensionalColumn):
        array = col._store.array
        cell = np.array(array[position])
        release_pages(array[position:position + 1])
        return cell
    if isinstance(col, IntColumn):
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
    return html.escape(str(value))


def table_html(dm) -> str:
    """An HTML table of at most 100 rows and 20 columns, for Jupyter."""
    from datamatrix._table.multidim import _MultiDimensionalColumn
    n = len(dm)
    columns = dm.columns
    notes = ''
    if n > MAX_HTML_ROWS:
        notes += f'Showing {MAX_HTML_ROWS} of {n} rows <br />'
    if len(columns) > MAX_HTML_COLUMNS:
        notes += f'Showing {MAX_HTML_COLUMNS} of {len(columns)} columns <br />'
    columns = columns[:MAX_HTML_COLUMNS]
    header = ''.join(
        f'<th>{html.escape(name)}({col.depth})</th>'
        if isinstance(col, _MultiDimensionalColumn) and len(col.shape) == 2
        else f'<th>{html.escape(name)}</th>' for name, col in columns)
    body = []
    for position in range(min(n, MAX_HTML_ROWS)):
        cells = ''.join(f'<td>{_html_cell(_shown_cell(col, position))}</td>'
                        for _, col in columns)
        body.append(f'<tr><td>{int(dm._rowid[position])}</td>{cells}</tr>')
    return f'{notes}<table><tr><th>#</th>{header}</tr>{"".join(body)}</table>'
