"""Array stores and spill files: hidden, allocated up front, freed, and safe on errors."""
import errno
import gc
import os
import subprocess
import sys

import numpy as np
import pytest

from datamatrix import DataMatrix, MultiDimensionalColumn, cfg
from datamatrix._engine.storage import (ArrayStore, open_mapping_file, pread_rows,
                                         release_pages, row_blocks)


@pytest.fixture
def spill_dir(tmp_path):
    """cfg.tmp_dir in a fresh folder; asserts that nothing is left in it."""
    saved = cfg.tmp_dir, cfg.always_load_max_size
    cfg.tmp_dir = str(tmp_path)
    cfg.always_load_max_size = 0
    yield tmp_path
    gc.collect()
    cfg.tmp_dir, cfg.always_load_max_size = saved
    assert os.listdir(tmp_path) == []


def column(n=6, cell=(4, 5)):
    dm = DataMatrix(length=n)
    dm.x = MultiDimensionalColumn(shape=cell)
    dm.x = np.arange(n * int(np.prod(cell)), dtype=float).reshape((n,) + cell)
    return dm


def open_fds():
    return len(os.listdir('/proc/self/fd'))


def test_row_blocks_cover_all_rows_within_the_byte_limit():
    """Blocks are contiguous, cover every row, and hold at most max_bytes (>= 1 row)."""
    blocks = list(row_blocks(10, 100, max_bytes=250))
    assert blocks == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    assert list(row_blocks(3, 1000, max_bytes=10)) == [(0, 1), (1, 2), (2, 3)]
    assert list(row_blocks(0, 10)) == []


def test_spill_file_is_hidden_and_unlinked(spill_dir):
    """An offloaded column leaves no visible file: it is unlinked at once."""
    dm = column()
    dm.x.loaded = False
    assert not dm.x.loaded
    assert isinstance(dm.x._store.array, np.memmap)
    assert os.listdir(spill_dir) == []
    assert dm.x[2, 3, 4] == 2 * 20 + 3 * 5 + 4


def test_one_descriptor_per_offloaded_column_and_none_after_free(spill_dir):
    """Offloading holds one file descriptor per column; freeing returns it."""
    before = open_fds()
    dms = [column() for _ in range(5)]
    for dm in dms:
        dm.x.loaded = False
    assert open_fds() - before == 5
    del dms, dm
    gc.collect()
    assert open_fds() == before


def test_offload_into_missing_directory_keeps_column_loaded(spill_dir):
    """A missing spill directory gives an OSError naming it; the data stays loaded."""
    dm = column()
    before = dm.x.array
    cfg.tmp_dir = str(spill_dir / 'missing')
    try:
        with pytest.raises(OSError, match='missing'):
            dm.x.loaded = False
    finally:
        cfg.tmp_dir = str(spill_dir)
    assert dm.x.loaded
    assert np.array_equal(dm.x.array, before)


@pytest.mark.skipif(os.geteuid() == 0, reason='root can write to read-only folders')
def test_offload_into_read_only_directory_keeps_column_loaded(spill_dir):
    """A read-only spill directory gives an OSError; the data stays loaded."""
    dm = column()
    readonly = spill_dir / 'ro'
    readonly.mkdir()
    readonly.chmod(0o500)
    cfg.tmp_dir = str(readonly)
    try:
        with pytest.raises(OSError, match='ro'):
            dm.x.loaded = False
    finally:
        cfg.tmp_dir = str(spill_dir)
        readonly.chmod(0o700)
        readonly.rmdir()
    assert dm.x.loaded


def test_disk_full_during_allocation_keeps_column_loaded(spill_dir, monkeypatch):
    """ENOSPC while allocating the spill file: OSError, column loaded and intact."""
    dm = column()
    before = dm.x.array

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'posix_fallocate', full)
    with pytest.raises(OSError) as info:
        dm.x.loaded = False
    assert info.value.errno == errno.ENOSPC
    assert dm.x.loaded and np.array_equal(dm.x.array, before)


