"""The memory report: which multidimensional columns exist and where they live.

:func:`memory_report` (exported as ``datamatrix.memory_report``) takes a
snapshot of the memory manager's stores and matches each to the live columns
that hold it. It is a diagnostic: it scans every object known to the garbage
collector, so it is meant to be called by hand, not in a loop.
"""
from __future__ import annotations

import gc
import html
from typing import NamedTuple

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
    """

    def __init__(self, entries: list[ReportEntry], memory_limit: int, resident: int,
                 pinned: int) -> None:
        self.entries = entries
        self.memory_limit = memory_limit
        self.resident = resident
        self.pinned = pinned

    _HEADER = ('column', 'kind', 'shape', 'dtype', 'size', 'state')

    def _cells(self, entry: ReportEntry) -> tuple[str, ...]:
        return (entry.name, entry.kind, ' x '.join(str(s) for s in entry.shape),
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
        return f'{table}\n{self.summary()}'

    __repr__ = __str__

    def _repr_html_(self) -> str:
        header = ''.join(f'<th>{name}</th>' for name in self._HEADER)
        rows = ''.join('<tr>' + ''.join(f'<td>{html.escape(cell)}</td>'
                                        for cell in self._cells(entry)) + '</tr>'
                       for entry in self.entries)
        return (f'<table><tr>{header}</tr>{rows}</table>'
                f'<p>{html.escape(self.summary())}</p>')


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


def memory_report() -> MemoryReport:
    """Report every live multidimensional column, its size and where it lives.

    Returns
    -------
    MemoryReport
        A snapshot: one entry per array store known to the memory manager
        (most recently used first) with the DataMatrix column name(s) of the
        columns holding it (``'(not in a DataMatrix)'`` for a column no
        DataMatrix holds, e.g. ``dm.s * 2`` before it is assigned;
        ``'(intermediate result)'`` for data no column holds any more but that
        is still alive), kind, shape, dtype, size and state (loaded, pinned,
        offloaded to a spill file, or mapped from a saved file), plus the budget
        (``cfg.memory_limit``) and the resident total. ``print(report)`` shows a
        text table; in Jupyter the report renders as an HTML table.

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
    from datamatrix._table.multidim import _MultiDimensionalColumn, _SeriesColumn
    gc.collect()  # deleted DataMatrix objects are reference cycles: not live columns
    stores = manager.stores()
    holders: dict[int, list] = {id(store): [] for store in stores}
    for obj in gc.get_objects():
        if isinstance(obj, _MultiDimensionalColumn):
            store = obj.__dict__.get('_store')
            if store is not None and id(store) in holders:
                holders[id(store)].append(obj)
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
                                   str(store.dtype), int(store.nbytes), state))
    return MemoryReport(entries, cfg.memory_limit, manager.resident, pinned)


__all__ = ['memory_report', 'MemoryReport', 'ReportEntry']


def _cfg_memory_report(self) -> MemoryReport:
    """Every live multidimensional column, its size and state, and the budget.

    The same as :func:`datamatrix.memory_report`: prints as a text table and
    shows as an HTML table in Jupyter.
    """
    return memory_report()


# bound from above: the engine's settings object does not know about columns
type(cfg).memory_report = property(_cfg_memory_report)
