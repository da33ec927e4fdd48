"""The memory manager: which array stores stay in RAM under the byte budget.

The manager keeps a recency list of every live :class:`~datamatrix._engine.storage.ArrayStore`
(weakly, so a freed column leaves the list at once) and a counter of the bytes
that loaded stores occupy. It knows nothing of columns: a store is an item with
a weight (``nbytes``) that can be ``load``-ed and ``offload``-ed.

Threads: every store has a lock that is held while it moves and while a column
writes into it; locks are always taken store first, manager second, and a store
chosen for eviction is only ever *tried* (never waited for), so no two threads can
deadlock and no write is lost to a concurrent move.

Decisions (see ``docs/largedata.md``):

* A store smaller than ``cfg.always_load_max_size`` is *pinned*: always loaded,
  never evicted, not counted against the budget.
* To admit a store of ``s`` bytes, loaded stores are evicted least recently used
  first until ``resident + s <= cfg.memory_limit`` and (for automatic loads) the
  reference free-memory rule holds. The plan is made before anything moves: if
  evicting every evictable store would not make room, nothing is evicted.
* System memory is read at most every ``cfg.memory_poll_interval`` seconds; in
  between, the last reading is adjusted by the bytes loaded and evicted since.
"""
from __future__ import annotations

import gc
import itertools
import math
import threading
import time
import weakref
from collections import OrderedDict, deque
from typing import TYPE_CHECKING

from datamatrix._engine.config import _cgroup_limit, cfg, logger
from datamatrix.errors import MemoryBudgetError

if TYPE_CHECKING:  # pragma: no cover
    from datamatrix._engine.storage import ArrayStore