def test_disk_full_during_write_keeps_column_loaded(spill_dir, monkeypatch):
    """A write that fails half-way leaves the column loaded and intact."""
    dm = column()
    before = dm.x.array
    real = os.pwrite
    calls = []

    def failing(fd, data, offset):
        calls.append(offset)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real(fd, data, offset)

    cfg.save_chunk_size, saved = 200, cfg.save_chunk_size
    monkeypatch.setattr(os, 'pwrite', failing)
    try:
        with pytest.raises(OSError):
            dm.x.loaded = False
    finally:
        cfg.save_chunk_size = saved
    assert dm.x.loaded and np.array_equal(dm.x.array, before)


def _tmpfs(path, size):
    path.mkdir()
    result = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs',
                             str(path)], capture_output=True)
    return result.returncode == 0


def test_real_full_disk_gives_oserror_not_sigbus(spill_dir):
    """On a real 1 MiB tmpfs, offloading a 2 MB column fails cleanly."""
    mount = spill_dir / 'small'
    if not _tmpfs(mount, '1m'):
        mount.rmdir()
        pytest.skip('cannot mount a tmpfs here (needs root)')
    try:
        dm = column(n=50, cell=(50, 100))  # 2 MB
        before = dm.x.array
        cfg.tmp_dir = str(mount)
        with pytest.raises(OSError):
            dm.x.loaded = False
        assert dm.x.loaded and np.array_equal(dm.x.array, before)
        assert os.listdir(mount) == []
    finally:
        cfg.tmp_dir = str(spill_dir)
        subprocess.run(['umount', str(mount)])
        mount.rmdir()


