"""Tests of the progress-bar helper ``datamatrix._engine.progress``."""
import builtins
import io
import sys

import pytest

from datamatrix._engine.config import cfg
from datamatrix._engine.progress import progress


@pytest.fixture
def progress_cfg():
    """Restore ``cfg.progress`` and ``cfg.progress_min_bytes`` after a test."""
    saved = cfg.progress, cfg.progress_min_bytes
    yield cfg
    cfg.progress, cfg.progress_min_bytes = saved


class _FakeTTY(io.StringIO):
    """A text stream that claims to be a terminal."""

    def isatty(self):
        return True


def _run(total=1000, steps=10, desc='work'):
    with progress(total, desc) as bar:
        for _ in range(steps):
            bar.update(total // steps)


def _hide_tqdm(monkeypatch):
    """Make ``import tqdm`` fail so that the built-in text bar is used."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == 'tqdm' or name.startswith('tqdm.'):
            raise ImportError('No module named tqdm')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', fake_import)


def test_true_shows_bar_on_stderr(progress_cfg, capsys):
    """With ``progress=True`` and enough bytes a bar with the description goes to stderr only."""
    progress_cfg.progress, progress_cfg.progress_min_bytes = True, 10
    _run(desc='writebin')
    out, err = capsys.readouterr()
    assert out == ''
    assert 'writebin' in err


def test_false_never_shows_bar(progress_cfg, capsys):
    """With ``progress=False`` nothing is written, however large the work."""
    progress_cfg.progress, progress_cfg.progress_min_bytes = False, 1
    _run(total=10 ** 12)
    assert capsys.readouterr() == ('', '')


def test_below_min_bytes_shows_nothing(progress_cfg, capsys):
    """Work smaller than ``progress_min_bytes`` never shows a bar, even with ``progress=True``."""
    progress_cfg.progress, progress_cfg.progress_min_bytes = True, 10 ** 6
    _run(total=1000)
    assert capsys.readouterr() == ('', '')


def test_auto_without_tty_shows_nothing(progress_cfg, monkeypatch):
    """With ``'auto'`` no bar is shown when stderr is not a terminal."""
    progress_cfg.progress, progress_cfg.progress_min_bytes = 'auto', 10
    stream = io.StringIO()
    monkeypatch.setattr(sys, 'stderr', stream)
    _run()
    assert stream.getvalue() == ''


def test_auto_with_tty_shows_bar(progress_cfg, monkeypatch):
    """With ``'auto'`` a bar is shown when stderr is a terminal."""
    progress_cfg.progress, progress_cfg.progress_min_bytes = 'auto', 10
    stream = _FakeTTY()
    monkeypatch.setattr(sys, 'stderr', stream)
    _run(desc='readbin')
    assert 'readbin' in stream.getvalue()


def test_text_bar_without_tqdm(progress_cfg, capsys, monkeypatch):
    """Without tqdm the built-in text bar reaches 100 % and ends its line on stderr."""
    _hide_tqdm(monkeypatch)
    progress_cfg.progress, progress_cfg.progress_min_bytes = True, 10
    _run(total=2048, steps=2, desc='stack')
    out, err = capsys.readouterr()
    assert out == ''
    assert err.startswith('\rstack:')
    assert '100%' in err and '2.0KiB/2.0KiB' in err
    assert err.endswith('\n')


def test_close_twice_and_no_bar_objects_are_harmless(progress_cfg, capsys):
    """Closing a bar twice, and using a hidden bar, do not raise or write twice."""
    progress_cfg.progress, progress_cfg.progress_min_bytes = False, 1
    bar = progress(100, 'x')
    bar.update(5)
    bar.close()
    bar.close()
    progress_cfg.progress = True
    bar = progress(100, 'x')
    bar.update(100)
    bar.close()
    bar.close()
    assert capsys.readouterr().out == ''


def test_string_settings_from_pyproject(progress_cfg, capsys):
    """String values such as ``'false'`` and ``'true'`` (e.g. from a config file) are honoured."""
    progress_cfg.progress_min_bytes = 1
    progress_cfg.progress = 'false'
    _run()
    assert capsys.readouterr().err == ''
    progress_cfg.progress = 'true'
    _run(desc='strings')
    assert 'strings' in capsys.readouterr().err


def test_exception_inside_block_propagates_and_closes(progress_cfg, capsys, monkeypatch):
    """An error inside the block propagates unchanged and the bar is still closed."""
    _hide_tqdm(monkeypatch)
    progress_cfg.progress, progress_cfg.progress_min_bytes = True, 1
    with pytest.raises(KeyError):
        with progress(10, 'fail') as bar:
            bar.update(3)
            raise KeyError('boom')
    assert capsys.readouterr().err.endswith('\n')
