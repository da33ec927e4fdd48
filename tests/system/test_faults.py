"""Real faults: a full disk, a killed process and a spill folder that goes away.

Where the machine allows it (root, as on CI) the faults are real: a small tmpfs
fills up, a read-only tmpfs covers the spill folder, a child process is killed
with SIGKILL. Mocks of the write calls cover the same paths everywhere else.
"""
import contextlib
import errno
import gc
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn, SeriesColumn, cfg, io
from datamatrix._engine.memory import manager

_SETTINGS = ('memory_limit', 'always_load_max_size', 'never_load_min_size',
             'save_chunk_size', 'tmp_dir')


@pytest.fixture
def spill(tmp_path, monkeypatch):
    """cfg.tmp_dir in its own folder, small blocks; asserts nothing is left in it."""
    saved = {name: getattr(cfg, name) for name in _SETTINGS}
    folder = tmp_path / 'spill'
    folder.mkdir()
    cfg.tmp_dir = str(folder)
    cfg.always_load_max_size = 0
    cfg.save_chunk_size = 4096
    monkeypatch.setattr(manager, '_system_memory', lambda: (2 ** 40, 2 ** 40))
    yield folder
    gc.collect()
    for name, value in saved.items():
        setattr(cfg, name, value)
    if folder.exists():
        assert os.listdir(folder) == [], 'spill files were left behind'


@pytest.fixture
def target(tmp_path):
    """A folder for the files a test writes, apart from the spill folder."""
    folder = tmp_path / 'out'
    folder.mkdir()
    return folder


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mount_tmpfs(path, options):
    """Mount a tmpfs at ``path`` (created); False if the machine does not allow it."""
    path.mkdir(exist_ok=True)
    if os.geteuid() != 0 or shutil.which('mount') is None:
        return False
    result = subprocess.run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', str(path)],
                            capture_output=True)
    return result.returncode == 0


@contextlib.contextmanager
def small_disk(path, size='1m'):
    """A real tmpfs of ``size`` at ``path`` for the duration; skips if impossible."""
    if not _mount_tmpfs(path, f'size={size}'):
        path.rmdir()
        pytest.skip('cannot mount a tmpfs here (needs root)')
    try:
        yield path
    finally:
        gc.collect()
        subprocess.run(['umount', '-l', str(path)], capture_output=True)
        path.rmdir()


def big(n=50, depth=6000, offloaded=True):
    """A DataMatrix with ~2.4 MB of MD data (more than the 1 MiB disks) and 1-D columns.

    The values are random, hence incompressible, so that formats that compress
    (zarr) still fill the disk; the very last cell holds a known value.
    """
    dm = DataMatrix(length=n)
    dm.i = list(range(n))
    dm.s = SeriesColumn(depth=depth)
    values = np.random.default_rng(1).random((n, depth))
    values[-1, -1] = n * depth - 1
    dm.s = values
    dm.h = MultiDimensionalColumn(shape=(4, 5), dtype=np.float32)
    dm.h = 1.5
    if offloaded:
        dm.s.loaded = False
        dm.h.loaded = False
    return dm


def old_file(path):
    """Write a small, different DataMatrix to ``path``; return its digest."""
    io.writebin(DataMatrix(old=[1, 2, 3]), path)
    return _digest(path)


def assert_old(path, digest):
    """``path`` is the old file, byte for byte, and still reads."""
    assert _digest(path) == digest
    assert io.readbin(path).old[2] == 3


# -- disk full during writebin -----------------------------------------------------------

@pytest.mark.parametrize('offloaded', [False, True], ids=['loaded', 'offloaded'])
@pytest.mark.parametrize('existing', [True, False], ids=['old-file', 'no-file'])
def test_writebin_on_a_full_disk(spill, tmp_path, offloaded, existing):
    """Filling a real 1 MiB disk gives ENOSPC; the old file is intact, no temp file left."""
    dm = big(offloaded=offloaded)
    with small_disk(tmp_path / 'disk') as disk:
        path = disk / 'x.dm'
        digest = old_file(path) if existing else None
        with pytest.raises(OSError) as info:
            io.writebin(dm, path)
        assert info.value.errno == errno.ENOSPC
        assert 'space' in str(info.value).lower()
        if existing:
            assert os.listdir(disk) == ['x.dm']
            assert_old(path, digest)
        else:
            assert os.listdir(disk) == []
    assert dm.s.loaded is not offloaded  # writing is not a use
    assert dm.s[49, 5999] == 50 * 6000 - 1


