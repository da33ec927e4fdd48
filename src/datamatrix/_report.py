"""The memory report: which multidimensional columns exist and where they live.

:func:`memory_report` (exported as ``datamatrix.memory_report``) takes a
snapshot of the memory manager's stores and matches each to the live columns
that hold it. It is a diagnostic: it scans every object known to the garbage
collector, so it is meant to be called by hand, not in a loop.
"""
from __future__ import annotations

import gc
import html
import sys
from typing import Any, NamedTuple

from datamatrix._engine.config import cfg
from datamatrix._engine.memory import manager

UNNAMED = '(not in a DataMatrix)'
NO_COLUMN = '(intermediate result)'


class ReportEntry(NamedTuple):
    """One array store in a :class:`MemoryReport`."""

    name: str
    """The column name(s) holding the data in DataMatrix objects (``', '``-joined)."""
    kind: str
    """``'series'`` or ``'multidimensional'`` (``''`` for an intermediate result)."""
    shape: tuple
    """Rows and cell shape."""
    dtype: str
    """``'float64'`` or ``'float32'``."""
    nbytes: int
    """Size of the data in bytes."""
    state: str
    """``'loaded'``, ``'loaded (pinned)'``, ``'offloaded'`` (spill file) or
    ``'mapped file'`` (a saved file opened lazily)."""
    datamatrix: str = ''
    """The DataMatrix objects whose columns hold the data (``', '``-joined): the
    global variable names that refer to them (in the module that called
    ``memory_report`` or in ``__main__``, e.g. a notebook), else
    ``'DataMatrix 0x…'`` as in their ``repr``."""


def format_bytes(nbytes: float) -> str:
    """A byte count in binary units, e.g. ``'1.5 MiB'``.

    Examples
    --------
    >>> format_bytes(512), format_bytes(1536), format_bytes(3 * 2 ** 30)
    ('512 B', '1.5 KiB', '3.0 GiB')
    """
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if abs(nbytes) < 1024 or unit == 'TiB':
            return f'{int(nbytes)} B' if unit == 'B' else f'{nbytes:.1f} {unit}'
        nbytes /= 1024
    raise AssertionError  # pragma: no cover


class MemoryReport:
    """A snapshot of the multidimensional data in memory and on disk.

    ``str(report)`` (and ``repr``) is a plain-text table, ``_repr_html_`` an
    HTML table that Jupyter shows.

    Attributes
    ----------
    entries : list of ReportEntry
        One entry per array store (usually one per column; columns sharing data,
        e.g. aliases, are listed once with all their names), most recently used
        first, so the bottom entries are the first to be offloaded.
    memory_limit : int
        The budget, ``cfg.memory_limit``, in bytes.
    resident : int
        Bytes of all loaded stores (``manager.resident``), pinned ones included.
    pinned : int
        Bytes of loaded stores smaller than ``cfg.always_load_max_size``, which
        are always loaded and not counted against the budget.
    warnings : list of str
        Why the budget may not limit memory use: pinned columns (smaller than
        ``cfg.always_load_max_size``) that together exceed the budget, or a budget
        below that size, under which such columns are never offloaded.
    """

    def __init__(self, entries: list[ReportEntry], memory_limit: int, resident: int,
                 pinned: int, always_load_max_size: int | None = None) -> None:
        self.entries = entries
        self.memory_limit = memory_limit
        self.resident = resident
        self.pinned = pinned
        self.warnings = _budget_warnings(entries, memory_limit, pinned,
                                         always_load_max_size)

    _HEADER = ('column', 'datamatrix', 'kind', 'shape', 'dtype', 'size', 'state')

    def _cells(self, entry: ReportEntry) -> tuple[str, ...]:
        return (entry.name, entry.datamatrix, entry.kind,
                ' x '.join(str(s) for s in entry.shape),
                entry.dtype, format_bytes(entry.nbytes), entry.state)

    def summary(self) -> str:
        """One line: resident bytes, the budget and how many stores are listed."""
        budgeted = self.resident - self.pinned
        share = 100 * budgeted / self.memory_limit if self.memory_limit else 0.0
        text = (f'{len(self.entries)} multidimensional arrays; resident '
                f'{format_bytes(self.resident)}')
        if self.pinned:
            text += f' (of which {format_bytes(self.pinned)} pinned, outside the budget)'
        return text + f'; budget {format_bytes(self.memory_limit)} ({share:.0f} % used)'

    def __str__(self) -> str:
        from prettytable import PrettyTable
        table = PrettyTable(list(self._HEADER))
        table.align = 'l'
        table.align['size'] = 'r'
        for entry in self.entries:
            table.add_row(list(self._cells(entry)))
        notes = ''.join(f'Warning: {text}\n' for text in self.warnings)
        return f'{table}\n{notes}{self.summary()}'

    __repr__ = __str__

    def _repr_html_(self) -> str:
        header = ''.join(f'<th>{name}</th>' for name in self._HEADER)
        rows = ''.join('<tr>' + ''.join(f'<td>{html.escape(cell)}</td>'
                                        for cell in self._cells(entry)) + '</tr>'
                       for entry in self.entries)
        notes = ''.join(f'<p><strong>Warning:</strong> {html.escape(text)}</p>'
                        for text in self.warnings)
        return (f'<table><tr>{header}</tr>{rows}</table>'
                f'{notes}<p>{html.escape(self.summary())}</p>')


