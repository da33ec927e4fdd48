"""Excel files: :func:`readxlsx` and :func:`writexlsx`, with openpyxl."""
from __future__ import annotations

import math
import numbers
import os
import warnings
from typing import Any

from datamatrix._table.columns import MixedColumn
from datamatrix._table.datamatrix import DataMatrix
from datamatrix._table.keys import text_form
from datamatrix._table.multidim import _MultiDimensionalColumn
from datamatrix._engine.progress import progress
from datamatrix._optional import optional_import
from datamatrix.io._files import atomic_target, column_class, unique_names


def _openpyxl():
    return optional_import('openpyxl', 'reading and writing .xlsx files')


def _cell_value(value: Any) -> Any:
    """A spreadsheet value as something a column accepts (dates become text)."""
    if value is None or isinstance(value, (str, numbers.Real)):
        return value
    return str(value)


def readxlsx(path: str | os.PathLike, default_col_type: Any = MixedColumn,
             sheet: str | None = None) -> DataMatrix:
    """Read one sheet of an Excel workbook into a new DataMatrix.

    Row 1 holds the column names (numbers and other non-text names become
    their text form; duplicates are renamed ``name_2``, … with a warning);
    the other rows hold the data, converted by the column type. Empty cells get
    the column's default value (``''``, NaN or 0) with a warning. Dates and
    times become their text. Trailing header cells that are empty are ignored
    when their whole column is empty.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.xlsx`` file.
    default_col_type : type
        ``MixedColumn`` (default), ``FloatColumn``, ``IntColumn``, ``float`` or
        ``int``.
    sheet : str, optional
        The sheet to read; ``None`` reads the active sheet (the one selected
        when the workbook was saved, not necessarily the first).

    Returns
    -------
    DataMatrix

    Raises
    ------
    ValueError
        If a column with data has an empty name cell.
    KeyError
        If the workbook has no sheet named ``sheet``.
    ImportError
        If openpyxl is not installed.

    Examples
    --------
    >>> from datamatrix import io
    >>> io.writexlsx(DataMatrix(rt=[500, 600], condition=['a', 'b']), 'trials.xlsx')
    >>> print(io.readxlsx('trials.xlsx'))
    +---+-----------+-----+
    | # | condition |  rt |
    +---+-----------+-----+
    | 0 |     a     | 500 |
    | 1 |     b     | 600 |
    +---+-----------+-----+
    """
    openpyxl = _openpyxl()
    col_type = column_class(default_col_type)
    path = os.fspath(path)
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook.active if sheet is None else workbook[sheet]
        with progress(os.path.getsize(path), f'readxlsx {os.path.basename(path)}') \
                as bar:
            rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
            bar.update(os.path.getsize(path))
    finally:
        workbook.close()
    while rows and all(value is None for value in rows[0]):
        rows.pop(0)
    if not rows:
        return DataMatrix(default_col_type=col_type)
    header, data = rows[0], rows[1:]
    width = max(len(row) for row in rows)
    while width and (len(header) < width or header[width - 1] in (None, '')) and \
            all(len(row) < width or row[width - 1] is None for row in data):
        width -= 1
    header = header + [None] * (width - len(header))
    for index, name in enumerate(header[:width]):
        if name is None or name == '':
            utils = optional_import('openpyxl.utils', 'readxlsx')
            raise ValueError(f'{path!r}: the column name in cell '
                             f'{utils.get_column_letter(index + 1)}1 is empty')
    names = unique_names([text_form(name) for name in header[:width]])
    dm = DataMatrix(length=len(data), default_col_type=col_type)
    for index, name in enumerate(names):
        values = [_cell_value(row[index]) if index < len(row) else None for row in data]
        empty = sum(value is None for value in values)
        if empty:
            warnings.warn(f'column {name!r}: {empty} empty cell(s) get the default value '
                          f'{col_type.default_value!r}', UserWarning, stacklevel=2)
            values = [col_type.default_value if value is None else value
                      for value in values]
        dm[name] = values
    return dm


def _excel_value(value: Any) -> Any:
    """A cell value for openpyxl: NaN, ±INF, ``''`` and ``None`` become empty."""
    if value is None or value == '':
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, numbers.Integral):
        return int(value)
    return value


def writexlsx(dm: DataMatrix, path: str | os.PathLike) -> None:
    """Write a DataMatrix to an Excel workbook.

    The active sheet, ``Main sheet``, holds the 1-D columns (names in row 1,
    values from row 2, in ``dm.columns`` order); NaN, ±INF, ``''`` and
    ``None`` become empty cells. Each 2-D multidimensional column gets a sheet
    of its own, titled with its name: header cells ``T0000``, ``T0001``, … and
    one spreadsheet row per DataMatrix row (NaN samples left empty).

    Parameters
    ----------
    dm : DataMatrix
    path : str or os.PathLike
        The ``.xlsx`` file; written to a temporary file and renamed into place.

    Raises
    ------
    ValueError
        If a column has more than 2 dimensions (nothing is written).
    ImportError
        If openpyxl is not installed.

    Examples
    --------
    >>> from datamatrix import io, SeriesColumn
    >>> dm = DataMatrix(rt=[500, 600])
    >>> dm.pupil = SeriesColumn(depth=3)
    >>> dm.pupil = [[1, 2, 3], [4, 5, 6]]
    >>> io.writexlsx(dm, 'trials.xlsx')
    >>> import openpyxl
    >>> workbook = openpyxl.load_workbook('trials.xlsx')
    >>> workbook.sheetnames
    ['Main sheet', 'pupil']
    >>> [cell.value for cell in workbook['pupil'][1]]
    ['T0000', 'T0001', 'T0002']
    """
    if not isinstance(dm, DataMatrix):
        raise TypeError(f'writexlsx needs a DataMatrix, not {type(dm).__name__}')
    for name, column in dm.columns:
        if isinstance(column, _MultiDimensionalColumn) and len(column._dims) != 1:
            raise ValueError(f'column {name!r} has {len(column._dims) + 1} dimensions; '
                             f'only 2-D columns can be written to an Excel sheet')
    openpyxl = _openpyxl()
    workbook = openpyxl.Workbook(write_only=True)
    main = workbook.create_sheet('Main sheet')
    flat = [(name, column) for name, column in dm.columns
            if not isinstance(column, _MultiDimensionalColumn)]
    series = [(name, column) for name, column in dm.columns
              if isinstance(column, _MultiDimensionalColumn)]
    total = sum(column._store.nbytes for _, column in series)
    with progress(total, f'writexlsx {os.path.basename(path)}') as bar:
        if flat:
            main.append([name for name, _ in flat])
            for row in zip(*[list(column) for _, column in flat]):
                main.append([_excel_value(value) for value in row])
        for name, column in series:
            sheet = workbook.create_sheet(name)
            sheet.append([f'T{index:04d}' for index in range(column.depth)])
            from datamatrix._engine.stream import blocks_of
            for _, _, block in blocks_of(column._store.array):
                for trace in block.tolist():
                    sheet.append([_excel_value(value) for value in trace])
                bar.update(block.nbytes)
        with atomic_target(path) as fh:
            workbook.save(fh)