def _failing_write_after(limit):
    """An ``os.write`` that fails with ENOSPC once ``limit`` bytes went to a temp file."""
    real = os.write
    written = [0]

    def write(fd, data):
        try:
            name = os.readlink(f'/proc/self/fd/{fd}')
        except OSError:
            name = ''
        # a named temporary file, or an unnamed (O_TMPFILE) one: '<folder>/#<inode> (deleted)'
        if '.tmp-' in name or os.path.basename(name).startswith('#'):
            size = memoryview(data).nbytes
            if written[0] + size > limit:
                raise OSError(errno.ENOSPC, 'No space left on device')
            written[0] += size
        return real(fd, data)
    return write


@pytest.mark.skipif(not os.path.exists('/proc/self/fd'), reason='needs /proc')
@pytest.mark.parametrize('limit', [0, 100, 5000, 200_000])
@pytest.mark.parametrize('offloaded', [False, True], ids=['loaded', 'offloaded'])
def test_writebin_write_call_fails(spill, target, monkeypatch, limit, offloaded):
    """ENOSPC from the write call at any point: OSError, old file intact, nothing left."""
    dm = big(n=20, depth=2000, offloaded=offloaded)
    path = target / 'x.dm'
    digest = old_file(path)
    monkeypatch.setattr(os, 'write', _failing_write_after(limit))
    with pytest.raises(OSError, match='No space'):
        io.writebin(dm, path)
    monkeypatch.undo()
    assert os.listdir(target) == ['x.dm']
    assert_old(path, digest)
    io.writebin(dm, path)  # and the DataMatrix is unharmed
    assert io.readbin(path).s.equals(dm.s)


def test_writebin_fsync_fails(spill, target, monkeypatch):
    """An I/O error when flushing to disk keeps the old file and leaves no temp file."""
    dm = big(n=5, depth=10)
    path = target / 'x.dm'
    digest = old_file(path)

    def broken(fd):
        raise OSError(errno.EIO, 'Input/output error')

    monkeypatch.setattr(os, 'fsync', broken)
    with pytest.raises(OSError, match='Input/output'):
        io.writebin(dm, path)
    monkeypatch.undo()
    assert os.listdir(target) == ['x.dm']
    assert_old(path, digest)


# -- disk full during writezarr ----------------------------------------------------------

def _writezarr():
    writezarr = getattr(io, 'writezarr', None)
    if writezarr is None:
        pytest.skip('io.writezarr does not exist (yet)')
    pytest.importorskip('zarr')
    return writezarr


def _entries(folder):
    return sorted(os.listdir(folder))


@pytest.mark.parametrize('existing', [True, False], ids=['old-store', 'no-store'])
def test_writezarr_on_a_full_disk(spill, tmp_path, existing):
    """Filling a real 1 MiB disk during writezarr: OSError, old store intact, no leftovers."""
    writezarr = _writezarr()
    dm = big()
    with small_disk(tmp_path / 'disk') as disk:
        path = disk / 'x.zarr'
        if existing:
            writezarr(DataMatrix(old=[1, 2, 3]), path)
        before = _entries(disk)
        with pytest.raises(OSError) as info:
            writezarr(dm, path, overwrite=True)
        assert info.value.errno == errno.ENOSPC
        assert _entries(disk) == before
        if existing:
            assert list(io.readzarr(path).old) == [1, 2, 3]


@pytest.mark.parametrize('after', [0, 2, 6])
def test_writezarr_write_call_fails(spill, target, monkeypatch, after):
    """ENOSPC from zarr's file write: OSError, old store intact, no leftovers."""
    writezarr = _writezarr()
    local = pytest.importorskip('zarr.storage._local')
    dm = big(n=20, depth=200)
    path = target / 'x.zarr'
    writezarr(DataMatrix(old=[1, 2, 3]), path)
    before = _entries(target)
    real_put, calls = local._put, [0]

    def put(*args, **kwargs):
        calls[0] += 1
        if calls[0] > after:
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real_put(*args, **kwargs)

    monkeypatch.setattr(local, '_put', put)
    with pytest.raises(OSError, match='No space'):
        writezarr(dm, path, overwrite=True)
    monkeypatch.undo()
    assert calls[0] > after  # the fault really happened inside writezarr
    assert _entries(target) == before
    assert list(io.readzarr(path).old) == [1, 2, 3]
    assert dm.s.loaded is False and dm.h.loaded is False