def _budget_warnings(entries: list[ReportEntry], memory_limit: int, pinned: int,
                     always_load_max_size: int | None) -> list[str]:
    """Why the budget cannot bite, if it cannot (see :class:`MemoryReport`)."""
    if always_load_max_size is None or not pinned:
        return []
    threshold = format_bytes(always_load_max_size)
    hint = (f'lower cfg.always_load_max_size (now {threshold}) to let the budget '
            f'offload them')
    if pinned > memory_limit:
        return [f'{format_bytes(pinned)} are in columns smaller than '
                f'cfg.always_load_max_size, which are always loaded and not counted: '
                f'more than the budget of {format_bytes(memory_limit)}; {hint}']
    if always_load_max_size > memory_limit:
        count = sum(entry.state == 'loaded (pinned)' for entry in entries)
        return [f'the budget ({format_bytes(memory_limit)}) is smaller than '
                f'cfg.always_load_max_size: columns below {threshold} ({count} now) are '
                f'always loaded and never offloaded, whatever the budget; {hint}']
    return []


def _names(columns: list) -> str:
    names: list[str] = []
    for col in columns:
        try:
            name = col.name
        except AttributeError:  # an unbound intermediate column
            name = None
        for item in ([] if name is None else [name] if isinstance(name, str) else name):
            if item not in names:
                names.append(item)
    return ', '.join(names) if names else UNNAMED if columns else NO_COLUMN


def _datamatrix_labels(frame: Any) -> dict[int, str]:
    """``id(dm)`` -> the global variable names bound to it (``frame``'s, ``__main__``).

    Names starting with ``_`` are skipped (IPython's output history ``_``, ``_12``).
    Local variables of functions are not read: ``frame.f_locals`` would keep a
    snapshot of them alive, and with it columns deleted afterwards.
    """
    from datamatrix._table.datamatrix import DataMatrix
    namespaces = []
    if frame is not None:
        namespaces.append(frame.f_globals)
    main = sys.modules.get('__main__')
    if main is not None:
        namespaces.append(vars(main))
    labels: dict[int, list[str]] = {}
    for namespace in namespaces:
        for name, value in list(namespace.items()):
            if isinstance(value, DataMatrix) and not name.startswith('_'):
                names = labels.setdefault(id(value), [])
                if name not in names:
                    names.append(name)
    return {key: ' = '.join(names) for key, names in labels.items()}


def _owners(columns: list, tables: dict[int, list], labels: dict[int, str]) -> str:
    """The DataMatrix objects that hold any of ``columns`` (``tables``: by column id)."""
    owners: list[str] = []
    for col in columns:
        for dm in tables.get(id(col), []):  # also shallow copies sharing the column
            label = labels.get(id(dm), f'DataMatrix 0x{id(dm):x}')
            if label not in owners:
                owners.append(label)
    return ', '.join(owners)


