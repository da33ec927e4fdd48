"""An array store whose data stays in an external array until it is first needed.

:class:`LazyStore` is the storage variant behind columns that :func:`datamatrix.io.readzarr`
opens: its data lives in a *source*, any array-like that returns an ndarray for a
slice of rows and has ``shape`` and ``dtype`` (a ``zarr.Array``). A source is
neither an ndarray nor a memory map, so it cannot be handed to the rest of the
library as ``store.array``; instead the store is *pending* until the column is
first used, and then becomes an ordinary :class:`~datamatrix._engine.storage.ArrayStore`:

* while pending, it counts as offloaded (``loaded`` is False) and its ``shape``,
  ``dtype`` and ``nbytes`` come from the source without reading any data;
  :meth:`blocks` reads row blocks straight from the source;
* when the memory manager loads it (the column was used and fits the budget),
  :meth:`load` reads the source block by block into RAM;
* when something needs ``store.array`` while it is still pending (a use that the
  budget refuses, or an operation that streams over the array), the source is
  copied block by block into a spill file, exactly what an offloaded column
  holds;
* from then on the source is dropped (``source`` is None) and the store behaves
  like any other. The source is therefore never written.

Only the store knows about the source; columns, the memory manager and the
streaming layer see an ordinary store.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Iterator

import numpy as np

from datamatrix._engine.storage import ArrayStore, release_pages, row_blocks

_ARRAY = ArrayStore.__dict__['array']
"""The slot that holds the live array of every store."""
_LOCK = threading.Lock()
"""Serialises the move from pending to materialised (dask may read from threads)."""


class LazyStore(ArrayStore):
    """A store backed by ``source`` until its first load or use of ``array``.

    Parameters
    ----------
    source : array-like
        ``shape``, ``dtype`` and ``source[start:stop]`` returning the rows as an
        ndarray (e.g. a ``zarr.Array``). It is read, never written.

    Attributes
    ----------
    source : array-like or None
        The source while the store is pending, None once the data was copied
        into RAM or a spill file.
    """

    __slots__ = ('source',)

    def __init__(self, source: Any) -> None:
        self.source = source
        super().__init__(None)

    # -- the live array ------------------------------------------------------------
    @property
    def array(self) -> np.ndarray:
        """The live array; a pending store is first copied into a spill file."""
        array = _ARRAY.__get__(self)
        if array is None:
            array = self._materialise()
        return array

    @array.setter
    def array(self, value: np.ndarray) -> None:
        _ARRAY.__set__(self, value)

    @property
    def pending(self) -> bool:
        """Whether the data still lives only in the source."""
        return _ARRAY.__get__(self) is None

    def _source_rows(self, start: int, stop: int) -> np.ndarray:
        return np.asarray(self.source[start:stop], dtype=self.dtype)

    def _copy_into(self, target: np.ndarray) -> None:
        for start, stop in row_blocks(len(target), self.row_nbytes):
            target[start:stop] = self._source_rows(start, stop)
            release_pages(target[start:stop])

    def _materialise(self) -> np.ndarray:
        """Copy the source into a spill file (the data stays offloaded)."""
        with _LOCK:
            if self.pending:
                spill = ArrayStore.allocate(self.shape, self.dtype, in_memory=False).array
                self._copy_into(spill)
                self.array = spill
                self.source = None
        return _ARRAY.__get__(self)

    # -- description (no data is read while pending) ----------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(self.source.shape) if self.pending else self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.source.dtype) if self.pending else self.array.dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def loaded(self) -> bool:
        return not self.pending and super().loaded

    @property
    def row_nbytes(self) -> int:
        return self.dtype.itemsize * math.prod(self.shape[1:])

    # -- moving ------------------------------------------------------------------------
    def load(self, copy: bool = True) -> None:
        """Read the data into RAM, from the source while pending."""
        with _LOCK:
            if self.pending:
                target = np.empty(self.shape, self.dtype)
                if copy:
                    self._copy_into(target)
                self.array = target
                self.source = None
                return
        super().load(copy)

    def blocks(self, max_bytes: int | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
        """Row blocks, read from the source while pending (nothing is materialised)."""
        source = self.source
        if source is None:
            yield from super().blocks(max_bytes)
            return
        for start, stop in row_blocks(self.shape[0], self.row_nbytes, max_bytes):
            yield start, stop, np.asarray(source[start:stop], dtype=self.dtype)


__all__ = ['LazyStore']
