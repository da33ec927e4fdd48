"""Errors that help (issue 15): names suggested, optional packages named by extra,
and readtxt's encoding, delimiter sniffing and over-long rows."""
import ast
import pathlib
import sys

import numpy as np
import pytest

import datamatrix
from datamatrix import DataMatrix, MultiDimensionalColumn, SeriesColumn, io
from datamatrix import convert as cnv
from datamatrix import series as srs
from datamatrix._optional import EXTRAS, install_hint, optional_import
from datamatrix.errors import ColumnNotFoundError, InvalidValueError

SRC = pathlib.Path(datamatrix.__file__).parent


def sample_dm():
    dm = DataMatrix(length=2)
    dm.rt = 300, 400
    dm.response = 'a', 'b'
    return dm


@pytest.mark.parametrize('access', [
    lambda dm: dm.rtt, lambda dm: dm['rtt'], lambda dm: dm['RT'],
    lambda dm: dm.rename('rtt', 'x'), lambda dm: delattr(dm, 'rtt')])
def test_unknown_column_suggests_the_nearest(access):
    dm = sample_dm()
    with pytest.raises(ColumnNotFoundError) as info:
        access(dm)
    assert "did you mean 'rt'?" in str(info.value)
    assert dm.column_names == ['response', 'rt']


def test_unknown_column_without_near_name_lists_the_columns():
    with pytest.raises(ColumnNotFoundError, match="no column named 'zzz'; columns: "):
        sample_dm().zzz
    assert not hasattr(sample_dm(), 'zzz')  # still an AttributeError


def test_unknown_index_name_lists_the_valid_ones():
    dm = DataMatrix(length=2)
    dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz', 'Pz'), 4))
    with pytest.raises(InvalidValueError, match=r"'Oz'.*dimension 1.*'Fz', 'Cz', 'Pz'"):
        dm.erp[:, 'Oz']
    with pytest.raises(InvalidValueError, match="did you mean 'Fz'"):
        dm.erp[:, ['Cz', 'fz']]
    with pytest.raises(InvalidValueError, match='no names: use a position from 0 to 3'):
        dm.erp[:, :, 'x']
    before = dm.erp.array.copy()
    with pytest.raises(InvalidValueError, match="'Fz', 'Cz', 'Pz'"):
        dm.erp[:, 'Oz'] = 1
    np.testing.assert_array_equal(dm.erp.array, before)


def _block(monkeypatch, *packages):
    """Make ``import package`` fail, as if it were not installed."""
    for name in packages:
        monkeypatch.setitem(sys.modules, name, None)


def test_missing_scipy_names_the_extra(monkeypatch):
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=20)
    dm.s = np.arange(40.0).reshape(2, 20)
    _block(monkeypatch, 'scipy')
    with pytest.raises(ImportError) as info:
        srs.smooth(dm.s, winlen=3)
    assert 'pip install "datamatrix[scipy]"' in str(info.value)
    assert 'smooth' in str(info.value) and info.value.name == 'scipy'
    with pytest.raises(ImportError, match=r'datamatrix\[scipy\]'):
        srs.filter_lowpass(dm.s, 5, sampling_freq=100)


def test_to_dask_names_the_extra_not_a_submodule(monkeypatch):
    dm = DataMatrix(length=2)
    dm.x = 1
    _block(monkeypatch, 'dask')
    with pytest.raises(ImportError) as info:
        cnv.to_dask(dm.x)
    message = str(info.value)
    assert 'pip install "datamatrix[dask]"' in message and 'to_dask' in message
    assert 'pip install dask.array' not in message


@pytest.mark.parametrize('package, call', [
    ('pandas', lambda: cnv.to_pandas(sample_dm())),
    ('xarray', lambda: cnv.to_xarray(sample_dm())),
    ('openpyxl', lambda: io.writexlsx(sample_dm(), 'never-written.xlsx')),
    ('zarr', lambda: io.readzarr('never-read.zarr')),
])
def test_every_optional_package_names_its_extra(monkeypatch, package, call):
    _block(monkeypatch, package)
    with pytest.raises(ImportError) as info:
        call()
    extra = EXTRAS[package][1]
    assert f'pip install "datamatrix[{extra}]"' in str(info.value)


def test_install_hints_and_versions():
    assert install_hint('mne') == 'pip install "datamatrix[mne]" (or: pip install mne)'
    assert install_hint('somethingelse') == 'pip install somethingelse'
    with pytest.raises(ImportError, match='needs numpy 999 or newer'):
        optional_import('numpy', 'a test', min_version='999')
    assert optional_import('numpy.linalg', 'a test') is np.linalg


def _is_type_checking(node):
    return isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test)


def test_optional_packages_are_imported_only_through_the_helper():
    """No module but ``_optional.py`` imports an optional package itself."""
    optional = set(EXTRAS)
    offenders = []
    for path in SRC.rglob('*.py'):
        if path.name == '_optional.py':
            continue
        tree = ast.parse(path.read_text())
        skip = {id(n) for block in ast.walk(tree) if _is_type_checking(block)
                for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith(
                    'import_module'):
                names = [ast.unparse(node.args[0]).strip('\'"')] if node.args else []
            else:
                continue
            offenders += [f'{path.relative_to(SRC)}:{node.lineno} {name}'
                          for name in names if name.split('.')[0] in optional]
    assert offenders == []


# -- readtxt ------------------------------------------------------------------------

def test_readtxt_reports_the_line_with_too_many_fields(tmp_path):
    path = tmp_path / 'x.csv'
    path.write_text('a,b\n1,2\n\n"multi\nline",3\n4,5,6\n', encoding='utf-8')
    with pytest.raises(ValueError, match=r"x\.csv', line 6: 3 fields, .* 2 column names"):
        io.readtxt(path)


def test_readtxt_encoding(tmp_path):
    path = tmp_path / 'latin.csv'
    path.write_bytes('name,city\nJosé,Zürich\n'.encode('latin-1'))
    with pytest.raises(UnicodeDecodeError, match='encoding='):
        io.readtxt(path)
    dm = io.readtxt(path, encoding='latin-1')
    assert dm.name[0] == 'José' and dm.city[0] == 'Zürich'
    path.write_text('a,b\n1,2\n', encoding='utf-16')
    assert io.readtxt(path, encoding='utf-16').b[0] == 2
    with pytest.raises(LookupError):
        io.readtxt(path, encoding='no-such-codec')
    with pytest.raises(TypeError, match='encoding'):
        io.readtxt(path, encoding=8)


@pytest.mark.parametrize('delimiter', [';', '\t', '|', ','])
def test_readtxt_sniffs_the_delimiter(tmp_path, delimiter):
    path = tmp_path / 'x.csv'
    rows = [['subject', 'rt', 'note'], ['1', '312.5', 'a b'], ['2', '401', '"x, y"']]
    path.write_text('\n'.join(delimiter.join(row) for row in rows) + '\n',
                    encoding='utf-8')
    dm = io.readtxt(path, delimiter=None)
    assert dm.column_names == sorted(['subject', 'rt', 'note'])
    assert list(dm.rt) == [312.5, 401]


def test_readtxt_sniffing_a_single_column_and_an_empty_file(tmp_path):
    path = tmp_path / 'one.csv'
    path.write_text('x\n1\n2\n', encoding='utf-8')
    assert list(io.readtxt(path, delimiter=None).x) == [1, 2]
    path.write_text('', encoding='utf-8')
    assert io.readtxt(path, delimiter=None).shape == (0, 0)
