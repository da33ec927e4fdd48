"""Settings are checked when they are set (SPEC 5.2, amended)."""
import math
import os
import subprocess
import sys
import warnings

import pytest

from datamatrix import cfg
from datamatrix._engine.config import SETTINGS, Config, SettingWarning

SIZE_SETTINGS = ['memory_limit', 'min_mem_free_abs', 'always_load_max_size',
                 'never_load_min_size', 'save_chunk_size', 'progress_min_bytes']


@pytest.fixture
def fresh():
    """A Config of its own, so the global cfg is never changed by these tests."""
    return Config()


@pytest.mark.parametrize('name', SIZE_SETTINGS)
def test_every_size_setting_parses_units_and_stores_an_int(fresh, name):
    setattr(fresh, name, '1MB')
    value = getattr(fresh, name)
    assert value == 1_000_000 and type(value) is int
    setattr(fresh, name, '2 KiB')
    assert getattr(fresh, name) == 2048


@pytest.mark.parametrize('name', SIZE_SETTINGS)
def test_bad_size_raises_naming_the_setting_and_keeps_old_value(fresh, name):
    setattr(fresh, name, 4096)
    with pytest.raises(ValueError, match=f'cfg.{name}'):
        setattr(fresh, name, '12 parsecs')
    with pytest.raises(TypeError, match=f'cfg.{name}'):
        setattr(fresh, name, [1])
    assert getattr(fresh, name) == 4096


def test_zero_and_infinity_where_they_make_sense(fresh):
    fresh.always_load_max_size = 0
    assert fresh.always_load_max_size == 0
    fresh.never_load_min_size = 'inf'
    assert fresh.never_load_min_size == math.inf
    with pytest.raises(ValueError, match='memory_limit'):
        fresh.memory_limit = 0
    with pytest.raises(ValueError, match='save_chunk_size'):
        fresh.save_chunk_size = '0MB'


def test_always_load_max_size_string_no_longer_breaks_column_creation(tmp_path):
    """The bug of issue 15: the string was stored and the next column creation died."""
    from datamatrix import DataMatrix, MultiDimensionalColumn
    saved = cfg.always_load_max_size
    try:
        cfg.always_load_max_size = '1MB'
        dm = DataMatrix(length=3)
        dm.m = MultiDimensionalColumn(shape=(2, 2))
        dm.m = 1
        assert dm.m.array.sum() == 12
    finally:
        cfg.always_load_max_size = saved


def test_other_settings_are_validated(fresh):
    fresh.min_mem_free_rel = '0.25'
    assert fresh.min_mem_free_rel == 0.25
    with pytest.raises(ValueError, match='min_mem_free_rel'):
        fresh.min_mem_free_rel = 2
    assert fresh.min_mem_free_rel == 0.25
    with pytest.raises(ValueError, match='memory_poll_interval'):
        fresh.memory_poll_interval = -1
    fresh.progress = 'no'
    assert fresh.progress is False
    fresh.progress = 'AUTO'
    assert fresh.progress == 'auto'
    with pytest.raises(ValueError, match='cfg.progress'):
        fresh.progress = 'sometimes'
    assert fresh.progress == 'auto'
    with pytest.raises(TypeError, match='tmp_dir'):
        fresh.tmp_dir = 3


def test_unknown_name_suggests_the_nearest(fresh):
    with pytest.raises(AttributeError, match="did you mean 'memory_limit'"):
        fresh.memory_lmit = 1
    with pytest.raises(AttributeError, match="did you mean 'save_chunk_size'"):
        fresh.save_chunksize
    assert not hasattr(fresh, 'memory_lmit')


def test_repr_and_dir_come_from_the_table(fresh):
    text = repr(fresh)
    assert all(f'{name}=' in text for name in SETTINGS)
    assert set(SETTINGS) <= set(dir(fresh))


def _import_cfg(tmp_path, env=(), toml=None, names=('memory_limit', 'save_chunk_size')):
    if toml is not None:
        (tmp_path / 'pyproject.toml').write_text(toml)
    environ = {k: v for k, v in os.environ.items() if not k.startswith('DATAMATRIX_')}
    environ.update(env)
    code = ('import datamatrix; print(' +
            ', '.join(f'datamatrix.cfg.{name}' for name in names) + ')')
    result = subprocess.run([sys.executable, '-W', 'always', '-c', code],
                            capture_output=True, text=True, env=environ, cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # import datamatrix still works
    return result.stdout.split(), result.stderr


def test_bad_environment_value_is_reported_and_import_works(tmp_path):
    out, err = _import_cfg(tmp_path, env={'DATAMATRIX_MEMORY_LIMIT': 'lots',
                                          'DATAMATRIX_SAVE_CHUNK_SIZE': '1MB'})
    assert out[1] == '1000000'  # every setting has its variable
    assert 'DATAMATRIX_MEMORY_LIMIT' in err and 'memory_limit' in err and "'lots'" in err


def test_bad_pyproject_value_and_unknown_key_are_reported(tmp_path):
    toml = ('[tool.datamatrix]\nsave_chunk_size = "big"\nmemory_lmit = "1GB"\n'
            'always_load_max_size = "1MB"\n')
    out, err = _import_cfg(tmp_path, toml=toml,
                           names=('save_chunk_size', 'always_load_max_size'))
    assert out == ['134217728', '1000000']
    assert 'pyproject.toml' in err and 'save_chunk_size' in err and "'big'" in err
    assert "did you mean 'memory_limit'" in err


def test_environment_wins_over_pyproject(tmp_path):
    toml = '[tool.datamatrix]\nprogress_min_bytes = "1KB"\n'
    out, err = _import_cfg(tmp_path, toml=toml, env={'DATAMATRIX_PROGRESS_MIN_BYTES': '2KB'},
                           names=('progress_min_bytes',))
    assert out == ['2000'] and err == ''


def test_warning_class_is_a_user_warning(fresh):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        fresh._load_environment({'DATAMATRIX_TMP_DIR': '', 'DATAMATRIX_PROGRESS': 'maybe'})
    assert [w.category for w in caught] == [SettingWarning]
    assert issubclass(SettingWarning, UserWarning)
    assert 'DATAMATRIX_PROGRESS' in str(caught[0].message)