# -- kill -9 in the middle of writebin ---------------------------------------------------

_CHILD = textwrap.dedent('''
    import os, signal, sys, time
    import numpy as np
    from datamatrix import DataMatrix, MultiDimensionalColumn, SeriesColumn, cfg, io
    from datamatrix.io import _binary
    spill, path, point, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cfg.tmp_dir = spill
    cfg.always_load_max_size = 0
    cfg.save_chunk_size = 4096
    dm = DataMatrix(length=40)
    dm.i = list(range(40))
    dm.s = SeriesColumn(depth=500)
    dm.s = np.arange(40 * 500, dtype=float).reshape(40, 500)
    dm.s.loaded = False
    dm.h = MultiDimensionalColumn(shape=(3, 50), dtype=np.float32)
    dm.h = 2.5
    dm.h.loaded = False
    assert not dm.s.loaded and not dm.h.loaded and os.listdir(spill) == []

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == 'write':
        real, calls = _binary._write_all, [0]
        def write_all(fd, data):
            calls[0] += 1
            if calls[0] == count:
                die()
            real(fd, data)
        _binary._write_all = write_all
    elif point == 'outside':  # announce the write, then go slowly until killed
        real = _binary._write_all
        def write_all(fd, data):
            print('writing', flush=True)
            time.sleep(0.05)
            real(fd, data)
        _binary._write_all = write_all
    elif point == 'fsync':
        os.fsync = die
    elif point == 'replace':
        os.replace = die
    io.writebin(dm, path)
    print('finished', flush=True)
''')


def _run_child(spill, path, point, count=0):
    args = [sys.executable, '-c', _CHILD, str(spill), str(path), point, str(count)]
    if point != 'outside':
        return subprocess.run(args, capture_output=True, text=True, timeout=60)
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == 'writing', child.stderr.read()
        child.stdout.readline()  # a few members later
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return subprocess.CompletedProcess(args, child.returncode, out, err)


@pytest.mark.parametrize('point,count', [('write', 1), ('write', 3), ('write', 12),
                                         ('fsync', 0), ('replace', 0), ('outside', 0)])
@pytest.mark.parametrize('existing', [True, False], ids=['old-file', 'no-file'])
def test_kill_9_during_writebin(tmp_path, target, point, count, existing):
    """SIGKILL mid-writebin with offloaded columns: no spill file, target old or absent."""
    spill = tmp_path / 'spill'
    spill.mkdir()
    path = target / 'x.dm'
    digest = old_file(path) if existing else None
    result = _run_child(spill, path, point, count)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert 'finished' not in result.stdout
    assert os.listdir(spill) == []
    if existing:
        assert_old(path, digest)
    else:
        assert not path.exists()
    # the dead process's temporary file (if any) is swept by the next write
    io.writebin(DataMatrix(new=[1]), path)
    assert os.listdir(target) == ['x.dm']
    assert io.readbin(path).new[0] == 1


# -- the spill folder disappears or turns read-only --------------------------------------

def _two_columns():
    """Columns a (offloaded) and b (loaded) of 4 kB each, with known values."""
    dm = DataMatrix(length=10)
    dm.a = SeriesColumn(depth=50)
    dm.a = np.arange(500.0).reshape(10, 50)
    dm.b = MultiDimensionalColumn(shape=(5, 10))
    dm.b = np.arange(500.0).reshape(10, 5, 10) + 1000
    dm.a.loaded = False
    assert not dm.a.loaded and dm.b.loaded
    return dm


@contextlib.contextmanager
def read_only(folder):
    """Make ``folder`` read-only for us: a read-only tmpfs on top (root), else chmod."""
    if os.geteuid() == 0:
        if not _mount_tmpfs(folder, 'ro,size=64k'):
            pytest.skip('cannot mount a read-only tmpfs here')
        try:
            yield
        finally:
            subprocess.run(['umount', '-l', str(folder)], capture_output=True)
    else:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)


