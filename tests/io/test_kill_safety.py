"""kill -9 during writebin/writezarr leaves nothing behind (issue 15, part 6).

A child process writes and, through a hook, stops after its first column and says
so; the test SIGKILLs it there, so the timing is deterministic.
"""
import hashlib
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from datamatrix import DataMatrix, SeriesColumn, io
from datamatrix.io import _files

CHILD = r'''
import sys, time
import numpy as np
from datamatrix import DataMatrix, SeriesColumn, io
import datamatrix.io._binary as binary
import datamatrix.io._files as files
import datamatrix.io._zarr as zarr_io

kind, path, named = sys.argv[1], sys.argv[2], sys.argv[3] == 'named'
if named:
    files._unnamed_files = False  # as on a system without O_TMPFILE
module, hook = (binary, '_add_array') if kind == 'bin' else (zarr_io, '_write_column')
real = getattr(module, hook)

def stop_after_first_column(*args, **kwargs):
    real(*args, **kwargs)
    print('writing', flush=True)
    time.sleep(120)

setattr(module, hook, stop_after_first_column)
dm = DataMatrix(length=4)
dm.a = SeriesColumn(depth=3)
dm.a = np.arange(12.0).reshape(4, 3)
dm.b = 'new'
(io.writebin if kind == 'bin' else io.writezarr)(dm, path, **(
    {} if kind == 'bin' else {'overwrite': True}))
'''


def digest(path):
    if os.path.isdir(path):
        parts = sorted((os.path.relpath(os.path.join(root, name), path),
                        open(os.path.join(root, name), 'rb').read())
                       for root, _, names in os.walk(path) for name in names)
        return hashlib.sha256(repr(parts).encode()).hexdigest()
    with open(path, 'rb') as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def old_dm():
    dm = DataMatrix(length=2)
    dm.a = SeriesColumn(depth=3)
    dm.a = 7
    dm.b = 'old'
    return dm


def kill_mid_write(kind, path, named=False):
    """Run the child until it has written one column; SIGKILL it; return the folder
    listing seen while it was writing."""
    proc = subprocess.Popen([sys.executable, '-c', CHILD, kind, str(path),
                             'named' if named else 'unnamed'],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == 'writing'
        during = sorted(os.listdir(os.path.dirname(path)))
        stale_while_running = _files.sweep_stale(os.path.dirname(path))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert stale_while_running == 0  # the writer was alive: its file is not touched
    return during


def o_tmpfile_works(folder):
    if not _files._unnamed_files:
        return False
    try:
        os.close(os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o600))
    except OSError:
        return False
    return True


def test_writebin_killed_leaves_no_file_at_all(tmp_path):
    if not o_tmpfile_works(tmp_path):
        pytest.skip('no O_TMPFILE here: see the named-file test')
    path = tmp_path / 'x.dm'
    io.writebin(old_dm(), path)
    before = digest(path)
    during = kill_mid_write('bin', path)
    assert during == ['x.dm']  # the file being written has no name at all
    assert os.listdir(tmp_path) == ['x.dm'] and digest(path) == before
    assert io.readbin(path).b[0] == 'old'


def test_writebin_killed_with_named_file_is_swept_by_the_next_write(tmp_path):
    path = tmp_path / 'x.dm'
    io.writebin(old_dm(), path)
    before = digest(path)
    during = kill_mid_write('bin', path, named=True)
    (left,) = set(during) - {'x.dm'}
    assert left.startswith('.x.dm.') and f'@{_files._HOST}' in left
    assert left in os.listdir(tmp_path)  # still there after the kill...
    io.writebin(old_dm(), tmp_path / 'other.dm')  # ...until the next write here
    assert sorted(os.listdir(tmp_path)) == ['other.dm', 'x.dm']
    assert digest(path) == before


def test_writezarr_killed_is_swept_by_the_next_write(tmp_path):
    pytest.importorskip('zarr')
    path = tmp_path / 'x.zarr'
    io.writezarr(old_dm(), path)
    before = digest(path)
    during = kill_mid_write('zarr', path)
    (left,) = set(during) - {'x.zarr'}
    assert left.startswith('.x.zarr.') and os.path.isdir(tmp_path / left)
    io.writezarr(old_dm(), tmp_path / 'y.zarr')
    assert sorted(os.listdir(tmp_path)) == ['x.zarr', 'y.zarr']
    assert digest(path) == before
    assert list(io.readzarr(path).b) == ['old', 'old']


