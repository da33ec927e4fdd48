"""cfg: byte sizes, the environment variable, pyproject.toml and the default budget."""
import os
import subprocess
import sys

import pytest

from datamatrix import cfg
from datamatrix._engine.config import parse_size, total_memory


@pytest.mark.parametrize('text, expected', [
    ('6GB', 6_000_000_000), ('512MiB', 536_870_912), ('1.5G', 1_610_612_736),
    ('1000000', 1_000_000), ('0.5KB', 500), ('2 kib', 2048), ('3T', 3 * 1024 ** 4),
    ('10b', 10), (4096, 4096), (2.9, 2),
])
def test_sizes_parse(text, expected):
    """Decimal and binary units, spaces and case are understood; fractions round down."""
    assert parse_size(text) == expected


@pytest.mark.parametrize('text', ['', 'GB', '6 XB', '1e', '-5MB', 'six', '0', '0.4'])
def test_bad_sizes_raise_value_error(text):
    """Strings that don't parse and sizes that are not positive raise ValueError."""
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize('value', [True, None, [1], b'1GB'])
def test_other_types_raise_type_error(value):
    """bool, None and other types raise TypeError."""
    with pytest.raises(TypeError):
        parse_size(value)


def test_memory_limit_assignment_reads_back_as_int():
    """Assigning a string sets the budget; reading gives an int; bad input changes nothing."""
    saved = cfg.memory_limit
    try:
        cfg.memory_limit = '2GB'
        assert cfg.memory_limit == 2_000_000_000
        with pytest.raises(ValueError):
            cfg.memory_limit = -1
        assert cfg.memory_limit == 2_000_000_000
    finally:
        cfg.memory_limit = saved


def test_default_budget_is_half_of_the_memory_available():
    """Without settings, the budget is 50 % of physical (or cgroup) memory."""
    code = 'from datamatrix import cfg; print(cfg.memory_limit)'
    env = {k: v for k, v in os.environ.items() if k != 'DATAMATRIX_MEMORY_LIMIT'}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=env, cwd='/', check=True).stdout
    assert int(out) == total_memory() // 2


def _read_cfg(tmp_path, env_limit=None, toml=None):
    if toml is not None:
        (tmp_path / 'pyproject.toml').write_text(toml)
    env = {k: v for k, v in os.environ.items() if k != 'DATAMATRIX_MEMORY_LIMIT'}
    if env_limit:
        env['DATAMATRIX_MEMORY_LIMIT'] = env_limit
    code = ('from datamatrix import cfg; '
            'print(cfg.memory_limit, cfg.save_chunk_size, getattr(cfg, "custom", None))')
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, check=True).stdout.split()


def test_pyproject_and_environment_precedence(tmp_path):
    """pyproject.toml sets known keys (unknown ones are ignored, with a warning);
    DATAMATRIX_MEMORY_LIMIT overrides its budget."""
    toml = '[tool.datamatrix]\nmemory_limit = "1GB"\nsave_chunk_size = 4096\ncustom = 3\n'
    assert _read_cfg(tmp_path, toml=toml) == ['1000000000', '4096', 'None']
    assert _read_cfg(tmp_path, env_limit='512MiB', toml=toml)[0] == '536870912'