def _check_spill_folder_lost(dm, folder, expected_a, expected_b):
    """Offloaded columns keep working; new offloads fail naming the folder."""
    # the offloaded column: read, reduce, write, load and keep the values
    assert np.array_equal(dm.a[3], expected_a[3])
    assert np.allclose(dm.a.mean, expected_a.mean(axis=0))
    dm.a[0, 0] = -1
    expected_a[0, 0] = -1
    assert np.array_equal(dm.a._store.array, expected_a)
    # a new offload fails clearly; the column stays loaded with its data
    with pytest.raises(OSError, match=str(folder)):
        dm.b.loaded = False
    assert dm.b.loaded and np.array_equal(dm.b._store.array, expected_b)
    dm.b[1, 2, 3] = 7
    expected_b[1, 2, 3] = 7
    assert np.array_equal(dm.b.array, expected_b)
    # loading the offloaded column still works, offloading it again does not
    dm.a.loaded = True
    assert dm.a.loaded and np.array_equal(dm.a.array, expected_a)
    with pytest.raises(OSError, match=str(folder)):
        dm.a.loaded = False
    assert dm.a.loaded and np.array_equal(dm.a.array, expected_a)
    assert manager.resident == sum(s.nbytes for s in manager.stores() if s.loaded)


def test_spill_folder_disappears(spill):
    """After the spill folder is deleted, offloaded columns work; offloading fails clearly."""
    dm = _two_columns()
    expected_a, expected_b = dm.a.array, dm.b.array
    shutil.rmtree(spill)
    _check_spill_folder_lost(dm, spill, expected_a, expected_b)
    spill.mkdir()  # once it is back, offloading works again
    dm.b.loaded = False
    assert not dm.b.loaded and np.array_equal(dm.b.array, expected_b)


def test_spill_folder_turns_read_only(spill):
    """After the spill folder turns read-only, offloaded columns work; offloading fails."""
    dm = _two_columns()
    expected_a, expected_b = dm.a.array, dm.b.array
    with read_only(spill):
        if os.geteuid() != 0 and os.access(spill, os.W_OK):
            pytest.skip('cannot make a folder read-only here')
        _check_spill_folder_lost(dm, spill, expected_a, expected_b)
    dm.b.loaded = False
    assert not dm.b.loaded and np.array_equal(dm.b.array, expected_b)


@pytest.mark.parametrize('fault', ['missing', 'read-only'])
def test_lost_spill_folder_under_a_tight_budget(spill, fault):
    """With no room to evict to, a used offloaded column stays offloaded and correct."""
    cfg.memory_limit = 5000  # one 4 kB column
    dm = _two_columns()
    expected_a, expected_b = dm.a.array, dm.b.array
    fault_context = contextlib.nullcontext() if fault == 'missing' else read_only(spill)
    if fault == 'missing':
        shutil.rmtree(spill)
    with fault_context:
        # using a would evict b, which cannot be written out: a stays where it is
        assert np.array_equal(dm.a[2], expected_a[2])
        assert np.array_equal(dm.a.array, expected_a)
        assert dm.b.loaded and np.array_equal(dm.b.array, expected_b)
        # a new column that does not fit in RAM cannot be created: clear error, no column
        with pytest.raises(OSError, match=str(spill)):
            dm.c = SeriesColumn(depth=100)
        assert 'c' not in dm and dm.column_names == ['a', 'b']
        loaded = sum(s.nbytes for s in manager.stores() if s.loaded)
        assert loaded == manager.resident and loaded <= cfg.memory_limit
    if fault == 'missing':
        spill.mkdir()
    dm.c = SeriesColumn(depth=100)
    assert np.isnan(dm.c[9, 99])


# -- a garbage collection at an unlucky moment --------------------------------------------

def test_finalizer_running_while_the_manager_scans_its_list(spill, monkeypatch):
    """A column freed mid-scan (its finalizer runs in the same thread) breaks nothing.

    A garbage collection can start at any allocation, also while the manager
    copies its recency list, and run the finalizers of freed columns right
    there, under the manager's own (re-entrant) lock. Here a store is freed
    at that very moment.
    """
    from collections import OrderedDict

    from datamatrix._engine.storage import ArrayStore
    box = [ArrayStore(np.zeros((4, 100)))]
    kept = [ArrayStore(np.zeros((4, 100))) for _ in range(2)]
    for store in box + kept:
        manager.add(store)

    class FreedMidScan(OrderedDict):
        def items(self):
            view = super().items()

            def scan():
                for index, item in enumerate(view):
                    if box:
                        box.clear()  # the last reference: its finalizer runs now
                    yield item
            return scan()

    original = manager._lru
    replacement = FreedMidScan(original)
    monkeypatch.setattr(manager, '_lru', replacement)
    try:
        assert manager.plan(10 ** 6, manual=True) is not None
        assert not box
        manager.stores()
    finally:
        monkeypatch.undo()
        original.clear()
        original.update(replacement)
    assert manager.resident == sum(s.nbytes for s in manager.stores() if s.loaded)