def test_no_spill_file_survives_kill_9(tmp_path):
    """A process killed with SIGKILL while holding offloaded columns leaves no file."""
    code = (
        'import os, signal\n'
        'from datamatrix import DataMatrix, MultiDimensionalColumn, cfg\n'
        f'cfg.tmp_dir = {str(tmp_path)!r}\n'
        'dm = DataMatrix(length=10)\n'
        'dm.x = MultiDimensionalColumn(shape=(100,))\n'
        'dm.x.loaded = False\n'
        'print(len(os.listdir(cfg.tmp_dir)), flush=True)\n'
        'os.kill(os.getpid(), signal.SIGKILL)\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == -9
    assert result.stdout.strip() == '0'
    assert os.listdir(tmp_path) == []


def test_release_pages_keeps_data(spill_dir):
    """Dropping mapped pages of a block does not change the data."""
    dm = column()
    dm.x.loaded = False
    array = dm.x._store.array
    expected = np.array(array)
    release_pages(array[1:3])
    release_pages(array)
    assert np.array_equal(np.array(array), expected)


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc/self/maps')
def test_pread_rows_of_a_spill_file_equal_the_mapping(spill_dir):
    """Rows read with pread from a spill file's descriptor are the mapped rows."""
    dm = column(n=9)
    dm.x.loaded = False
    array = dm.x._store.array
    array[4] = -1  # written through the mapping: pread sees the same page cache
    before = open_fds()
    fd, offset = open_mapping_file(array[2:])
    try:
        assert offset == 2 * array[0].nbytes
        positions = np.array([6, 0, 1, 2, 5, 2])  # runs and repeats, of array[2:]
        out = np.empty((len(positions),) + array.shape[1:])
        pread_rows(fd, offset, positions, out)
        assert np.array_equal(out, np.asarray(array[2:])[positions])
        assert np.array_equal(out[3], np.full(array.shape[1:], -1.0))
    finally:
        os.close(fd)
    assert open_fds() == before


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc/self/maps')
def test_only_shared_contiguous_file_mappings_are_opened(spill_dir, tmp_path_factory):
    """RAM arrays, copy-on-write maps and strided views are read through numpy."""
    path = tmp_path_factory.mktemp('saved') / 'data.npy'
    np.save(path, np.arange(24.0).reshape(6, 4))
    private = np.load(path, mmap_mode='c')
    private[0] = 5  # a private page: the file does not have it
    assert open_mapping_file(private) is None
    assert open_mapping_file(np.zeros((3, 4))) is None
    shared = np.load(path, mmap_mode='r')
    assert open_mapping_file(shared[:, :2]) is None
    fd, offset = open_mapping_file(shared)
    os.close(fd)
    assert offset == shared.offset
    del private, shared


def test_streaming_keeps_resident_memory_near_the_chunk_size(spill_dir):
    """A streamed reduction over a 64 MB offloaded column does not map it all in."""
    import psutil
    process = psutil.Process()
    cfg.save_chunk_size, saved = 2 ** 20, cfg.save_chunk_size
    cfg.memory_limit, saved_limit = 2 ** 20, cfg.memory_limit
    try:
        dm = DataMatrix(length=1024)
        dm.x = MultiDimensionalColumn(shape=(8192,))  # 64 MiB, created offloaded
        assert not dm.x.loaded
        dm.x[:, 0] = 1
        array = dm.x._store.array
        release_pages(array)
        before = process.memory_info().rss
        peak = before
        for _, _, block in dm.x._store.blocks():
            block.sum()
            peak = max(peak, process.memory_info().rss)
        assert peak - before < 8 * 2 ** 20
        assert not dm.x.loaded
    finally:
        cfg.save_chunk_size = saved
        cfg.memory_limit = saved_limit


def test_readonly_source_is_copied_before_writing(spill_dir, tmp_path_factory):
    """A store that maps a saved file copies itself before the first write."""
    path = tmp_path_factory.mktemp('saved') / 'data.npy'
    np.save(path, np.arange(12.0).reshape(3, 4))
    mapped = np.load(path, mmap_mode='r')
    store = ArrayStore(mapped, readonly_source=True)
    assert not store.loaded
    store.make_writable()
    store.array[0, 0] = 100
    assert not store.readonly_source
    assert np.load(path)[0, 0] == 0
    del store, mapped


def test_many_offloaded_columns_under_a_descriptor_limit(tmp_path):
    """Past the file-descriptor limit, offloading fails clearly and keeps the data."""
    code = (
        'import resource, numpy as np\n'
        'from datamatrix import DataMatrix, MultiDimensionalColumn, cfg\n'
        f'cfg.tmp_dir = {str(tmp_path)!r}\n'
        'cfg.always_load_max_size = 0\n'
        'resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n'
        'dm = DataMatrix(length=2)\n'
        'done = 0\n'
        'for i in range(200):\n'
        '    dm[f"c{i}"] = MultiDimensionalColumn(shape=(3,))\n'
        '    dm[f"c{i}"] = i\n'
        '    try:\n'
        '        dm[f"c{i}"].loaded = False\n'
        '        done += 1\n'
        '    except OSError as exc:\n'
        '        assert "file descriptor" in str(exc), exc\n'
        '        assert dm[f"c{i}"].loaded\n'
        'assert all(dm[f"c{i}"][1, 2] == i for i in range(200))\n'
        'print(done)\n')
    import subprocess, sys
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert 0 < int(result.stdout) < 200
    assert os.listdir(tmp_path) == []


def test_column_with_empty_cells_can_be_offloaded(spill_dir):
    """Offloading a column whose cells hold no values (shape (0,)) does not fail."""
    dm = DataMatrix(length=3)
    dm.x = MultiDimensionalColumn(shape=(0,))
    dm.x.loaded = False  # 0 bytes: nothing to write, no file is mapped
    assert dm.x.shape == (3, 0) and dm.x.mean.shape == (0,)
    dm.x.loaded = True
    assert dm.x.loaded and dm.x.shape == (3, 0)
