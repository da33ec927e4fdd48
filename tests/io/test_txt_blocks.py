"""readtxt reads big files in blocks; the blocks must not change the DataMatrix.

The fast path hands files without quotes to pyarrow in blocks of whole lines, and
the csv-module path converts the strings of MixedColumns a chunk of rows at a time
into lists made for all rows at once. With tiny blocks and chunks, rows, blank
lines, byte-order marks and line ends fall across their boundaries; the result
must be what the csv module reads in one go (SPEC 6.1).
"""
import itertools
import math

import numpy as np
import pytest

from datamatrix import FloatColumn, IntColumn, MixedColumn
from datamatrix.io import _text, _txt_fast
from test_txt_engines import cells, read  # the same comparison of both paths

BOM = '\ufeff'


def fast_result(path, col_type=MixedColumn):
    """The fast path's DataMatrix cells, or None where it leaves the file to the csv
    module (or when pyarrow is not installed)."""
    if _txt_fast._pyarrow_csv() is None:
        return None
    dm = _txt_fast.readtxt(str(path), ',', '"', col_type)
    return None if dm is None else cells(dm)


TEXTS = {
    'bom at line starts': f'{BOM}a,b\n1,{BOM}x\n{BOM}2,3\n\n{BOM}y,4\n5,6\n{BOM}7,8',
    'blank lines everywhere': 'a,b\n\n\n1,2\n\n\n\n3,x\n\n4,5\n\n\n',
    'crlf and no final line end': 'a,b\r\n1,2\r\n\r\nx,3\r\n4,nan',
    'long lines': 'a,b\n' + '1' * 300 + ',x\n2,' + 'y' * 200 + '\n3,4\n',
    'one line': 'a,b,c',
    'numbers then text': 'a\n' + '\n'.join(['1', '2.5', '-0', '1e3'] * 20 + ['x', 'nan', ''] * 5),
    'nan and inf': 'a,b\n' + '\n'.join(f'{v},{w}' for v, w in itertools.product(
        ['1', 'nan', 'inf', '-Infinity', '1e400', 'NaN'], ['2', '+5', '1_0', ' 3'])),
    'nan(1) among numerals': 'a,b\n1,2\nnan(1),-nan\n3,nan()\n',  # pyarrow: NaN
}