def memory_report() -> MemoryReport:
    """Report every live multidimensional column, its size and where it lives.

    Returns
    -------
    MemoryReport
        A snapshot: one entry per array store known to the memory manager
        (most recently used first) with the DataMatrix column name(s) of the
        columns holding it and the DataMatrix objects they belong to (by
        global variable name; a store shared by several columns, e.g. an alias, is
        listed once) (``'(not in a DataMatrix)'`` for a column no
        DataMatrix holds, e.g. ``dm.s * 2`` before it is assigned;
        ``'(intermediate result)'`` for data no column holds any more but that
        is still alive), kind, shape, dtype, size and state (loaded, pinned,
        offloaded to a spill file, or mapped from a saved file), plus the budget
        (``cfg.memory_limit``) and the resident total, and a warning when the
        budget cannot bite because columns are smaller than
        ``cfg.always_load_max_size`` (always loaded, never offloaded).
        ``print(report)`` shows a text table; in Jupyter the report renders as an
        HTML table.

    Examples
    --------
    >>> import datamatrix as dmx
    >>> dm = dmx.DataMatrix(length=2)
    >>> dm.pupil = dmx.SeriesColumn(depth=1000)
    >>> print(dmx.memory_report())  # doctest: +SKIP
    +--------+--------+----------+---------+---------+-----------------+
    | column | kind   | shape    | dtype   |    size | state           |
    +--------+--------+----------+---------+---------+-----------------+
    | pupil  | series | 2 x 1000 | float64 | 15.6 KiB| loaded (pinned) |
    +--------+--------+----------+---------+---------+-----------------+
    1 multidimensional arrays; resident 15.6 KiB (...); budget 8.0 GiB (0 % used)
    """
    from datamatrix._table.datamatrix import DataMatrix
    from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
    gc.collect()  # deleted DataMatrix objects are reference cycles: not live columns
    labels = _datamatrix_labels(sys._getframe(1))
    stores = manager.stores()
    holders: dict[int, list] = {id(store): [] for store in stores}
    tables: dict[int, list] = {}  # id(column) -> the DataMatrix objects holding it
    for obj in gc.get_objects():
        if isinstance(obj, _MultiDimensionalColumn):
            store = obj.__dict__.get('_store')
            if store is not None and id(store) in holders:
                holders[id(store)].append(obj)
        elif isinstance(obj, DataMatrix):
            for col in getattr(obj, '_cols', {}).values():  # {}: one being built
                if isinstance(col, _MultiDimensionalColumn):
                    owners = tables.setdefault(id(col), [])
                    if not any(dm is obj for dm in owners):
                        owners.append(obj)
    pinned_below = cfg.always_load_max_size
    entries = []
    pinned = 0
    for store in reversed(stores):
        columns = holders[id(store)]
        loaded = store.loaded
        if loaded and store.nbytes < pinned_below:
            state = 'loaded (pinned)'
            pinned += store.nbytes
        elif loaded:
            state = 'loaded'
        else:
            state = 'mapped file' if store.readonly_source else 'offloaded'
        kind = '' if not columns else 'series' if \
            isinstance(columns[0], _SeriesColumn) else 'multidimensional'
        entries.append(ReportEntry(_names(columns), kind, tuple(store.shape),
                                   str(store.dtype), int(store.nbytes), state,
                                   _owners(columns, tables, labels)))
    return MemoryReport(entries, cfg.memory_limit, manager.resident, pinned,
                        pinned_below)


__all__ = ['memory_report', 'MemoryReport', 'ReportEntry']


def _cfg_memory_report(self) -> MemoryReport:
    """Every live multidimensional column, its size and state, and the budget.

    The same as :func:`datamatrix.memory_report`: prints as a text table and
    shows as an HTML table in Jupyter.
    """
    return memory_report()  # the caller's variables are found in __main__


# bound from above: the engine's settings object does not know about columns
type(cfg).memory_report = property(_cfg_memory_report)
