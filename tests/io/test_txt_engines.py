"""readtxt / writetxt: the fast CSV path (pyarrow) and the csv-module path agree (SPEC 6.1/6.2).

Every file is read twice, with ``_txt_fast.USE_FAST_CSV`` on and off, and the two
DataMatrix objects must match in column names and order, column types, cell
values and types, and warnings. Without pyarrow both runs take the csv-module
path (the comparison then still checks that path against itself and the
expected values); ``test_the_fast_path_is_taken`` checks that pyarrow, when
installed, really reads the plain files.
"""
import math
import warnings

import numpy as np
import pytest

from datamatrix import DataMatrix, FloatColumn, IntColumn, MixedColumn, io
from datamatrix._table import bulk
from datamatrix.io import _txt_fast

FILES = {
    'plain': 'a,b,c\n1,2.5,x\n3,nan,y\n',
    'crlf': 'a,b\r\n1,2\r\n\r\n3,4\r\n',
    'no final newline': 'a,b\n1,2',
    'blank lines': '\n\na,b\n\n1,2\n\n',
    'tricky numbers': ('v\n1e3\n-0\n 1 \n1_000\ninf\n-Infinity\nNaN\n+5\n.5\n1.\n007\n'
                       '1e400\n1e-400\n12345678901234567890123\nnan(1)\n0x10\nNone\nTrue\n'
                       '\u0661\n\u00bd\n\n'),
    'numerals only': 'v,w\n1,-0\n2.5,1e3\n-7,.5\n',
    'empty cells': 'a,b,c\n,,\n1,,x\n',
    'unicode': 'naïve,ü\né,ß\n1,ü\n',
    'bom': '\ufeffa,b\n1,2\n',
    'duplicate names': 'a,a,b,a\n1,2,3,4\n',
    'quoted': 'a,b\n"x,y","he said ""hi"""\n"1","multi\nline"\n',
    'quote inside field': 'a,b\nx"y,1\n"ab"c,2\n',
    'unclosed quote': 'a,b\n1,"x\n',
    'lone empty quoted field': 'a\n""\nx\n',
    'whitespace line': 'a\n \nx\n',
    'short rows': 'a,b,c\n1,2\n3\n4,5,6\n',
    'long rows': 'a,b\n1,2,3\n4,5\n',
    'bare cr': 'a,b\r1,2\r3,4\r',
    'header only': 'a,b,c\n',
    'empty': '',
    'only newlines': '\n\n',
    'nul byte': 'a,b\n1,\x002\n',
    'quoted header with newline': '"a\nb",c\n1,2\n',
    'tabs': 'a\tb\n1\t2\n',
    'quoted crlf': 'a,b\r\n"x\r\ny",1\r\n',
}


def cells(dm):
    """Column names, types and typed values (NaN made comparable) of a DataMatrix."""
    return [(name, type(col).__name__,
             [(type(v).__name__, 'nan' if isinstance(v, float) and math.isnan(v) else v)
              for v in col]) for name, col in dm.columns]


def read(path, fast, ordered=False, **kwargs):
    """The DataMatrix read with the fast path on or off (or the error), and warnings
    (sorted, or as they came with ``ordered``)."""
    saved = _txt_fast.USE_FAST_CSV
    _txt_fast.USE_FAST_CSV = fast
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            try:
                result = cells(io.readtxt(path, **kwargs))
            except Exception as exc:  # noqa: BLE001 - the error is compared
                result = (type(exc).__name__, str(exc))
    finally:
        _txt_fast.USE_FAST_CSV = saved
    messages = [str(w.message) for w in caught]
    return result, messages if ordered else sorted(messages)


@pytest.fixture(params=[True, False], ids=['fastnumbers', 'python'])
def parser(request, monkeypatch):
    monkeypatch.setattr(bulk, 'USE_FASTNUMBERS', request.param)


@pytest.mark.parametrize('col_type', [MixedColumn, FloatColumn, IntColumn])
@pytest.mark.parametrize('name', list(FILES))
def test_both_paths_read_the_same_datamatrix(tmp_path, parser, name, col_type):
    path = tmp_path / 'x.csv'
    path.write_bytes(FILES[name].encode('utf-8'))
    fast = read(path, True, default_col_type=col_type)
    assert fast == read(path, False, default_col_type=col_type)


@pytest.mark.parametrize('delimiter,quotechar', [(';', "'"), ('\t', '"'), ('|', '"'),
                                                 (' ', '"'), ('x', 'q')])