class MemoryManager:
    """Byte-weighted LRU over array stores, bounded by ``cfg.memory_limit``."""

    def __init__(self) -> None:
        self._lru: OrderedDict[int, weakref.ref] = OrderedDict()
        """Stores by key (``store.key``), least recently used first."""
        self._loaded: dict[int, int] = {}
        """Bytes of every loaded store, by key."""
        self._resident = 0
        self.last = 0
        """The key of the most recently used store, so repeated use costs one
        comparison (a key, not a reference, so that it never keeps a store alive)."""
        self.lock = threading.RLock()
        self._keys = itertools.count(1)
        self._dead: deque[int] = deque()
        """Keys of freed stores, queued by finalizers and dropped under the lock."""
        self._snapshot: tuple[float, int, int] | None = None
        self._moved_since_snapshot = 0
        self._collected = -math.inf
        """When garbage was last collected to make room."""
        self.generation = 0
        """Incremented whenever the set of loaded stores changes."""
        self._refused: dict[int, tuple] = {}
        """Per store, the state in which an automatic load was last refused."""

    # -- bookkeeping -----------------------------------------------------------
    @property
    def resident(self) -> int:
        """Total bytes of loaded stores (pinned ones included)."""
        with self.lock:
            self._drop_dead()
            return self._resident

    def add(self, store: ArrayStore) -> None:
        """Start tracking a store as the most recently used one."""
        key = store.key = next(self._keys)
        with self.lock:
            self._drop_dead()
            self._lru[key] = weakref.ref(store)
            weakref.finalize(store, self._dead.append, key)
            if store.loaded:
                self._account(key, store.nbytes)
            self.last = key

    def _drop_dead(self) -> None:
        """Forget the stores that were freed (the caller holds the lock).

        Finalizers only queue the key of a freed store: they may run in any
        thread, at any allocation, also while another thread holds the lock and
        waits for this one, so they must never take the lock themselves.
        """
        while self._dead:
            key = self._dead.popleft()
            self._lru.pop(key, None)
            self._refused.pop(key, None)
            if self.last == key:
                self.last = 0
            if key in self._loaded:
                self._account(key, None)

    def _account(self, key: int, nbytes: int | None) -> None:
        """Record that the store ``key`` is now loaded (``nbytes``) or not (None)."""
        old = self._loaded.pop(key, None)
        if old is not None:
            self._resident -= old
            self._moved_since_snapshot -= old
        if nbytes is not None:
            self._loaded[key] = nbytes
            self._resident += nbytes
            self._moved_since_snapshot += nbytes
        self.generation += 1

    def resized(self, store: ArrayStore) -> None:
        """Update the accounting after a store changed its array."""
        with self.lock:
            self._account(store.key, store.nbytes if store.loaded else None)

    def stores(self) -> list[ArrayStore]:
        """Live stores, least recently used first."""
        with self.lock:
            refs = [ref for _, ref in self._entries()]
        return [store for store in (ref() for ref in refs) if store is not None]

    def _entries(self) -> list[tuple[int, weakref.ref]]:
        """A copy of the recency list, least recently used first (lock held)."""
        self._drop_dead()
        return list(self._lru.items())

    # -- use ---------------------------------------------------------------------
    def touch(self, store: ArrayStore, keep_data: bool = True) -> None:
        """Mark a store as used: most recent, and loaded if the rules allow.

        ``keep_data=False`` says that the caller is about to overwrite every
        value, so a load need not read the old ones from disk.
        """
        self.last = key = store.key
        try:
            self._lru.move_to_end(key)
        except KeyError:
            self.add(store)
        if not store.loaded:
            # repeated use of a column that was refused: one look, no locks
            if self._refused.get(key) != (self.generation, cfg.memory_limit,
                                          cfg.always_load_max_size):
                self.admit(store, keep_data=keep_data)

    # -- system memory -------------------------------------------------------------
    def _system_memory(self) -> tuple[int, int] | None:
        """``(available, total)`` bytes, polled at most every poll interval."""
        now = time.monotonic()
        if self._snapshot is None or now - self._snapshot[0] >= cfg.memory_poll_interval:
            try:
                import psutil
                vm = psutil.virtual_memory()
            except Exception:  # memory cannot be measured: always allow
                return None
            limit = _cgroup_limit()
            total = min(vm.total, limit) if limit else vm.total
            available = min(vm.available, total)
            self._snapshot = (now, available, total)
            self._moved_since_snapshot = 0
        _, available, total = self._snapshot
        return available - self._moved_since_snapshot, total

    @staticmethod
    def _free_memory_allows(size: int, available: int, total: int) -> bool:
        after = available - size
        return after > cfg.min_mem_free_abs or after / total > cfg.min_mem_free_rel

    # -- decisions -------------------------------------------------------------------
    def plan(self, size: int, exclude: ArrayStore | None = None,
             manual: bool = False) -> list[ArrayStore] | None:
        """Which stores to evict so that ``size`` more bytes can be loaded.

        Returns
        -------
        list or None
            The stores to offload (possibly none), least recently used first, or
            ``None`` if the bytes cannot be admitted even after evicting all.
        """
        pinned_below = cfg.always_load_max_size
        if size < pinned_below:
            return []
        if not manual and size > cfg.never_load_min_size:
            return None
        limit = cfg.memory_limit
        if size > limit:
            return None
        memory = None if manual else self._system_memory()
        with self.lock:
            candidates = []
            budgeted = 0
            for key, ref in self._entries():
                nbytes = self._loaded.get(key)
                if nbytes is None or nbytes < pinned_below:
                    continue
                store = ref()
                if store is None or store is exclude:
                    continue
                budgeted += nbytes
                candidates.append(store)
        victims: list[ArrayStore] = []
        freed = 0
        for store in [None] + candidates:
            if store is not None:
                victims.append(store)
                freed += store.nbytes
            fits = budgeted - freed + size <= limit
            if fits and (memory is None or
                         self._free_memory_allows(size, memory[0] + freed, memory[1])):
                return victims
        return None

    def evict(self, victims: list[ArrayStore]) -> bool:
        """Offload ``victims``; False if one of them could not be offloaded.

        A victim that another thread is writing to (its lock is taken) is not
        waited for: the eviction fails instead, so threads never deadlock.
        """
        for victim in victims:
            if not victim.lock.acquire(blocking=False):
                return False
            try:
                self._offload(victim)
            except OSError as exc:
                logger.warning('could not offload a column to make room: %s', exc)
                return False
            finally:
                victim.lock.release()
        return True

    def admit(self, store: ArrayStore, manual: bool = False,
              keep_data: bool = True) -> bool:
        """Load ``store`` if it fits after evicting least recently used stores.

        Returns
        -------
        bool
            Whether the store is loaded afterwards.

        Raises
        ------
        MemoryBudgetError
            For a manual load that cannot fit even after evicting everything.
        """
        with store.lock, self.lock:
            if store.loaded:
                return True
            attempt = (self.generation, cfg.memory_limit, cfg.always_load_max_size)
            if not manual and self._refused.get(store.key) == attempt:
                return False  # nothing changed since the last refusal
            victims = self._plan_after_collecting(store.nbytes, exclude=store,
                                                  manual=manual)
            if victims is None:
                self._refused[store.key] = attempt
                if manual:
                    raise MemoryBudgetError(
                        f'cannot load a column of {store.nbytes} bytes: it does not fit '
                        f'in cfg.memory_limit ({cfg.memory_limit} bytes) even after '
                        f'offloading every other column')
                return False
            if not self.evict(victims):
                return False
            store.load(copy=keep_data)
            self._account(store.key, store.nbytes)
            return True

    def offload(self, store: ArrayStore) -> None:
        """Move ``store`` to disk. On error it stays loaded and accounted."""
        with store.lock, self.lock:
            self._offload(store)

    def _offload(self, store: ArrayStore) -> None:
        if store.loaded:
            store.offload()
            self._account(store.key, None)

    def reserve(self, size: int) -> bool:
        """Make room for a new array of ``size`` bytes; whether it may be in RAM."""
        with self.lock:
            victims = self._plan_after_collecting(size)
            return victims is not None and self.evict(victims)

    def _plan_after_collecting(self, size: int, **kwargs) -> list[ArrayStore] | None:
        """:meth:`plan`, but first free unreachable columns if room is needed.

        A DataMatrix and its columns refer to each other, so a deleted DataMatrix
        is freed by Python's cycle collector, not at once. Before evicting a live
        column to make room, collect such garbage so its bytes count as free.
        """
        victims = self.plan(size, **kwargs)
        now = time.monotonic()
        if victims != [] and self.resident and \
                now - self._collected >= cfg.memory_poll_interval:
            self._collected = now  # a full collection is slow: at most once per poll
            before = self.resident
            gc.collect()
            if self.resident != before:
                victims = self.plan(size, **kwargs)
        return victims


manager = MemoryManager()
"""The process-wide memory manager."""
