"""The notebook display of a DataMatrix (issue 15, part 5): ``_repr_html_``."""
import re

import numpy as np
import pytest

from datamatrix import DataMatrix, FloatColumn, MultiDimensionalColumn, SeriesColumn, cfg
from datamatrix._table.printing import HTML_EDGE_ROWS, MAX_HTML_ROWS, format_floats


def row_ids(html):
    """The row numbers in the first cell of every data row."""
    return [int(n) for n in re.findall(r'<tr><td>(\d+)</td>', html)]


def test_md_headers_show_the_cell_shape_and_index_names():
    dm = DataMatrix(length=2)
    dm.s = SeriesColumn(depth=5)
    dm.erp = MultiDimensionalColumn(shape=(('Fz', 'Cz', 'Pz'), 4))
    dm.x = 1
    html = dm._repr_html_()
    assert '<th>s<br /><small>5</small></th>' in html
    assert '<th>erp<br /><small title="Fz, Cz, Pz">3 × 4</small></th>' in html
    assert '<th>x</th>' in html


def test_offloaded_columns_are_marked_and_stay_offloaded(tmp_path):
    saved = cfg.always_load_max_size
    cfg.always_load_max_size = 0
    try:
        dm = DataMatrix(length=3)
        dm.a = SeriesColumn(depth=4)
        dm.b = SeriesColumn(depth=4)
        dm.a.loaded = False
        html = dm._repr_html_()
        assert '<small>4 · offloaded</small>' in html
        assert '<th>b<br /><small>4</small></th>' in html
        assert not dm.a.loaded  # showing never loads
    finally:
        cfg.always_load_max_size = saved


@pytest.mark.parametrize('n', [1, MAX_HTML_ROWS])
def test_short_tables_are_shown_whole(n):
    dm = DataMatrix(length=n)
    dm.x = range(n)
    html = dm._repr_html_()
    assert row_ids(html) == list(range(n))
    assert 'rows …' not in html and 'columns</p>' not in html


@pytest.mark.parametrize('n', [MAX_HTML_ROWS + 1, 1000])
def test_long_tables_show_first_and_last_rows(n):
    dm = DataMatrix(length=n)
    dm.x = range(n)
    dm.s = SeriesColumn(depth=2)
    html = dm._repr_html_()
    edge = HTML_EDGE_ROWS
    assert row_ids(html) == list(range(edge)) + list(range(n - edge, n))
    assert f'… {n - 2 * edge} rows …' in html
    assert html.index(f'<tr><td>{edge - 1}</td>') < html.index('rows …') < \
        html.index(f'<tr><td>{n - edge}</td>')
    assert f'<p>{n} rows × 2 columns</p>' in html
    assert html.count('<tr>') == 1 + 2 * edge + 1  # header, rows, the '…' line


def test_row_numbers_of_a_selection():
    dm = DataMatrix(length=100)
    dm.x = range(100)
    html = (dm.x > 9)._repr_html_()  # a comparison selects rows
    assert row_ids(html) == [10, 11, 12, 13, 14, 95, 96, 97, 98, 99]
    assert '… 80 rows …' in html


def test_names_and_strings_are_escaped():
    dm = DataMatrix(length=1)
    dm['<b>'] = '<script>'
    html = dm._repr_html_()
    assert '<th>&lt;b&gt;</th>' in html and '&lt;script&gt;' in html
    assert '<script>' not in html


@pytest.mark.parametrize('values', [
    [1.5, 2.25, 3.0], [1.0, 2.0], [1e7, 1.0], [1e-7, 1.0], [np.nan, 1.123456789],
    [np.inf, -np.inf, 0.5], [123456789.123, 1.0], [1e15], [1e-5, 1.0], [-0.5, 12.125],
    [0.0, 1e6], [np.nan], [2.0 ** 53], [1 / 3, 2 / 3, 1.0],
])
def test_float_columns_are_formatted_as_pandas_does(values):
    pandas = pytest.importorskip('pandas')
    expected = re.findall(r'<td>(.*?)</td>', pandas.DataFrame({'x': values}).to_html())
    assert format_floats(values) == expected
    dm = DataMatrix(length=len(values))
    dm.x = FloatColumn
    dm.x = values
    cells = re.findall(r'<tr><td>\d+</td><td>(.*?)</td></tr>', dm._repr_html_())
    assert cells == expected


def test_float_format_follows_the_shown_rows_only():
    dm = DataMatrix(length=100)
    dm.x = FloatColumn
    dm.x = 1.0
    dm.x[50] = 1e-9  # hidden in the middle: does not switch to scientific notation
    cells = re.findall(r'<tr><td>\d+</td><td>(.*?)</td></tr>', dm._repr_html_())
    assert cells == ['1.0'] * 10


def test_floats_in_a_mixed_column():
    dm = DataMatrix(length=3)
    dm.m = 1 / 3, 'a', None
    cells = re.findall(r'<tr><td>\d+</td><td>(.*?)</td></tr>', dm._repr_html_())
    assert cells == ['0.333333', 'a', 'None']


def test_a_column_shows_like_a_table_column_without_loading():
    saved = cfg.always_load_max_size
    cfg.always_load_max_size = 0
    try:
        dm = DataMatrix(length=100)
        dm.s = SeriesColumn(depth=3)
        dm.s = np.arange(300.0).reshape(100, 3)
        dm.s.loaded = False
        html = dm.s._repr_html_()
        assert '<th>s<br /><small>3 · offloaded</small></th>' in html
        assert not dm.s.loaded
        assert row_ids(html) == [0, 1, 2, 3, 4, 95, 96, 97, 98, 99]
        assert '… 90 rows …' in html and '<p>100 rows</p>' in html
        assert '<tr><td>95</td><td>285 286 287</td></tr>' in html
    finally:
        cfg.always_load_max_size = saved
    dm.x = FloatColumn
    dm.x = 0.5
    html = dm.x._repr_html_()
    assert '<th>x</th>' in html and '<td>0.5</td>' in html
    assert (dm.s * 2)._repr_html_().startswith('<table><tr><th>#</th><th><br />')