def test_both_paths_agree_for_other_dialects(tmp_path, delimiter, quotechar):
    text = FILES['quoted'].replace(',', delimiter).replace('"', quotechar)
    path = tmp_path / 'x.csv'
    path.write_bytes(text.encode('utf-8'))
    kwargs = dict(delimiter=delimiter, quotechar=quotechar)
    assert read(path, True, **kwargs) == read(path, False, **kwargs)


def test_invalid_utf8_is_reported_by_both_paths(tmp_path):
    path = tmp_path / 'x.csv'
    path.write_bytes(b'a,b\n1,\xff\n')
    for fast in (True, False):
        _txt_fast.USE_FAST_CSV = fast
        try:
            with pytest.raises(UnicodeDecodeError, match='not valid UTF-8'):
                io.readtxt(path)
        finally:
            _txt_fast.USE_FAST_CSV = True


def test_the_expected_values(tmp_path):
    """The tricky numbers by the rules of SPEC 3.8 (whichever path is taken)."""
    path = tmp_path / 'x.csv'
    path.write_bytes(FILES['tricky numbers'].encode())
    values = read(path, True)[0][0][2]
    assert values[:3] == [('int', 1000), ('int', 0), ('int', 1)]
    assert ('float', 'nan') in values and ('str', 'nan(1)') in values
    assert ('int', 12345678901234567890123 // 10 ** 7 * 10 ** 7) not in values  # via float
    assert ('int', int(float('12345678901234567890123'))) in values
    assert ('str', '0x10') in values and ('str', 'None') in values
    assert ('float', 0.0) not in values and ('int', 0) in values  # '1e-400' is 0 -> int


def test_the_fast_path_is_taken(tmp_path):
    pytest.importorskip('pyarrow')
    path = tmp_path / 'x.csv'
    for name in ('plain', 'crlf', 'quoted', 'tricky numbers', 'numerals only', 'bom'):
        path.write_bytes(FILES[name].encode())
        assert _txt_fast.readtxt(str(path), ',', '"', MixedColumn) is not None, name
    for name in ('short rows', 'long rows', 'bare cr', 'empty', 'nul byte', 'quoted crlf'):
        path.write_bytes(FILES[name].encode())
        assert _txt_fast.readtxt(str(path), ',', '"', MixedColumn) is None, name


def test_a_large_numeric_file_reads_alike(tmp_path):
    rng = np.random.default_rng(1)
    dm = DataMatrix(length=3000)
    dm.i = IntColumn
    dm.i = rng.integers(-10 ** 6, 10 ** 6, 3000)
    dm.f = FloatColumn
    dm.f = rng.normal(0, 1e5, 3000) ** 3
    dm.f[::7] = math.nan
    dm.s = [f'x{v}' if v % 3 else v / 4 for v in range(3000)]
    path = tmp_path / 'x.csv'
    io.writetxt(dm, path)
    fast = read(path, True)
    assert fast == read(path, False)
    back = io.readtxt(path)
    assert list(back.i) == list(dm.i) and list(back.s) == list(dm.s)
    assert np.array_equal(np.array(back.f, dtype=float), dm.f.array, equal_nan=True)


# -- writing ----------------------------------------------------------------------------

def tricky_datamatrix():
    dm = DataMatrix(length=8)
    dm.m = ['', 'a,b', 'say "x"', 'two\nlines', 'cr\rhere', None, 2.0, math.nan]
    dm.f = FloatColumn
    dm.f = [0.0, -0.0, 1e20, 2.0 ** 53 + 2, 5e-324, math.inf, -math.inf, 1 / 3]
    dm.i = IntColumn
    dm.i = [0, -1, 2 ** 63 - 1, -2 ** 63, 7, 8, 9, 10]
    dm['a b'] = [1e16, 123456789.125, -2.5, 'é', ';', '\t', "'", 3]
    return dm


def written(dm, path, fast, **kwargs):
    saved = _txt_fast.USE_FAST_CSV
    _txt_fast.USE_FAST_CSV = fast
    try:
        io.writetxt(dm, path, **kwargs)
    finally:
        _txt_fast.USE_FAST_CSV = saved
    return path.read_bytes()


@pytest.mark.parametrize('delimiter,quotechar', [(',', '"'), (';', "'"), ('\t', '"'),
                                                 ('.', '"'), ('1', 'a')])
def test_both_writers_write_the_same_bytes(tmp_path, delimiter, quotechar):
    dm = tricky_datamatrix()
    path = tmp_path / 'x.csv'
    kwargs = dict(delimiter=delimiter, quotechar=quotechar)
    assert written(dm, path, True, **kwargs) == written(dm, path, False, **kwargs)


def test_the_written_text(tmp_path):
    path = tmp_path / 'x.csv'
    text = written(tricky_datamatrix(), path, True).decode()
    lines = text.split('\n')
    assert lines[0] == 'a b,f,i,m'  # column_names: sorted
    assert lines[1] == '10000000000000000,0,0,'
    assert '100000000000000000000' in text and '9007199254740994' in text
    assert '"say ""x"""' in text and '"two\nlines"' in text and '"cr\rhere"' in text
    assert ',None' in text and ',nan' in text and '5e-324' in text


def test_a_single_column_of_empty_strings_is_not_blank_lines(tmp_path):
    dm = DataMatrix(length=3)
    dm.a = ['', 'x', '']
    path = tmp_path / 'x.csv'
    assert written(dm, path, True) == written(dm, path, False) == b'a\n""\nx\n""\n'
    for fast in (True, False):
        assert read(path, fast)[0] == [('a', 'MixedColumn',
                                        [('str', ''), ('str', 'x'), ('str', '')])]


def test_round_trip_through_both_paths(tmp_path):
    dm = tricky_datamatrix()
    path = tmp_path / 'x.csv'
    written(dm, path, True)
    assert read(path, True) == read(path, False)
    back = io.readtxt(path)
    assert back.m[5] == 'None' and back.m[1] == 'a,b' and back.m[3] == 'two\nlines'
    assert list(back.i) == [int(float(v)) for v in dm.i]  # text -> float -> int (3.8)


def test_numerals_are_rounded_as_python_rounds_them(tmp_path):
    """Long and extreme numerals: the fast path's parser gives Python's floats."""
    rng = np.random.default_rng(7)
    digits = [''.join(map(str, rng.integers(0, 10, int(rng.integers(1, 30)))))
              for _ in range(300)]
    numerals = ([f'{d[:5]}.{d[5:]}' for d in digits] + [f'{d}e-{len(d) + 300}' for d in digits]
                + [f'-{d}E+{len(d) % 40}' for d in digits]
                + ['9007199254740993', '0.1000000000000000055511151231257827', '4.9e-324',
                   '2.4703282292062327e-324', '1.7976931348623157e308', '1e309', '-0', '.5',
                   '5.', '0000.0001'])
    path = tmp_path / 'x.csv'
    path.write_text('v\n' + '\n'.join(numerals) + '\n')
    fast = read(path, True)
    assert fast == read(path, False)
    expected = []
    for text in numerals:
        number = float(text)
        if math.isfinite(number) and number == int(number):
            expected.append(('int', int(number)))
        else:
            expected.append(('float', number))
    assert fast[0][0][2] == expected


def test_batches_and_scan_blocks_do_not_change_the_result(tmp_path, monkeypatch):
    """pyarrow reads in batches and the file is scanned in blocks: with tiny ones,
    rows, quoted line breaks and CR LF pairs fall across their boundaries."""
    rng = np.random.default_rng(3)
    quoted = ['"a\nb"', '"x,y"', '"q""q"']
    plain = ['1', 'nan', '', 'é', '2.5', '-0', 'x', '1e3']
    for newline, cells in (('\n', quoted + plain), ('\r\n', plain)):
        for first_cells in (['1', '-7'], cells):  # numerals only in the first batch, or not
            rows = ['h0,h1,h2'] + [','.join(rng.choice(first_cells, 3)) for _ in range(40)]
            rows += [','.join(rng.choice(cells, 3)) for _ in range(200)]
            path = tmp_path / 'x.csv'
            path.write_bytes(newline.join(rows).encode())
            expected = read(path, False)
            assert len(expected[0][0][2]) == 240
            for scan, parse in ((1, 64), (7, 100), (4096, 1 << 20)):
                monkeypatch.setattr(_txt_fast, '_SCAN_BLOCK', scan)
                monkeypatch.setattr(_txt_fast, '_PARSE_BLOCK', parse)
                if _txt_fast._pyarrow_csv() is not None:  # the fast path is taken
                    assert _txt_fast.readtxt(str(path), ',', '"', MixedColumn) is not None
                assert read(path, True) == expected


def test_fields_beyond_the_csv_field_limit_are_left_to_the_csv_module(tmp_path):
    import csv
    path = tmp_path / 'x.csv'
    path.write_text('a,b\n1,' + 'x' * (csv.field_size_limit() + 5) + '\n')
    assert _txt_fast.readtxt(str(path), ',', '"', MixedColumn) is None
    assert read(path, True) == read(path, False)
    path.write_text('a,b\n1,' + 'x' * 1000 + '\n')
    assert read(path, True) == read(path, False)