def test_other_hosts_and_other_files_are_never_swept(tmp_path):
    keep = ['.x.dm.abcdefgh.tmp-999999999@another-host',  # a shared folder's writer
            '.notes.txt', 'x.tmp-999999999', '.x.dm.abcdefgh.tmp-999999999.bak']
    for name in keep:
        (tmp_path / name).write_bytes(b'keep')
    gone = tmp_path / f'.x.dm.abcdefgh.tmp-999999999@{_files._HOST}'
    gone.write_bytes(b'partial')
    (tmp_path / '.y.zarr.abcdefgh.old-999999999').mkdir()
    io.writebin(old_dm(), tmp_path / 'x.dm')
    assert sorted(os.listdir(tmp_path)) == sorted(keep + ['x.dm'])


def test_own_temporaries_are_never_swept(tmp_path):
    mine = tmp_path / f'.x.dm.abcdefgh{_files.temp_suffix()}'
    mine.write_bytes(b'in progress')  # e.g. another thread of this process writing
    assert _files.sweep_stale(tmp_path) == 0 and mine.exists()


def test_repeated_writes_do_not_list_an_unchanged_folder(tmp_path, monkeypatch):
    io.writebin(old_dm(), tmp_path / 'x.dm')
    listed = []
    real = os.listdir
    monkeypatch.setattr(_files.os, 'listdir', lambda p: listed.append(p) or real(p))
    for _ in range(3):
        io.writebin(old_dm(), tmp_path / 'x.dm')
    assert listed == []
    (tmp_path / 'new.txt').write_text('someone else wrote here')
    io.writebin(old_dm(), tmp_path / 'x.dm')
    assert listed == [os.path.abspath(tmp_path)]


@pytest.mark.parametrize('unnamed', [True, False])
def test_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path, monkeypatch,
                                                            unnamed):
    from datamatrix.io import _binary
    monkeypatch.setattr(_files, '_unnamed_files', unnamed and _files._unnamed_files)
    path = tmp_path / 'x.dm'
    io.writebin(old_dm(), path)
    before = digest(path)
    real = _binary._add_array
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, 'No space left on device')
        return real(*args, **kwargs)

    monkeypatch.setattr(_binary, '_add_array', fail_on_second)
    new = old_dm()
    new.b = 'new'
    with pytest.raises(OSError, match='No space'):
        io.writebin(new, path)
    assert os.listdir(tmp_path) == ['x.dm'] and digest(path) == before


def test_failed_writezarr_keeps_the_old_store(tmp_path, monkeypatch):
    pytest.importorskip('zarr')
    from datamatrix.io import _zarr
    path = tmp_path / 'x.zarr'
    io.writezarr(old_dm(), path)
    before = digest(path)

    def fail(*args, **kwargs):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(_zarr, '_write_column', fail)
    with pytest.raises(OSError, match='No space'):
        io.writezarr(old_dm(), path, overwrite=True)
    assert os.listdir(tmp_path) == ['x.zarr'] and digest(path) == before


def test_unnamed_file_falls_back_to_a_copy_when_it_cannot_be_linked(tmp_path,
                                                                     monkeypatch):
    if not o_tmpfile_works(tmp_path):
        pytest.skip('no O_TMPFILE here')

    def no_link(*args, **kwargs):
        raise OSError(18, 'Invalid cross-device link')

    monkeypatch.setattr(_files.os, 'link', no_link)
    monkeypatch.setattr(_files, '_linkat_empty_path', lambda fd, path: False)
    monkeypatch.setattr(_files, '_unnamed_files', True)
    dm = DataMatrix(length=3)
    dm.s = SeriesColumn(depth=2)
    dm.s = np.arange(6.0).reshape(3, 2)
    io.writebin(dm, tmp_path / 'x.dm')
    assert _files._unnamed_files is False  # later writes use named files at once
    np.testing.assert_array_equal(io.readbin(tmp_path / 'x.dm').s, dm.s)
    assert os.listdir(tmp_path) == ['x.dm']