@pytest.mark.parametrize('block', [1, 2, 3, 4, 5, 8, 13, 64, 1 << 20])
@pytest.mark.parametrize('name', list(TEXTS))
def test_blocks_of_lines_read_as_one_block(tmp_path, monkeypatch, name, block):
    path = tmp_path / 'x.csv'
    path.write_bytes(TEXTS[name].encode())
    expected = read(path, False)
    monkeypatch.setattr(_txt_fast, '_PARSE_BLOCK', block)
    monkeypatch.setattr(_txt_fast, '_SCAN_BLOCK', max(1, block // 2))
    assert read(path, True) == expected
    fast = fast_result(path)
    if _txt_fast._pyarrow_csv() is not None:
        assert fast == expected[0]  # the fast path read it, in these blocks


@pytest.mark.parametrize('col_type', [MixedColumn, FloatColumn, IntColumn])
def test_other_column_types_in_blocks(tmp_path, monkeypatch, col_type):
    path = tmp_path / 'x.csv'
    path.write_bytes(b'a,b\n' + b''.join(b'%d,%d.5\n' % (i, -i) for i in range(50)))
    expected = read(path, False, default_col_type=col_type)
    monkeypatch.setattr(_txt_fast, '_PARSE_BLOCK', 16)
    assert read(path, True, default_col_type=col_type) == expected


@pytest.mark.parametrize('text', ['a,b,c\n1,2,3\n4,5\n6,7\n8,9\n',
                                  'a,b\n1,2\n3,4,5\n6,7,8\n9,1,2\n'])
def test_a_block_of_other_row_lengths_is_left_to_the_csv_module(tmp_path, monkeypatch,
                                                                 text):
    path = tmp_path / 'x.csv'
    path.write_bytes(text.encode())
    expected = read(path, False)
    monkeypatch.setattr(_txt_fast, '_PARSE_BLOCK', 4)  # later blocks: rows of one length
    assert fast_result(path) is None
    assert read(path, True) == expected


def test_a_first_line_longer_than_a_scan_block(tmp_path, monkeypatch):
    path = tmp_path / 'x.csv'
    names = ','.join(f'column{i}' for i in range(40))
    path.write_bytes((names + '\n' + ','.join(map(str, range(40))) + '\n').encode())
    monkeypatch.setattr(_txt_fast, '_SCAN_BLOCK', 7)
    monkeypatch.setattr(_txt_fast, '_PARSE_BLOCK', 5)
    expected = read(path, False)
    assert len(expected[0]) == 40
    assert read(path, True) == expected
    if _txt_fast._pyarrow_csv() is not None:
        assert fast_result(path) == expected[0]


def test_the_lists_are_cut_to_the_rows(tmp_path):
    """Lists are made for one row per line end; blank lines leave no cells behind."""
    path = tmp_path / 'x.csv'
    path.write_bytes(b'a,b\n' + b'\n' * 500 + b'1,x\n\n\n2,y\n' + b'\r\n' * 300)
    for fast in (True, False):
        result = read(path, fast)[0]
        assert result == [('a', 'MixedColumn', [('int', 1), ('int', 2)]),
                          ('b', 'MixedColumn', [('str', 'x'), ('str', 'y')])]


@pytest.mark.parametrize('chunk', [1, 2, 3, 7, 100000])
def test_the_csv_module_path_in_chunks_of_rows(tmp_path, monkeypatch, chunk):
    rng = np.random.default_rng(5)
    values = ['1', '2.5', 'x', '', 'nan', '"q,r"', 'é', '-0', '1e400']
    rows = ['a,b,c'] + [','.join(rng.choice(values, int(rng.integers(1, 4))))
                        for _ in range(60)]
    rows.insert(20, '')
    path = tmp_path / 'x.csv'
    path.write_bytes('\r'.join(rows).encode())  # bare CR: the csv module's path only
    monkeypatch.setattr(_text, '_ROWS_PER_CHUNK', 100000)
    expected = read(path, False)
    assert len(expected[0][0][2]) == sum(1 for row in rows[1:] if row)  # blank: none
    assert expected[1]  # short rows warn
    monkeypatch.setattr(_text, '_ROWS_PER_CHUNK', chunk)
    assert read(path, False) == expected
    assert read(path, True) == expected


def test_the_csv_module_path_with_line_ends_of_another_encoding(tmp_path, monkeypatch):
    """Lists made too short (no LF or CR byte counted) still get every row."""
    path = tmp_path / 'x.csv'
    path.write_bytes('a,b\n1,x\n2,y\n3,z\n'.encode('utf-16'))
    monkeypatch.setattr(_text, '_line_ends', lambda path: 0)
    monkeypatch.setattr(_text, '_ROWS_PER_CHUNK', 2)
    assert read(path, False, encoding='utf-16')[0] == [
        ('a', 'MixedColumn', [('int', 1), ('int', 2), ('int', 3)]),
        ('b', 'MixedColumn', [('str', 'x'), ('str', 'y'), ('str', 'z')])]


def test_what_the_cast_of_other_strings_gives():
    """The claim of ``_txt_fast._NUMERALS``: a string with a character that is not in
    a plain numeral is refused by pyarrow's cast to float64, or cast to NaN or INF."""
    pa = pytest.importorskip('pyarrow')
    import pyarrow.compute as pc
    alphabet = '019.e+-E nafitxyIN_,\t\u0661\u00bd'
    for size in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=size):
            text = ''.join(chars)
            if not text.translate({ord(c): None for c in '0123456789+-.eE'}):
                continue  # a plain numeral's characters only
            try:
                value = pc.cast(pa.array([text]), pa.float64())[0].as_py()
            except pa.ArrowInvalid:
                continue
            assert value is None or not math.isfinite(value), text


@pytest.mark.parametrize('scan', [1, 2, 3, 5, 1 << 16])
@pytest.mark.parametrize('data,valid', [
    ('a,b\nécu,ß\n€,𝄞x\n'.encode(), True),
    (b'a,b\n1,\xc3', False),  # ends inside a character
    (b'a,b\n1,\xc3x\n', False),  # a character broken off
    (b'a,b\n1,\xff\n2,3\n', False),
    (b'a,b\n1,2\n' * 5 + b'\xed\xa0\x80,1\n', False),  # a surrogate
])
def test_utf8_is_checked_across_scan_blocks(tmp_path, monkeypatch, scan, data, valid):
    path = tmp_path / 'x.csv'
    path.write_bytes(data)
    monkeypatch.setattr(_txt_fast, '_SCAN_BLOCK', scan)
    expected = read(path, False)
    assert (expected[0][0] != 'UnicodeDecodeError') == valid
    assert read(path, True) == expected
    if _txt_fast._pyarrow_csv() is not None:
        assert (fast_result(path) is not None) == valid


def warned(path, fast, col_type):
    """The values and the warnings in the order they came, fast path on or off."""
    return read(path, fast, ordered=True, default_col_type=col_type)


@pytest.mark.parametrize('col_type', [FloatColumn, IntColumn])
@pytest.mark.parametrize('block', [8, 30, 1 << 20])
def test_numbers_and_text_in_blocks_warn_and_fail_in_row_order(tmp_path, monkeypatch,
                                                               col_type, block):
    """Blocks of numerals are converted at once, others by the conversion rules at
    the end: warnings (FloatColumn) and the error (IntColumn) come as the csv module's
    path gives them, column by column, row by row."""
    a = ['1', '2'] * 10 + ['x', '3', 'y'] + ['4'] * 10 + ['1e400', '2.9', '-0']
    b = ['5'] * 3 + ['z'] + ['6', '7.5'] * 10 + ['w', '8'] + ['9'] * 7
    path = tmp_path / 'x.csv'
    path.write_bytes(('a,b\n' + ''.join(f'{v},{w}\n' for v, w in zip(a, b))).encode())
    monkeypatch.setattr(_txt_fast, '_PARSE_BLOCK', block)
    expected = warned(path, False, col_type)
    if col_type is FloatColumn:
        assert len(expected[1]) == 4 and 'x' in expected[1][0]
    else:
        assert expected[0][0] == 'InvalidValueError' and "'x'" in expected[0][1]
    assert warned(path, True, col_type) == expected
    good = tmp_path / 'good.csv'
    good.write_bytes(b'a,b\n' + b''.join(b'%d.9,-%d.9\n' % (i, i) for i in range(40))
                     + b'1e18,-0\n')
    assert warned(good, True, col_type) == warned(good, False, col_type)
    assert len(warned(good, True, col_type)[0][0][2]) == 41


def test_other_column_types_take_the_whole_column(tmp_path, monkeypatch):
    """A subclass of a column type gets its column of strings in one assignment."""
    assigned = []

    class Recording(MixedColumn):
        def _convert_many(self, value, count):
            assigned.append(list(value))
            return super()._convert_many(value, count)

    path = tmp_path / 'x.csv'
    path.write_bytes(b'a\n' + b''.join(b'%d\n' % i for i in range(10)))
    monkeypatch.setattr(_text, '_ROWS_PER_CHUNK', 3)
    for fast in (True, False):
        assigned.clear()
        result = read(path, fast, default_col_type=Recording)[0]
        assert result == [('a', 'Recording', [('int', i) for i in range(10)])]
        assert [str(i) for i in range(10)] in assigned


@pytest.mark.parametrize('col_type', [FloatColumn, IntColumn])
@pytest.mark.parametrize('chunk', [1, 4, 100000])
def test_the_csv_module_path_converts_numbers_in_chunks(tmp_path, monkeypatch,
                                                        col_type, chunk):
    a = ['1', '2.9', '-0', '1e3'] * 5 + ['x', 'nan', '1e400', ''] + ['7'] * 6
    b = ['-2.5'] * 10 + ['1_000', ' 4 ', 'y'] + ['9'] * 7 + ['2e19', '3'] * 5
    path = tmp_path / 'x.csv'
    path.write_bytes(b'a,b\r' + ''.join(f'{v},{w}\r' for v, w in zip(a, b)).encode())
    monkeypatch.setattr(_text, '_ROWS_PER_CHUNK', 100000)
    expected = warned(path, False, col_type)
    monkeypatch.setattr(_text, '_ROWS_PER_CHUNK', chunk)
    assert warned(path, False, col_type) == expected
    if col_type is FloatColumn:
        assert len(expected[1]) == 3 and expected[0][1][2][:3] == [
            ('float', -2.5)] * 3
    else:
        assert expected[0][0] == 'InvalidValueError' and "'x'" in expected[0][1]
